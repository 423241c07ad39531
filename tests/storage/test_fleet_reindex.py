"""One build for the fleet: two replicas on one PostgreSQL and one index folder. A reindex asked of either runs
once (409 from the other while it runs), and both serve the new build a few seconds after it is announced."""

from __future__ import annotations

import time

import httpx
import pytest
from pydantic import SecretStr
from support import write_corpus

from assistant.service import Eclaireur
from assistant.settings import Settings
from assistant.storage.leases import BuildLease, Holder

ADMIN_KEY = "cle-admin-flotte-0001-0123456789"
SWAP_SECONDS = 5


@pytest.fixture()
def fleet(tmp_path, embedder, model_path, postgres, serve):
    """Two replicas (services with their own connections, the same model) behind live servers, following builds."""
    url = SecretStr(postgres.database())
    corpus = write_corpus(tmp_path / "corpus")
    replicas = []
    for number in range(2):
        settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", records_path=tmp_path / f"inutilise-{number}.sqlite",
                            database_url=url, model_path=model_path, admin_api_keys=[ADMIN_KEY], build_poll_seconds=0.2,
                            _env_file=None)
        service = Eclaireur(settings, embedder=embedder)
        service.ensure_index() if number == 0 else service.reload()
        service.follower.start(settings.build_poll_seconds)
        replicas.append((service, serve(service)))
    yield replicas
    for service, _ in replicas:
        service.follower.stop()


def admin(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30)


def test_a_reindex_runs_once_in_the_fleet_and_every_replica_serves_it_within_seconds(fleet, tmp_path):
    (first, first_server), (second, second_server) = fleet
    before = first.live_build()
    assert second.live_build() == before
    with admin(first_server) as one, admin(second_server) as two:
        assert [c.get("/health").json()["build_id"] for c in (one, two)] == [before, before]
        assert {c.get("/health").json()["database"] for c in (one, two)} == {"ok"}

        elsewhere = BuildLease(first.database, holder=Holder("autre-machine:4242:abcd"))  # a third replica building
        assert elsewhere.acquire("2026-11-30T10:00:00+00:00") and elsewhere.renew(2, 9)
        refused = two.post("/admin/reindex")
        assert refused.status_code == 409
        assert "2/9 fichiers" in refused.json()["detail"], refused.json()
        assert one.get("/admin/reindex").json()["state"] == "running"
        elsewhere.release("done", "2026-11-30T10:05:00+00:00", None, None)

        guide = tmp_path / "corpus" / "guides" / "nouveau.md"
        guide.write_text("# Charte des ateliers\n\nLes ateliers de co-conception durent une demi-journée.\n", encoding="utf-8")
        assert two.post("/admin/reindex").status_code == 202  # (the 409 while it runs is checked above, on a held lease)
        second.reindex.wait(120)
        state = one.get("/admin/reindex").json()
        assert state["state"] == "done" and state["report"]["files_read"] == 1

        announced = second.live_build()
        assert announced != before
        deadline = time.monotonic() + SWAP_SECONDS
        while first.live_build() != announced and time.monotonic() < deadline:
            time.sleep(0.1)
        assert one.get("/health").json()["build_id"] == announced, f"not swapped in within {SWAP_SECONDS} s"
        found = one.get("/search", params={"q": "ateliers de co-conception"}).json()["results"]
        assert found[0]["document_id"] == "guides/nouveau.md"


def test_eclaireur_index_takes_the_fleet_lease_and_announces_its_build(tmp_path, model_path, postgres):
    import os
    import subprocess
    import sys

    from assistant.storage import Database

    url = postgres.database()
    corpus = write_corpus(tmp_path / "corpus")
    environment = {**os.environ, "ECLAIREUR_DATABASE_URL": url, "ECLAIREUR_CORPUS_DIR": str(corpus),
                   "ECLAIREUR_INDEX_DIR": str(tmp_path / "index"), "ECLAIREUR_MODEL_PATH": str(model_path)}
    index = [sys.executable, "-m", "assistant.cli", "index"]
    replica = BuildLease(Database(url), holder=Holder("autre-machine:4242:abcd"))
    assert replica.acquire("2026-11-30T10:00:00+00:00")
    refused = subprocess.run(index, env=environment, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "Une reconstruction est déjà en cours dans la flotte" in refused.stderr
    assert not (tmp_path / "index").exists()

    replica.release("done", "2026-11-30T10:01:00+00:00", None, None)
    built = subprocess.run(index, env=environment, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert replica.announced() == (tmp_path / "index" / "current").resolve().name
    assert replica.job()["state"] == "done"
