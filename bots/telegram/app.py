"""Builds the one ``Application`` of the bot and runs it, by polling (default) or webhook."""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from . import handlers, texts
from .client import EclaireurClient
from .persistence import persistence
from .settings import BotSettings

logger = logging.getLogger(__name__)

UNSUPPORTED_CONTENT = (filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.AUDIO | filters.VIDEO
                       | filters.VIDEO_NOTE | filters.Sticker.ALL | filters.LOCATION | filters.CONTACT | filters.ANIMATION)


def build_application(settings: BotSettings) -> Application:
    token = settings.telegram_token.get_secret_value()
    if not token:
        raise ValueError("ECLAIREUR_TELEGRAM_TOKEN est vide : créez le bot avec @BotFather et renseignez son jeton.")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(settings.telegram_concurrent_updates)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    kept = persistence(settings)
    application = (builder.persistence(kept) if kept else builder).build()
    api_key = settings.bot_api_key.get_secret_value() if settings.bot_api_key else None
    application.bot_data["client"] = EclaireurClient(settings.api_url, api_key, settings.api_timeout_seconds)
    application.bot_data["settings"] = settings

    application.add_handler(CommandHandler("start", handlers.start))
    application.add_handler(CommandHandler(["aide", "help"], handlers.help_command))
    application.add_handler(CommandHandler("nouveau", handlers.new_conversation))
    application.add_handler(CommandHandler("recherche", handlers.search_command))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, handlers.question))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, handlers.edited))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & UNSUPPORTED_CONTENT, handlers.unsupported))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(handlers.inline_query))
    application.add_error_handler(handlers.on_error)
    return application


async def _post_init(application: Application) -> None:
    commands = [BotCommand(name, description) for name, description in texts.COMMANDS]
    await application.bot.set_my_commands(commands)
    await application.bot.set_my_commands(commands, language_code="fr")
    logger.info("Bot @%s prêt (API : %s)", application.bot.username, application.bot_data["settings"].api_url)


async def _post_shutdown(application: Application) -> None:
    await application.bot_data["client"].close()


def run(settings: BotSettings) -> None:
    """Polling by default; webhook when ECLAIREUR_TELEGRAM_WEBHOOK_URL is set (its secret token is checked)."""
    application = build_application(settings)
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
        if not secret:
            raise ValueError("Le mode webhook exige ECLAIREUR_TELEGRAM_WEBHOOK_SECRET (jeton vérifié à chaque appel).")
        application.run_webhook(listen=settings.telegram_webhook_listen, port=settings.telegram_webhook_port,
                                webhook_url=settings.telegram_webhook_url, secret_token=secret,
                                allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
