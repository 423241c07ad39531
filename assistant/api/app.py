"""Builds the FastAPI application; the lifespan loads the model and the index once."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException

from ..mcp import http as mcp_http
from ..mcp.errors import JsonRpcErrors
from ..service import Eclaireur
from ..settings import Settings
from ..storage import RecordsUnavailable
from .admission import Admission
from .docs import add_local_docs
from .errors import PROTECTED, error_responses, http_error_handler, validation_error_handler
from .keys import KeyRing
from .links import DocumentLinks, LinkSigner
from .metrics import Metrics, MetricsMiddleware, exposition
from .query_string import one_value_per_parameter
from .routers import admin, ask, console, documents, feedback, health, search, sources, widget
from .security import BodySizeLimit, NoSniff, require

logger = logging.getLogger(__name__)

DESCRIPTION = """Recherche et réponses en français sur l'innovation publique, pour les agents publics.

- `/search` classe les documents ; `/ask` répond avec des citations numérotées ou dit honnêtement qu'il ne sait pas.
- Les identifiants de documents (`document_id`) sont les chemins des fichiers relatifs à la racine du corpus.
- Authentification : en-tête `X-API-Key` (portée `search`, `widget`, `admin` ou `metrics`). Sans clé configurée,
  seuls les appels locaux sont acceptés et l'administration est désactivée. Les liens `/documents/…` renvoyés
  sont signés (`exp`, `sig`) et s'ouvrent sans clé.
- Usage équitable : `/ask` coûte 5 jetons, toute autre requête 1 (erreurs comprises) ; 429 ou 503 avec `Retry-After`.
- Assistants IA : `POST /mcp` sert les mêmes recherches et réponses en Model Context Protocol (outils `rechercher`,
  `repondre`, `lire_document`), avec les mêmes clés et limites ; voir « Assistants IA (MCP) » dans le README."""


def create_app(settings: Settings | None = None, service: Eclaireur | None = None, build_if_needed: bool = False) -> FastAPI:
    """The API. Pass a ready ``service`` to share one loaded model (tests); otherwise it is created at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        logger.info(app.state.keyring.describe())
        if app.state.service is None:
            created = Eclaireur(settings)
            if build_if_needed:
                created.open_for_serving(progress=True)
            else:
                created.reload()
            app.state.service = created
        async with app.state.mcp.running():
            yield

    app = FastAPI(title="Éclaireur", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None,
                  dependencies=[Depends(one_value_per_parameter)])
    add_local_docs(app)
    app.state.settings = settings
    app.state.service = service
    app.state.keyring = KeyRing.from_settings(settings)
    app.state.links = DocumentLinks(LinkSigner.from_settings(settings) if app.state.keyring.keys else None)
    app.state.metrics = Metrics()
    app.add_middleware(Admission, settings=settings, keyring=app.state.keyring)
    app.add_middleware(MetricsMiddleware)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Eclaireur-Channel",
                                          "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name"],
                           expose_headers=["Retry-After"])
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(JsonRpcErrors)
    app.add_middleware(NoSniff)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(RecordsUnavailable, _records_unavailable)
    for router in (search.router, ask.router, feedback.router, documents.router, admin.router, sources.router, health.router,
                   widget.router, console.router):
        app.include_router(router)
    app.state.mcp = mcp_http.mount(app)

    @app.get("/metrics", include_in_schema=True, tags=["supervision"], summary="Métriques Prometheus",
             response_class=PlainTextResponse, dependencies=[Depends(require("metrics"))],
             responses=error_responses(*PROTECTED))
    def metrics() -> PlainTextResponse:
        return exposition(app)

    return app


async def _records_unavailable(request: Request, exc: RecordsUnavailable) -> JSONResponse:
    logger.error("%s", exc)
    return JSONResponse(status_code=503, content={"detail": "Service de suivi momentanément indisponible : la recherche "
                                                            "fonctionne, réessayez la question dans un instant.", "errors": []})
