"""``eclaireur serve --workers 2``: two processes on one port sharing the database; a worker that dies is replaced."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from replicas import Replica, fleet_environment
from support import write_corpus

SEARCH_KEY = "cle-agents-workers-0001-0123456789"
ADMIN_KEY = "cle-admin-workers-0002-0123456789"
RESTART_SECONDS = 60


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_two_workers_serve_one_port_and_a_dead_worker_is_replaced(tmp_path, model_path, postgres):
    write_corpus(tmp_path / "corpus")
    environment = fleet_environment(tmp_path, postgres.database(), model_path, SEARCH_KEY, ADMIN_KEY)
    server = Replica(tmp_path, environment, "--workers", "2")
    try:
        server.wait_ready()
        workers = children(server.process.pid)
        assert len(workers) == 2, server.log()
        agents = {"X-API-Key": SEARCH_KEY}
        for _ in range(3):  # each call on a new connection: the kernel spreads them over both workers
            asked = httpx.post(server.url + "/ask", json={"question": "Qu'est-ce qu'un laboratoire d'innovation ?"},
                               headers=agents, timeout=60)
            assert asked.status_code == 200 and asked.json()["answer_id"]
            rated = httpx.post(server.url + "/feedback", json={"answer_id": asked.json()["answer_id"], "useful": True},
                               headers=agents, timeout=60)
            assert rated.status_code == 200

        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + RESTART_SECONDS
        while (replaced := children(server.process.pid)) == workers or len(replaced) < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.5)
        assert killed not in replaced
        deadline = time.monotonic() + RESTART_SECONDS
        while not all(httpx.get(server.url + "/health", timeout=10).status_code == 200 for _ in range(6)):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.5)
    finally:
        server.stop()
    assert children(server.process.pid) == set()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers | replaced)
