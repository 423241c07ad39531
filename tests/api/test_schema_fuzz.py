"""Property-based fuzzing of the API against its own OpenAPI document (schemathesis), on a real server.

Every operation gets bounded generated requests; each response must be no 5xx, carry a documented status
code and content type, and match the documented schema. The server has keys configured (the admin key
reaches every endpoint) and rate limits too high to interfere; it serves a small corpus of its own, so
that fuzzing ``POST /admin/reindex`` rebuilds a throwaway index, never the session's.

Schemathesis runs its example, coverage and fuzzing phases, positive and negative data, with all its
default checks (no 5xx, documented status and content type, response schema, Allow on 405…). The schema
comes from the app itself rather than ``schemathesis.pytest.from_fixture`` (broken under pytest 9), so each
operation is its own test; a first test proves it is the very document the live server serves.

By default the run is derandomized (Hypothesis draws from a seed fixed by each test's identity), so that CI
and ``make test`` see the same requests every time; ``make fuzz`` sets ``FUZZ_MODE=random`` and a larger
``FUZZ_EXAMPLES`` for a longer search with a new seed at each run (Hypothesis prints it on a failure).
"""

from __future__ import annotations

import os
import re

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from support import LiveServer, write_corpus

ADMIN_KEY = "cle-admin-fuzz-0123456789"
RANDOM = os.environ.get("FUZZ_MODE") == "random"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, model_path, embedder):
    from assistant.api.app import create_app
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("fuzz")
    config = Settings(corpus_dir=write_corpus(work / "corpus"), index_dir=work / "index", records_path=work / "records.sqlite",
                    model_path=model_path, admin_api_keys=[ADMIN_KEY], rate_limit_per_minute=1_000_000,
                    ip_rate_limit_per_minute=1_000_000, _env_file=None)
    service = Eclaireur(config, embedder=embedder)
    service.ensure_index()
    with LiveServer(create_app(config, service=service)) as server:
        yield server


def served_openapi() -> dict:
    """The document ``GET /openapi.json`` serves (built without starting the app, so tests can be collected per operation)."""
    from assistant.api.app import create_app
    from assistant.settings import Settings

    return create_app(Settings(_env_file=None)).openapi()


schema = schemathesis.openapi.from_dict(served_openapi())


def test_the_fuzzed_document_is_the_one_the_server_serves(fuzz_server):
    assert httpx.get(f"{fuzz_server.url}/openapi.json").json() == served_openapi()


def test_a_boolean_is_true_or_false_never_a_number(fuzz_server):
    headers = {"X-API-Key": ADMIN_KEY}
    for wrong in (0, 1, "oui"):
        refused = httpx.post(f"{fuzz_server.url}/search", json={"q": "laboratoire", "rerank": wrong}, headers=headers)
        assert refused.status_code == 422 and "rerank" in refused.json()["detail"], wrong
    assert httpx.get(f"{fuzz_server.url}/search", params={"q": "laboratoire", "rerank": "false"}, headers=headers).status_code == 200
    assert httpx.post(f"{fuzz_server.url}/feedback", json={"answer_id": "a" * 32, "useful": 0}, headers=headers).status_code == 422


def test_a_count_is_a_number_never_a_boolean(fuzz_server):
    headers = {"X-API-Key": ADMIN_KEY}
    for wrong in (True, False):
        refused = httpx.post(f"{fuzz_server.url}/search", json={"q": "laboratoire", "k": wrong}, headers=headers)
        assert refused.status_code == 422 and "k" in refused.json()["detail"], wrong
    assert httpx.post(f"{fuzz_server.url}/search", json={"q": "laboratoire", "k": 2}, headers=headers).status_code == 200
    assert httpx.get(f"{fuzz_server.url}/search", params={"q": "laboratoire", "k": "2"}, headers=headers).status_code == 200


def test_the_schema_accepts_exactly_the_questions_the_server_accepts():
    """Every character of the Basic Multilingual Plane, alone and between spaces: the documented pattern matches
    if and only if the server takes the text as a question (no 422 « La question est vide »)."""
    from pydantic import ValidationError

    from assistant.api.schemas import SearchRequest

    pattern = re.compile(served_openapi()["components"]["schemas"]["SearchRequest"]["properties"]["q"]["pattern"])
    for code in (c for c in range(1, 0x10000) if not 0xD800 <= c <= 0xDFFF):
        for text in (chr(code), f" {chr(code)}\t"):
            try:
                SearchRequest(q=text)
                accepted = True
            except ValidationError:
                accepted = False
            assert bool(pattern.search(text)) is accepted, f"U+{code:04X}"


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, fuzz_server):
    case.call_and_validate(base_url=fuzz_server.url, headers={"X-API-Key": ADMIN_KEY})
