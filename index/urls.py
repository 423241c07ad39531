"""A document's own web address (front matter ``url:``), kept only when a browser or Telegram can follow it safely."""

from __future__ import annotations

from urllib.parse import urlsplit


def clean_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host and no credentials, or a clean path from the site
    root (``/guides/x``); None otherwise — ``javascript:``, ``data:``, ``//host`` and ``/\\host`` (a browser reads a
    backslash as a slash: another site), spaces or control characters, ``.`` or ``..`` segments."""
    text = str(value or "").strip()
    if not text or "\\" in text or any(character.isspace() or not character.isprintable() for character in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # e.g. an invalid IPv6 literal or port
        return None
    if parts.scheme.lower() in ("http", "https"):
        return text if host and "@" not in parts.netloc else None
    if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//"):
        return None
    return None if {".", ".."} & set(parts.path.split("/")) else text
