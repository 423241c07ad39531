"""``/docs`` (Swagger UI) and ``/redoc`` served from files shipped in a Python package (fastapi-offline): an
intranet often has no internet, and a page of the API should run no script fetched from elsewhere."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

FILES = "/docs/fichiers"


def add_local_docs(app: FastAPI) -> None:
    """The two documentation pages and their files; create the app with ``docs_url=None, redoc_url=None``."""
    app.mount(FILES, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-fichiers")
    title = f"{app.title} — documentation de l'API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=title, swagger_js_url=f"{FILES}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{FILES}/swagger-ui.css", swagger_favicon_url=f"{FILES}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title=title, redoc_js_url=f"{FILES}/redoc.standalone.js",
                              redoc_favicon_url=f"{FILES}/favicon.png", with_google_fonts=False)
