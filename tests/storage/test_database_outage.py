"""PostgreSQL stopped, then started again, under a running service and its load: search and questions go on, feedback
gets a French 503, the gap is counted in /metrics, and the service finds the database again without a restart;
every answer that was recorded (a 2xx with an ``answer_id``) and every opinion accepted (a 2xx) is there afterwards."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from support import write_corpus

from assistant.service import Eclaireur
from assistant.settings import Settings
from assistant.storage import Records

ADMIN_KEY = "cle-admin-panne-base-0001-0123456789"
QUESTION = "Qui coordonne le Mois de l'innovation publique ?"
RECOVERY_SECONDS = 10


@pytest.fixture()
def own_postgres():
    """A server of its own: this test stops it."""
    from pgserver import PostgresServer, unavailable_reason

    if reason := unavailable_reason():
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.close()


@dataclass
class Agents:
    """Two agents searching, asking and rating in a loop until stopped; what the service accepted, and any other outcome."""

    url: str
    recorded: list[str] = field(default_factory=list)
    rated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def agent(self) -> None:
        with httpx.Client(base_url=self.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as client:
            while not self.stop.is_set():
                if client.get("/search", params={"q": "laboratoire"}).status_code != 200:
                    self.unexpected.append("/search")
                asked = client.post("/ask", json={"question": QUESTION})
                if asked.status_code != 200:
                    self.unexpected.append(f"/ask {asked.status_code}")
                elif answer_id := asked.json()["answer_id"]:
                    self.recorded.append(answer_id)
                    rated = client.post("/feedback", json={"answer_id": answer_id, "useful": True})
                    if rated.status_code == 200:
                        self.rated.append(answer_id)
                    elif rated.status_code != 503:
                        self.unexpected.append(f"/feedback {rated.status_code}")

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.agent, daemon=True) for _ in range(2)]
        for thread in threads:
            thread.start()
        return threads


def skipped(client: httpx.Client) -> float:
    lines = client.get("/metrics").text.splitlines()
    return float(next(line.split()[-1] for line in lines if line.startswith("eclaireur_records_skipped ")))


def test_search_and_answers_go_on_while_postgresql_is_down_and_recording_resumes_by_itself(tmp_path, embedder, model_path,
                                                                                         own_postgres, serve):
    url = own_postgres.database()
    settings = Settings(corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index", database_url=SecretStr(url),
                        records_path=tmp_path / "inutilise.sqlite", model_path=model_path, admin_api_keys=[ADMIN_KEY],
                        records_busy_timeout_seconds=1.0, _env_file=None,
                        rate_limit_per_minute=1_000_000)  # agents looping flat out must never meet the key's budget
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    server = serve(service)
    recorded = []
    with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as client:
        before = client.post("/ask", json={"question": QUESTION}).json()
        recorded.append(before["answer_id"])
        assert before["answer_id"] and skipped(client) == 0
        load = Agents(server.url)
        threads = load.start()
        time.sleep(1)

        own_postgres.stop()
        assert client.get("/search", params={"q": "Mois de l'innovation publique"}).json()["results"][0]["document_id"] \
            == "guides/mois.md"
        during = client.post("/ask", json={"question": QUESTION, "conversation_id": before["conversation_id"]})
        assert during.status_code == 200 and "DITP" in during.json()["answer"]
        assert during.json()["answer_id"] == "", "no feedback can be offered on an answer that was not recorded"
        refused = client.post("/feedback", json={"answer_id": before["answer_id"], "useful": True})
        assert refused.status_code == 503 and "Service de suivi momentanément indisponible" in refused.json()["detail"]
        health = client.get("/health").json()
        assert health["database"] == "unavailable" and health["status"] == "degraded" and health["ready"] is True
        assert skipped(client) >= 1

        own_postgres.start()
        deadline, answer_id = time.monotonic() + RECOVERY_SECONDS, ""
        while not answer_id and time.monotonic() < deadline:
            answer_id = client.post("/ask", json={"question": QUESTION}).json()["answer_id"]
        assert answer_id, f"recording did not resume within {RECOVERY_SECONDS} s"
        recorded.append(answer_id)
        assert client.post("/feedback", json={"answer_id": answer_id, "useful": True}).status_code == 200
        assert client.get("/health").json()["database"] == "ok"
        time.sleep(1)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert load.unexpected == [], load.unexpected[:5]
    assert load.recorded and load.rated, "the agents were served before and after the outage"
    stats = Records(url).stats(since=datetime(2000, 1, 1, tzinfo=UTC))
    assert stats["questions"] == len(recorded) + len(load.recorded), "exactly the answers given an answer_id are recorded"
    assert stats["feedback_count"] == 1 + len(load.rated), "and exactly the opinions that got a 200"
