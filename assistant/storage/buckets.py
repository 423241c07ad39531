"""Token buckets shared by a fleet: a caller's budget held in PostgreSQL, so that it holds across all replicas.

One statement, atomic on the row, timed by the database's clock (replicas' clocks may differ): the bucket is
refilled for the time elapsed and tokens are spent when they are there. A bucket untouched for a minute is full
again, so old rows are deleted now and then. When the database cannot answer, the replica falls back on its own
buckets (``fallback``) rather than refusing everyone; the warning says so, at most once a minute.

So that a request does not pay that round trip, a replica holds a *reserve* per caller: a share of the minute's
budget (``reserve_share``, 5 % by default), spent in the database before any of it is used locally. It lasts the
time the bucket takes to refill it (3 s), and is renewed in the background before it runs out or expires. Whenever
a reserve is taken, the last one's unused tokens, expired or not, go back to the bucket (never beyond its capacity)
in the same statement. Every token a replica spends was thus taken from the shared bucket less than 3 s before: the
fleet admits at most its budget plus one reserve, whatever the number of replicas, and loses no token to expiry.
A share of 0 spends every request in the database.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text

from .database import Database, RecordsUnavailable

logger = logging.getLogger(__name__)

CLOCK = "EXTRACT(EPOCH FROM clock_timestamp())"
SPEND = text(f"""
INSERT INTO rate_buckets AS b (identity, tokens, updated_at) VALUES (:identity, :capacity - :cost, {CLOCK})
ON CONFLICT (identity) DO UPDATE
SET tokens = LEAST(:capacity, b.tokens + (EXCLUDED.updated_at - b.updated_at) * :rate + :returned) - :cost,
    updated_at = EXCLUDED.updated_at
WHERE LEAST(:capacity, b.tokens + (EXCLUDED.updated_at - b.updated_at) * :rate + :returned) >= :cost
RETURNING b.tokens""")  # :returned, a reserve's unused tokens given back as it is renewed (never beyond capacity)
AVAILABLE = text(f"SELECT LEAST(:capacity, tokens + ({CLOCK} - updated_at) * :rate) FROM rate_buckets WHERE identity = :identity")
FORGET_FULL = text(f"DELETE FROM rate_buckets WHERE updated_at < {CLOCK} - 120")
CLEANUP_SECONDS = 60.0
WARNING_SECONDS = 60.0
RESERVE_SHARE = 0.05
TOP_UP_THREAD = "eclaireur-reserve"


class Limiter(Protocol):
    def retry_after(self, identity: tuple, per_minute: int, cost: float = 1.0) -> float: ...
    def blocked_for(self, identity: tuple, per_minute: int) -> float: ...


class FleetBuckets:
    """``retry_after`` / ``blocked_for`` like the in-memory limiter, over the ``rate_buckets`` table (PostgreSQL)."""

    def __init__(self, database: Database, fallback: Limiter, reserve_share: float = RESERVE_SHARE) -> None:
        self.database = database
        self.fallback = fallback
        self.reserve_share = reserve_share
        self.reserves = Reserves()
        self._background = ThreadPoolExecutor(1, thread_name_prefix=TOP_UP_THREAD)
        self._renewing: set[str] = set()
        self._renewing_lock = threading.Lock()
        self._cleanup_due = Every(CLEANUP_SECONDS)
        self._warning_due = Every(WARNING_SECONDS)
        self.fallbacks = 0  # calls answered by the replica's own buckets while the database was away

    def retry_after(self, identity: tuple, per_minute: int, cost: float = 1.0) -> float:
        """0 when ``cost`` tokens were there (they are now spent), else the seconds until they will be."""
        budget = Budget.of(per_minute, cost, self.reserve_share)
        key = _key(identity)
        if self._cleanup_due():
            self._background.submit(self._forget_full_buckets)
        if (left := self.reserves.spend(key, budget.cost)) is not None:
            if left.tokens < budget.cost or left.seconds < budget.reserve_seconds / 2:
                self._renew_soon(key, budget)
            return 0.0
        try:
            leftover = self.reserves.unused(key)  # given back as a new reserve is taken
            with self.database.autocommit() as db:
                if budget.reserve > budget.cost and self._spend(db, key, budget, budget.reserve, returned=leftover):
                    self.reserves.renew(key, budget.reserve - budget.cost, leftover, budget.reserve_seconds)
                    return 0.0
                if self._spend(db, key, budget, budget.cost):
                    return 0.0
                available = db.execute(AVAILABLE, {"identity": key, "capacity": budget.capacity,
                                                   "rate": budget.rate}).scalar_one()
        except RecordsUnavailable as error:
            return self._fall_back(error).retry_after(identity, per_minute, cost)
        return max((budget.cost - available) / budget.rate, 0.001)

    def blocked_for(self, identity: tuple, per_minute: int) -> float:
        """The seconds until one token is there, without spending any."""
        capacity, rate = float(per_minute), per_minute / 60.0
        key = _key(identity)
        if self.reserves.held(key) >= 1:
            return 0.0
        try:
            with self.database.autocommit() as db:
                available = db.execute(AVAILABLE, {"identity": key, "capacity": capacity, "rate": rate}).scalar()
        except RecordsUnavailable as error:
            return self._fall_back(error).blocked_for(identity, per_minute)
        return 0.0 if available is None or available >= 1 else (1 - available) / rate

    def _spend(self, db, key: str, budget: Budget, tokens: float, returned: float = 0.0) -> bool:
        return db.execute(SPEND, {"identity": key, "capacity": budget.capacity, "cost": tokens, "rate": budget.rate,
                                  "returned": returned}).first() is not None

    def _renew_soon(self, key: str, budget: Budget) -> None:
        with self._renewing_lock:
            if key in self._renewing:
                return
            self._renewing.add(key)
        self._background.submit(self._renew, key, budget)

    def _renew(self, key: str, budget: Budget) -> None:
        """A full reserve for a new lifetime, its unused tokens given back to the bucket in the same statement."""
        try:
            leftover = self.reserves.unused(key)
            with self.database.autocommit() as db:
                if self._spend(db, key, budget, budget.reserve, returned=leftover):
                    self.reserves.renew(key, budget.reserve, leftover, budget.reserve_seconds)
        except RecordsUnavailable:
            pass  # the next request finds no reserve and meets the outage itself
        finally:
            with self._renewing_lock:
                self._renewing.discard(key)

    def _forget_full_buckets(self) -> None:
        try:
            with self.database.autocommit() as db:
                db.execute(FORGET_FULL)
        except RecordsUnavailable:
            pass  # done at the next cleanup

    def _fall_back(self, error: RecordsUnavailable) -> Limiter:
        self.fallbacks += 1
        if self._warning_due():
            logger.warning("Limites de débit tenues par cette réplique seule : %s", error)
        return self.fallback


@dataclass(frozen=True)
class Budget:
    """A bucket's terms for one request: capacity, refill rate per second, the request's cost, the reserve's size."""

    capacity: float
    rate: float
    cost: float
    reserve: float

    @classmethod
    def of(cls, per_minute: int, cost: float, reserve_share: float) -> Budget:
        capacity = float(per_minute)
        cost = min(cost, capacity)
        return cls(capacity, capacity / 60.0, cost, max(cost, float(int(capacity * reserve_share))))

    @property
    def reserve_seconds(self) -> float:
        """How long the bucket takes to refill a reserve: its lifetime, so that a replica never holds more than that."""
        return self.reserve / self.rate


