"""The intranet widget: ``/widget.js`` (the Web Component) and ``/`` (a demo intranet page that embeds it)."""

from __future__ import annotations

import hashlib
import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"

# The script's address never changes (intranets paste it once), so browsers keep it a few minutes and then
# revalidate with the ETag: a fix reaches every intranet within minutes and unchanged files cost a 304.
WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=300, stale-while-revalidate=3600",
    "X-Content-Type-Options": "nosniff",
    # Loadable by pages of any origin, including with crossorigin/integrity or under COEP.
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}

# The demo page loads nothing from elsewhere: a strict policy proves the widget needs no inline script,
# no eval and no outside resource (its styles are a constructed stylesheet, not inline CSS).
DEMO_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
}


@lru_cache(maxsize=8)
def _read(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    body = path.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def static_file(name: str) -> tuple[bytes, str]:
    """The file's bytes and ETag, read again only when it changes on disk."""
    path = STATIC_DIR / name
    return _read(path, path.stat().st_mtime_ns)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_js(request: Request) -> Response:
    body, etag = static_file("widget.js")
    headers = {**WIDGET_HEADERS, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    # The server leaves the body out of a HEAD answer but keeps its Content-Length.
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


@router.get("/", response_class=HTMLResponse)
@router.get("/demo", response_class=HTMLResponse)
def demo_page(request: Request) -> HTMLResponse:
    """A French intranet page with the widget. It loads /widget.js from its own origin and gives no api-url,
    so the widget talks to the server that served it; the integration snippet shown uses the absolute address."""
    page, _ = static_file("demo.html")
    origin = html.escape(str(request.base_url).rstrip("/"), quote=True)
    return HTMLResponse(page.decode("utf-8").replace("{{ORIGIN}}", origin), headers=DEMO_HEADERS)
