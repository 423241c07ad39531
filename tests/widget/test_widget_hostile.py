"""HTML and JavaScript typed by a person or written in a document stay inert text in the widget, in a real
browser against the real API: a corpus FAQ carries markup in its title, address and text (support.MARKUP_CORPUS)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support import MARKUP, MARKUP_QUESTION, LiveServer
from test_widget_browser import open_demo, type_query, wait_for_answer, wait_for_results

TITLE = f"Ateliers {MARKUP} <script>window.__pwned=1</script>"
# The demo page's own script tag loads the widget; anything else of these would come from the markup.
INJECTED = "img, script:not([src='/widget.js']), svg, iframe, [onerror], [onload], a[href^='javascript']"


@pytest.fixture(scope="module")
def markup_server(markup_service):
    from assistant.api.app import create_app

    with LiveServer(create_app(markup_service.settings, service=markup_service)) as server:
        yield server


def injected_elements(page, widget) -> int:
    """Elements the markup would have created, in the widget's shadow tree and in the page."""
    return widget.evaluate("(w, s) => w.shadowRoot.querySelectorAll(s).length + document.querySelectorAll(s).length", INJECTED)


@pytest.mark.parametrize("query", [f"{MARKUP} atelier", "<script>window.__pwned=1</script> atelier",
                                   "<svg onload=window.__pwned=1> atelier", "\"><img src=x onerror=window.__pwned=1> atelier"])
def test_a_query_with_markup_and_results_with_markup_show_as_text(page, markup_server, query):
    widget = open_demo(page, markup_server.url)
    type_query(widget, query, delay=5)
    wait_for_results(page, query)
    expect(widget.locator("#q")).to_have_value(query)
    option = widget.get_by_role("option").filter(has_text="Ateliers")
    expect(option.locator(".title")).to_have_text(TITLE)
    snippet = option.locator(".snippet").inner_text()
    assert "<b>la consigne</b>" in snippet and '<a href="javascript:window.__pwned=1">le programme</a>' in snippet
    assert "atelier" in [mark.lower() for mark in option.locator("mark").all_inner_texts()]  # highlighting still works
    assert option.get_attribute("data-url").endswith("/documents/faq/ateliers.md")  # not the document's javascript: url
    page.wait_for_timeout(200)
    assert injected_elements(page, widget) == 0
    assert page.evaluate("() => window.__pwned") is None


def test_an_answer_quoting_markup_shows_it_as_text_and_its_source_page_too(page, markup_server):
    widget = open_demo(page, markup_server.url)
    type_query(widget, MARKUP_QUESTION, delay=5)
    widget.get_by_role("button", name="Poser la question").click()
    assert wait_for_answer(page)["status"] == "answered"
    answer = widget.locator("section.answer")
    expect(answer.locator(".answer-text")).to_contain_text('Affichez <b>la consigne</b> au tableau, ouvrez '
                                                            '<a href="javascript:window.__pwned=1">le programme</a>')
    expect(answer.locator(".answer-text")).to_contain_text(MARKUP)
    source = answer.locator("ol li a")
    expect(source).to_have_text(TITLE)
    assert injected_elements(page, widget) == 0 and page.evaluate("() => window.__pwned") is None

    source.click()  # the document's readable page, as a browser gets it
    page.wait_for_url("**/documents/faq/ateliers.md")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text('ouvrez <a href="javascript:window.__pwned=1">le programme</a>')
    assert page.locator("main").evaluate("(m, s) => m.querySelectorAll(s).length", INJECTED) == 0
    assert page.evaluate("() => window.__pwned") is None
