"""``eclaireur mcp``: the MCP server on stdin/stdout for desktop clients, relaying each request to a running API's ``/mcp``.

It loads neither the model nor the index: every request goes, with the official client and the configured key, to the
API, whose keys, limits and records apply as over HTTP (its answers and French errors come back unchanged).
"""

from __future__ import annotations

import logging

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .errors import http_error
from .server import INSTRUCTIONS

logger = logging.getLogger(__name__)
PROTOCOL = MODERN_PROTOCOL_VERSIONS[-1]  # the API's server speaks it: each relayed request is one POST, no handshake


class Relay:
    """Forwards one request at a time to ``{api_url}/mcp`` over a fresh stateless connection: an API restarted
    between two requests goes unnoticed, an unreachable one gets a French error."""

    def __init__(self, api_url: str, api_key: str | None, timeout: float) -> None:
        self.url = api_url.rstrip("/") + "/mcp"
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self.timeout = timeout

    async def forward(self, request):
        """``await request(client)`` with a client connected to the API; its MCP errors pass through unchanged."""
        try:
            with anyio.fail_after(self.timeout):
                async with httpx2.AsyncClient(headers=self.headers, timeout=httpx2.Timeout(self.timeout)) as http:
                    async with Client(streamable_http_client(self.url, http_client=http), mode=PROTOCOL, cache=None) as client:
                        return await request(client)
        except BaseException as raised:
            error = innermost(raised)
            if isinstance(error, MCPError):
                raise error from None
            if isinstance(error, TimeoutError | httpx2.HTTPError | OSError):
                logger.warning("API Éclaireur injoignable (%s) : %r", self.url, error)
                raise http_error(503, f"API Éclaireur injoignable à {self.url} : vérifiez qu'elle tourne et la variable "
                                      "ECLAIREUR_API_URL, puis réessayez.", 5) from None
            raise

    async def list_tools(self, ctx, params):
        return await self.forward(lambda client: client.list_tools(cursor=cursor(params)))

    async def call_tool(self, ctx, params):
        return await self.forward(lambda client: client.call_tool(params.name, params.arguments))

    async def list_resources(self, ctx, params):
        return await self.forward(lambda client: client.list_resources(cursor=cursor(params)))

    async def list_resource_templates(self, ctx, params):
        return await self.forward(lambda client: client.list_resource_templates(cursor=cursor(params)))

    async def read_resource(self, ctx, params):
        return await self.forward(lambda client: client.read_resource(str(params.uri)))

    async def list_prompts(self, ctx, params):
        return await self.forward(lambda client: client.list_prompts(cursor=cursor(params)))

    async def get_prompt(self, ctx, params):
        return await self.forward(lambda client: client.get_prompt(params.name, params.arguments))


def cursor(params) -> str | None:
    return params.cursor if params else None


def innermost(error: BaseException) -> BaseException:
    """The one error inside the task groups of the client's transport."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def relay_server(relay: Relay) -> Server:
    return Server("eclaireur", title="Éclaireur", version="0.1.0", instructions=INSTRUCTIONS,
                  on_list_tools=relay.list_tools, on_call_tool=relay.call_tool, on_list_resources=relay.list_resources,
                  on_list_resource_templates=relay.list_resource_templates, on_read_resource=relay.read_resource,
                  on_list_prompts=relay.list_prompts, on_get_prompt=relay.get_prompt)


async def serve_stdio(api_url: str, api_key: str | None, timeout: float = 60.0) -> None:
    """Serve MCP on this process's stdin/stdout until the client closes them."""
    server = relay_server(Relay(api_url, api_key, timeout))
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
