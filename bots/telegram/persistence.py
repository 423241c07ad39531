"""What the bot keeps across restarts, with python-telegram-bot's persistence: each chat's recent answers (behind
their 👍/👎, « Sources » and « Plus de résultats » buttons) and conversation, each user's question window.

In a file by default (``PicklePersistence``); in the records database when ``ECLAIREUR_DATABASE_URL`` is set, so
that a bot moved to another machine, or started again elsewhere, finds it. ``bot_data`` holds the API client and
the settings, rebuilt at each start: it is not stored.
"""

from __future__ import annotations

import asyncio
import pickle
from datetime import UTC, datetime

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput, PicklePersistence

from assistant.storage import Database
from assistant.storage.schema import bot_state
from assistant.storage.upsert import upsert

from .settings import BotSettings

STORED = PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False)


def persistence(settings: BotSettings) -> BasePersistence | None:
    """The database when one is configured, else the file; None when neither is (state kept in memory only)."""
    seconds = settings.telegram_persistence_seconds
    if settings.database_url:
        return DatabasePersistence(Database(settings.database_url.get_secret_value()), seconds)
    if settings.telegram_persistence_file:
        settings.telegram_persistence_file.parent.mkdir(parents=True, exist_ok=True)
        return PicklePersistence(settings.telegram_persistence_file, store_data=STORED, update_interval=seconds)
    return None


class DatabasePersistence(BasePersistence):
    """Users' and chats' data as pickled rows of ``bot_state``; the database calls run off the event loop."""

    def __init__(self, database: Database, update_interval: float) -> None:
        super().__init__(store_data=STORED, update_interval=update_interval)
        self.database = database

    async def get_user_data(self) -> dict[int, dict]:
        return await asyncio.to_thread(self._load, "user")

    async def get_chat_data(self) -> dict[int, dict]:
        return await asyncio.to_thread(self._load, "chat")

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await asyncio.to_thread(self._save, "user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await asyncio.to_thread(self._save, "chat", chat_id, data)

    async def drop_user_data(self, user_id: int) -> None:
        await asyncio.to_thread(self._drop, "user", user_id)

    async def drop_chat_data(self, chat_id: int) -> None:
        await asyncio.to_thread(self._drop, "chat", chat_id)

    def _load(self, kind: str) -> dict[int, dict]:
        with self.database.transaction() as db:
            rows = db.execute(select(bot_state.c.id, bot_state.c.data).where(bot_state.c.kind == kind)).all()
        return {int(row.id): pickle.loads(row.data) for row in rows}

    def _save(self, kind: str, key: int, data: dict) -> None:
        with self.database.transaction() as db:
            db.execute(upsert(db, bot_state, {"kind": kind, "id": str(key), "data": pickle.dumps(data),
                                              "updated_at": datetime.now(UTC).isoformat()}))

    def _drop(self, kind: str, key: int) -> None:
        with self.database.transaction() as db:
            db.execute(delete(bot_state).where(bot_state.c.kind == kind, bot_state.c.id == str(key)))

    # Not stored (see STORED): bot_data, callback data, conversation handlers.
    async def get_bot_data(self) -> dict:
        return {}

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data) -> None:
        return None

    async def get_conversations(self, name: str) -> dict:
        return {}

    async def update_conversation(self, name: str, key, new_state) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def flush(self) -> None:
        return None