@dataclass(frozen=True)
class Left:
    tokens: float
    seconds: float


class Reserves:
    """Tokens this replica has already spent in the database, per caller, each reserve until its deadline."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[float, float]] = {}  # caller -> (tokens, monotonic deadline)
        self._lock = threading.Lock()
        self._prune_due = Every(1.0)

    def spend(self, key: str, cost: float) -> Left | None:
        """Take ``cost`` tokens if the reserve holds them: what is left of it then, else None."""
        now = time.monotonic()
        with self._lock:
            tokens, deadline = self._held.get(key, (0.0, 0.0))
            if deadline <= now or tokens < cost:
                return None
            self._held[key] = (tokens - cost, deadline)
        return Left(tokens - cost, deadline - now)

    def held(self, key: str) -> float:
        """The tokens that can still be spent."""
        with self._lock:
            return self._unexpired(key)

    def unused(self, key: str) -> float:
        """The tokens taken and not spent, expired or not: what goes back to the bucket at the next renewal."""
        with self._lock:
            return self._held.get(key, (0.0, 0.0))[0]

    def renew(self, key: str, size: float, leftover: float, seconds: float) -> None:
        """``size`` new tokens for ``seconds``, in place of the ``leftover`` given back to the bucket: additive, so that
        requests served meanwhile, and another renewal, are counted and no token is lost."""
        with self._lock:
            self._set(key, self._held.get(key, (0.0, 0.0))[0] + size - leftover, seconds)

    def _unexpired(self, key: str) -> float:
        tokens, deadline = self._held.get(key, (0.0, 0.0))
        return tokens if deadline > time.monotonic() else 0.0

    def _set(self, key: str, tokens: float, seconds: float) -> None:
        now = time.monotonic()
        self._held[key] = (tokens, now + seconds)
        if self._prune_due():  # a minute on, the bucket is full again: giving those tokens back would change nothing
            self._held = {k: v for k, v in self._held.items() if v[1] > now - 60}


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
