"""``/health``: readiness, model and index facts, for monitoring."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, Response

from ..schemas import HealthResponse

router = APIRouter(tags=["supervision"])


@router.get("/health", response_model=HealthResponse, summary="État du service")
def health(request: Request, response: Response) -> HealthResponse:
    service = getattr(request.app.state, "service", None)
    if service is None:
        response.status_code = 503
        return HealthResponse(status="starting", ready=False, model="", model_fingerprint="", documents=0, chunks=0,
                              built_at="", build="", build_id="", vector_index="", database="")
    facts = service.health()
    if not facts.ready:
        response.status_code = 503
    status = "starting" if not facts.ready else "degraded" if facts.warnings else "ok"
    return HealthResponse(status=status, build_id=facts.build, **asdict(facts))
