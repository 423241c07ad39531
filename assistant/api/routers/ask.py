"""``/ask``: a cited answer (or an honest ``no_answer``) and ``/conversations/{id}`` to forget one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response

from ...answers import Answer
from ...retrieval import SearchFilters
from ...service import AskResult, Eclaireur
from ...storage import Caller, ForeignRecord
from ..dependencies import get_service, search_caller
from ..errors import PROTECTED, error_responses
from ..links import DocumentLinks
from ..schemas import AskRequest, AskResponse, CitationOut, RelatedDocument

router = APIRouter(tags=["questions"], responses=error_responses(*PROTECTED))
CHANNELS = {"api", "telegram", "widget"}


@router.post("/ask", response_model=AskResponse, summary="Poser une question", responses=error_responses(404))
def ask(request: AskRequest, http: Request, caller: Caller = Depends(search_caller), service: Eclaireur = Depends(get_service),
        x_eclaireur_channel: str | None = Header(None, description="api, telegram ou widget")) -> AskResponse:
    """Un `conversation_id` poursuit une conversation créée avec la même clé ; expirée, une nouvelle commence."""
    channel = x_eclaireur_channel if x_eclaireur_channel in CHANNELS else "api"
    try:
        return answer(request, service, caller, channel, http.app.state)
    except ForeignRecord:
        raise HTTPException(404, foreign_conversation(request.conversation_id)) from None


def answer(request: AskRequest, service: Eclaireur, caller: Caller, channel: str, state) -> AskResponse:
    """The answer to ``request``, recorded on ``channel`` and counted in the metrics of the app ``state``.

    Raises ``ForeignRecord`` when the conversation belongs to another caller."""
    filters = request.filters
    search_filters = SearchFilters(tuple(filters.type), tuple(filters.tag), filters.folder) if filters else SearchFilters()
    result = service.ask(request.question, request.conversation_id, search_filters, channel, caller)
    state.metrics.answers.labels(result.answer.status).inc()
    return to_response(result, state.links)


def foreign_conversation(conversation_id: str | None) -> str:
    return f"Conversation « {conversation_id} » inconnue pour cette clé : omettez conversation_id pour en commencer une."


@router.delete("/conversations/{conversation_id}", status_code=204, responses=error_responses(404),
               summary="Oublier une conversation")
def forget(conversation_id: str, caller: Caller = Depends(search_caller), service: Eclaireur = Depends(get_service)) -> Response:
    if not service.forget_conversation(conversation_id, caller):
        raise HTTPException(404, f"Conversation « {conversation_id} » inconnue ou déjà expirée.")
    return Response(status_code=204)


def to_response(result: AskResult, links: DocumentLinks) -> AskResponse:
    answer: Answer = result.answer
    citations = [CitationOut(number=c.number, title=c.chunk.title, heading_path=" > ".join(c.chunk.heading_path),
                             url=links.url(c.chunk.url, c.chunk.document_id), document_id=c.chunk.document_id,
                             chunk_id=c.chunk.chunk_id, page=c.chunk.page, quote=c.quote) for c in answer.citations]
    related = [RelatedDocument(document_id=r.best.chunk.document_id, title=r.best.chunk.title, type=r.best.chunk.type,
                               url=links.url(r.best.chunk.url, r.best.chunk.document_id),
                               heading_path=" > ".join(r.best.chunk.heading_path), score=round(r.score, 6),
                               snippet=r.best.snippet)
               for r in answer.related]
    return AskResponse(answer=answer.text, status=answer.status, confidence=answer.confidence, method=answer.method,
                       citations=citations, related=related, answer_id=result.answer_id,
                       conversation_id=result.conversation_id, fallback_reason=result.fallback_reason,
                       rerank_fallback=result.rerank_fallback, timings=result.timings)
