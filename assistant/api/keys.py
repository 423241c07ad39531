"""API keys and their scopes: read from the environment or a file of hashes, compared in constant time.

Keys come from ``ECLAIREUR_API_KEYS`` (scope ``search``), ``ECLAIREUR_WIDGET_API_KEYS`` (``widget``: a search
key shown in intranet pages, whose budget is shared by many agents and so limited per address too),
``ECLAIREUR_ADMIN_API_KEYS`` (``admin``, which includes everything) or a file of ``scope:sha256:name`` lines,
where only the SHA-256 digest appears. Keys given in clear must be long enough to resist guessing; the
file's digests cannot be checked for length, so ``eclaireur keys new`` is the way to make them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings

SCOPES = ("search", "widget", "admin", "metrics")
MIN_KEY_LENGTH = 24
ENV_KEYS = (("api_keys", "search", "ECLAIREUR_API_KEYS"), ("widget_api_keys", "widget", "ECLAIREUR_WIDGET_API_KEYS"),
            ("admin_api_keys", "admin", "ECLAIREUR_ADMIN_API_KEYS"))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    name: str
    scope: str
    digest: str

    def grants(self, scope: str) -> bool:
        """``admin`` grants everything; a ``widget`` key is a ``search`` key; ``metrics`` reads only /metrics."""
        return self.scope in (scope, "admin") or (scope == "search" and self.scope == "widget")


class KeyRing:
    def __init__(self, keys: list[ApiKey]) -> None:
        self.keys = keys

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """Every configured key; a key given in clear that is too short stops the start-up."""
        keys = []
        for field, scope, variable in ENV_KEYS:
            for number, key in enumerate(getattr(settings, field), start=1):
                if key and len(key) < MIN_KEY_LENGTH:
                    raise ValueError(f"La clé n° {number} de {variable} est trop courte ({len(key)} caractères) : il en faut "
                                     f"{MIN_KEY_LENGTH} au moins pour résister aux essais. Créez-en une avec "
                                     f"« eclaireur keys new --scope {scope} ».")
                if key:
                    keys.append(ApiKey(f"{scope}-{number}", scope, hash_key(key)))
        if settings.api_keys_file:
            keys += read_keys_file(settings.api_keys_file)
        return cls(keys)

    def has_scope(self, scope: str) -> bool:
        return any(key.grants(scope) for key in self.keys)

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
        counts = ", ".join(f"{sum(1 for k in self.keys if k.scope == scope)} « {scope} »" for scope in SCOPES)
        state = "activée" if self.has_scope("admin") else "désactivée (aucune clé admin)"
        return f"Clés d'API chargées : {counts} ; administration {state}."


def read_keys_file(path: Path) -> list[ApiKey]:
    """Lines ``scope:sha256-hex:name``; blank lines and ``#`` comments ignored."""
    keys = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 2)
        if len(parts) < 2 or parts[0] not in SCOPES or len(parts[1]) != 64:
            raise ValueError(f"{path}, ligne {number} : format attendu « portée:sha256:nom » "
                             f"(portée {', '.join(SCOPES[:-1])} ou {SCOPES[-1]})")
        keys.append(ApiKey(parts[2] if len(parts) == 3 else f"{parts[0]}-{number}", parts[0], parts[1].lower()))
    return keys


def new_key(scope: str, name: str) -> tuple[str, str]:
    """A strong random key (256 bits) and its line for the keys file."""
    if scope not in SCOPES:
        raise ValueError(f"Portée « {scope} » inconnue : choisissez {', '.join(SCOPES)}.")
    if not name or ":" in name:
        raise ValueError("Le nom de la clé ne peut être vide ni contenir « : ».")
    key = secrets.token_urlsafe(32)
    return key, f"{scope}:{hash_key(key)}:{name}"
