"""What a tool call needs from the HTTP request that carried it: the service, the caller and their budgets.

The ``/mcp`` endpoint admitted the request with the API's own middleware and scope check; these helpers turn the
API's refusals (service starting, unknown conversation, rate limit) into MCP errors with the same French messages.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

from fastapi import HTTPException
from mcp.server.mcpserver import Context
from starlette.requests import Request

from ..api.admission import CALLER_BUSY, RATE_LIMITED, SATURATED, SATURATED_RETRY_SECONDS, Admitted, CallerBusy, Saturated, retry_seconds
from ..api.dependencies import get_service, search_caller
from ..service import Eclaireur
from ..storage import Caller
from .errors import http_error


@dataclass(frozen=True)
class Call:
    """One MCP request inside the API: its HTTP request, the loaded service, who calls and their admission."""

    request: Request
    service: Eclaireur
    caller: Caller
    admitted: Admitted

    @property
    def state(self):
        return self.request.app.state

    def absolute(self, url: str) -> str:
        """A document link that opens from anywhere: the API's relative ``/documents/…`` links made absolute."""
        return urljoin(str(self.request.base_url), url)

    def spend(self, cost: float) -> None:
        """Spend ``cost`` more tokens of the caller's budget, or refuse the call like the API's 429."""
        wait = self.admitted.spend(cost) if cost > 0 else 0
        if wait:
            seconds = retry_seconds(wait)
            raise http_error(429, RATE_LIMITED.format(seconds=seconds), seconds)

    @asynccontextmanager
    async def model_work(self):
        """The caller's turn at the model, with the API's limits on simultaneous work."""
        try:
            async with self.admitted.model_work():
                yield
        except CallerBusy:
            raise http_error(429, CALLER_BUSY.format(seconds=1), 1) from None
        except Saturated:
            raise http_error(503, SATURATED.format(seconds=SATURATED_RETRY_SECONDS), SATURATED_RETRY_SECONDS) from None


def current_call(ctx: Context) -> Call:
    """The call behind a tool or resource request."""
    return call_for(ctx.request_context.request)


def call_for(request: Request) -> Call:
    """The call an HTTP request carries; only ``/mcp`` serves this server, so there is always one."""
    try:
        service = get_service(request)
    except HTTPException as refusal:
        raise http_error(refusal.status_code, refusal.detail, 5) from None
    return Call(request, service, search_caller(request, request.state.api_key), request.state.admitted)
