"""The bot survives a restart: an answer's buttons sent before it still work after it, and the per-user question
window still counts, with its state in a file (default) or in PostgreSQL (ECLAIREUR_DATABASE_URL)."""

from __future__ import annotations

import time

import pytest
from botapi import BotRunner
from pydantic import SecretStr

from bots.telegram import texts
from bots.telegram.settings import BotSettings

QUESTION = "Comment créer un laboratoire d'innovation publique ?"


def callback(message: dict, label: str) -> str:
    return next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if b["text"] == label)


def as_sent(params: dict) -> dict:
    return {"message_id": 5000, "date": int(time.time()), "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": params["text"], "reply_markup": params.get("reply_markup")}


def wait_for_text(telegram, prefix: str, timeout: float = 60) -> dict:
    """The first message sent whose text starts with ``prefix`` (answers and sources may span several messages)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in telegram.sent() if m["text"].startswith(prefix)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"aucun message « {prefix}… » : {[(n, str(p)[:200]) for n, p in telegram.calls if n != 'getUpdates'][-8:]}")


@pytest.fixture(params=["fichier", "postgresql"])
def kept_state(request, bot_state_file) -> dict:
    """Where the bot keeps its state: its file (the default), or a PostgreSQL database."""
    if request.param == "fichier":
        return {}
    return {"database_url": SecretStr(request.getfixturevalue("postgres").database())}


def test_buttons_and_limits_outlive_a_restart_of_the_bot(telegram, live_server, kept_state, bot_state_file, default_service):
    settings = BotSettings(_env_file=None, telegram_token="123456:TEST-TOKEN", telegram_api_base_url=f"{telegram.url}/bot",
                           api_url=live_server.url, telegram_questions_per_minute=2, **kept_state)
    with BotRunner(settings):
        telegram.message(QUESTION)
        answer = telegram.wait_for()[0]
    assert bot_state_file.exists() != bool(kept_state), "the file is written only without a database"

    with BotRunner(settings):  # a new Application: nothing in memory but what the persistence gives back
        telegram.click(as_sent(answer), callback(answer, "Sources"))
        assert "[1]" in wait_for_text(telegram, texts.SOURCES_HEADER)["text"]

        before = default_service.stats()["feedback_count"]
        telegram.click(as_sent(answer), callback(answer, "👍"))
        assert telegram.wait_for("answerCallbackQuery", count=2)[1]["text"] == texts.FEEDBACK_THANKS
        deadline = time.monotonic() + 10
        while default_service.stats()["feedback_count"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert default_service.stats()["feedback_count"] == before + 1

        telegram.click(as_sent(answer), callback(answer, "Plus de résultats"))  # the second call of this minute
        wait_for_text(telegram, texts.MORE_HEADER)
        telegram.message("Et dans une préfecture ?")  # the third: over the limit kept across the restart
        wait_for_text(telegram, texts.RATE_LIMITED.split("{")[0])
