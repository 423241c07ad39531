"""The API's documentation pages work on an intranet without internet: every file comes from this server."""

from __future__ import annotations

import re


def test_swagger_ui_renders_in_chromium_from_this_server_only(live_server, browser):
    context = browser.new_context(locale="fr-FR")
    elsewhere: list[str] = []
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: (elsewhere.append(route.request.url), route.abort()))
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
        assert "Éclaireur" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector("text=/search", timeout=30_000)  # the OpenAPI 3.1 document was read and laid out
        assert elsewhere == []
    finally:
        context.close()


def test_both_documentation_pages_name_no_other_site(api):
    for path in ("/docs", "/redoc"):
        page = api.get(path)
        assert page.status_code == 200 and not re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", page.text), path
        for asset in re.findall(r"(?:src|href)=[\"']?(/docs/fichiers/[\w.-]+)", page.text):
            assert api.get(asset).status_code == 200, asset
