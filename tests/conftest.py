"""Shared fixtures: the real model (installed once), small corpora written by the tests, a live server."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PROJECT_ROOT / "models" / "multilingual-e5-small"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

SMALL_CORPUS = {
    "guides/laboratoires.md": """---
id: laboratoires
title: "Les laboratoires d'innovation publique"
type: guide
tags: [laboratoire, méthodes]
updated: 2026-03-02
---
# Les laboratoires d'innovation publique

## Missions

Un laboratoire d'innovation publique aide les services à résoudre des problèmes concrets avec les usagers.
Il accompagne les équipes dans l'immersion sur le terrain, le prototypage et les tests utilisateurs.

## Où les trouver

On trouve des laboratoires dans les ministères, dans les préfectures de région, dans les collectivités
territoriales et dans certains hôpitaux.
""",
    "guides/mois.md": """---
title: "Le Mois de l'innovation publique"
type: guide
tags: [événement]
---
# Le Mois de l'innovation publique

Chaque année en novembre, la DITP coordonne le Mois de l'innovation publique : des centaines d'événements
ouverts aux agents de l'État, des collectivités et des hôpitaux, en présentiel et en ligne.
""",
    "faq/faq-juridique.md": """---
title: "FAQ juridique"
type: faq
tags: [droit]
---
# FAQ juridique

## Qu'est-ce que le droit à l'erreur ?

La loi ESSOC du 10 août 2018 reconnaît à l'usager de bonne foi un droit à l'erreur dans ses déclarations
à l'administration : une première erreur ne l'expose pas d'emblée à une sanction.

## Une collectivité peut-elle expérimenter une loi ?

Oui : l'article 72 de la Constitution permet aux collectivités territoriales de déroger, à titre expérimental
et pour un objet et une durée limités, aux dispositions qui régissent l'exercice de leurs compétences.
""",
}


def write_corpus(root: Path, files: dict[str, str | bytes] = SMALL_CORPUS) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


@pytest.fixture(scope="session")
def model_path() -> Path:
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
                        model_path=model_path, ip_rate_limit_per_minute=100_000, _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    return service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real uvicorn server on a loopback port, in a thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("le serveur de test n'a pas démarré")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


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
