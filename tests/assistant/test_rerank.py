"""Optional remote reranker (``POST {base}/v1/rerank``), against a scripted server on loopback."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from support import PATIENT_TIMEOUT_SECONDS, SILENT_SECONDS, LiveServer

from assistant.service import Eclaireur

QUERY = "laboratoire d'innovation publique"


class ScriptedReranker:
    """A rerank endpoint that judges the passages in reverse of the order it received them (or fails on demand)."""

    def __init__(self) -> None:
        self.behaviour = "reverse"
        self.requests: list[dict] = []
        self.app = FastAPI()
        self.app.get("/health")(lambda: {"ok": True})
        self.app.post("/v1/rerank")(self.rerank)

    async def rerank(self, request: Request):
        payload = await request.json()
        self.requests.append(payload)
        if self.behaviour == "slow":
            await asyncio.sleep(SILENT_SECONDS)
        if self.behaviour == "error":
            return JSONResponse({"error": "surcharge"}, status_code=503)
        if self.behaviour == "garbage":
            return {"results": [{"index": 99, "relevance_score": 1.0}]}
        count = len(payload["documents"])
        return {"model": payload["model"], "results": [{"index": i, "relevance_score": (i + 1) / count} for i in range(count)]}


@pytest.fixture(scope="module")
def reranker():
    scripted = ScriptedReranker()
    with LiveServer(scripted.app) as server:
        scripted.url = server.url
        yield scripted


@pytest.fixture()
def reranking_service(default_service, embedder, reranker):
    settings = default_service.settings.model_copy(update={
        "rerank_base_url": reranker.url, "rerank_model": "bge-reranker-test", "rerank_timeout_seconds": PATIENT_TIMEOUT_SECONDS,
        "rerank_top_n": 4})
    service = Eclaireur(settings, embedder=embedder)
    service.reload()
    reranker.behaviour = "reverse"
    reranker.requests.clear()
    return service


def test_search_with_rerank_puts_the_rerankers_favourite_first(reranking_service, reranker):
    local = reranking_service.search(QUERY, k=4)
    outcome = reranking_service.search(QUERY, k=4, rerank=True)
    request = reranker.requests[-1]
    assert request["model"] == "bge-reranker-test" and request["query"] == QUERY and request["top_n"] == 4
    assert len(request["documents"]) == 4 and local.results[0].best.chunk.title in request["documents"][0]
    assert outcome.reranked and outcome.rerank_fallback is None
    ids = [r.best.chunk.document_id for r in outcome.results]
    assert ids == [r.best.chunk.document_id for r in local.results][::-1]
    assert [r.score for r in outcome.results] == sorted((r.score for r in outcome.results), reverse=True)


def test_reranking_is_paid_only_when_asked(reranking_service, reranker):
    outcome = reranking_service.search(QUERY, k=4)
    assert not outcome.reranked and outcome.rerank_fallback is None and reranker.requests == []


@pytest.mark.parametrize(("behaviour", "reason"), [
    ("slow", f"n'a pas répondu en {PATIENT_TIMEOUT_SECONDS:g} s"),
    ("error", "erreur HTTP 503"),
    ("garbage", "passages inexistants"),
])
def test_a_failing_reranker_leaves_the_local_order_and_says_why(reranking_service, reranker, behaviour, reason):
    local = reranking_service.search(QUERY, k=4)
    reranker.behaviour = behaviour
    outcome = reranking_service.search(QUERY, k=4, rerank=True)
    assert not outcome.reranked and reason in outcome.rerank_fallback
    assert outcome.rerank_fallback.startswith("Ordre de la recherche locale")
    assert [r.best.chunk.chunk_id for r in outcome.results] == [r.best.chunk.chunk_id for r in local.results]


def test_search_api_reranks_on_request_and_reports_a_fallback(reranking_service, reranker, serve):
    server = serve(reranking_service)
    plain = httpx.get(f"{server.url}/search", params={"q": QUERY, "k": 4}).json()
    reranked = httpx.get(f"{server.url}/search", params={"q": QUERY, "k": 4, "rerank": "true"}).json()
    assert not plain["reranked"] and reranked["reranked"] and reranked["rerank_fallback"] is None
    assert [r["document_id"] for r in reranked["results"]] == [r["document_id"] for r in plain["results"]][::-1]
    reranker.behaviour = "error"
    failed = httpx.post(f"{server.url}/search", json={"q": QUERY, "k": 4, "rerank": True}).json()
    assert not failed["reranked"] and "erreur HTTP 503" in failed["rerank_fallback"]
    assert [r["document_id"] for r in failed["results"]] == [r["document_id"] for r in plain["results"]]


def test_ask_uses_the_configured_reranker_and_answers_even_when_it_fails(reranking_service, reranker, serve):
    server = serve(reranking_service)
    question = {"question": "Où trouve-t-on des laboratoires d'innovation publique ?"}
    answered = httpx.post(f"{server.url}/ask", json=question, timeout=30).json()
    assert reranker.requests and answered["rerank_fallback"] is None
    reranker.behaviour = "slow"
    degraded = httpx.post(f"{server.url}/ask", json=question, timeout=30).json()
    assert degraded["status"] in ("answered", "no_answer") and "n'a pas répondu" in degraded["rerank_fallback"]


def test_rerank_without_a_configured_reranker_says_so(default_service):
    outcome = default_service.search(QUERY, k=3, rerank=True)
    assert not outcome.reranked and "aucun reclasseur n'est configuré" in outcome.rerank_fallback
