"""The retention of questions: what was asked more than ``ECLAIREUR_QUESTION_RETENTION_DAYS`` ago is deleted,
once when the service starts and then every day."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from .storage import Database, RecordsUnavailable
from .storage.console import Purged, purge_before

PURGE_INTERVAL = timedelta(days=1)

logger = logging.getLogger(__name__)


class DailyPurge:
    """Runs ``purge_before(now - days)`` at ``start`` and every ``interval`` after, in a daemon thread, until ``stop``."""

    def __init__(self, database: Database, days: int, interval: timedelta = PURGE_INTERVAL) -> None:
        self.database, self.days, self.interval = database, days, interval
        self.last: Purged | None = None
        self.last_run_at: datetime | None = None
        self.ran = threading.Event()
        self._stopped = threading.Event()

    def run_once(self) -> Purged | None:
        """One purge now; None (and a warning) when the records database is unavailable: the next run retries."""
        started = datetime.now(UTC)
        try:
            purged = purge_before(self.database, started - timedelta(days=self.days))
        except RecordsUnavailable as error:
            logger.warning("Purge des questions de plus de %d jours reportée : %s", self.days, error)
            return None
        if purged.answers or purged.conversations or purged.reviews:
            logger.info("Purge : %d réponses, %d conversations et %d décisions de plus de %d jours effacées.",
                        purged.answers, purged.conversations, purged.reviews, self.days)
        self.last, self.last_run_at = purged, started
        self.ran.set()
        return purged

    def start(self) -> None:
        def loop() -> None:
            while True:
                self.run_once()
                if self._stopped.wait(self.interval.total_seconds()):
                    return

        threading.Thread(target=loop, name="eclaireur-retention", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
