"""Token buckets shared by a fleet: a caller's budget held in PostgreSQL, so that it holds across all replicas.

One statement per request, atomic on the row, timed by the database's clock (replicas' clocks may differ): the
bucket is refilled for the time elapsed and ``cost`` tokens are spent when they are there. A bucket untouched for
a minute is full again, so old rows are deleted now and then. When the database cannot answer, the replica falls
back on its own buckets (``fallback``) rather than refusing everyone; the warning says so, at most once a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from sqlalchemy import text

from .database import Database, RecordsUnavailable

logger = logging.getLogger(__name__)

CLOCK = "EXTRACT(EPOCH FROM clock_timestamp())"
SPEND = text(f"""
INSERT INTO rate_buckets AS b (identity, tokens, updated_at) VALUES (:identity, :capacity - :cost, {CLOCK})
ON CONFLICT (identity) DO UPDATE
SET tokens = LEAST(:capacity, b.tokens + (EXCLUDED.updated_at - b.updated_at) * :rate) - :cost,
    updated_at = EXCLUDED.updated_at
WHERE LEAST(:capacity, b.tokens + (EXCLUDED.updated_at - b.updated_at) * :rate) >= :cost
RETURNING b.tokens""")
AVAILABLE = text(f"SELECT LEAST(:capacity, tokens + ({CLOCK} - updated_at) * :rate) FROM rate_buckets WHERE identity = :identity")
FORGET_FULL = text(f"DELETE FROM rate_buckets WHERE updated_at < {CLOCK} - 120")
CLEANUP_SECONDS = 60.0
WARNING_SECONDS = 60.0


class Limiter(Protocol):
    def retry_after(self, identity: tuple, per_minute: int, cost: float = 1.0) -> float: ...
    def blocked_for(self, identity: tuple, per_minute: int) -> float: ...


class FleetBuckets:
    """``retry_after`` / ``blocked_for`` like the in-memory limiter, over the ``rate_buckets`` table (PostgreSQL)."""

    def __init__(self, database: Database, fallback: Limiter) -> None:
        self.database = database
        self.fallback = fallback
        self._cleanup_due = Every(CLEANUP_SECONDS)
        self._warning_due = Every(WARNING_SECONDS)
        self.fallbacks = 0  # calls answered by the replica's own buckets while the database was away

    def retry_after(self, identity: tuple, per_minute: int, cost: float = 1.0) -> float:
        """0 when ``cost`` tokens were there (they are now spent), else the seconds until they will be."""
        capacity, rate = float(per_minute), per_minute / 60.0
        cost = min(cost, capacity)
        key = _key(identity)
        try:
            with self.database.autocommit() as db:
                if db.execute(SPEND, {"identity": key, "capacity": capacity, "cost": cost, "rate": rate}).first():
                    self._cleanup(db)
                    return 0.0
                available = db.execute(AVAILABLE, {"identity": key, "capacity": capacity, "rate": rate}).scalar_one()
        except RecordsUnavailable as error:
            return self._fall_back(error).retry_after(identity, per_minute, cost)
        return max((cost - available) / rate, 0.001)

    def blocked_for(self, identity: tuple, per_minute: int) -> float:
        """The seconds until one token is there, without spending any."""
        capacity, rate = float(per_minute), per_minute / 60.0
        try:
            with self.database.autocommit() as db:
                available = db.execute(AVAILABLE, {"identity": _key(identity), "capacity": capacity, "rate": rate}).scalar()
        except RecordsUnavailable as error:
            return self._fall_back(error).blocked_for(identity, per_minute)
        return 0.0 if available is None or available >= 1 else (1 - available) / rate

    def _cleanup(self, db) -> None:
        if self._cleanup_due():
            db.execute(FORGET_FULL)

    def _fall_back(self, error: RecordsUnavailable) -> Limiter:
        self.fallbacks += 1
        if self._warning_due():
            logger.warning("Limites de débit tenues par cette réplique seule : %s", error)
        return self.fallback


class Every:
    """True at most once per ``seconds`` (the first call included), from any thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._next = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self.seconds
            return True


def _key(identity: tuple) -> str:
    return "\x1f".join(map(str, identity))
