"""Fair use between callers: costs per endpoint, errors that count, a sub-budget per address inside a widget key,
a bound on model work per caller and load shedding when the server is saturated."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from support import ScriptedLLM, run_async
from test_security import call_as

from assistant.api.admission import CallerBusy, Saturated, WorkGate
from assistant.api.app import create_app
from assistant.service import Eclaireur

KEY_A, KEY_B = "cle-du-service-a-0123456789", "cle-du-service-b-0123456789"
WIDGET_KEY = "cle-widget-partagee-0123456789"


def statuses(client: httpx.Client, calls) -> list[int]:
    return [client.request(method, path, **kwargs).status_code for method, path, kwargs in calls]


def test_a_question_costs_more_than_a_search(default_service, serve):
    server = serve(default_service, api_keys=[KEY_A], rate_limit_per_minute=10, ask_cost=5)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY_A}, timeout=60) as client:
        ask = ("POST", "/ask", {"json": {"question": "Qu'est-ce qu'un laboratoire d'innovation ?"}})
        search = ("GET", "/search", {"params": {"q": "laboratoire"}})
        assert statuses(client, [ask, ask, search]) == [200, 200, 429]


def test_errors_spend_the_budget_like_any_request(default_service, serve):
    server = serve(default_service, api_keys=[KEY_A], rate_limit_per_minute=3)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY_A}) as client:
        errors = [("GET", "/documents/inconnu.md", {}), ("POST", "/feedback", {"json": {"answer_id": "inconnu", "useful": True}}),
                  ("GET", "/adresse-inconnue", {})]
        assert statuses(client, errors) == [404, 404, 404]
        limited = client.get("/search", params={"q": "laboratoire"})
    assert limited.status_code == 429 and "Trop de requêtes" in limited.json()["detail"]


def test_one_address_cannot_use_up_a_shared_widget_key(default_service):
    settings = default_service.settings.model_copy(update={"widget_api_keys": [WIDGET_KEY], "rate_limit_per_minute": 1000,
                                                           "widget_client_rate_limit_per_minute": 3})
    app = create_app(settings, service=default_service)
    key = {"X-API-Key": WIDGET_KEY}
    flooding = [call_as(app, "198.51.100.7", "/search?q=laboratoire&mode=lexical", key).status_code for _ in range(4)]
    assert flooding == [200, 200, 200, 429]
    assert call_as(app, "198.51.100.8", "/search?q=laboratoire&mode=lexical", key).status_code == 200


def test_the_gate_bounds_work_per_caller_and_sheds_load_when_full():
    async def scenario() -> list[str]:
        gate, release, events = WorkGate(per_caller=1, per_caller_queued=2, total=3), asyncio.Event(), []

        async def work(caller: str, label: str) -> None:
            try:
                async with gate.slot((caller,)):
                    events.append(f"{label} commence")
                    await release.wait()
            except (CallerBusy, Saturated) as refusal:
                events.append(f"{label} refusée ({type(refusal).__name__})")

        tasks = [asyncio.create_task(work(caller, label)) for caller, label in
                 (("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("c", "c1"))]
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(*tasks)
        assert gate.pending == 0
        return events

    events = run_async(scenario())
    assert events[:4] == ["a1 commence", "a3 refusée (CallerBusy)", "b1 commence", "c1 refusée (Saturated)"]
    assert "a2 commence" in events  # a2 waited for a1's slot, then ran


@pytest.fixture()
def slow_service(default_service, embedder):
    """The service answering through a language model that takes 3 s, so that a question stays in progress."""
    with ScriptedLLM().serving() as llm:
        llm.behaviour = "slow"
        settings = default_service.settings.model_copy(update={"llm_base_url": f"{llm.url}/v1", "llm_model": "lent",
                                                               "llm_timeout_seconds": 30.0})
        service = Eclaireur(settings, embedder=embedder)
        service.reload()
        yield service, llm


def ask_in_background(url: str, key: str) -> tuple[threading.Thread, list]:
    outcome: list = []

    def ask() -> None:
        outcome.append(httpx.post(f"{url}/ask", json={"question": "Quand a lieu le Mois de l'innovation publique ?"},
                                  headers={"X-API-Key": key}, timeout=60).status_code)
    thread = threading.Thread(target=ask)
    thread.start()
    return thread, outcome


def wait_until_the_model_is_asked(llm) -> None:
    for _ in range(600):
        if llm.requests:
            return
        threading.Event().wait(0.05)
    raise AssertionError("le modèle de langue n'a jamais été appelé")


def test_a_saturated_server_answers_503_with_retry_after(slow_service, serve):
    service, llm = slow_service
    server = serve(service, api_keys=[KEY_A, KEY_B], model_queue_limit=1)
    thread, first = ask_in_background(server.url, KEY_A)
    wait_until_the_model_is_asked(llm)
    shed = httpx.get(f"{server.url}/search", params={"q": "laboratoire"}, headers={"X-API-Key": KEY_B})
    thread.join()
    assert first == [200]
    assert shed.status_code == 503 and int(shed.headers["Retry-After"]) >= 1 and "Service saturé" in shed.json()["detail"]


def test_a_caller_with_too_much_work_in_progress_waits_its_turn_while_others_are_served(slow_service, serve):
    service, llm = slow_service
    server = serve(service, api_keys=[KEY_A, KEY_B], model_work_per_caller=1, model_queue_per_caller=1)
    thread, first = ask_in_background(server.url, KEY_A)
    wait_until_the_model_is_asked(llm)
    with httpx.Client(base_url=server.url, params={"q": "laboratoire"}) as client:
        busy = client.get("/search", headers={"X-API-Key": KEY_A})
        other = client.get("/search", headers={"X-API-Key": KEY_B})
    thread.join()
    assert first == [200] and other.status_code == 200
    assert busy.status_code == 429 and "simultanées" in busy.json()["detail"] and busy.headers["Retry-After"] == "1"


def test_a_query_never_waits_behind_the_answer_sentences_of_other_questions(embedder):
    from concurrent.futures import ThreadPoolExecutor

    from assistant.encoding import SharedEncoder

    encoder, finished = SharedEncoder(embedder, cache_size=0), []
    sentences = [f"Phrase {n} d'une réponse sur les laboratoires d'innovation publique et leurs méthodes." for n in range(200)]

    def encode(kind: str) -> None:
        if kind == "passages":
            encoder.encode_passages(sentences)
        else:
            encoder.encode_query("droit à l'erreur")
        finished.append(kind)

    try:
        with ThreadPoolExecutor(2) as pool:
            passages = pool.submit(encode, "passages")
            while encoder._worker is None:  # the passages' job goes in right after the worker starts
                threading.Event().wait(0.001)
            threading.Event().wait(0.05)
            pool.submit(encode, "query").result()
            passages.result()
    finally:
        encoder.close()
    assert finished == ["query", "passages"]
