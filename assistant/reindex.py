"""Rebuild the index in the background and swap it in, while queries keep using the previous one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from index.builder import BuildReport

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


class ReindexJob:
    """At most one rebuild at a time; ``start`` returns False while one is running."""

    def __init__(self, build: Callable[[Callable[[int, int], None]], BuildReport]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._state = ReindexState()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> ReindexState:
        with self._lock:
            return ReindexState(**asdict(self._state))

    def start(self) -> bool:
        with self._lock:
            if self._state.state == "running":
                return False
            self._state = ReindexState(state="running", started_at=datetime.now(UTC).isoformat(timespec="seconds"))
            self._thread = threading.Thread(target=self._run, name="eclaireur-reindex", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            self._state.files_done, self._state.files_total = done, total

    def _run(self) -> None:
        try:
            report = self._build(self._progress)
            outcome = {"state": "done", "report": report.as_dict()}
        except Exception as error:  # reported to the admin, the live index stays in service
            logger.exception("Échec de la reconstruction de l'index")
            outcome = {"state": "failed", "error": f"{error.__class__.__name__}: {error}"}
        with self._lock:
            for name, value in outcome.items():
                setattr(self._state, name, value)
            self._state.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
