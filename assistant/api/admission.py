"""Fair use: every request spends tokens from its caller's budget before anything else runs.

- A caller is a key, or an address for calls without a valid key. ``/ask`` costs more than the rest, and
  errors (401, 404, 422…) cost like any request: nobody gets free retries.
- A ``widget`` key is shared by every agent of an intranet: each address gets its own sub-budget inside it,
  so one agent (or one script) cannot lock the others out.
- Wrong keys are counted per address: after too many, that address gets 429 whatever key it sends.
- With a database URL (a fleet of replicas), the budgets live in PostgreSQL and hold across all replicas;
  wrong keys stay counted per replica (each key is too long to guess, this only slows a flood down).
- Model work (``/ask``, ``/search``) runs a few at a time per caller; when the server's queue is full it
  answers 503 with ``Retry-After`` at once rather than letting every caller's latency grow.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from ..settings import Settings
from ..storage import Database
from ..storage.buckets import FleetBuckets, Limiter
from .keys import ApiKey, KeyRing
from .security import client_host, presented_key

FREE_PATHS = frozenset({"/health", "/widget.js", "/", "/demo"})
MODEL_PATHS = frozenset({"/ask", "/search"})
SATURATED_RETRY_SECONDS = 2
RATE_LIMITED = "Trop de requêtes : réessayez dans {seconds} s."
CALLER_BUSY = "Trop de requêtes simultanées pour cette clé : attendez les réponses en cours, puis réessayez dans {seconds} s."
SATURATED = "Service saturé : trop de questions en cours, réessayez dans {seconds} s."
WRONG_KEYS = "Trop de clés d'API erronées depuis cette adresse : réessayez dans {seconds} s."


class RateLimiter:
    """Token buckets of ``per_minute`` tokens, refilled continuously; a bounded number of tracked callers."""

    def __init__(self, max_tracked: int = 100_000) -> None:
        self._buckets: OrderedDict[tuple, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_tracked

    def retry_after(self, identity: tuple, per_minute: int, cost: float = 1.0) -> float:
        """0 when ``cost`` tokens were there (they are now spent), else the seconds until they will be."""
        return self._update(identity, per_minute, cost, spend=True)

    def blocked_for(self, identity: tuple, per_minute: int) -> float:
        """The seconds until one token is there, without spending any."""
        return self._update(identity, per_minute, 1.0, spend=False)

    def _update(self, identity: tuple, per_minute: int, cost: float, spend: bool) -> float:
        rate = per_minute / 60.0
        cost = min(cost, float(per_minute))  # a request dearer than the whole bucket still gets through when it is full
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(identity, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            wait = 0.0 if tokens >= cost else (cost - tokens) / rate
            self._buckets[identity] = (tokens - cost if wait == 0 and spend else tokens, now)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        return wait


class CallerBusy(Exception):
    """This caller already has as much model work running and waiting as it may."""


class Saturated(Exception):
    """The server's model work queue is full."""


class WorkGate:
    """At most ``per_caller`` model requests run at once for one caller, ``per_caller_queued`` wait or run, and
    ``total`` across all callers. Used from the event loop only, so plain counters suffice."""

    def __init__(self, per_caller: int, per_caller_queued: int, total: int) -> None:
        self.per_caller, self.per_caller_queued, self.total = per_caller, max(per_caller, per_caller_queued), total
        self.pending = 0
        self._callers: dict[tuple, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, caller: tuple):
        if self.pending >= self.total:
            raise Saturated()
        semaphore, users = self._callers.get(caller, (None, 0))
        if users >= self.per_caller_queued:
            raise CallerBusy()
        semaphore = semaphore or asyncio.Semaphore(self.per_caller)
        self._callers[caller] = (semaphore, users + 1)
        self.pending += 1
        try:
            async with semaphore:
                yield
        finally:
            self.pending -= 1
            users = self._callers[caller][1] - 1
            if users:
                self._callers[caller] = (semaphore, users)
            else:
                del self._callers[caller]


