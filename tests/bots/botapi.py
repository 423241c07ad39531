"""A small Telegram Bot API server for the tests, on loopback: it records what the bot sends and lets a
test push updates in. Only the methods the bot uses are implemented, with Telegram's shapes."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from telegram import Update

from bots.telegram.app import build_application
from bots.telegram.settings import BotSettings

BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Éclaireur", "username": "eclaireur_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
# Methods whose only answer, for what the bot does with them, is Telegram's `true`.
ACKNOWLEDGED = {"editMessageReplyMarkup", "editMessageText", "sendChatAction", "answerCallbackQuery", "answerInlineQuery",
                "setMyCommands", "deleteWebhook", "setWebhook"}
JSON_FIELDS = {"reply_markup", "results", "button", "commands", "entities", "allowed_updates", "link_preview_options", "reply_parameters"}


class BotApiServer:
    def __init__(self) -> None:
        self.app = FastAPI()
        self.app.get("/health")(lambda: {"ok": True})
        self.app.post("/bot{token}/{method}")(self._handle)
        self._lock = threading.Lock()
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self.calls: list[tuple[str, dict]] = []
        self._returned: list[dict] = []
        self.chats: dict[int, dict] = {}

    # -- what tests do -------------------------------------------------------------------------
    def push(self, update: dict) -> dict:
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
        return update

    def message(self, text: str | None = None, user_id: int = 1001, chat_id: int | None = None, chat_type: str = "private",
                reply_to: dict | None = None, edited: bool = False, **content) -> dict:
        """Push a message (or an edited message) from a user; returns the message as Telegram sends it."""
        chat = {"id": chat_id or user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"Agent {user_id}"
        else:
            chat["title"] = "Équipe innovation"
        self.chats[chat["id"]] = chat
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": {"id": user_id, "is_bot": False, "first_name": f"Agent {user_id}", "language_code": "fr"}, **content}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edited:
            message["edit_date"] = int(time.time())
        self.push({"edited_message" if edited else "message": message})
        return message

    def click(self, sent_message: dict, data: str, user_id: int = 1001) -> None:
        self.push({"callback_query": {"id": str(next(self._update_ids)), "chat_instance": "ci",
                                      "from": {"id": user_id, "is_bot": False, "first_name": f"Agent {user_id}"},
                                      "message": sent_message, "data": data}})

    def inline(self, query: str, user_id: int = 1001) -> None:
        self.push({"inline_query": {"id": str(next(self._update_ids)), "query": query, "offset": "",
                                    "from": {"id": user_id, "is_bot": False, "first_name": f"Agent {user_id}"}}})

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls
                    if name == method and (chat_id is None or int(params.get("chat_id", 0)) == chat_id)]

    def sent_messages(self) -> list[dict]:
        """The messages as returned to the bot (with their message ids)."""
        with self._lock:
            return list(self._returned)

    def wait_for(self, method: str = "sendMessage", count: int = 1, chat_id: int | None = None, timeout: float = 60) -> list[dict]:
        """The calls of ``method`` once there are at least ``count`` of them (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.sent(method, chat_id)
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"{method} : {len(self.sent(method, chat_id))} appel(s) au lieu de {count} — {self.calls[-5:]}")

    # -- the Bot API ---------------------------------------------------------------------------
    async def _handle(self, token: str, method: str, request: Request) -> dict:
        params = await self._params(request)
        with self._lock:
            self.calls.append((method, params))
        if method in ACKNOWLEDGED:
            return {"ok": True, "result": True}
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return {"ok": False, "error_code": 404, "description": f"Not Found: method {method} not implemented here"}
        result = await handler(params) if method == "getUpdates" else handler(params)
        return {"ok": True, "result": result}

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            return json.loads(body or b"{}")
        params = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        return {k: json.loads(v) if k in JSON_FIELDS else v for k, v in params.items()}

    async def _getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset", 0) or 0)
        deadline = time.monotonic() + min(float(params.get("timeout", 0) or 0), 2.0)
        while True:
            with self._lock:  # as Telegram does, updates before ``offset`` are confirmed: forgotten, even by a new process
                self._updates = pending = [u for u in self._updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending[: int(params.get("limit", 100) or 100)]
            await asyncio.sleep(0.001)

    def _getMe(self, params: dict) -> dict:
        return BOT_USER

    def _sendMessage(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chats.get(chat_id, {"id": chat_id, "type": "private"}), "from": BOT_USER,
                   "text": params["text"]}
        if "reply_markup" in params and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        with self._lock:
            self._returned.append(message)
        return message


class BotRunner:
    """The real python-telegram-bot Application, polling the test Bot API from its own thread and loop."""

    def __init__(self, settings: BotSettings) -> None:
        self.application = build_application(settings)
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self.stopping = asyncio.Event()
        async with self.application:
            await self.application.post_init(self.application)  # as run_polling does
            await self.application.start()
            await self.application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
            self.ready.set()
            await self.stopping.wait()
            await self.application.updater.stop()
            await self.application.stop()
            await self.application.post_shutdown(self.application)

    def __enter__(self) -> BotRunner:
        self.thread.start()
        assert self.ready.wait(60), "le bot n'a pas démarré"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=30)
