"""``kill -9`` of the real server during a background reindex, then a restart: only complete indexes are ever served."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from support import PROJECT_ROOT, free_port, write_corpus

from assistant.retrieval import Retriever
from index.builder import BUILDS, current_build
from index.snapshot import IndexSnapshot

ADMIN_KEY = "cle-admin-crash-0001-0123456789"
# Enough to embed for a few seconds: the server is killed while the build's folder is still partial.
LOT = {f"lot/note-{n:02d}.md": f"# Note de service {n}\n\n" + " ".join(
    f"Phrase {i} de la note {n} sur la modernisation de l'action publique." for i in range(20)) for n in range(48)}
HACKATHON = {"guides/hackathon.md": "# Organiser un hackathon\n\n"
                                    "Un hackathon réunit pendant quarante-huit heures des développeurs et des agents.\n"}


@contextmanager
def eclaireur_serve(work: Path, model_path: Path):
    """``eclaireur serve`` in its own process, configured by ``ECLAIREUR_*`` variables; yields (process, client)."""
    port = free_port()
    env = os.environ | {
        "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "ECLAIREUR_CORPUS_DIR": str(work / "corpus"), "ECLAIREUR_INDEX_DIR": str(work / "index"),
        "ECLAIREUR_RECORDS_PATH": str(work / "records.sqlite"), "ECLAIREUR_MODEL_PATH": str(model_path),
        "ECLAIREUR_ADMIN_API_KEYS": json.dumps([ADMIN_KEY]), "ECLAIREUR_LOG_LEVEL": "INFO",
    }
    log = open(work / f"serveur-{port}.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)], cwd=work, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": ADMIN_KEY}, timeout=30)
    try:
        deadline = time.monotonic() + 180
        while not ready(client):
            assert process.poll() is None, f"le serveur s'est arrêté :\n{log_tail(work, port)}"
            assert time.monotonic() < deadline, f"le serveur n'a pas démarré :\n{log_tail(work, port)}"
            time.sleep(0.2)
        yield process, client
    finally:
        client.close()
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        log.close()


def ready(client: httpx.Client) -> bool:
    try:
        return client.get("/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def log_tail(work: Path, port: int) -> str:
    return (work / f"serveur-{port}.log").read_text(encoding="utf-8", errors="replace")[-3000:]


def top_document(index_dir: Path, embedder, query: str) -> str:
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    return Retriever(snapshot, embedder).search(query, k=3).results[0].best.chunk.document_id


def partial_builds(index_dir: Path) -> list[Path]:
    return list((index_dir / BUILDS).glob(".partial-*"))


@pytest.mark.slow
def test_a_server_killed_during_a_reindex_restarts_on_a_complete_index(tmp_path, embedder, model_path):
    write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    with eclaireur_serve(tmp_path, model_path) as (server, client):
        first = current_build(index_dir)
        write_corpus(tmp_path / "corpus", LOT | HACKATHON)
        assert client.post("/admin/reindex").status_code == 202
        deadline = time.monotonic() + 120
        while not partial_builds(index_dir):  # created before the first file is read, renamed once all are embedded
            assert client.get("/admin/reindex").json()["state"] == "running", "the reindex ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)

    # On disk: the last complete index is still the live one, the interrupted build's folder is left over.
    assert current_build(index_dir) == first and partial_builds(index_dir)
    assert top_document(index_dir, embedder, "droit à l'erreur de l'usager de bonne foi") == "faq/faq-juridique.md"
    assert top_document(index_dir, embedder, "hackathon de quarante-huit heures") != "guides/hackathon.md"

    # « eclaireur serve » starts at once on the last complete index and brings it up to date in the background.
    with eclaireur_serve(tmp_path, model_path) as (server, client):
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["ready"]
        if client.get("/admin/reindex").json()["state"] == "running":
            assert health["build"] == first.name and health["documents"] == 3
        deadline = time.monotonic() + 120
        while (state := client.get("/admin/reindex").json())["state"] == "running":
            assert client.get("/search", params={"q": "droit à l'erreur"}).status_code == 200
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert state["state"] == "done" and state["report"]["chunks_embedded"] >= 1, state
        log = (tmp_path / f"serveur-{client.base_url.port}.log").read_text(encoding="utf-8")
        assert "reste en service pendant sa mise à jour" in log

        health = client.get("/health").json()
        assert health["documents"] == 3 + len(LOT) + 1
        assert not partial_builds(index_dir), "the update removed the interrupted build's folder"
        assert current_build(index_dir) != first and first.exists(), "the previous complete build is kept beside the new one"
        results = client.get("/search", params={"q": "hackathon de quarante-huit heures"}).json()["results"]
        assert results[0]["document_id"] == "guides/hackathon.md"
