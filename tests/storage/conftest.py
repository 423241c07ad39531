"""The records tests run once per backend: a SQLite file, and a database on the throwaway PostgreSQL server."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database_location(request, tmp_path):
    """Where a fresh, empty records database lives: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "records.sqlite"
    return request.getfixturevalue("postgres").database()
