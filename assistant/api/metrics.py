"""Prometheus metrics: requests and latency per endpoint, index size, answers by status."""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Labels come from fixed sets only: any other method is "OTHER", any unrouted path is UNROUTED, so that no
# request can create a new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNROUTED = "non routé"


class Metrics:
    """One registry per application, so that several apps (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("eclaireur_http_requests", "Requêtes HTTP reçues", ["endpoint", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("eclaireur_http_request_duration_seconds", "Durée de traitement des requêtes",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.answers = Counter("eclaireur_answers", "Réponses de /ask par statut", ["status"], registry=self.registry)
        self.documents = Gauge("eclaireur_index_documents", "Documents dans l'index en service", registry=self.registry)
        self.chunks = Gauge("eclaireur_index_chunks", "Passages dans l'index en service", registry=self.registry)
        self.encoder_batches = Gauge("eclaireur_encoder_batches", "Passages du modèle exécutés pour des lots de requêtes",
                                     registry=self.registry)
        self.encoder_texts = Gauge("eclaireur_encoder_texts", "Textes encodés dans ces lots (÷ lots = taille moyenne)",
                                   registry=self.registry)
        self.database_up = Gauge("eclaireur_database_up", "Base de suivi joignable (1) ou non (0)", registry=self.registry)
        self.records_skipped = Gauge("eclaireur_records_skipped", "Questions répondues sans être enregistrées (base de "
                                     "suivi indisponible), depuis le démarrage", registry=self.registry)


def labels(scope: dict) -> tuple[str, str]:
    """The route's template (``/documents/{document_id:path}``, never the path asked for) and the method."""
    endpoint = getattr(scope.get("route"), "path", None) or UNROUTED
    return endpoint, scope["method"] if scope["method"] in METHODS else "OTHER"


class MetricsMiddleware:
    """ASGI middleware: counts each HTTP request by route and status, and times it. Plain ASGI rather than
    Starlette's ``BaseHTTPMiddleware``, which costs a task and a stream per request."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            endpoint, method = labels(scope)
            metrics: Metrics = scope["app"].state.metrics
            metrics.requests.labels(endpoint, method, str(status)).inc()
            metrics.latency.labels(endpoint).observe(time.perf_counter() - started)


def exposition(app) -> PlainTextResponse:
    """The metrics of ``app`` in Prometheus' text format, index and encoder gauges refreshed."""
    metrics: Metrics = app.state.metrics
    service = app.state.service
    current = service.health() if service else None
    if current is not None:
        metrics.documents.set(current.documents)
        metrics.chunks.set(current.chunks)
        metrics.encoder_batches.set(service.encoder.batches)
        metrics.encoder_texts.set(service.encoder.batched_texts)
        metrics.database_up.set(current.database == "ok")
        metrics.records_skipped.set(service.records_skipped)
    return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def scrape_app(app) -> Starlette:
    """``GET /metrics`` of ``app`` alone, without a key, for ``ECLAIREUR_METRICS_LISTEN``: an address only the
    Prometheus scraper can reach (its network decides who reads, not a key)."""
    return Starlette(routes=[Route("/metrics", lambda request: exposition(app))])


def serve_metrics(app, listen: str, log_level: str):
    """Starts ``scrape_app(app)`` on ``listen`` (« hôte:port ») in a thread; set ``should_exit`` to stop it."""
    import uvicorn

    host, _, port = listen.rpartition(":")
    config = uvicorn.Config(scrape_app(app), host=host.strip("[]"), port=int(port), log_level=log_level, lifespan="off",
                            proxy_headers=False, forwarded_allow_ips=[])
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, name="metrics", daemon=True).start()
    return server
