"""The build lease, on both backends: one holder at a time, released by its holder, by expiry, or by its death."""

from __future__ import annotations

import subprocess
import sys
import time

from assistant.storage import Database
from assistant.storage.leases import INTERRUPTED, BuildLease, Holder

STARTED = "2026-11-30T10:00:00+00:00"


def leases(location, count: int, seconds: float = 60.0) -> list[BuildLease]:
    """As many processes' leases on one database, each with its own connections."""
    return [BuildLease(Database(location), seconds) for _ in range(count)]


def test_one_build_at_a_time_until_its_holder_releases_it(database_location):
    first, second = leases(database_location, 2)
    assert first.job() == {"state": "idle"}
    assert first.acquire(STARTED) and not second.acquire(STARTED)
    assert first.renew(3, 10)
    assert second.job() | {"started_at": None} == {"state": "running", "started_at": None, "finished_at": None,
                                                   "files_done": 3, "files_total": 10, "report": None, "error": None}
    first.release("done", "2026-11-30T10:01:00+00:00", {"documents": 4}, None)
    assert second.job()["state"] == "done" and second.job()["report"] == {"documents": 4}
    assert second.acquire(STARTED) and not first.acquire(STARTED)


def test_a_lease_not_renewed_expires_and_another_process_takes_over(database_location):
    stalled, other = leases(database_location, 2, seconds=1.0)
    assert stalled.acquire(STARTED)
    time.sleep(1.5)  # the holder froze, or its machine went away
    assert other.job()["state"] == "failed" and other.job()["error"] == INTERRUPTED
    assert other.acquire(STARTED)
    assert not stalled.renew(1, 2), "the late holder learns that it lost the lease"


def test_the_lease_of_a_dead_process_of_this_machine_is_free_at_once(database_location):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = Holder(f"{Holder.of_this_process().value.split(':')[0]}:{finished.stdout.strip()}:0000")
    assert dead.is_dead_here() and not Holder.of_this_process().is_dead_here()
    killed = BuildLease(Database(database_location), holder=dead)
    restarted = BuildLease(Database(database_location))
    assert killed.acquire(STARTED)
    assert restarted.job()["error"] == INTERRUPTED
    assert restarted.acquire(STARTED)


def test_the_announced_build_is_what_every_process_reads(database_location):
    builder, replica = leases(database_location, 2)
    assert replica.announced() is None
    builder.announce("20261130T100000")
    assert replica.announced() == "20261130T100000"
    assert builder.acquire(STARTED)
    builder.release("failed", "2026-11-30T10:01:00+00:00", None, "Disque plein")
    assert replica.announced() == "20261130T100000", "a failed build changes nothing in service"


def test_a_build_started_says_it_runs_even_when_it_ends_at_once(database_location):
    from assistant.reindex import ReindexJob
    from index.builder import BuildReport

    job = ReindexJob(lambda on_progress: BuildReport(index_path="index", up_to_date=True), BuildLease(Database(database_location), 60.0))
    started = job.start()
    job.wait(30)
    assert started is not None and started.state == "running"  # what POST /admin/reindex answers
    assert job.state.state == "done"
    assert job.start() is not None  # free again once done
    job.wait(30)
