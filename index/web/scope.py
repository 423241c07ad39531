"""Which addresses belong to a source, and one spelling per address (no fragment, no tracking parameter)."""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from .config import WebSource

TRACKING = ("utm_", "mtm_", "pk_", "at_")
TRACKING_EXACT = {"fbclid", "gclid", "msclkid", "dclid", "mc_cid", "mc_eid", "xtor", "_ga", "_gl", "yclid", "igshid"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize(url: str, base: str | None = None) -> str | None:
    """``url`` (relative to ``base``) as an absolute http(s) address: lower-case scheme and host, default port
    dropped, dot segments resolved, no fragment, tracking parameters removed, remaining ones sorted; None for
    anything else (``mailto:``, ``javascript:``, credentials, invalid)."""
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc or any(c.isspace() for c in absolute):
        return None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port in (None, DEFAULT_PORTS[scheme]) else f"[{host}]:{port}"
    path = posixpath.normpath(parts.path) if parts.path not in ("", "/") else "/"
    if parts.path.endswith("/") and not path.endswith("/"):
        path += "/"
    path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~%")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING) and k.lower() not in TRACKING_EXACT]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


@dataclass(frozen=True)
class Scope:
    """A source's hosts and its include and exclude path patterns (prefixes, or globs when they hold * ? [)."""

    hosts: frozenset[str]
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, source: WebSource) -> Scope:
        return cls(source.hosts, source.include, source.exclude)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.hostname not in self.hosts:
            return False
        path = parts.path or "/"
        if any(_matches(path, pattern) for pattern in self.exclude):
            return False
        return not self.include or any(_matches(path, pattern) for pattern in self.include)

    def why_not(self, url: str) -> str:
        host = urlsplit(url).hostname
        if host not in self.hosts:
            return f"hors des hôtes déclarés ({host})"
        return "hors périmètre (motifs include / exclude)"


def _matches(path: str, pattern: str) -> bool:
    if any(character in pattern for character in "*?["):
        return fnmatch.fnmatchcase(path, pattern)
    return path.startswith(pattern)
