"""Limits per fleet: with a database URL, a key's budget is one bucket in PostgreSQL shared by every replica."""

from __future__ import annotations

import itertools
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from pydantic import SecretStr

from assistant.api.admission import RateLimiter
from assistant.storage import Database
from assistant.storage.buckets import FleetBuckets

KEY = "cle-flotte-limites-0001-0123456789"
PER_MINUTE = 20
DOCUMENT = "/documents/faq/faq-laboratoires.md"


def test_a_per_key_limit_holds_across_three_replicas(default_service, serve, postgres):
    url = SecretStr(postgres.database())
    replicas = [serve(default_service, database_url=url, api_keys=[KEY], rate_limit_per_minute=PER_MINUTE) for _ in range(3)]
    targets = itertools.cycle(replicas)
    started = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda server: httpx.get(server.url + DOCUMENT, headers={"X-API-Key": KEY}, timeout=30),
                                  [next(targets) for _ in range(3 * PER_MINUTE)]))
    refill = (time.monotonic() - started) * PER_MINUTE / 60  # tokens that came back while the requests ran
    allowed = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(allowed) + len(refused) == len(responses)
    assert PER_MINUTE <= len(allowed) <= PER_MINUTE + 1 + refill
    assert {server.url for server in replicas} == {str(r.url).removesuffix(DOCUMENT) for r in refused}, \
        "every replica refuses once the shared budget is spent"
    assert refused[0].json()["detail"].startswith("Trop de requêtes : réessayez dans")
    assert int(refused[0].headers["Retry-After"]) >= 1


def test_buckets_fall_back_on_the_replica_when_the_database_is_away(caplog):
    unreachable = Database("postgresql://postgres@127.0.0.1:1/absente", timeout=1)
    buckets = FleetBuckets(unreachable, fallback=RateLimiter())
    with caplog.at_level(logging.WARNING, logger="assistant.storage.buckets"):
        waits = [buckets.retry_after(("key", "agent"), 3) for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] > 0, "the replica's own buckets still limit"
    assert buckets.fallbacks == 4
    assert len([r for r in caplog.records if "réplique seule" in r.getMessage()]) == 1, "one warning, not one per request"
