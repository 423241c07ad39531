"""The bot's settings (``ECLAIREUR_*`` variables): it needs the API's address and key, never the index."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECLAIREUR_", env_file=".env", extra="ignore")

    telegram_token: SecretStr = Field(SecretStr(""), description="Jeton donné par @BotFather")
    telegram_api_base_url: str = Field("https://api.telegram.org/bot", description="Serveur de l'API Bot (tests : local)")
    api_url: str = Field("http://127.0.0.1:8000", description="Adresse de l'API Éclaireur")
    bot_api_key: SecretStr | None = Field(None, description="Clé d'API Éclaireur du bot (portée search)")
    api_timeout_seconds: float = Field(30.0, gt=0)

    telegram_allowed_users: list[int] = Field(default_factory=list, description="Identifiants autorisés (vide : tous)")
    telegram_allowed_chats: list[int] = Field(default_factory=list, description="Groupes autorisés (vide : tous)")
    telegram_admin_chat_id: int | None = Field(None, description="Conversation qui reçoit les erreurs du bot")
    telegram_questions_per_minute: int = Field(10, ge=1, description="Questions par minute et par utilisateur")
    telegram_concurrent_updates: int = Field(32, ge=1, description="Messages traités en parallèle")

    telegram_persistence_file: Path | None = Field(
        Path(__file__).resolve().parents[2] / "var" / "telegram-bot.pickle",
        description="Fichier où le bot garde son état (réponses derrière les boutons récents, conversations, limites "
                    "par utilisateur) d'un redémarrage à l'autre ; vide : rien n'est gardé")
    telegram_persistence_seconds: float = Field(5.0, gt=0, le=3600, description="Écriture de cet état au plus tous les N s "
                                                "(et à l'arrêt)")
    database_url: SecretStr | None = Field(None, description="Avec une base PostgreSQL (ECLAIREUR_DATABASE_URL), l'état "
                                           "du bot y est gardé plutôt que dans le fichier")

    telegram_webhook_url: str | None = Field(None, description="URL publique du webhook (sinon : polling)")
    telegram_webhook_secret: SecretStr | None = Field(None, description="Jeton secret vérifié sur chaque appel du webhook")
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
