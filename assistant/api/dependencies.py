"""FastAPI dependencies: the shared service."""

from __future__ import annotations

from fastapi import HTTPException, Request

from ..service import Eclaireur


def get_service(request: Request) -> Eclaireur:
    service: Eclaireur | None = getattr(request.app.state, "service", None)
    if service is None or service.health().ready is False:
        raise HTTPException(status_code=503, detail="Le service démarre : l'index n'est pas encore chargé, réessayez dans un instant.")
    return service
