"""Every bot path that calls the API counts against the agent's question limit, buttons carry only data the
bot wrote, and the links in its answers open in a plain browser when the API requires keys."""

from __future__ import annotations

import re

import httpx
import pytest
from botapi import BotRunner
from support import LiveServer
from test_telegram import QUESTION, as_sent, callback

from bots.telegram import texts
from bots.telegram.settings import BotSettings

BOT_KEY = "cle-du-bot-telegram-0123456789"


def bot_settings(telegram, api_url: str, **overrides) -> BotSettings:
    values = {"telegram_token": "123456:TEST-TOKEN", "telegram_api_base_url": f"{telegram.url}/bot", "api_url": api_url,
              "telegram_questions_per_minute": 1000} | overrides
    return BotSettings(_env_file=None, **values)


def test_search_inline_queries_and_more_results_count_against_the_question_limit(telegram, live_server):
    with BotRunner(bot_settings(telegram, live_server.url, telegram_questions_per_minute=3)):
        telegram.message(QUESTION)
        answer = telegram.wait_for()[0]
        telegram.message("/recherche laboratoire")
        assert telegram.wait_for(count=2)[1]["text"].startswith("<b>Documents pour")
        telegram.inline("laboratoire d'innovation")
        assert telegram.wait_for("answerInlineQuery")[0]["results"]  # third call this minute: the last allowed

        telegram.click(as_sent(answer), callback(answer, "Plus de résultats"))
        refused = telegram.wait_for("answerCallbackQuery")[0]
        assert "Patientez" in refused["text"] and refused["show_alert"] in (True, "true", "True")
        telegram.message("/recherche design")
        assert "Patientez" in telegram.wait_for(count=3)[2]["text"]
        telegram.inline("design des services publics")
        inline = telegram.wait_for("answerInlineQuery", count=2)[1]
        assert inline["results"] == [] and "patientez" in inline["button"]["text"]
        # Another agent is not affected.
        telegram.message("/recherche laboratoire", user_id=2002)
        assert telegram.wait_for(chat_id=2002)[0]["text"].startswith("<b>Documents pour")


@pytest.mark.parametrize("data", ["ex:abc", "ex:99", "ex:-1", "ex:", "ex:٣", "ex:1" + "0" * 60, "src:inconnu", "zz:0", ""])
def test_malformed_button_data_gets_a_polite_refusal_and_never_an_error(telegram, live_server, data):
    with BotRunner(bot_settings(telegram, live_server.url)):
        telegram.message("/start")
        welcome = telegram.wait_for()[0]
        telegram.click(as_sent(welcome), data)
        telegram.wait_for("answerCallbackQuery")
        telegram.click(as_sent(welcome), "ex:0")  # the bot still works afterwards
        assert "novembre" in telegram.wait_for(count=2)[1]["text"]
    sent = [m["text"] for m in telegram.sent()]
    assert texts.ERROR not in sent and len(sent) == 2
    if data.startswith("ex:"):
        assert telegram.sent("answerCallbackQuery")[0]["text"] == texts.INVALID_BUTTON


def test_with_keys_a_link_from_a_bot_answer_opens_in_a_plain_browser(telegram, default_service, browser):
    from assistant.api.app import create_app

    settings = default_service.settings.model_copy(update={"api_keys": [BOT_KEY]})
    with LiveServer(create_app(settings, service=default_service)) as api, \
            BotRunner(bot_settings(telegram, api.url, bot_api_key=BOT_KEY)):
        telegram.message("Comment créer un laboratoire d'innovation publique ?")
        answer = telegram.wait_for()[0]["text"]
        links = re.findall(r'<a href="([^"]+)">', answer)
        local = [link.replace("&amp;", "&") for link in links if link.startswith(f"{api.url}/documents/")]
        assert local and all("sig=" in link and "exp=" in link for link in local)
        context = browser.new_context(locale="fr-FR")
        try:
            page = context.new_page()
            opened = page.goto(local[0])
            assert opened.status == 200 and page.locator("h1").inner_text()
        finally:
            context.close()
        assert httpx.get(local[0].split("?")[0]).status_code == 401  # without its signature, the key is needed
