"""Signed document links: with keys configured, a browser opening ``/documents/{id}`` sends no key, so the API
gives out ``/documents/{id}?exp=…&sig=…``, an HMAC-SHA256 of the document id and the expiry date.

A link opens that one document until it expires (``ECLAIREUR_LINK_TTL_DAYS``, long enough for a chat message
to stay useful). The secret is ``ECLAIREUR_LINK_SIGNING_SECRET``, or else a random one created once in
``ECLAIREUR_LINK_SIGNING_SECRET_FILE`` (readable by the service's user only); changing it revokes every link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import HTTPException, Query, Request

from index.urls import clean_url

from ..settings import Settings
from .document_page import document_url
from .security import require

logger = logging.getLogger(__name__)

EXPIRY_STEP_SECONDS = 3600  # expiries rounded up to the hour: a document's link stays the same for an hour


class LinkSigner:
    def __init__(self, secret: bytes, ttl_days: float) -> None:
        self._secret, self.ttl_seconds = secret, ttl_days * 86400

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkSigner:
        if settings.link_signing_secret and settings.link_signing_secret.get_secret_value():
            secret = settings.link_signing_secret.get_secret_value().encode("utf-8")
        else:
            secret = stored_secret(settings.link_signing_secret_file)
        return cls(secret, settings.link_ttl_days)

    def signature(self, document_id: str, expires: int) -> str:
        digest = hmac.new(self._secret, f"{document_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def link(self, document_id: str, now: float | None = None) -> str:
        expires = math.ceil(((now or time.time()) + self.ttl_seconds) / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS
        return f"/documents/{quote(document_id, safe='/')}?exp={expires}&sig={self.signature(document_id, expires)}"

    def check(self, document_id: str, expires: int, signature: str, now: float | None = None) -> None:
        """Raises a 403 in French unless ``signature`` is this document's, for this expiry, not yet past."""
        if not hmac.compare_digest(signature.encode("utf-8", "replace"), self.signature(document_id, expires).encode()):
            raise HTTPException(403, "Lien de document invalide : il a été modifié ou ne vaut plus (secret changé). "
                                     "Relancez la recherche pour obtenir un lien à jour.")
        if expires < (now or time.time()):
            raise HTTPException(403, "Ce lien de document a expiré : relancez la recherche pour obtenir un lien à jour.")


def stored_secret(path: Path) -> bytes:
    """The secret kept in ``path``, created (32 random bytes, mode 0600) by the first process that needs it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32))
    logger.info("Secret des liens de documents créé dans %s", path)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


class DocumentLinks:
    """The address given out for a document: its public source when it has one; otherwise its page here,
    signed when keys are required (``signer``), plain when the service is open to local callers."""

    def __init__(self, signer: LinkSigner | None) -> None:
        self.signer = signer

    def url(self, url: str | None, document_id: str) -> str:
        if clean_url(url) or self.signer is None:
            return document_url(url, document_id)
        return self.signer.link(document_id)


def document_access(request: Request, document_id: str,
                    exp: int | None = Query(None, description="Lien signé : date d'expiration (secondes Unix)"),
                    sig: str | None = Query(None, max_length=128, description="Lien signé : signature du document")) -> None:
    """``/documents/{id}`` opens with a key of scope ``search``, or with a valid signature for that document."""
    signer: LinkSigner | None = request.app.state.links.signer
    if exp is None and sig is None or signer is None:
        require("search")(request)
        return
    if exp is None or sig is None:
        raise HTTPException(403, "Lien de document incomplet : il faut exp et sig. Relancez la recherche pour obtenir un lien à jour.")
    signer.check(document_id, exp, sig)
