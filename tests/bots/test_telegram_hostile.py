"""HTML in a question or in a document stays text in Telegram: the bot's messages (parse_mode HTML) carry only
its own tags — bold, italics, and links to http(s) addresses — whatever the agent typed or the corpus holds.

The API serves the small corpus plus a FAQ whose title, address and text carry markup (support.MARKUP_CORPUS)."""

from __future__ import annotations

import html
import re

import pytest
from botapi import BotRunner
from support import MARKUP, MARKUP_QUESTION, LiveServer
from test_telegram import as_sent, callback

from bots.telegram import render
from bots.telegram.settings import BotSettings

TITLE = f"Ateliers {MARKUP} <script>window.__pwned=1</script>"
QUOTE = 'Affichez <b>la consigne</b> au tableau, ouvrez <a href="javascript:window.__pwned=1">le programme</a>'
BOT_TAG = re.compile(r'</?b>|</?i>|</a>|<a href="https?://[^"<>]+">')


@pytest.fixture()
def bot(telegram, markup_service):
    from assistant.api.app import create_app

    with LiveServer(create_app(markup_service.settings, service=markup_service)) as api:
        settings = BotSettings(_env_file=None, telegram_token="123456:TEST-TOKEN", telegram_api_base_url=f"{telegram.url}/bot",
                               api_url=api.url, telegram_questions_per_minute=1000)
        with BotRunner(settings) as runner:
            yield runner


def only_bot_markup(message: dict) -> str:
    """The message's text as the agent reads it, after checking that every tag in it is one the bot writes."""
    assert message["parse_mode"] == "HTML"
    tags = re.findall(r"<[^>]*>", message["text"])
    assert all(BOT_TAG.fullmatch(tag) for tag in tags), [tag for tag in tags if not BOT_TAG.fullmatch(tag)]
    return html.unescape(re.sub(r"<[^>]*>", "", message["text"]))


def test_an_answer_and_its_sources_quoting_markup_show_it_as_text(telegram, bot):
    telegram.message(MARKUP_QUESTION)
    answer = telegram.wait_for()[0]
    shown = only_bot_markup(answer)
    assert QUOTE in shown and MARKUP in shown and TITLE in shown
    assert "&lt;b&gt;la consigne&lt;/b&gt;" in answer["text"] and "javascript:" not in re.findall(r'href="([^"]+)"', answer["text"])

    telegram.click(as_sent(answer), callback(answer, "Sources"))
    sources = telegram.wait_for(count=2)[1]
    shown = only_bot_markup(sources)
    assert QUOTE in shown and TITLE in shown
    assert re.search(r'<a href="http://127\.0\.0\.1:\d+/documents/faq/ateliers\.md">Ateliers &lt;img', sources["text"])


def test_a_question_and_a_search_with_markup_are_echoed_as_text(telegram, bot):
    telegram.message(f"/recherche <b>atelier</b> {MARKUP}")
    results = telegram.wait_for()[0]
    shown = only_bot_markup(results)
    assert shown.startswith(f"Documents pour « <b>atelier</b> {MARKUP} »") and TITLE in shown
    telegram.message(f'<a href="javascript:alert(1)">{MARKUP_QUESTION}</a>')
    assert QUOTE in only_bot_markup(telegram.wait_for(count=2)[1])


def test_links_other_than_http_are_left_as_plain_labels():
    assert render.link("javascript:window.__pwned=1", "le programme", "http://api.test") == "le programme"
    assert render.link("/documents/a.md", "A", "http://api.test") == '<a href="http://api.test/documents/a.md">A</a>'


def test_without_an_answer_the_closest_resources_show_their_extracts_highlighted():
    answer = {"answer": "Je n'ai pas trouvé de réponse fiable.", "status": "no_answer", "citations": [],
              "related": [{"url": "/documents/a.md", "title": "Le guide", "snippet": "un <mark>designer</mark> &lt;i&gt;"}]}
    shown = render.render_answer(answer, "http://api.test")
    assert shown.endswith('<a href="http://api.test/documents/a.md">Le guide</a>\nun <b>designer</b> &lt;i&gt;')


def test_snippets_keep_their_highlights_and_nothing_else():
    snippet = '<mark>atelier</mark> &lt;b&gt;gras&lt;/b&gt; <img src=x onerror="alert(1)">'
    assert render.snippet_html(snippet) == '<b>atelier</b> &lt;b&gt;gras&lt;/b&gt; &lt;img src=x onerror="alert(1)"&gt;'
