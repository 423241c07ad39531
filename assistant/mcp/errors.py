"""MCP errors in French: the codes this server answers with, and the API's HTTP refusals turned into JSON-RPC errors.

A refusal on ``/mcp`` (no key, wrong key, rate limit, body too large…) keeps its HTTP status and ``Retry-After``, and its
body becomes a JSON-RPC error with the same French message: MCP clients show that message rather than a bare status.
"""

from __future__ import annotations

import json

from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, JSONRPCError

ACCESS_DENIED = -32001  # missing or wrong key, scope refused, non-local call without configured keys
RETRY_LATER = -32002  # rate limit, busy caller, saturated or starting server: ``data.retry_after`` says when
CODES = {401: ACCESS_DENIED, 403: ACCESS_DENIED, 404: INVALID_PARAMS, 422: INVALID_PARAMS, 429: RETRY_LATER,
         503: RETRY_LATER}
MCP_PATH = "/mcp"
# The SDK transport's own refusals of a malformed message (English), by the start of their message.
TRANSPORT_MESSAGES = {
    "Parse error": "Le corps de la requête n'est pas du JSON valide : envoyez un message JSON-RPC 2.0.",
    "Validation error": "Message JSON-RPC 2.0 invalide : un objet avec jsonrpc, id, method et params est attendu.",
    "Invalid Content-Type": "Type de contenu refusé : envoyez le message en application/json.",
    "Unsupported Media Type": "Type de contenu refusé : envoyez le message en application/json.",
    "Not Acceptable": "En-tête Accept refusé : acceptez application/json et text/event-stream.",
    "params._meta must be": "Requête MCP incomplète : params._meta doit porter la version du protocole et les capacités "
                            "du client (io.modelcontextprotocol/protocolVersion, io.modelcontextprotocol/clientCapabilities).",
}


def http_error(status: int, message: str, retry_after: int | None = None) -> MCPError:
    """The MCP error for what the REST API would answer with ``status``; ``data`` keeps the status and the delay."""
    code = CODES.get(status, INTERNAL_ERROR if status >= 500 else INVALID_REQUEST)
    data = {"status": status} | ({"retry_after": retry_after} if retry_after else {})
    return MCPError(code, message, data)


def jsonrpc_body(error: MCPError) -> bytes:
    return JSONRPCError(jsonrpc="2.0", id=None, error=error.error).model_dump_json(by_alias=True, exclude_unset=True).encode()


class JsonRpcErrors:
    """ASGI middleware: under ``/mcp``, an error response of the API (``{"detail": …}``) becomes a JSON-RPC error."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != MCP_PATH:
            return await self.app(scope, receive, send)
        held: dict = {}

        async def rewrite(message):
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held["start"], held["body"] = message, b""
                return None
            if message["type"] == "http.response.body" and "start" in held:
                held["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return None
                start, body = held.pop("start"), held.pop("body")
                body = converted(start["status"], dict(start.get("headers", [])), body)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"content-type")]
                headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({**start, "headers": headers})
                return await send({"type": "http.response.body", "body": body})
            return await send(message)

        await self.app(scope, receive, rewrite)


def converted(status: int, headers: dict, body: bytes) -> bytes:
    """``body`` as a JSON-RPC error: unchanged when it already is one, else its ``detail`` (or its text) as message."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = body.decode("utf-8", "replace").strip()
    if isinstance(payload, dict) and payload.get("jsonrpc") == "2.0":
        return in_french(payload) if isinstance(payload.get("error"), dict) else body
    message = str((payload.get("detail") if isinstance(payload, dict) else payload) or f"Erreur HTTP {status}.")
    retry = headers.get(b"retry-after", b"").decode()
    return jsonrpc_body(http_error(status, french(message), int(retry) if retry.isdigit() else None))


def in_french(payload: dict) -> bytes:
    """A JSON-RPC error of the SDK's transport with its message in French (the original stays in ``data.detail``)."""
    error = payload["error"]
    message = str(error.get("message", ""))
    if french(message) != message:
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        payload = {**payload, "error": {**error, "message": french(message), "data": {**data, "detail": message}}}
    return json.dumps(payload, ensure_ascii=False).encode()


def french(message: str) -> str:
    return next((text for start, text in TRANSPORT_MESSAGES.items() if message.startswith(start)), message)
