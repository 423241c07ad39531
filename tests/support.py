"""Helpers shared by the tests: paths, a small French corpus, a real server on a loopback port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.generation import REFUSAL
from assistant.storage import INTERNAL, Caller, Records

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PROJECT_ROOT / "models" / "multilingual-e5-small"
# A loopback call that must succeed gets a timeout no pause of a loaded CI machine reaches (a whole-process pause
# of over 1 s was seen there); a scripted server that must time out stays silent well past it.
PATIENT_TIMEOUT_SECONDS = 5.0
SILENT_SECONDS = 8.0

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

# HTML and JavaScript in a document's title, address and text, for the tests that check every client shows them
# as inert text (the Markdown entities become literal tags in the indexed text).
MARKUP = '<img src=x onerror="window.__pwned=1">'
MARKUP_QUESTION = "Comment préparer un atelier de co-conception ?"
MARKUP_CORPUS = {**SMALL_CORPUS, "faq/ateliers.md": f"""---
title: 'Ateliers {MARKUP} <script>window.__pwned=1</script>'
type: faq
tags: [atelier]
url: 'javascript:window.__pwned=1'
---
# Ateliers

## {MARKUP_QUESTION}

Affichez &lt;b&gt;la consigne&lt;/b&gt; au tableau, ouvrez &lt;a href="javascript:window.__pwned=1"&gt;le programme&lt;/a&gt;
et notez {MARKUP.replace("<", "&lt;").replace(">", "&gt;")} : un atelier de co-conception réunit six à huit usagers.
"""}


def write_corpus(root: Path, files: dict[str, str | bytes] = SMALL_CORPUS) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def run_async(coroutine):
    """Run ``coroutine`` to completion on a thread of its own: a session's browser (Playwright's sync API) may hold the
    main thread's event loop, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_like_production(app) -> dict:
    """``eclaireur serve``'s uvicorn options for an Éclaireur app (proxies, connection bounds, request deadline)."""
    from assistant.api.serving import uvicorn_options

    settings = getattr(app.state, "settings", None)
    return uvicorn_options(settings) if settings is not None else {}


class LiveServer:
    """A real uvicorn server on a loopback port, in a thread."""

    def __init__(self, app, port: int | None = None, log_level: str = "warning") -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=log_level,
                                                    **served_like_production(app)))
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


class ScriptedLLM:
    """A chat-completions endpoint whose next behaviour the test chooses; it keeps every request."""

    def __init__(self) -> None:
        self.behaviour = "answer"
        self.requests: list[dict] = []
        self.app = FastAPI()
        self.app.get("/health")(lambda: {"ok": True})
        self.app.post("/v1/chat/completions")(self.complete)

    @contextmanager
    def serving(self):
        """Serve this endpoint on a loopback port; ``url`` is its address while it runs."""
        with LiveServer(self.app) as server:
            self.url = server.url
            yield self

    async def complete(self, request: Request):
        payload = await request.json()
        self.requests.append(payload)
        if self.behaviour == "slow":
            await asyncio.sleep(SILENT_SECONDS)
        if self.behaviour == "error":
            return JSONResponse({"error": {"message": "surcharge"}}, status_code=500)
        content = {
            "answer": "Le Mois de l'innovation publique a lieu chaque année en novembre [2]. Il est coordonné par la DITP [1].",
            "refuse": f"« {REFUSAL} »",
            "uncited": "Il a lieu en novembre.",
            "long": " ".join(f"Point {n} : le Mois de l'innovation publique a lieu chaque année en novembre [{1 + n % 3}]."
                             for n in range(120)),
        }.get(self.behaviour, "")
        return {"id": "x", "object": "chat.completion", "model": payload["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


def log_answer(records: Records, question: str, status: str, confidence: float, channel: str, latency_ms: float,
               caller: Caller = INTERNAL, answer_text: str | None = None, sources: list[dict] | None = None) -> str:
    """An answer to a question asked alone, written as /ask writes it (``Records.record_exchange``): its own
    conversation, its turn and its log line. Returns the answer id."""
    return records.record_exchange(uuid.uuid4().hex, True, question, question, status, confidence, channel, latency_ms,
                                   caller, answer_text, sources)
