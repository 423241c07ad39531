"""Shared fixtures: the real model (installed once), small corpora written by the tests, a live server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from support import DEFAULT_MODEL, MARKUP_CORPUS, PROJECT_ROOT, LiveServer, write_corpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The browser is /usr/bin/chromium (``make test`` installs it with apt-get); Playwright's own browser download
# (`playwright install`) is never used. Browser tests skip only when no Chromium can be found.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_executable() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Chromium introuvable (/usr/bin/chromium) : installez-le avec « apt-get install -y chromium » "
                    "(ou lancez « make test » en root) pour tester le widget dans un vrai navigateur.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session (tests/pgserver.py); ``postgres.database()`` is a fresh database."""
    from pgserver import PostgresServer, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def model_path():
    from index.model_install import install_model

    return install_model(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def embedder(model_path):
    from index.embedding import Embedder

    return Embedder(model_path)


@pytest.fixture(scope="session")
def default_service(tmp_path_factory, model_path, embedder):
    """The product as shipped: the bundled corpus, indexed once for the whole session."""
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("default")
    settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", index_dir=work / "index", records_path=work / "records.sqlite",
                        model_path=model_path, ip_rate_limit_per_minute=100_000,
                        link_signing_secret_file=work / "link-signing-secret", _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    return service


@pytest.fixture(scope="session")
def markup_service(tmp_path_factory, model_path, embedder):
    """The small corpus plus a FAQ whose title, address and text carry HTML and JavaScript (support.MARKUP_CORPUS)."""
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("markup")
    settings = Settings(corpus_dir=write_corpus(work / "corpus", MARKUP_CORPUS), index_dir=work / "index",
                        records_path=work / "records.sqlite", model_path=model_path, ip_rate_limit_per_minute=100_000,
                        link_signing_secret_file=work / "link-signing-secret", _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    return service


@pytest.fixture(scope="session")
def live_server(default_service):
    from assistant.api.app import create_app

    with LiveServer(create_app(default_service.settings, service=default_service)) as server:
        yield server


@pytest.fixture()
def serve():
    """Start extra live servers (other settings, same loaded service) for one test; all stop at its end."""
    from assistant.api.app import create_app

    servers = []

    def start(service, **overrides) -> LiveServer:
        settings = service.settings.model_copy(update=overrides)
        server = LiveServer(create_app(settings, service=service)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture()
def api(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client
