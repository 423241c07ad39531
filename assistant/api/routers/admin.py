"""``/admin``: content gaps, usage statistics, corpus, privacy settings, background reindex (scope « admin »)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from ...service import Eclaireur
from ..dependencies import get_service
from ..errors import PROTECTED, error_responses
from ...corpus_overview import corpus_overview
from ..schemas import CorpusResponse, GapOut, GapsResponse, PrivacyResponse, ReindexStatus, StatsResponse
from ..security import require

router = APIRouter(prefix="/admin", tags=["administration"], dependencies=[Depends(require("admin"))],
                   responses=error_responses(*PROTECTED))


@router.get("/gaps", response_model=GapsResponse, summary="Questions sans bonne réponse, regroupées")
def gaps(days: int = Query(90, ge=1, le=3650, description="Période examinée, en jours"),
         service: Eclaireur = Depends(get_service)) -> GapsResponse:
    return GapsResponse(days=days, gaps=[GapOut(**asdict(gap)) for gap in service.gaps(days)])


@router.get("/stats", response_model=StatsResponse, summary="Statistiques d'usage")
def stats(days: int = Query(30, ge=1, le=3650), service: Eclaireur = Depends(get_service)) -> StatsResponse:
    return StatsResponse(days=days, **service.stats(days))


@router.post("/reindex", response_model=ReindexStatus, status_code=202, responses=error_responses(409),
             summary="Reconstruire l'index en arrière-plan")
def start_reindex(service: Eclaireur = Depends(get_service)) -> ReindexStatus:
    if not service.reindex.start():
        state = service.reindex.state
        raise HTTPException(409, f"Une reconstruction est déjà en cours (démarrée le {state.started_at}, {state.files_done}/"
                                 f"{state.files_total} fichiers) : suivez son avancement avec GET /admin/reindex.")
    return ReindexStatus(**asdict(service.reindex.state))


@router.get("/reindex", response_model=ReindexStatus, summary="Avancement de la reconstruction")
def reindex_status(service: Eclaireur = Depends(get_service)) -> ReindexStatus:
    return ReindexStatus(**asdict(service.reindex.state))


@router.get("/corpus", response_model=CorpusResponse, summary="Documents par dossier et type, dernière construction")
def corpus(service: Eclaireur = Depends(get_service)) -> CorpusResponse:
    return CorpusResponse(**asdict(corpus_overview(service.retriever.snapshot)))


@router.get("/privacy", response_model=PrivacyResponse, summary="Ce qui est gardé des questions, et combien de temps")
def privacy(request: Request) -> PrivacyResponse:
    settings = request.app.state.settings
    return PrivacyResponse(record_question_text=settings.record_question_text,
                           question_retention_days=settings.question_retention_days)
