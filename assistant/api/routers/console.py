"""The content team console: ``/admin/`` (one HTML page), its script and its style sheet.

The page itself needs no key: it asks for the admin key, keeps it in the tab's ``sessionStorage`` (never in an
address) and reads everything it shows from the documented ``/admin/*`` endpoints with it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from .widget import static_file

router = APIRouter(prefix="/admin", include_in_schema=False)

# Nothing from elsewhere, no inline script or style, never framed: a page holding an admin key trusts only itself.
HEADERS = {
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}


@router.get("", response_class=RedirectResponse)
def console_without_slash() -> RedirectResponse:
    return RedirectResponse("/admin/", status_code=308)


@router.get("/", response_class=HTMLResponse)
def console_page() -> HTMLResponse:
    page, _ = static_file("console/index.html")
    return HTMLResponse(page, headers=HEADERS)


@router.get("/console.js")
def console_script(request: Request) -> Response:
    return _asset("console.js", "application/javascript; charset=utf-8", request)


@router.get("/console.css")
def console_style(request: Request) -> Response:
    return _asset("console.css", "text/css; charset=utf-8", request)


def _asset(name: str, media_type: str, request: Request) -> Response:
    body, etag = static_file(f"console/{name}")
    headers = {**HEADERS, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
