"""``/admin/sources``: the declared web sources, a background sync and its progress (scope « admin »)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from index.web.config import SourcesFileError, load_sources

from ...service import Eclaireur
from ..dependencies import get_service
from ..errors import PROTECTED, error_responses
from ..security import require

router = APIRouter(prefix="/admin/sources", tags=["administration"], dependencies=[Depends(require("admin"))],
                   responses=error_responses(*PROTECTED))


class SourceOut(BaseModel):
    name: str
    start_url: str | None = None
    sitemap: str | None = None
    folder: str = Field(description="Dossier du corpus où ses pages sont écrites")
    max_pages: int
    intranet: bool


class SourcesSyncStatus(BaseModel):
    state: Literal["idle", "running", "done", "failed"]
    started_at: str | None = None
    finished_at: str | None = None
    source: str | None = Field(None, description="Source en cours de récupération")
    pages_fetched: int = Field(0, description="Pages demandées à la source en cours")
    reports: list[dict] = Field(default_factory=list, description="Rapport par source : new, changed, unchanged, removed, "
                                                                  "skipped (adresse → raison), error")
    index: dict | None = Field(None, description="Mise à jour de l'index qui a suivi (quand le corpus a changé)")
    error: str | None = None
    next_run_at: str | None = Field(None, description="Prochaine synchronisation planifiée (ECLAIREUR_SOURCES_SYNC_HOURS)")


class SourcesResponse(BaseModel):
    sources_file: str = Field(description="Fichier des sources (ECLAIREUR_SOURCES_FILE ou sources.toml du corpus)")
    sources: list[SourceOut]
    file_error: str | None = Field(None, description="Pourquoi le fichier des sources est inutilisable")
    sync: SourcesSyncStatus


@router.get("", response_model=SourcesResponse, summary="Sources web déclarées et avancement de leur synchronisation")
def sources(service: Eclaireur = Depends(get_service)) -> SourcesResponse:
    path = service.settings.sources_path
    try:
        declared, problem = load_sources(path), None
    except SourcesFileError as error:
        declared, problem = [], str(error)
    return SourcesResponse(sources_file=path.name, file_error=problem, sync=SourcesSyncStatus(**asdict(service.sources_sync.state)),
                           sources=[SourceOut(name=s.name, start_url=s.start_url, sitemap=s.sitemap, folder=s.target_folder,
                                              max_pages=s.max_pages, intranet=s.intranet) for s in declared])


@router.post("/sync", response_model=SourcesSyncStatus, status_code=202, responses=error_responses(409),
             summary="Synchroniser les sources web en arrière-plan, puis mettre l'index à jour")
def start_sync(name: str | None = Query(None, max_length=64, description="Seulement cette source (défaut : toutes)"),
               service: Eclaireur = Depends(get_service)) -> SourcesSyncStatus:
    if not service.sources_sync.start(name):
        state = service.sources_sync.state
        raise HTTPException(409, f"Une synchronisation des sources web est déjà en cours (démarrée le {state.started_at}) : "
                                 "suivez son avancement avec GET /admin/sources.")
    return SourcesSyncStatus(**asdict(service.sources_sync.state))
