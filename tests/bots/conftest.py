"""Fixtures of the Telegram tests: a Bot API server of our own on loopback."""

from __future__ import annotations

import pytest
from botapi import BotApiServer
from support import LiveServer


@pytest.fixture()
def telegram():
    """A fresh Bot API server per test, so that recorded calls never mix."""
    server = BotApiServer()
    with LiveServer(server.app) as live:
        server.url = live.url
        yield server
