"""The SQLite records store locked or read-only: a quick 503 in French where it is needed, search and /ask go on.

/ask still answers when the question cannot be logged (a warning is logged, ``answer_id`` is empty so no
feedback is offered); feedback, conversation deletion and the admin reports answer 503.
"""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import time

import httpx
import pytest
from support import log_answer, write_corpus

from assistant.service import Eclaireur
from assistant.settings import Settings
from assistant.storage import Records
from index.builder import IndexConfig, build_index
from index.sources import CorpusFolder

ADMIN_KEY = "cle-admin-pannes-0001-0123456789"
BUSY_TIMEOUT = 1.0
QUESTION = "Qui coordonne le Mois de l'innovation publique ?"


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, embedder, model_path):
    work = tmp_path_factory.mktemp("records-faults")
    corpus = write_corpus(work / "corpus")
    build_index(CorpusFolder(corpus), work / "index", IndexConfig(model_path=model_path), embedder=embedder)
    return work


def service_with_records(small_index, records_path, embedder, model_path) -> Eclaireur:
    settings = Settings(corpus_dir=small_index / "corpus", index_dir=small_index / "index", records_path=records_path,
                        model_path=model_path, records_busy_timeout_seconds=BUSY_TIMEOUT, admin_api_keys=[ADMIN_KEY],
                        _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.reload()
    return service


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, seconds: float) -> None:
    assert response.status_code == 503, response.text
    assert "Service de suivi momentanément indisponible" in response.json()["detail"]
    assert seconds < BUSY_TIMEOUT + 1.5, f"{seconds:.1f} s: requests must not hang on the records store"


def assert_search_and_ask_still_work(client: httpx.Client, caplog) -> None:
    found = client.get("/search", params={"q": "Mois de l'innovation publique"})
    assert found.status_code == 200 and found.json()["results"][0]["document_id"] == "guides/mois.md"
    caplog.clear()
    asked, seconds = timed(lambda: client.post("/ask", json={"question": QUESTION}))
    assert asked.status_code == 200 and asked.json()["status"] == "answered" and "DITP" in asked.json()["answer"]
    assert asked.json()["answer_id"] == "", "no feedback can be given on an answer that was not logged"
    assert seconds < BUSY_TIMEOUT + 3
    assert any("Question non enregistrée" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_a_locked_store_gives_quick_503s_while_search_and_ask_keep_working(small_index, tmp_path, embedder, model_path,
                                                                        serve, caplog):
    service = service_with_records(small_index, tmp_path / "records.sqlite", embedder, model_path)
    earlier = service.ask(QUESTION)
    server = serve(service)
    locker = sqlite3.connect(tmp_path / "records.sqlite", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process writing, or a stuck maintenance script
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as client:
            assert_unavailable(*timed(lambda: client.post("/feedback", json={"answer_id": earlier.answer_id, "useful": True})))
            assert_unavailable(*timed(lambda: client.delete(f"/conversations/{earlier.conversation_id}")))
            # readers are not blocked by a writer (write-ahead log): the reports stay available
            assert client.get("/admin/stats").json()["questions"] == 1
            assert client.get("/admin/gaps").status_code == 200
            assert_search_and_ask_still_work(client, caplog)
            locker.execute("ROLLBACK")
            assert client.post("/feedback", json={"answer_id": earlier.answer_id, "useful": True}).status_code == 200
    finally:
        locker.close()


@pytest.fixture()
def read_only_records(tmp_path):
    """A records file with one answer, in a folder made immutable (``chattr +i``: even root cannot write)."""
    folder = tmp_path / "suivi"
    records = Records(folder / "records.sqlite")
    answer_id = log_answer(records, QUESTION, "answered", 0.9, "api", 50.0)
    del records
    gc.collect()  # last connection closed: the write-ahead log is merged and removed
    paths = [str(p) for p in folder.iterdir()] + [str(folder)]
    if subprocess.run(["chattr", "+i", *paths], capture_output=True).returncode != 0:
        pytest.skip("chattr +i indisponible sur ce système de fichiers")
    try:
        yield folder / "records.sqlite", answer_id
    finally:
        subprocess.run(["chattr", "-i", *paths], check=True)


def test_a_read_only_store_gives_503s_while_search_and_ask_keep_working(small_index, read_only_records, embedder, model_path,
                                                                       serve, caplog):
    records_path, answer_id = read_only_records
    with pytest.raises(PermissionError):
        records_path.write_bytes(b"")  # genuinely read-only, even for root
    service = service_with_records(small_index, records_path, embedder, model_path)  # starts anyway
    server = serve(service)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as client:
        assert_unavailable(*timed(lambda: client.post("/feedback", json={"answer_id": answer_id, "useful": False})))
        assert_unavailable(*timed(lambda: client.delete("/conversations/0123456789abcdef")))
        assert_unavailable(*timed(lambda: client.get("/admin/stats")))
        assert_unavailable(*timed(lambda: client.get("/admin/gaps")))
        assert_search_and_ask_still_work(client, caplog)
        assert client.get("/health").json()["ready"] is True
