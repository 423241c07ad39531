"""Web sources synced in the background (``POST /admin/sources/sync``, or every ``ECLAIREUR_SOURCES_SYNC_HOURS``),
followed by the incremental index update when the corpus changed; one run at a time, progress readable meanwhile."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from index.builder import BuildReport
from index.web.report import SyncReport

logger = logging.getLogger(__name__)

Sync = Callable[[str | None, Callable[[str, int], None]], list[SyncReport]]


@dataclass
class SourcesSyncState:
    state: str = "idle"  # idle, running, done, failed
    started_at: str | None = None
    finished_at: str | None = None
    source: str | None = None  # the one being fetched
    pages_fetched: int = 0
    reports: list[dict] = field(default_factory=list)
    index: dict | None = None  # the index update that followed, when the corpus changed
    error: str | None = None
    next_run_at: str | None = None


class SourcesSyncJob:
    """Runs ``sync`` then ``rebuild`` on a thread of its own; ``start`` returns False while a run is going on."""

    def __init__(self, sync: Sync, rebuild: Callable[[], BuildReport]) -> None:
        self._sync, self._rebuild = sync, rebuild
        self._lock = threading.Lock()
        self._state = SourcesSyncState()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def state(self) -> SourcesSyncState:
        with self._lock:
            return SourcesSyncState(**asdict(self._state))

    def start(self, name: str | None = None) -> bool:
        with self._lock:
            if self._state.state == "running":
                return False
            self._state = SourcesSyncState(state="running", started_at=_now(), next_run_at=self._state.next_run_at)
            self._thread = threading.Thread(target=self._run, args=(name,), name="eclaireur-sources-sync", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def schedule(self, hours: float) -> None:
        """Start a run every ``hours`` (the first one ``hours`` from now) until ``stop``."""
        def loop() -> None:
            while True:
                with self._lock:
                    self._state.next_run_at = _now(timedelta(hours=hours))
                if self._stopped.wait(hours * 3600):
                    return
                if not self.start():
                    logger.info("Synchronisation des sources web planifiée sautée : la précédente est encore en cours")

        threading.Thread(target=loop, name="eclaireur-sources-schedule", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _progress(self, source: str, pages: int) -> None:
        with self._lock:
            self._state.source, self._state.pages_fetched = source, pages

    def _run(self, name: str | None) -> None:
        outcome: dict = {}
        try:
            reports = self._sync(name, self._progress)
            outcome["reports"] = [report.as_dict() for report in reports]
            if any(report.corpus_changed for report in reports):
                outcome["index"] = self._rebuild().as_dict()
            failed = [report for report in reports if report.error]
            outcome["state"] = "failed" if failed else "done"
            if failed:
                outcome["error"] = "; ".join(f"{report.source} : {report.error}" for report in failed)
        except Exception as error:  # reported to the admin; the corpus files and the live index stay as they were
            logger.exception("Échec de la synchronisation des sources web")
            outcome |= {"state": "failed", "error": f"{error.__class__.__name__}: {error}"}
        with self._lock:
            for key, value in outcome.items():
                setattr(self._state, key, value)
            self._state.source, self._state.finished_at = None, _now()


def _now(later: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + later).isoformat(timespec="seconds")
