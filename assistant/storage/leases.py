"""The index build of a fleet: one at a time, held by a lease in the database, and announced to every replica.

The ``reindex_jobs`` row named ``index`` holds the running build (its holder, the lease's expiry on the database's
clock, its progress), the outcome of the last one, and ``build_id``: the build every replica should serve. The
holder renews the lease while it builds; a replica that dies mid-build loses it when it expires (or at once when
it restarts on the same machine: its process is gone).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy import text

from .database import Database

JOB = "index"
CLOCKS = {"postgresql": "EXTRACT(EPOCH FROM clock_timestamp())", "sqlite": "((julianday('now') - 2440587.5) * 86400.0)"}
INTERRUPTED = "Reconstruction interrompue : le processus qui la menait s'est arrêté (bail expiré)."


@dataclass(frozen=True)
class Holder:
    """Who holds the lease: ``host:pid:token``, so that a restarted process can tell its dead predecessor's."""

    value: str

    @classmethod
    def of_this_process(cls) -> Holder:
        return cls(f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    def is_dead_here(self) -> bool:
        """True when it is a process of this machine that no longer exists."""
        host, pid, _ = (self.value.split(":") + ["", "", ""])[:3]
        if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class BuildLease:
    """Acquire, renew and release the build lease; read the job's state and the announced build."""

    def __init__(self, database: Database, seconds: float = 60.0, holder: Holder | None = None) -> None:
        self.database = database
        self.seconds = seconds
        self.holder = holder or Holder.of_this_process()
        clock = CLOCKS[database.dialect]
        self._ensure = text("INSERT INTO reindex_jobs (name, state, files_done, files_total) VALUES (:job, 'idle', 0, 0) "
                            "ON CONFLICT (name) DO NOTHING")
        self._take = text(f"UPDATE reindex_jobs SET holder = :holder, lease_expires_at = {clock} + :seconds, state = 'running', "
                          "started_at = :started, finished_at = NULL, files_done = 0, files_total = 0, report = NULL, "
                          f"error = NULL WHERE name = :job AND (state <> 'running' OR lease_expires_at < {clock} "
                          "OR holder = :dead)")
        self._renew = text(f"UPDATE reindex_jobs SET lease_expires_at = {clock} + :seconds, files_done = :done, "
                           "files_total = :total WHERE name = :job AND holder = :holder AND state = 'running'")
        self._finish = text("UPDATE reindex_jobs SET state = :state, finished_at = :finished, report = :report, error = :error, "
                            "files_done = :done, files_total = :total, holder = NULL, lease_expires_at = NULL "
                            "WHERE name = :job AND holder = :holder")
        self._announce = text("UPDATE reindex_jobs SET build_id = :build_id WHERE name = :job")
        self._read = text(f"SELECT state, started_at, finished_at, files_done, files_total, report, error, holder, "
                          f"lease_expires_at < {clock} AS expired, build_id FROM reindex_jobs WHERE name = :job")

    def acquire(self, started_at: str) -> bool:
        """Take the lease if no build runs anywhere (or its holder is gone); False when another one holds it."""
        with self.database.transaction() as db:
            db.execute(self._ensure, {"job": JOB})
            running = db.execute(self._read, {"job": JOB}).one()
            dead = running.holder if running.holder and Holder(running.holder).is_dead_here() else None
            taken = db.execute(self._take, {"job": JOB, "holder": self.holder.value, "seconds": self.seconds,
                                            "started": started_at, "dead": dead}).rowcount
        return taken == 1

    def renew(self, done: int, total: int) -> bool:
        """Push the expiry back and record the progress; False when the lease was lost (expired and taken)."""
        with self.database.autocommit() as db:
            return db.execute(self._renew, {"job": JOB, "holder": self.holder.value, "seconds": self.seconds,
                                            "done": done, "total": total}).rowcount == 1

    def release(self, state: str, finished_at: str, report: dict | None, error: str | None, done: int = 0,
                total: int = 0) -> None:
        """Record the outcome (and the final progress) and free the lease."""
        with self.database.autocommit() as db:
            db.execute(self._finish, {"job": JOB, "holder": self.holder.value, "state": state, "finished": finished_at,
                                      "report": json.dumps(report, ensure_ascii=False) if report is not None else None,
                                      "error": error, "done": done, "total": total})

    def announce(self, build_id: str) -> None:
        """Tell the fleet which build to serve (every replica polls ``announced``)."""
        with self.database.transaction() as db:
            db.execute(self._ensure, {"job": JOB})
            db.execute(self._announce, {"job": JOB, "build_id": build_id})

    def job(self) -> dict:
        """The state of the running or last build, as ``ReindexState`` fields; an expired lease reads as failed."""
        with self.database.autocommit() as db:
            row = db.execute(self._read, {"job": JOB}).first()
        if row is None:
            return {"state": "idle"}
        job = {"state": row.state, "started_at": row.started_at, "finished_at": row.finished_at, "files_done": row.files_done,
               "files_total": row.files_total, "report": json.loads(row.report) if row.report else None, "error": row.error}
        if row.state == "running" and (row.expired or Holder(row.holder or "").is_dead_here()):
            job.update(state="failed", error=INTERRUPTED)
        return job

    def announced(self) -> str | None:
        """The build every replica should serve, as last announced."""
        with self.database.autocommit() as db:
            row = db.execute(self._read, {"job": JOB}).first()
        return row.build_id if row else None
