"""Builds the FastAPI application; the lifespan loads the model and the index once."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse

from ..service import Eclaireur
from ..settings import Settings
from .errors import validation_error_handler
from .routers import documents, health, search

logger = logging.getLogger(__name__)

DESCRIPTION = """Recherche et réponses en français sur l'innovation publique, pour les agents publics.

Les identifiants de documents (`document_id`) sont les chemins des fichiers relatifs à la racine du corpus."""


def create_app(settings: Settings | None = None, service: Eclaireur | None = None, build_if_needed: bool = False) -> FastAPI:
    """The API. Pass a ready ``service`` to share one loaded model (tests); otherwise it is created at start-up."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.service is None:
            created = Eclaireur(settings)
            if build_if_needed:
                created.ensure_index(progress=True)
            else:
                created.reload()
            app.state.service = created
        yield

    app = FastAPI(title="Éclaireur", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.service = service
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization", "X-API-Key"])
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, _http_error)
    for router in (search.router, documents.router, health.router):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail, "errors": []}, headers=exc.headers)
