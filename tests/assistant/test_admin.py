"""Administration: content gaps, statistics, background reindex swapped in without dropping requests."""

from __future__ import annotations

import time

import httpx
from support import write_corpus

from assistant.service import Eclaireur
from assistant.settings import Settings

ADMIN_KEY = "cle-admin-tests-0001-0123456789"


def admin_client(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=60)


def test_gaps_group_similar_unanswered_questions(default_service, serve):
    for question in ("Quelle est la recette de la tarte tatin ?", "Comment faire une tarte tatin ?",
                     "Quelle est la recette de la tarte tatin ?", "Combien coûte un abonnement de bus à Lyon ?"):
        default_service.ask(question)
    server = serve(default_service, admin_api_keys=[ADMIN_KEY])
    with admin_client(server) as client:
        gaps = client.get("/admin/gaps").json()["gaps"]
    tatin = next(g for g in gaps if "tatin" in g["question"])
    assert tatin["count"] >= 3 and tatin["reasons"]["no_answer"] >= 3
    assert tatin["question"] == "Quelle est la recette de la tarte tatin ?"
    assert any("bus" in g["question"] for g in gaps if g is not tatin)


def test_stats_report_volume_rates_and_latency(default_service, serve):
    default_service.ask("Qui organise le Mois de l'innovation publique ?")
    server = serve(default_service, admin_api_keys=[ADMIN_KEY])
    with admin_client(server) as client:
        stats = client.get("/admin/stats", params={"days": 7}).json()
    assert stats["days"] == 7 and stats["questions"] >= 1
    assert stats["per_day"][-1]["total"] >= 1 and 0 <= stats["answer_rate"] <= 1
    assert {"p50", "p95", "p99"} <= set(stats["latency_ms"])


def test_reindex_runs_in_background_and_swaps_the_new_index_in(tmp_path, embedder, model_path, serve):
    corpus = write_corpus(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", records_path=tmp_path / "records.sqlite",
                        model_path=model_path, admin_api_keys=[ADMIN_KEY], _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    server = serve(service)
    (corpus / "guides" / "hackathon.md").write_text(
        "# Organiser un hackathon\n\nUn hackathon réunit pendant quarante-huit heures des développeurs et des agents.\n",
        encoding="utf-8")
    with admin_client(server) as client:
        assert client.get("/admin/reindex").json()["state"] == "idle"
        started = client.post("/admin/reindex")
        assert started.status_code == 202 and started.json()["state"] == "running"
        failures, state = 0, {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            failures += client.get("/search", params={"q": "hackathon"}).status_code != 200
            state = client.get("/admin/reindex").json()
            if state["state"] != "running":
                break
        assert state["state"] == "done", state
        assert state["report"]["chunks_embedded"] == 1 and state["files_done"] == state["files_total"] == 1
        assert failures == 0
        results = client.get("/search", params={"q": "hackathon de quarante-huit heures"}).json()["results"]
        assert results[0]["document_id"] == "guides/hackathon.md"
