"""The Telegram bot: agents ask questions in Telegram, the bot asks the Éclaireur API over HTTP."""
