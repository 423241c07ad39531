"""How the API serves the widget and the demo page (no browser needed)."""

from __future__ import annotations

import re

from support import PROJECT_ROOT

WIDGET_SOURCE = PROJECT_ROOT / "assistant" / "static" / "widget.js"
BUDGET_BYTES = 30_000  # issue 5: at most 30 KB before compression


def test_widget_js_is_served_small_with_a_javascript_type(api):
    response = api.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.content == WIDGET_SOURCE.read_bytes(), "the readable source is what is served: no build step"
    assert len(response.content) <= BUDGET_BYTES, f"widget.js pèse {len(response.content)} octets (budget {BUDGET_BYTES})"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=" in response.headers["cache-control"]
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"


def test_widget_js_is_revalidated_with_its_etag(api):
    etag = api.get("/widget.js").headers["etag"]
    again = api.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert api.get("/widget.js", headers={"If-None-Match": '"autre"'}).status_code == 200
    head = api.head("/widget.js")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_widget_js_loads_nothing_from_elsewhere():
    source = WIDGET_SOURCE.read_text(encoding="utf-8")
    assert not re.search(r"@import|url\(|https?://(?!eclaireur\.example|www\.w3\.org)", source)
    assert "innerHTML" not in source.replace("never innerHTML", "")
    assert "Marianne,arial,sans-serif" in source and "#000091" in source


def test_the_home_page_is_a_demo_intranet_embedding_the_widget(api, live_server):
    response = api.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="fr">' in page
    assert '<script src="/widget.js" defer></script>' in page
    assert re.search(r"<eclaireur-search[^>]*></eclaireur-search>", page)
    # The integration snippet shows the two lines with this server's own address.
    assert f'&lt;script src="{live_server.url}/widget.js" defer&gt;&lt;/script&gt;' in page
    assert f'&lt;eclaireur-search api-url="{live_server.url}"' in page
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert api.get("/demo").text == page
    assert api.get("/docs").status_code == 200, "the interactive documentation is still there"
    assert "/" not in api.get("/openapi.json").json()["paths"]


def test_the_demo_page_escapes_the_address_it_shows(api):
    page = api.get("/", headers={"Host": 'intranet.example"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in page and '"><' not in page.split("<pre>")[1]