class Admission:
    """ASGI middleware: identifies the key (for the ``require`` dependency), spends the caller's tokens, and
    runs model work through the ``WorkGate``. Refusals are French JSON errors with ``Retry-After``."""

    def __init__(self, app, settings: Settings, keyring: KeyRing) -> None:
        self.app, self.settings, self.keyring = app, settings, keyring
        self.auth_failures = RateLimiter()
        self.limiter = budgets(settings)
        self.gate = WorkGate(settings.model_work_per_caller, settings.model_queue_per_caller, settings.model_queue_limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or scope["path"] in FREE_PATHS:
            return await self.app(scope, receive, send)
        settings, address = self.settings, client_host(scope)
        presented = presented_key(Headers(scope=scope))
        key = None
        if presented and self.keyring.keys:
            locked = self.auth_failures.blocked_for(("auth", address), settings.auth_failures_per_minute)
            if locked:
                return await refuse(scope, receive, send, 429, locked, WRONG_KEYS)
            key = self.keyring.identify(presented)
            if key is None:
                self.auth_failures.retry_after(("auth", address), settings.auth_failures_per_minute)
        cost = settings.ask_cost if scope["path"] == "/ask" else 1
        if isinstance(self.limiter, FleetBuckets):  # a database round trip: off the event loop
            caller, wait = await run_in_threadpool(self.spend, key, address, cost)
        else:
            caller, wait = self.spend(key, address, cost)
        scope.setdefault("state", {}).update(api_key=key, admitted=Admitted(self, key, address, caller))
        if wait:
            return await refuse(scope, receive, send, 429, wait, RATE_LIMITED)
        if scope["path"] not in MODEL_PATHS:
            return await self.app(scope, receive, send)
        try:
            async with self.gate.slot(caller):
                return await self.app(scope, receive, send)
        except CallerBusy:
            return await refuse(scope, receive, send, 429, 1, CALLER_BUSY)
        except Saturated:
            return await refuse(scope, receive, send, 503, SATURATED_RETRY_SECONDS, SATURATED)

    def spend(self, key: ApiKey | None, address: str, cost: float) -> tuple[tuple, float]:
        """Spend ``cost`` tokens from the budgets of ``key`` (or ``address`` without one): (caller, seconds to wait)."""
        settings = self.settings
        if key is None:
            caller = ("ip", address)
            return caller, self.limiter.retry_after(caller, settings.ip_rate_limit_per_minute, cost)
        caller = ("key", key.name)
        wait = 0.0
        if key.scope == "widget":
            wait = self.limiter.retry_after(("key", key.name, address), settings.widget_client_rate_limit_per_minute, cost)
        return caller, wait or self.limiter.retry_after(caller, settings.rate_limit_per_minute, cost)


def budgets(settings: Settings) -> Limiter:
    """The callers' token buckets: in this process, or in the fleet's database when one is configured."""
    if not settings.database_url:
        return RateLimiter()
    database = Database(settings.database_location(), timeout=settings.records_busy_timeout_seconds)
    return (FleetBuckets(database, fallback=RateLimiter(), reserve_share=settings.rate_limit_reserve_share)
            if database.shared else RateLimiter())


@dataclass(frozen=True)
class Admitted:
    """The caller the middleware admitted (``request.state.admitted``), for a handler whose work costs more than the
    request that carried it: an MCP question arrives on ``/mcp``, not ``/ask``."""

    admission: Admission
    key: ApiKey | None
    address: str
    caller: tuple

    def spend(self, cost: float) -> float:
        """Spend ``cost`` more tokens from the same budgets; 0, or the seconds until they will be there."""
        return self.admission.spend(self.key, self.address, cost)[1]

    def model_work(self):
        """This caller's turn in the model work gate (raises ``CallerBusy`` or ``Saturated``)."""
        return self.admission.gate.slot(self.caller)


def retry_seconds(wait: float) -> int:
    """The ``Retry-After`` of a refusal: whole seconds, at least one."""
    return max(1, math.ceil(wait))


async def refuse(scope, receive, send, status: int, wait: float, message: str) -> None:
    seconds = retry_seconds(wait)
    response = JSONResponse({"detail": message.format(seconds=seconds), "errors": []}, status_code=status,
                            headers={"Retry-After": str(seconds)})
    await response(scope, receive, send)
