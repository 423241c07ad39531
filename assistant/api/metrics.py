"""Prometheus metrics: requests and latency per endpoint, index size, answers by status."""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
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


def labels(request: Request) -> tuple[str, str]:
    """The route's template (``/documents/{document_id:path}``, never the path asked for) and the method."""
    route = request.scope.get("route")
    endpoint = getattr(route, "path", None) or UNROUTED
    return endpoint, request.method if request.method in METHODS else "OTHER"


class MetricsMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            endpoint, method = labels(request)
            metrics: Metrics = request.app.state.metrics
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
