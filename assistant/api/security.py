"""Who may call: scopes checked per endpoint, "local only" mode, proxy trust; and a cap on body size.

With no key configured, the search endpoints answer local clients only (a direct connection from this
machine) and the admin endpoints are disabled. Keys are in ``keys``; rate limits and load in ``admission``.
"""

from __future__ import annotations

import ipaddress
import logging

from fastapi import HTTPException, Request

from ..settings import Settings
from .keys import ApiKey, KeyRing

logger = logging.getLogger(__name__)

# A request carrying one of these came through a proxy: it is never "local", whatever address it claims.
FORWARDING_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})


def server_options(settings: Settings) -> dict:
    """uvicorn's proxy options, from ``ECLAIREUR_TRUSTED_PROXIES`` only: passed explicitly, so that uvicorn
    never reads ``FORWARDED_ALLOW_IPS`` from the environment; without trusted proxies, no header is believed."""
    trusted = list(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local(scope: dict) -> bool:
    """A direct connection from this machine, to this machine: the socket peer is a loopback address, no proxy
    relayed it, and the Host it asked for names this machine. The last check stops DNS rebinding: a web page
    whose own name was made to resolve to 127.0.0.1 would otherwise reach a keyless service from the browser."""
    client = scope.get("client")
    headers = scope.get("headers") or ()
    relayed = any(name.lower() in FORWARDING_HEADERS for name, _ in headers)
    host = next((value.decode("latin-1") for name, value in headers if name.lower() == b"host"), None)
    return bool(client) and is_loopback(client[0]) and not relayed and (host is None or names_this_machine(host))


def names_this_machine(host: str) -> bool:
    """Whether a Host header (``name[:port]``) is a loopback address or ``localhost``."""
    if host.startswith("["):
        name = host[1:host.find("]")]
    else:
        name = host.split(":")[0] if host.count(":") == 1 else host
    name = name.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost") or is_loopback(name)


def client_host(scope: dict) -> str:
    """The caller's address: the socket peer, or the client a trusted proxy names (uvicorn resolved it)."""
    client = scope.get("client")
    return client[0] if client else "inconnu"


def presented_key(headers) -> str | None:
    key = headers.get("x-api-key")
    authorization = headers.get("authorization", "")
    if not key and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    return key or None


def require(scope: str):
    """A dependency that admits requests allowed for ``scope``; the key was identified (and the request
    counted against its limits) by the ``Admission`` middleware."""

    def check(request: Request) -> ApiKey | None:
        keyring: KeyRing = request.app.state.keyring
        if not keyring.has_scope(scope):
            if scope == "admin":
                raise HTTPException(403, "Administration désactivée : aucune clé « admin » n'est configurée "
                                         "(ECLAIREUR_ADMIN_API_KEYS ou ECLAIREUR_API_KEYS_FILE).")
            if scope == "metrics" and keyring.keys:
                raise HTTPException(403, "Métriques réservées : aucune clé « metrics » ou « admin » n'est configurée "
                                         "(ECLAIREUR_API_KEYS_FILE), ou lisez-les sur ECLAIREUR_METRICS_LISTEN.")
            if not is_local(request.scope):
                raise HTTPException(403, "Aucune clé d'API n'est configurée : ce service n'accepte que les appels locaux. "
                                         "L'administrateur doit définir ECLAIREUR_API_KEYS.")
            return None
        key: ApiKey | None = getattr(request.state, "api_key", None)
        if key is None:
            raise HTTPException(401, "Clé d'API manquante ou invalide : envoyez-la dans l'en-tête X-API-Key.",
                                headers={"WWW-Authenticate": "Bearer"})
        if not key.grants(scope):
            raise HTTPException(403, f"Cette clé d'API n'a pas la portée « {scope} ».")
        return key

    return check


class BodySizeLimit:
    """ASGI middleware: a body over ``max_bytes`` gets a 413 before any parsing (declared or streamed size)."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._reject(send)

    async def _reject(self, send) -> None:
        import json

        body = json.dumps({"detail": BodyTooLarge(self.max_bytes).detail, "errors": []}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class NoSniff:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every response, so that a JSON body quoting
    hostile text is never sniffed and rendered as HTML by a browser."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_header(message):
            headers = message.get("headers", [])
            if message["type"] == "http.response.start" and not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                message["headers"] = [*headers, (b"x-content-type-options", b"nosniff")]
            return await send(message)

        await self.app(scope, receive, send_with_header)


class BodyTooLarge(HTTPException):
    """Raised while a body streams in (chunked, no Content-Length): FastAPI passes HTTP errors through unchanged
    when it reads the body, so the client gets this 413 rather than a parsing error."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Requête trop volumineuse : {max_bytes // 1024} Kio au plus.")
