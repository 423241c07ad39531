"""A live API with keys for the MCP tests (the shipped corpus, the real model)."""

from __future__ import annotations

import pytest
from mcp_clients import ADMIN_KEY, SEARCH_KEY
from support import LiveServer


@pytest.fixture(scope="module")
def mcp_api(default_service):
    """The shipped corpus behind an API with a ``search`` and an ``admin`` key."""
    from assistant.api.app import create_app

    settings = default_service.settings.model_copy(update={"api_keys": [SEARCH_KEY], "admin_api_keys": [ADMIN_KEY]})
    with LiveServer(create_app(settings, service=default_service)) as server:
        yield server
