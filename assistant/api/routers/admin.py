"""``/admin``: content gaps and their review, usage statistics, rated answers, CSV exports, corpus, privacy settings,
background reindex (scope « admin »). The console ``/admin/`` reads only these."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from ...corpus_overview import corpus_overview
from ...service import Eclaireur
from ...storage.console import questions_between, rated_answers, review_gap, worklist
from ...storage.gaps import wording_key
from ..csv_export import csv_text
from ..dependencies import get_service
from ..errors import PROTECTED, error_responses
from ..keys import ApiKey
from ..schemas import (
    CorpusResponse,
    Day,
    GapOut,
    GapReviewRequest,
    GapsResponse,
    PrivacyResponse,
    RatedAnswerOut,
    RatedAnswersResponse,
    ReindexStatus,
    ReviewOut,
    StatsResponse,
)
from ..security import require

router = APIRouter(prefix="/admin", tags=["administration"], dependencies=[Depends(require("admin"))],
                   responses=error_responses(*PROTECTED))


@router.get("/gaps", response_model=GapsResponse, summary="Questions sans bonne réponse, regroupées")
def gaps(days: int = Query(90, ge=1, le=3650, description="Période examinée, en jours"),
         reviewed: bool = Query(False, description="true : aussi les groupes traités ou hors sujet"),
         limit: int = Query(100, ge=1, le=2000, description="Groupes au plus, les plus grands d'abord"),
         service: Eclaireur = Depends(get_service)) -> GapsResponse:
    """Sans `reviewed`, la liste de travail : groupes jamais examinés, « à écrire », ou revenus après « traité »."""
    until = datetime.now(UTC)
    return GapsResponse(days=days, gaps=[gap_out(group) for group in gap_worklist(service, until - timedelta(days=days), until,
                                                                                  reviewed, limit)])


def gap_worklist(service: Eclaireur, since: datetime, until: datetime, reviewed: bool, limit: int | None):
    return worklist(service.database, service.encoder.encode_queries, service.embedder.fingerprint, since, until, reviewed, limit)


def gap_out(group) -> GapOut:
    return GapOut(**asdict(group.gap), review=ReviewOut(**asdict(group.review)) if group.review else None,
                  returned=group.returned)


@router.post("/gaps/review", response_model=ReviewOut, summary="Marquer un groupe : traité, à écrire ou hors sujet")
def review(request: GapReviewRequest, key: ApiKey | None = Depends(require("admin")),
           service: Eclaireur = Depends(get_service)) -> ReviewOut:
    """Toutes les formulations du groupe reçoivent la décision, avec le nom de la clé et la date."""
    decision = review_gap(service.database, [wording_key(w) for w in request.wordings], request.question, request.state,
                          key.name if key else "local", datetime.now(UTC))
    return ReviewOut(**asdict(decision))


@router.get("/feedback", response_model=RatedAnswersResponse, summary="Derniers avis, avec question, réponse et sources")
def feedback(rating: Literal["not_useful", "useful", "all"] = Query("not_useful", description="Avis retenus"),
             channel: Literal["telegram", "widget", "api"] | None = Query(None),
             since: Day | None = Query(None, description="Premier jour (AAAA-MM-JJ, UTC)"),
             until: Day | None = Query(None, description="Dernier jour inclus (AAAA-MM-JJ, UTC)"),
             limit: int = Query(50, ge=1, le=500), service: Eclaireur = Depends(get_service)) -> RatedAnswersResponse:
    useful = None if rating == "all" else rating == "useful"
    first, last = sorted((since, until)) if since and until else (since, until)
    rows = rated_answers(service.database, useful, channel, day_start(first), day_end(last), limit)
    return RatedAnswersResponse(answers=[RatedAnswerOut(**asdict(row)) for row in rows])


@router.get("/export/questions.csv", response_class=Response, summary="Questions d'une période (CSV)",
            responses={200: {"content": {"text/csv": {}}}})
def export_questions(request: Request, since: Day = Query(..., description="Premier jour (AAAA-MM-JJ, UTC)"),
                     until: Day = Query(..., description="Dernier jour inclus (AAAA-MM-JJ, UTC)"),
                     service: Eclaireur = Depends(get_service)) -> Response:
    """Sans la colonne `question` quand ECLAIREUR_RECORD_QUESTION_TEXT=false (le texte n'est pas gardé)."""
    since, until = sorted((since, until))
    keep_text = request.app.state.settings.record_question_text
    header = ["date", "canal", "statut", "confiance", "latence_ms", "avis", "commentaire"] + (["question"] if keep_text else [])
    rows = ([created_at, channel, status, round(confidence, 3), round(latency, 1),
             "" if useful is None else ("utile" if useful else "inutile"), comment] + ([question] if keep_text else [])
            for created_at, channel, status, confidence, latency, useful, comment, question
            in questions_between(service.database, day_start(since), day_end(until)))
    return csv_response(csv_text(header, rows), f"questions-{since}-{until}.csv")


@router.get("/export/gaps.csv", response_class=Response, summary="Questions sans bonne réponse d'une période, regroupées (CSV)",
            responses={200: {"content": {"text/csv": {}}}})
def export_gaps(since: Day = Query(..., description="Premier jour (AAAA-MM-JJ, UTC)"),
                until: Day = Query(..., description="Dernier jour inclus (AAAA-MM-JJ, UTC)"),
                service: Eclaireur = Depends(get_service)) -> Response:
    since, until = sorted((since, until))
    groups = gap_worklist(service, day_start(since), day_end(until), reviewed=True, limit=None)
    header = ["question", "nombre", "premiere_fois", "derniere_fois", "sans_reponse", "jugees_inutiles", "etat", "revenu",
              "exemples", "documents_proches"]
    rows = ([g.gap.question, g.gap.count, g.gap.first_asked, g.gap.last_asked, g.gap.reasons.get("no_answer", 0),
             g.gap.reasons.get("not_useful", 0), g.review.state if g.review else "", "oui" if g.returned else "non",
             " | ".join(g.gap.examples), " | ".join(d["document_id"] for d in g.gap.documents)] for g in groups)
    return csv_response(csv_text(header, rows), f"contenus-a-ecrire-{since}-{until}.csv")


def day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), UTC) if day else None


def day_end(day: date | None) -> datetime | None:
    """The last instant of ``day`` (queries take what comes before it): no day after 9999-12-31 to overflow into."""
    return datetime.combine(day, time.max, UTC) if day else None


def csv_response(text: str, filename: str) -> Response:
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@router.get("/stats", response_model=StatsResponse, summary="Statistiques d'usage")
def stats(days: int = Query(30, ge=1, le=3650), service: Eclaireur = Depends(get_service)) -> StatsResponse:
    return StatsResponse(days=days, **service.stats(days))


@router.post("/reindex", response_model=ReindexStatus, status_code=202, responses=error_responses(409),
             summary="Reconstruire l'index en arrière-plan")
def start_reindex(service: Eclaireur = Depends(get_service)) -> ReindexStatus:
    started = service.reindex.start()
    if started is None:
        state = service.reindex.state
        raise HTTPException(409, f"Une reconstruction est déjà en cours (démarrée le {state.started_at}, {state.files_done}/"
                                 f"{state.files_total} fichiers) : suivez son avancement avec GET /admin/reindex.")
    return ReindexStatus(**asdict(started))


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
