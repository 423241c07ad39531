"""Fixtures of the Telegram tests: a Bot API server of our own on loopback."""

from __future__ import annotations

import pytest
from botapi import BotApiServer
from support import LiveServer


@pytest.fixture(autouse=True)
def bot_state_file(tmp_path, monkeypatch):
    """Each test's bot keeps its state in a file of its own (the default file is the project's ``var/``)."""
    path = tmp_path / "etat-du-bot.pickle"
    monkeypatch.setenv("ECLAIREUR_TELEGRAM_PERSISTENCE_FILE", str(path))
    monkeypatch.delenv("ECLAIREUR_DATABASE_URL", raising=False)
    return path


@pytest.fixture()
def telegram():
    """A fresh Bot API server per test, so that recorded calls never mix."""
    server = BotApiServer()
    with LiveServer(server.app) as live:
        server.url = live.url
        yield server
