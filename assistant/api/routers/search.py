"""``/search``: ranked documents for a query, as a query string or a JSON body."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ...retrieval import SearchFilters, SearchOutcome
from ...service import Eclaireur
from ..dependencies import get_service, on_loop
from ..errors import PROTECTED, error_responses
from ..links import DocumentLinks
from ..schemas import Passage, SearchRequest, SearchResponse, SearchResult
from ..security import require

router = APIRouter(tags=["recherche"], responses=error_responses(*PROTECTED))


@router.get("/search", response_model=SearchResponse, summary="Rechercher (paramètres d'URL)",
            dependencies=[Depends(on_loop(require("search")))])
async def search_get(request: Annotated[SearchRequest, Query()], http: Request,
                     service: Eclaireur = Depends(on_loop(get_service))) -> SearchResponse:
    return await run_in_threadpool(run_search, request, service, http.app.state.links)


@router.post("/search", response_model=SearchResponse, summary="Rechercher (corps JSON)",
             dependencies=[Depends(on_loop(require("search")))])
async def search_post(request: SearchRequest, http: Request, service: Eclaireur = Depends(on_loop(get_service))) -> SearchResponse:
    return await run_in_threadpool(run_search, request, service, http.app.state.links)


def run_search(request: SearchRequest, service: Eclaireur, links: DocumentLinks) -> SearchResponse:
    """The search, on a worker thread (encoding blocks); the route's checks and its response's validation stay on
    the event loop: one thread hop per request instead of four."""
    filters = SearchFilters(types=tuple(request.type), tags=tuple(request.tag), folder=request.folder)
    outcome = service.search(request.q, k=request.k, mode=request.mode, filters=filters, rerank=request.rerank)
    return to_response(outcome, links)


def to_response(outcome: SearchOutcome, links: DocumentLinks) -> SearchResponse:
    results = []
    for hit in outcome.results:
        best = hit.best.chunk
        passages = [Passage(chunk_id=h.chunk.chunk_id, heading_path=" > ".join(h.chunk.heading_path), snippet=h.snippet,
                            score=round(h.score, 6), page=h.chunk.page) for h in hit.chunk_hits]
        results.append(SearchResult(
            document_id=best.document_id, title=best.title, type=best.type, tags=list(best.tags),
            url=links.url(best.url, best.document_id), score=round(hit.score, 6),
            heading_path=passages[0].heading_path, snippet=hit.best.snippet, chunk_id=best.chunk_id, page=best.page,
            passages=passages,
        ))
    return SearchResponse(query=outcome.query, mode=outcome.mode, results=results, took_ms=outcome.took_ms,
                          reranked=outcome.reranked, rerank_fallback=outcome.rerank_fallback)
