"""FastAPI dependencies: the shared service, and who is calling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Depends, HTTPException, Request

from ..service import Eclaireur
from ..storage import Caller
from .security import require

require_search = require("search")
T = TypeVar("T")


def get_service(request: Request) -> Eclaireur:
    service: Eclaireur | None = getattr(request.app.state, "service", None)
    if service is None or not service.ready:
        raise HTTPException(status_code=503, detail="Le service démarre : l'index n'est pas encore chargé, réessayez dans un instant.")
    return service


def on_loop(dependency: Callable[[Request], T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency that only reads the request, run on the event loop: FastAPI would send a plain function to a
    worker thread and back, a hop each way that costs a busy server milliseconds per request."""

    async def run(request: Request) -> T:
        return dependency(request)

    return run


def search_caller(request: Request, key=Depends(require_search)) -> Caller:
    """A caller admitted with the ``search`` scope, identified by its key's digest (never the key), or by its
    address in the keyless local mode; conversations and answers are bound to this identity."""
    if key is None:
        return Caller(f"ip:{request.client.host if request.client else 'inconnu'}")
    return Caller(f"key:{key.digest[:32]}", admin=key.grants("admin"))
