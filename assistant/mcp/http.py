"""``/mcp``: the MCP server over Streamable HTTP inside the API, behind the API's keys (scope ``search``), limits and CORS.

Stateless and in JSON: each POST carries one request and gets its answer, no session lives on the server, and nothing
holds a connection open. Conversations continue through ``conversation_id``, as with ``/ask``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response

from ..api.security import require
from .errors import MCP_PATH, http_error, jsonrpc_body
from .server import build_server

require_search = require("search")


class McpEndpoint:
    """ASGI endpoint: checks the ``search`` scope like the REST routes, then hands the request to the SDK's session
    manager, which exists while the app runs (``running``)."""

    def __init__(self, max_body_bytes: int) -> None:
        self.server = build_server()
        self.max_body_bytes = max_body_bytes
        self.manager = None

    @asynccontextmanager
    async def running(self):
        # The API's CORS middleware and keys guard the origin: the SDK's Host/Origin allow-list (localhost only) is off.
        self.server.streamable_http_app(stateless_http=True, json_response=True, max_request_body_size=self.max_body_bytes,
                                        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        self.manager = self.server.session_manager
        async with self.manager.run():
            yield
        self.manager = None

    async def __call__(self, scope, receive, send):
        try:
            require_search(Request(scope))
        except HTTPException as refusal:
            return await refused(refusal.status_code, refusal.detail, refusal.headers)(scope, receive, send)
        if self.manager is None:
            return await refused(503, "Le service démarre : réessayez dans un instant.", {"Retry-After": "5"})(
                scope, receive, send)
        await self.manager.handle_request(scope, receive, send)


def refused(status: int, message: str, headers: dict | None = None) -> Response:
    retry = (headers or {}).get("Retry-After")
    return Response(jsonrpc_body(http_error(status, message, int(retry) if retry else None)), status_code=status,
                    headers=headers, media_type="application/json")


def mount(app: FastAPI) -> McpEndpoint:
    """Serve MCP on ``/mcp``; the app's lifespan must run the returned endpoint's ``running()``."""
    endpoint = McpEndpoint(app.state.settings.max_body_bytes)
    # POST only: a stateless server has nothing to push on a GET stream (405 tells clients so) and no session to DELETE.
    app.add_route(MCP_PATH, endpoint, methods=["POST"], include_in_schema=False)
    return endpoint
