"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core from npm, pages that fail on console errors.

The ``browser`` fixture (Debian's /usr/bin/chromium, never ``playwright install``) is in tests/conftest.py.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import PROJECT_ROOT

AXE_SCRIPT = PROJECT_ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
OUTSIDE_PAGE = "<!doctype html><html lang='fr'><title>Page externe</title><p>Page externe simulée par les tests.</p></html>"

# Every eclaireur:* event the widget fires lands in window.__events, so tests can wait for "results painted".
RECORD_EVENTS = """
window.__events = [];
for (const name of ["results", "answer", "open"]) {
  document.addEventListener("eclaireur:" + name, (event) => {
    const { result, ...detail } = event.detail || {};
    window.__events.push({ type: name, ...detail });
  });
}
"""


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "network_errors_expected: the browser logs failed requests on purpose (API down, 401, 429)")


@pytest.fixture()
def make_page(browser, request):
    """New pages (one context each) that record the widget's events, never reach the internet, and make the
    test fail on any JavaScript error or console error (failed requests allowed with network_errors_expected)."""
    contexts, problems = [], []
    allow_network_errors = request.node.get_closest_marker("network_errors_expected") is not None

    def on_console(message) -> None:
        if message.type == "error" and not (allow_network_errors and message.text.startswith("Failed to load resource")):
            problems.append(f"console : {message.text}")

    def make(**options):
        options = {"viewport": {"width": 1280, "height": 900}, "locale": "fr-FR", **options}
        context = browser.new_context(**options)
        contexts.append(context)
        context.add_init_script(RECORD_EVENTS)
        # Links to other sites (the corpus cites modernisation.gouv.fr) open a local stand-in page.
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
                      lambda route: route.fulfill(status=200, content_type="text/html", body=OUTSIDE_PAGE))
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"exception : {error}"))
        page.on("dialog", lambda dialog: (problems.append(f"boîte de dialogue : {dialog.message}"), dialog.dismiss()))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "Erreurs dans le navigateur :\n" + "\n".join(problems)


@pytest.fixture()
def page(make_page):
    return make_page()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    assert AXE_SCRIPT.exists(), (f"axe-core absent ({AXE_SCRIPT}) : lancez « make test » (ou "
                                 "« npm install --prefix build/npm axe-core@4 »).")
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class IntranetSite:
    """Another origin on the loopback (its own port) serving host pages, like an intranet embedding the widget.

    A real server rather than a routed fake address: Chromium only lets pages it knows to be local call the
    API on 127.0.0.1 (Local Network Access)."""

    def __init__(self) -> None:
        pages = self.pages = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body, headers = pages.get(self.path, (b"", {}))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, path: str, html: str, headers: dict[str, str] | None = None) -> str:
        self.pages[path] = (html.encode("utf-8"), headers or {})
        return self.url + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def intranet():
    site = IntranetSite()
    yield site
    site.close()
