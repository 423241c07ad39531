"""Small async handlers, one per kind of update; texts live in ``texts``, HTML in ``render``."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import secrets
import time
from collections import OrderedDict, deque

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.ext import ContextTypes

from . import render, texts
from .client import ApiError, ApiRateLimited, ApiRefused, ApiRejected, EclaireurClient
from .settings import BotSettings

logger = logging.getLogger(__name__)

KEPT_ANSWERS = 50  # answers per chat whose buttons still work
MORE_RESULTS = 5
REASON_PROMPT = ForceReply(selective=True, input_field_placeholder="Votre remarque (facultatif)")


# --------------------------------------------------------------------------------------- helpers

def client(context: ContextTypes.DEFAULT_TYPE) -> EclaireurClient:
    return context.bot_data["client"]


def settings(context: ContextTypes.DEFAULT_TYPE) -> BotSettings:
    return context.bot_data["settings"]


def api_error_text(error: ApiError) -> str:
    if isinstance(error, ApiRateLimited):
        return texts.API_BUSY.format(seconds=error.retry_after)
    if isinstance(error, ApiRefused):
        return texts.API_REFUSED
    if isinstance(error, ApiRejected):
        return texts.QUESTION_INVALID.format(detail=error.detail)
    return texts.API_DOWN


async def reply_parts(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send a long text as several messages; the buttons go under the last one."""
    parts = render.split_message(text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.reply_html(part, disable_web_page_preview=True, reply_markup=markup if last else None)


def is_allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """With allow-lists configured, only listed users or chats are served."""
    config = settings(context)
    if not config.telegram_allowed_users and not config.telegram_allowed_chats:
        return True
    user, chat = update.effective_user, update.effective_chat
    return bool((user and user.id in config.telegram_allowed_users) or (chat and chat.id in config.telegram_allowed_chats))


def sender_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> dict:
    """The sender's own data (the chat's, for a message without a user), kept across restarts by the persistence."""
    return context.user_data if update.effective_user else context.chat_data


async def refuse_once(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    data = sender_data(update, context)
    if not data.get("refused") and update.effective_message:
        data["refused"] = True
        await update.effective_message.reply_text(texts.NOT_ALLOWED)


def wait_before_next_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Seconds to wait under the per-user limit (a sliding minute, on the wall clock: it outlives a restart); 0 records
    the question. Every path that calls the API counts (questions, /recherche, inline queries, « Plus de résultats »):
    they share the bot's key."""
    window: deque = sender_data(update, context).setdefault("questions", deque())
    now = time.time()
    while window and now - window[0] > 60:
        window.popleft()
    if len(window) >= settings(context).telegram_questions_per_minute:
        return int(60 - (now - window[0])) + 1
    window.append(now)
    return 0


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question in ``message``, or None when a group message is not meant for the bot."""
    text = (message.text or "").strip()
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{bot_username}"
    if mention.lower() in text.lower():
        start = text.lower().index(mention.lower())
        return (text[:start] + text[start + len(mention):]).strip(" ,:")
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


def example_question(key: str) -> str | None:
    """The welcome example a button names (``ex:<n>``); None for anything else a client could send."""
    if not key.isascii() or not key.isdigit() or int(key) >= len(texts.EXAMPLES):
        return None
    return texts.EXAMPLES[int(key)]


def remember_answer(context: ContextTypes.DEFAULT_TYPE, question: str, answer: dict) -> str:
    answers: OrderedDict = context.chat_data.setdefault("answers", OrderedDict())
    key = secrets.token_hex(4)
    answers[key] = {"question": question, "answer": answer,
                    "shown": {c["document_id"] for c in answer["citations"]} | {r["document_id"] for r in answer["related"]}}
    while len(answers) > KEPT_ANSWERS:
        answers.popitem(last=False)
    return key


def answer_buttons(key: str, feedback: bool = True) -> InlineKeyboardMarkup:
    """Sources and more results; 👍/👎 only when the API recorded the answer (an empty ``answer_id`` means it could not)."""
    rows = [[InlineKeyboardButton(texts.BUTTON_SOURCES, callback_data=f"src:{key}"),
             InlineKeyboardButton(texts.BUTTON_MORE, callback_data=f"more:{key}")]]
    if feedback:
        rows.insert(0, [InlineKeyboardButton(texts.BUTTON_USEFUL, callback_data=f"up:{key}"),
                        InlineKeyboardButton(texts.BUTTON_NOT_USEFUL, callback_data=f"down:{key}")])
    return InlineKeyboardMarkup(rows)


# -------------------------------------------------------------------------------------- commands

async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not is_allowed(update, context):
        return await refuse_once(update, context)
    examples = InlineKeyboardMarkup([[InlineKeyboardButton(q, callback_data=f"ex:{i}")] for i, q in enumerate(texts.EXAMPLES)])
    await update.effective_message.reply_html(texts.WELCOME, reply_markup=examples)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not is_allowed(update, context):
        return await refuse_once(update, context)
    await update.effective_message.reply_html(texts.HELP)


async def new_conversation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not is_allowed(update, context):
        return await refuse_once(update, context)
    conversation_id = context.chat_data.pop("conversation_id", None)
    context.chat_data.pop("awaiting_reason", None)
    if conversation_id:
        try:
            await client(context).forget(conversation_id)
        except ApiError as error:
            logger.info("Conversation %s non supprimée côté API : %s", conversation_id, error)
    await update.effective_message.reply_text(texts.NEW_CONVERSATION)


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not is_allowed(update, context):
        return await refuse_once(update, context)
    query = " ".join(context.args or []).strip()
    if not query:
        return await update.effective_message.reply_text(texts.SEARCH_USAGE)
    wait = wait_before_next_question(update, context)
    if wait:
        return await update.effective_message.reply_text(texts.RATE_LIMITED.format(seconds=wait))
    await update.effective_chat.send_chat_action(ChatAction.TYPING)
    try:
        results = (await client(context).search(query, k=MORE_RESULTS))["results"]
    except ApiError as error:
        return await update.effective_message.reply_text(api_error_text(error))
    if not results:
        return await update.effective_message.reply_text(texts.NO_RESULTS.format(query=query))
    header = texts.SEARCH_HEADER.format(query=html.escape(query))
    await reply_parts(update.effective_message, render.render_results(results, header, settings(context).api_url))


# ------------------------------------------------------------------------------------- questions

async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = addressed_text(message, context.bot.username, context.bot.id)
    if not text:
        return
    if not is_allowed(update, context):
        return await refuse_once(update, context)
    awaiting = context.chat_data.pop("awaiting_reason", None)
    if awaiting and message.reply_to_message and message.reply_to_message.message_id == awaiting["prompt_id"]:
        return await record_reason(update, context, awaiting["answer_id"], text)
    await answer_question(update, context, text)


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    message = update.effective_message
    wait = wait_before_next_question(update, context)
    if wait:
        return await message.reply_text(texts.RATE_LIMITED.format(seconds=wait))
    typing = asyncio.create_task(update.effective_chat.send_chat_action(ChatAction.TYPING))  # alongside the API call
    try:
        answer = await client(context).ask(text, context.chat_data.get("conversation_id"))
    except ApiError as error:
        logger.warning("Question non traitée (%s) : %s", error.__class__.__name__, error)
        return await message.reply_text(api_error_text(error))
    finally:
        await asyncio.gather(typing, return_exceptions=True)  # a failed typing indicator must not lose the answer
    context.chat_data["conversation_id"] = answer["conversation_id"]
    key = remember_answer(context, text, answer)
    await reply_parts(message, render.render_answer(answer, settings(context).api_url),
                      answer_buttons(key, feedback=bool(answer["answer_id"])))


async def record_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, answer_id: str, reason: str) -> None:
    try:
        await client(context).feedback(answer_id, useful=False, comment=reason[:1000])
    except ApiError as error:
        return await update.effective_message.reply_text(api_error_text(error))
    await update.effective_message.reply_text(texts.FEEDBACK_REASON_THANKS)


# --------------------------------------------------------------------------------------- buttons

async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if not is_allowed(update, context):
        await query.answer()
        return await refuse_once(update, context)
    action, _, key = (query.data or "").partition(":")
    if action == "ex":
        example = example_question(key)
        if example is None:
            return await query.answer(texts.INVALID_BUTTON, show_alert=True)
        await query.answer()
        return await answer_question(update, context, example)
    stored = context.chat_data.get("answers", {}).get(key)
    if stored is None:
        return await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
    answer, api_url = stored["answer"], settings(context).api_url
    try:
        if action in ("up", "down"):
            await client(context).feedback(answer["answer_id"], useful=action == "up")
            await query.answer(texts.FEEDBACK_THANKS)
            await query.edit_message_reply_markup(answer_buttons(key, feedback=False))
            if action == "down":
                prompt = await query.message.reply_text(texts.FEEDBACK_REASON, reply_markup=REASON_PROMPT)
                context.chat_data["awaiting_reason"] = {"answer_id": answer["answer_id"], "prompt_id": prompt.message_id}
        elif action == "src":
            await query.answer()
            await reply_parts(query.message, render.render_sources(answer["citations"], api_url))
        elif action == "more":
            wait = wait_before_next_question(update, context)
            if wait:
                return await query.answer(texts.RATE_LIMITED.format(seconds=wait), show_alert=True)
            await query.answer()
            results = (await client(context).search(stored["question"], k=MORE_RESULTS + len(stored["shown"])))["results"]
            fresh = [r for r in results if r["document_id"] not in stored["shown"]][:MORE_RESULTS]
            stored["shown"] |= {r["document_id"] for r in fresh}
            text = render.render_results(fresh, texts.MORE_HEADER, api_url) if fresh else texts.NO_MORE
            await reply_parts(query.message, text)
        else:
            await query.answer()
    except ApiError as error:
        await query.message.reply_text(api_error_text(error))


# ---------------------------------------------------------------------------------- other updates

async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.inline_query.query.strip()
    if not text or not is_allowed(update, context):
        return await update.inline_query.answer([], cache_time=5)
    wait = wait_before_next_question(update, context)
    if wait:
        notice = InlineQueryResultsButton(text=texts.INLINE_RATE_LIMITED.format(seconds=wait), start_parameter="limite")
        return await update.inline_query.answer([], cache_time=0, is_personal=True, button=notice)
    try:
        results = (await client(context).search(text, k=MORE_RESULTS))["results"]
    except ApiError:
        return await update.inline_query.answer([], cache_time=5)
    api_url = settings(context).api_url
    articles = [
        InlineQueryResultArticle(
            id=result["chunk_id"][-64:] if len(result["chunk_id"]) <= 64 else secrets.token_hex(8),
            title=result["title"][:256],
            description=re.sub(r"</?mark>", "", html.unescape(result["snippet"]))[:200],
            url=render.absolute(result["url"], api_url),
            input_message_content=InputTextMessageContent(
                render.render_results([result], f"<b>{html.escape(text)}</b>", api_url), parse_mode=ParseMode.HTML,
                disable_web_page_preview=True),
        )
        for result in results
    ]
    await update.inline_query.answer(articles, cache_time=30)


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, files, voice, stickers…: a short note in private chats, silence in groups."""
    if update.effective_chat and update.effective_chat.type == ChatType.PRIVATE and is_allowed(update, context):
        await update.effective_message.reply_text(texts.UNSUPPORTED)


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edited messages are not answered again (the first version already was)."""
    logger.debug("Message modifié ignoré dans la conversation %s", update.effective_chat.id if update.effective_chat else "?")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    logger.error("Erreur en traitant %s", update, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(texts.ERROR)
        except Exception:  # the error may come from Telegram itself; nothing more to do
            logger.warning("Impossible de prévenir l'utilisateur de l'erreur")
    admin_chat = settings(context).telegram_admin_chat_id
    if admin_chat:
        summary = update.to_dict() if isinstance(update, Update) else str(update)
        text = texts.ADMIN_ERROR.format(error=repr(context.error)[:1000], update=str(summary)[:2000])
        try:
            await context.bot.send_message(admin_chat, text)
        except Exception:
            logger.warning("Impossible de transmettre l'erreur à la conversation d'administration")
