"""API keys with scopes, rate limits (per key, or per IP for calls without a key), a cap on body size.

Keys come from the environment (``ECLAIREUR_API_KEYS``, ``ECLAIREUR_ADMIN_API_KEYS``) or from a file of
hashed keys (``scope:sha256:name`` per line); they are compared as SHA-256 digests in constant time and
never logged. With no key configured, the search endpoints answer loopback clients only and the admin
endpoints are disabled.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request

from ..settings import Settings

logger = logging.getLogger(__name__)

SCOPES = ("search", "admin")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    name: str
    scope: str  # "search" or "admin" (admin includes search)
    digest: str


class KeyRing:
    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys = keys

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        keys = [ApiKey(f"search-{i + 1}", "search", hash_key(k)) for i, k in enumerate(settings.api_keys) if k]
        keys += [ApiKey(f"admin-{i + 1}", "admin", hash_key(k)) for i, k in enumerate(settings.admin_api_keys) if k]
        if settings.api_keys_file:
            keys += read_keys_file(settings.api_keys_file)
        return cls(keys)

    def has_scope(self, scope: str) -> bool:
        return any(key.scope == scope or key.scope == "admin" for key in self.keys)

    def identify(self, presented: str) -> ApiKey | None:
        """The key matching ``presented``; every stored digest is compared, in constant time."""
        digest = hash_key(presented)
        found = None
        for key in self.keys:
            if hmac.compare_digest(digest, key.digest):
                found = key
        return found

    def describe(self) -> str:
        if not self.keys:
            return ("Aucune clé d'API configurée : recherche et questions ouvertes aux seuls clients locaux (127.0.0.1), "
                    "administration désactivée. Réglez ECLAIREUR_API_KEYS / ECLAIREUR_ADMIN_API_KEYS pour ouvrir l'accès.")
        admin = sum(1 for k in self.keys if k.scope == "admin")
        state = "activée" if admin else "désactivée (aucune clé admin)"
        return f"{len(self.keys) - admin} clé(s) « search » et {admin} clé(s) « admin » chargées ; administration {state}."


def read_keys_file(path: Path) -> list[ApiKey]:
    """Lines ``scope:sha256-hex:name``; blank lines and ``#`` comments ignored."""
    keys = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 2)
        if len(parts) < 2 or parts[0] not in SCOPES or len(parts[1]) != 64:
            raise ValueError(f"{path}, ligne {number} : format attendu « portée:sha256:nom » (portée search ou admin)")
        keys.append(ApiKey(parts[2] if len(parts) == 3 else f"{parts[0]}-{number}", parts[0], parts[1].lower()))
    return keys


class RateLimiter:
    """Token buckets: ``per_minute`` requests, refilled continuously; bounded number of tracked identities."""

    def __init__(self, max_tracked: int = 100_000) -> None:
        self._buckets: OrderedDict[tuple, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_tracked

    def retry_after(self, identity: tuple, per_minute: int) -> float:
        """0 when the request may go ahead (and is counted), else the seconds to wait."""
        rate = per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(identity, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            self._buckets[identity] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        return wait


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization", "")
    if not key and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    return key or None


def require(scope: str):
    """A dependency that admits requests allowed for ``scope`` and within the rate limits."""

    def check(request: Request) -> ApiKey | None:
        app = request.app
        keyring: KeyRing = app.state.keyring
        settings: Settings = app.state.settings
        client = request.client.host if request.client else None
        key = None
        if not keyring.has_scope(scope):
            if scope == "admin":
                raise HTTPException(403, "Administration désactivée : aucune clé « admin » n'est configurée "
                                         "(ECLAIREUR_ADMIN_API_KEYS ou ECLAIREUR_API_KEYS_FILE).")
            if not is_loopback(client):
                raise HTTPException(403, "Aucune clé d'API n'est configurée : ce service n'accepte que les appels locaux. "
                                         "L'administrateur doit définir ECLAIREUR_API_KEYS.")
        else:
            presented = presented_key(request)
            key = keyring.identify(presented) if presented else None
            if key is None:
                raise HTTPException(401, "Clé d'API manquante ou invalide : envoyez-la dans l'en-tête X-API-Key.",
                                    headers={"WWW-Authenticate": "Bearer"})
            if scope == "admin" and key.scope != "admin":
                raise HTTPException(403, "Cette clé d'API n'a pas la portée « admin ».")
        # A key identifies its holder (a bot, an intranet) whatever its address; anonymous calls are limited per IP.
        limiter: RateLimiter = app.state.rate_limiter
        if key is not None:
            wait = limiter.retry_after(("key", key.name), settings.rate_limit_per_minute)
        else:
            wait = limiter.retry_after(("ip", client), settings.ip_rate_limit_per_minute)
        if wait > 0:
            seconds = max(1, round(wait + 0.5))
            raise HTTPException(429, f"Trop de requêtes : réessayez dans {seconds} s.", headers={"Retry-After": str(seconds)})
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
