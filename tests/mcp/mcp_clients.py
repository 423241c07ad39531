"""The SDK's official MCP client, connected to a live API over Streamable HTTP or through ``eclaireur mcp`` (stdio)."""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from support import PROJECT_ROOT, run_async

SEARCH_KEY, ADMIN_KEY = "cle-mcp-recherche-0123456789", "cle-mcp-admin-9876543210-abcdef"


@asynccontextmanager
async def over_http(api_url: str, key: str | None = SEARCH_KEY):
    """Over ``{api_url}/mcp``, sending ``key`` as the API expects it (``X-API-Key``)."""
    headers = {"X-API-Key": key} if key else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60)) as http:
        async with Client(streamable_http_client(f"{api_url}/mcp", http_client=http)) as client:
            yield client


def stdio_parameters(api_url: str, key: str | None = SEARCH_KEY) -> StdioServerParameters:
    """``eclaireur mcp`` as a desktop client launches it, configured by the environment only."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ECLAIREUR_")}
    env |= {"ECLAIREUR_API_URL": api_url, "ECLAIREUR_LOG_LEVEL": "WARNING"}
    if key:
        env["ECLAIREUR_MCP_API_KEY"] = key
    return StdioServerParameters(command=sys.executable, args=["-m", "assistant.cli", "mcp"], env=env, cwd=str(PROJECT_ROOT))


@asynccontextmanager
async def over_stdio(api_url: str, key: str | None = SEARCH_KEY):
    async with Client(stdio_parameters(api_url, key)) as client:
        yield client


def mcp_error(calling) -> MCPError:
    """The MCP error the coroutine ``calling`` raises, out of the task groups of the client's transport."""
    try:
        run_async(calling)
    except BaseException as raised:  # noqa: BLE001 - unwrapped and checked below
        error = raised
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        if isinstance(error, MCPError):
            return error
        raise
    raise AssertionError("aucune erreur MCP")
