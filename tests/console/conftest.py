"""The console's fixtures: its own small corpus, records and server (with an admin key), and the widget's browser fixtures."""

from __future__ import annotations

import httpx
import pytest
from console_pages import ADMIN_KEY, SEARCH_KEY
from support import SMALL_CORPUS, LiveServer, write_corpus
from widget.conftest import artifacts, axe_script, make_page, page, pytest_configure  # noqa: F401 (shared with the widget)


@pytest.fixture(scope="module")
def console_service(tmp_path_factory, model_path, embedder):
    """The small corpus, indexed in a folder of its own, with empty records: each module counts its own questions."""
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("console")
    settings = Settings(corpus_dir=write_corpus(work / "corpus", SMALL_CORPUS), index_dir=work / "index",
                        records_path=work / "records.sqlite", model_path=model_path, admin_api_keys=[ADMIN_KEY],
                        api_keys=[SEARCH_KEY], ip_rate_limit_per_minute=100_000, rate_limit_per_minute=100_000,
                        link_signing_secret_file=work / "link-signing-secret", _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    return service


@pytest.fixture(scope="module")
def console_server(console_service):
    from assistant.api.app import create_app

    with LiveServer(create_app(console_service.settings, service=console_service)) as server:
        yield server


@pytest.fixture()
def console_api(console_server):
    """An HTTP client of the console's server, with the search key (questions, feedback)."""
    with httpx.Client(base_url=console_server.url, timeout=30, headers={"X-API-Key": SEARCH_KEY}) as client:
        yield client
