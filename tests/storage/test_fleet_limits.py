"""Limits per fleet: with a database URL, a key's budget is one bucket in PostgreSQL shared by every replica."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import event, text

from assistant.api.admission import RateLimiter
from assistant.storage import Database
from assistant.storage.buckets import Budget, FleetBuckets, Left, Reserves

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


def statements_sent(database: Database) -> list[str]:
    """The statements the database's engine sends from now on from this thread (not from the replica's background)."""
    sent: list[str] = []
    caller = threading.current_thread()
    event.listen(database.engine, "before_cursor_execute",
                 lambda *args: sent.append(args[2]) if threading.current_thread() is caller else None)
    return sent


@pytest.fixture
def fleet_database(postgres):
    database = Database(postgres.database())
    database.upgrade()
    yield database
    database.dispose()


def test_a_replica_spends_its_reserve_without_a_round_trip(fleet_database):
    buckets = FleetBuckets(fleet_database, fallback=RateLimiter(), reserve_share=0.05)  # 600 a minute: a reserve of 30
    sent = statements_sent(fleet_database)
    assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0
    assert len(sent) == 1, "the first request takes a reserve in one statement"
    assert buckets.reserves.held("key\x1fagent") == 25
    del sent[:]
    assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0
    assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0
    assert buckets.reserves.held("key\x1fagent") == 15
    assert sent == [], "the requests themselves send nothing"


def test_a_reserve_is_renewed_in_the_background_for_what_was_used(fleet_database):
    buckets = FleetBuckets(fleet_database, fallback=RateLimiter(), reserve_share=0.05)
    for _ in range(6):  # the reserve of 30 runs out: the sixth request asks for a renewal
        assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0
    buckets._background.submit(lambda: None).result()  # the renewal has run
    assert buckets.reserves.held("key\x1fagent") == 30
    with fleet_database.autocommit() as db:
        tokens = db.execute(text("SELECT tokens FROM rate_buckets")).scalar_one()
    assert 600 - 60 <= tokens <= 600 - 60 + 1, "the database spent the reserve twice: 30 taken, then the 30 used"


def test_a_renewal_gives_the_unused_tokens_back_but_never_beyond_the_bucket_capacity(fleet_database):
    buckets = FleetBuckets(fleet_database, fallback=RateLimiter(), reserve_share=0.05)
    assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0  # a reserve of 30 taken, 25 left
    with fleet_database.autocommit() as db:
        db.execute(text("UPDATE rate_buckets SET tokens = 600"))  # the bucket has refilled meanwhile
    buckets._renew("key\x1fagent", Budget.of(600, 5, 0.05))
    with fleet_database.autocommit() as db:
        tokens = db.execute(text("SELECT tokens FROM rate_buckets")).scalar_one()
    assert 570 <= tokens <= 571, "the 25 unused tokens do not lift a full bucket: held tokens never add to it"
    assert buckets.reserves.held("key\x1fagent") == 30


def test_without_a_reserve_every_request_spends_in_the_database(fleet_database):
    buckets = FleetBuckets(fleet_database, fallback=RateLimiter(), reserve_share=0)
    sent = statements_sent(fleet_database)
    for _ in range(3):
        assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0
    assert len(sent) == 3


def test_reserves_keep_a_budget_across_three_replicas(fleet_database):
    replicas = [FleetBuckets(fleet_database, fallback=RateLimiter(), reserve_share=0.05) for _ in range(3)]
    per_minute, reserve = 400, 20
    started = time.monotonic()
    allowed = sum(replica.retry_after(("key", "agent"), per_minute) == 0
                  for replica in itertools.islice(itertools.cycle(replicas), 3 * per_minute))
    refill = (time.monotonic() - started) * per_minute / 60
    assert allowed <= per_minute + 1 + refill, "nothing is spent locally that was not spent in the database first"
    assert allowed >= per_minute - 3 * reserve, "tokens left unused are at most one reserve per replica"


def test_a_reserve_expires_after_the_time_the_bucket_takes_to_refill_it():
    assert Budget.of(600, 5, 0.05).reserve_seconds == 3.0
    reserves = Reserves()
    reserves.renew("agent", 10, leftover=0, seconds=0.05)
    assert reserves.spend("agent", 4) == Left(6, pytest.approx(0.05, abs=0.05))
    time.sleep(0.1)
    assert reserves.spend("agent", 4) is None
    assert reserves.held("agent") == 0


def test_a_renewal_counts_what_requests_took_meanwhile():
    reserves = Reserves()
    reserves.renew("agent", 4, leftover=0, seconds=3)
    leftover = reserves.held("agent")
    reserves.spend("agent", 1)  # a request while the renewal's statement runs
    reserves.renew("agent", 30, leftover, seconds=3)
    assert reserves.held("agent") == 29


def test_an_expired_reserve_goes_back_to_the_bucket_when_the_next_one_is_taken(fleet_database):
    buckets = FleetBuckets(fleet_database, fallback=RateLimiter(), reserve_share=0.05)
    assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0  # 30 taken, 25 left
    buckets.reserves.renew("key\x1fagent", 25, leftover=25, seconds=0)  # those 25 expire unused
    assert buckets.reserves.held("key\x1fagent") == 0
    assert buckets.retry_after(("key", "agent"), 600, cost=5) == 0  # 25 given back, 30 taken, 25 left
    with fleet_database.autocommit() as db:
        tokens = db.execute(text("SELECT tokens FROM rate_buckets")).scalar_one()
    assert 565 <= tokens <= 566, "two requests and one reserve held: 35 tokens out of the bucket, none lost"
    assert buckets.reserves.held("key\x1fagent") == 25
