"""The real python-telegram-bot Application against a loopback Bot API and a real Éclaireur API:
each scenario checks what the agent sees in Telegram."""

from __future__ import annotations

import re
import time

import pytest
from botapi import BOT_USER, BotRunner
from support import LiveServer, ScriptedLLM

from bots.telegram import render, texts
from bots.telegram.settings import BotSettings

QUESTION = "Quand a lieu le Mois de l'innovation publique ?"


@pytest.fixture()
def start_bot(telegram, live_server):
    """Start the bot against the test Bot API and (by default) the session's real Éclaireur API."""
    runners = []

    def start(**overrides) -> BotRunner:
        values = {"telegram_token": "123456:TEST-TOKEN", "telegram_api_base_url": f"{telegram.url}/bot",
                  "api_url": live_server.url, "telegram_questions_per_minute": 1000} | overrides
        runner = BotRunner(BotSettings(_env_file=None, **values)).__enter__()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        runner.__exit__()


def buttons(message: dict) -> list[str]:
    return [button["text"] for row in message["reply_markup"]["inline_keyboard"] for button in row]


def callback(message: dict, label: str) -> str:
    return next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if b["text"] == label)


def as_sent(params: dict) -> dict:
    """The message object Telegram would hand back for a sendMessage call (for button clicks)."""
    return {"message_id": 5000, "date": int(time.time()), "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER, "text": params["text"], "reply_markup": params.get("reply_markup")}


def test_start_welcomes_with_examples_and_commands_are_registered_in_french(telegram, start_bot):
    start_bot()
    commands = telegram.wait_for("setMyCommands", count=2)
    assert [c["command"] for c in commands[0]["commands"]] == ["recherche", "nouveau", "aide"]
    assert {c.get("language_code") for c in commands} == {None, "fr"}
    telegram.message("/start")
    welcome = telegram.wait_for()[0]
    assert "Éclaireur" in welcome["text"] and "données personnelles" in welcome["text"] and welcome["parse_mode"] == "HTML"
    assert buttons(welcome) == list(texts.EXAMPLES)


def test_a_question_gets_a_cited_answer_with_buttons(telegram, start_bot):
    start_bot()
    telegram.message(QUESTION)
    assert telegram.wait_for("sendChatAction")[0]["action"] == "typing"
    answer = telegram.wait_for()[0]
    assert answer["parse_mode"] == "HTML" and "novembre" in answer["text"]
    assert re.search(r'<a href="http://127\.0\.0\.1:\d+/documents/faq/[^"]+">\[1\]</a>', answer["text"])
    assert buttons(answer) == ["👍", "👎", "Sources", "Plus de résultats"]


def test_when_the_api_cannot_record_answers_the_bot_answers_without_feedback_buttons(telegram, start_bot, default_service,
                                                                                   embedder, tmp_path):
    from assistant.api.app import create_app
    from assistant.service import Eclaireur

    unwritable = tmp_path / "records-as-a-folder"
    (unwritable / "x").mkdir(parents=True)  # a folder where the database file should be: SQLite cannot open it
    settings = default_service.settings.model_copy(update={"records_path": unwritable})
    service = Eclaireur(settings, embedder=embedder)
    service.reload()
    with LiveServer(create_app(settings, service=service)) as api:
        start_bot(api_url=api.url)
        telegram.message(QUESTION)
        answer = telegram.wait_for()[0]
    assert "novembre" in answer["text"]
    assert buttons(answer) == ["Sources", "Plus de résultats"]


def test_thumbs_up_reaches_feedback_and_thumbs_down_asks_for_a_reason(telegram, start_bot, default_service):
    start_bot()
    telegram.message("Qui organise le Mois de l'innovation publique ?")
    answer = telegram.wait_for()[0]
    before = default_service.stats()["feedback_count"]
    telegram.click(as_sent(answer), callback(answer, "👍"))
    assert telegram.wait_for("answerCallbackQuery")[0]["text"] == texts.FEEDBACK_THANKS
    assert telegram.wait_for("editMessageReplyMarkup")[0]
    deadline = time.monotonic() + 10
    while default_service.stats()["feedback_count"] == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert default_service.stats()["feedback_count"] == before + 1

    telegram.click(as_sent(answer), callback(answer, "👎"))
    prompt = telegram.wait_for(count=2)[1]
    assert prompt["text"] == texts.FEEDBACK_REASON and prompt["reply_markup"]["force_reply"] is True
    prompt_message = next(m for m in telegram.sent_messages() if m["text"] == texts.FEEDBACK_REASON)
    telegram.message("Il manque la date de l'édition 2025.", reply_to=prompt_message)
    assert telegram.wait_for(count=3)[2]["text"] == texts.FEEDBACK_REASON_THANKS
    gaps = default_service.records.gap_questions()
    assert any(g.question == "Qui organise le Mois de l'innovation publique ?" and g.reason == "not_useful" for g in gaps)


def test_sources_and_more_results_buttons(telegram, start_bot):
    start_bot()
    telegram.message("Comment créer un laboratoire d'innovation publique ?")
    answer = telegram.wait_for()[0]
    telegram.click(as_sent(answer), callback(answer, "Sources"))
    sources = telegram.wait_for(count=2)[1]
    assert sources["text"].startswith(texts.SOURCES_HEADER) and "[1]" in sources["text"] and "«" in sources["text"]
    telegram.click(as_sent(answer), callback(answer, "Plus de résultats"))
    more = telegram.wait_for(count=3)[2]
    assert more["text"].startswith(texts.MORE_HEADER) and "1. <a href=" in more["text"]
    cited = set(re.findall(r'href="([^"]+)"', answer["text"]))
    assert not cited & set(re.findall(r'href="([^"]+)"', more["text"]))


def test_follow_up_keeps_the_context_and_nouveau_resets_it(telegram, start_bot, default_service):
    runner = start_bot()
    telegram.message("Qu'est-ce que le droit à l'erreur prévu par la loi ESSOC ?")
    telegram.wait_for()
    telegram.message("et pour les agents publics ?")
    telegram.wait_for(count=2)
    conversation = runner.application.chat_data[1001]["conversation_id"]
    history = default_service.records.history(conversation)
    assert [q for q, _ in history] == ["Qu'est-ce que le droit à l'erreur prévu par la loi ESSOC ?", "et pour les agents publics ?"]
    assert "droit à l'erreur" in history[1][1]

    telegram.message("/nouveau")
    assert telegram.wait_for(count=3)[2]["text"] == texts.NEW_CONVERSATION
    assert default_service.records.history(conversation) is None
    telegram.message("et pour les agents publics ?")
    telegram.wait_for(count=4)
    assert runner.application.chat_data[1001]["conversation_id"] != conversation


def test_no_answer_is_said_honestly_with_the_closest_resources(telegram, start_bot):
    start_bot()
    telegram.message("Quelle est la recette de la pâte feuilletée inversée ?")
    reply = telegram.wait_for()[0]
    assert "pas trouvé de réponse fiable" in reply["text"] and texts.CLOSEST in reply["text"]


def test_recherche_lists_documents_with_links(telegram, start_bot):
    start_bot()
    telegram.message("/recherche laboratoire d'innovation")
    reply = telegram.wait_for()[0]
    assert reply["text"].startswith("<b>Documents pour « laboratoire d&#x27;innovation »</b>")
    assert reply["text"].count("<a href=") >= 3 and "<b>laboratoire</b>" in reply["text"].lower()
    telegram.message("/recherche")
    assert telegram.wait_for(count=2)[1]["text"] == texts.SEARCH_USAGE


def test_aide_describes_the_commands(telegram, start_bot):
    start_bot()
    telegram.message("/aide")
    assert "/recherche" in telegram.wait_for()[0]["text"]


def test_users_outside_the_allow_list_get_one_polite_refusal(telegram, start_bot):
    start_bot(telegram_allowed_users=[1001])
    telegram.message(QUESTION, user_id=2002)
    telegram.message("Et maintenant ?", user_id=2002)
    telegram.message(QUESTION, user_id=1001)
    telegram.wait_for(chat_id=1001)
    refusals = telegram.sent(chat_id=2002)
    assert [m["text"] for m in refusals] == [texts.NOT_ALLOWED]


def test_per_user_rate_limit_answers_kindly(telegram, start_bot):
    start_bot(telegram_questions_per_minute=2)
    for question in ("Qu'est-ce qu'un laboratoire d'innovation ?", "Qui organise le Mois de l'innovation publique ?",
                     "Qu'est-ce que le droit à l'erreur ?"):
        telegram.message(question)
        time.sleep(0.3)
    replies = telegram.wait_for(count=3)
    assert sum("Patientez" in m["text"] for m in replies) == 1


def test_api_down_gets_a_french_message_and_the_bot_recovers(telegram, start_bot, default_service):
    from assistant.api.app import create_app

    api = LiveServer(create_app(default_service.settings, service=default_service)).__enter__()
    start_bot(api_url=api.url)
    api.__exit__()
    telegram.message(QUESTION)
    assert telegram.wait_for()[0]["text"] == texts.API_DOWN
    api = LiveServer(create_app(default_service.settings, service=default_service), port=api.port).__enter__()
    try:
        telegram.message(QUESTION)
        assert "novembre" in telegram.wait_for(count=2)[1]["text"]
    finally:
        api.__exit__()


def test_in_groups_the_bot_answers_only_when_addressed(telegram, start_bot):
    start_bot()
    group = -100123
    telegram.message("Quelqu'un sait quand a lieu le Mois de l'innovation publique ?", chat_id=group, chat_type="supergroup")
    telegram.message(f"@{BOT_USER['username']} quand a lieu le Mois de l'innovation publique ?", chat_id=group,
                     chat_type="supergroup", user_id=1002)
    replies = telegram.wait_for(chat_id=group)
    time.sleep(1.0)
    assert len(telegram.sent(chat_id=group)) == 1 and "novembre" in replies[0]["text"]


def test_inline_query_offers_documents_as_articles(telegram, start_bot):
    start_bot()
    telegram.inline("laboratoire d'innovation")
    answer = telegram.wait_for("answerInlineQuery")[0]
    assert answer["results"] and all(r["type"] == "article" for r in answer["results"])
    first = answer["results"][0]
    assert first["title"] and first["input_message_content"]["parse_mode"] == "HTML" and len(first["id"]) <= 64


def test_photos_and_edited_messages_are_handled_without_error(telegram, start_bot):
    start_bot()
    telegram.message(None, photo=[{"file_id": "f", "file_unique_id": "u", "width": 10, "height": 10}])
    assert telegram.wait_for()[0]["text"] == texts.UNSUPPORTED
    telegram.message("Question corrigée ?", edited=True)
    telegram.message(None, sticker={"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 1, "height": 1,
                                    "is_animated": False, "is_video": False})
    replies = telegram.wait_for(count=2)
    assert [m["text"] for m in replies] == [texts.UNSUPPORTED, texts.UNSUPPORTED]
    assert not any(texts.ERROR == m["text"] for m in telegram.sent())


def test_an_answer_longer_than_a_telegram_message_is_split_cleanly(telegram, start_bot, default_service, embedder):
    from assistant.api.app import create_app
    from assistant.service import Eclaireur

    llm = ScriptedLLM()
    llm.behaviour = "long"
    with llm.serving():
        settings = default_service.settings.model_copy(update={"llm_base_url": f"{llm.url}/v1", "llm_model": "test"})
        service = Eclaireur(settings, embedder=embedder)
        service.reload()
        with LiveServer(create_app(settings, service=service)) as api:
            start_bot(api_url=api.url)
            telegram.message(QUESTION)
            parts = telegram.wait_for(count=2)
            time.sleep(0.5)
            parts = telegram.sent()
    assert len(parts) >= 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert all(p["text"].count("<a ") == p["text"].count("</a>") for p in parts)
    assert "reply_markup" not in parts[0] and buttons(parts[-1])[0] == "👍"
    text = " ".join(p["text"] for p in parts)
    assert "Point 0 :" in text and "Point 119 :" in text


def test_split_message_never_cuts_inside_a_link():
    link = '<a href="https://exemple.gouv.fr/guide">[1]</a>'
    text = ("Une phrase d'explication assez longue. " * 20 + link + " ") * 40
    parts = render.split_message(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert all(p.count("<a ") == p.count("</a>") for p in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_twenty_agents_at_once_each_get_exactly_one_answer_per_question(telegram, start_bot):
    start_bot()
    agents = range(3001, 3021)
    for agent in agents:
        telegram.message(f"Qu'est-ce qu'un laboratoire d'innovation publique ? (agent {agent})", user_id=agent)
    for agent in agents:
        telegram.wait_for(chat_id=agent, timeout=120)
    for agent in agents:
        telegram.message("Qui organise le Mois de l'innovation publique ?", user_id=agent)
    for agent in agents:
        telegram.wait_for(count=2, chat_id=agent, timeout=120)
    time.sleep(1.0)
    assert all(len(telegram.sent(chat_id=agent)) == 2 for agent in agents)
