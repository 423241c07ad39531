"""Rebuild the index in the background and swap it in, while queries keep using the previous one.

One build at a time across every process sharing the records database (the replicas of a fleet, the workers of
one machine): the build holds a lease there, renewed while it runs, and its outcome is readable from any of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from index.builder import BuildReport

from .storage import RecordsUnavailable
from .storage.leases import BuildLease

logger = logging.getLogger(__name__)


@dataclass
class ReindexState:
    state: str = "idle"  # idle, running, done, failed
    started_at: str | None = None
    finished_at: str | None = None
    files_done: int = 0
    files_total: int = 0
    report: dict | None = None
    error: str | None = None


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ReindexJob:
    """``start`` returns None while a build runs anywhere in the fleet (``build`` swaps the result in and announces it)."""

    def __init__(self, build: Callable[[Callable[[int, int], None]], BuildReport], lease: BuildLease) -> None:
        self._build = build
        self._lease = lease
        self._progress_lock = threading.Lock()
        self._files = (0, 0)
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    @property
    def state(self) -> ReindexState:
        return ReindexState(**self._lease.job())

    def start(self) -> ReindexState | None:
        """Start a build in the background: its state as it starts (running, even if a small build ends at once), or
        None when one already runs."""
        if not self._lease.acquire(timestamp()):
            return None
        started = self.state
        self._files = (0, 0)
        self._done.clear()
        self._thread = threading.Thread(target=self._run, name="eclaireur-reindex", daemon=True)
        self._thread.start()
        threading.Thread(target=self._keep_lease, name="eclaireur-reindex-lease", daemon=True).start()
        return started

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, done: int, total: int) -> None:
        with self._progress_lock:
            self._files = (done, total)

    def _keep_lease(self) -> None:
        """Renew the lease and record the progress every second (or more often for a short lease), until the build ends."""
        while not self._done.wait(min(self._lease.seconds / 4, 1.0)):
            try:
                if not self._lease.renew(*self._files):
                    logger.warning("Bail de reconstruction perdu : un autre processus a pu en lancer une.")
            except RecordsUnavailable as error:
                logger.warning("Bail de reconstruction non renouvelé : %s", error)

    def _run(self) -> None:
        try:
            report = self._build(self._progress)
            outcome = {"state": "done", "report": report.as_dict(), "error": None}
        except Exception as error:  # reported to the admin, the live index stays in service
            logger.exception("Échec de la reconstruction de l'index")
            outcome = {"state": "failed", "report": None, "error": f"{error.__class__.__name__}: {error}"}
        finally:
            self._done.set()
        try:
            self._lease.release(outcome["state"], timestamp(), outcome["report"], outcome["error"], *self._files)
        except RecordsUnavailable as error:
            logger.error("Fin de reconstruction non enregistrée (le bail expirera) : %s", error)


class BuildFollower:
    """Polls the build announced to the fleet and swaps it in when this process serves another one."""

    def __init__(self, lease: BuildLease, live: Callable[[], str], reload: Callable[[], None]) -> None:
        self._lease, self._live, self._reload = lease, live, reload
        self._stop = threading.Event()
        self._tried: str | None = None

    def start(self, every: float) -> None:
        threading.Thread(target=self._follow, args=(every,), name="eclaireur-builds", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> None:
        """Swap in the announced build if it is not the one in service (tried once per announce)."""
        announced = self._lease.announced()
        if announced and announced != self._live() and announced != self._tried:
            self._tried = announced
            logger.info("Nouvelle construction annoncée : %s", announced)
            self._reload()

    def _follow(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.check()
            except RecordsUnavailable:
                continue  # the database is away: the next poll will tell
            except Exception:  # a damaged or missing build: the live one stays in service
                logger.exception("Construction annoncée non chargée")
