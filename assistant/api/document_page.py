"""A document as a readable French web page: what a person gets when a result's link opens in a browser."""

from __future__ import annotations

import base64
import hashlib
import html
from urllib.parse import quote

from index.chunkstore import StoredDocument
from index.documents import LIST_BULLET
from index.urls import clean_url

from ..dates import french_date

STYLE = """
body { font-family: Marianne, arial, sans-serif; color: #161616; margin: 0; line-height: 1.6; }
header { border-bottom: 1px solid #ddd; padding: 1rem 1.5rem; }
header a { color: #000091; }
main { max-width: 48rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.75rem; line-height: 1.3; margin: 0 0 .5rem; }
.meta { color: #3a3a3a; font-size: .9rem; margin-bottom: 1.5rem; }
.badge { display: inline-block; background: #e3e3fd; color: #000091; border-radius: .25rem; padding: 0 .4rem;
         font-weight: 700; font-size: .8rem; text-transform: uppercase; }
a:focus-visible { outline: 2px solid #0a76f6; outline-offset: 2px; }
"""

# The page runs no script and loads nothing: its one style block is allowed by its hash; no site may frame it
# (clickjacking), and following a link out tells the other site nothing of which document was read.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'sha256-"
                               + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
                               + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def document_url(url: str | None, document_id: str) -> str:
    """A document's address for clients: its own web address, else its page here — never ``javascript:``,
    ``data:`` or ``/\\host``, which a corpus file (or an index built before addresses were checked) could hold."""
    return clean_url(url) or f"/documents/{quote(document_id, safe='/')}"


def _web_link(address) -> str | None:
    address = str(address or "")
    if not address.startswith(("http://", "https://")):
        return None
    return f'<a href="{html.escape(address, quote=True)}">{html.escape(address)}</a>'


def _provenance(metadata: dict) -> list[str]:
    """Where the text comes from: a page it was taken from (``source``), or a text written for Éclaireur
    (``written_for_eclaireur``) that points to an official site for more (``further_reading``)."""
    parts = []
    if str(metadata.get("written_for_eclaireur", "")).lower() in {"true", "oui"}:
        parts.append("Rédigé pour Éclaireur")
    for field, label in (("further_reading", "Pour aller plus loin"), ("source", "Source")):
        link = _web_link(metadata.get(field))
        if link:
            parts.append(f"{label} : {link}")
    return parts


def render_document_page(document: StoredDocument) -> str:
    """Escaped text, paragraphs as written, bullet lines as lists."""
    blocks = []
    for paragraph in document.text.split("\n\n"):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if lines and all(line.startswith(LIST_BULLET) for line in lines):
            items = "".join(f"<li>{html.escape(line.removeprefix(LIST_BULLET))}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    meta = [f'<span class="badge">{"FAQ" if document.type == "faq" else "Guide"}</span>']
    if document.tags:
        meta.append("Thèmes : " + html.escape(", ".join(document.tags)))
    updated = document.metadata.get("updated")
    if updated:
        meta.append(f"Mis à jour le {html.escape(french_date(str(updated)))}")
    meta += _provenance(document.metadata)
    return f"""<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(document.title)} — Éclaireur</title><style>{STYLE}</style></head>
<body>
<header><a href="/">Éclaireur</a> › {html.escape(document.folder or "corpus")}</header>
<main>
<h1>{html.escape(document.title)}</h1>
<p class="meta">{" · ".join(meta)}</p>
{"".join(blocks)}
</main>
</body>
</html>"""
