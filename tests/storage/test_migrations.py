"""The schema is versioned: numbered revisions in one chain, equal to ``schema.py``, applied once under a lock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from assistant.storage import Database
from assistant.storage.migrations import FOLDER, config, current, head
from assistant.storage.schema import metadata


def test_revisions_are_numbered_files_in_a_single_chain():
    scripts = ScriptDirectory.from_config(config())
    files = sorted(p.name for p in (FOLDER / "versions").glob("*.py"))
    assert files and all(re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", name) for name in files), files
    assert len(scripts.get_heads()) == 1, "two revisions chain on the same parent: renumber the newer one"
    numbers = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert numbers == [name[:4] for name in files]


def test_the_migrated_database_matches_the_declared_schema(database_location):
    database = Database(database_location)
    assert database.upgrade() == head()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_replicas_starting_together_migrate_once_and_all_find_the_latest_revision(database_location):
    replicas = [Database(database_location) for _ in range(4)]
    with ThreadPoolExecutor(len(replicas)) as pool:
        revisions = list(pool.map(lambda database: database.upgrade(), replicas))
    assert revisions == [head()] * len(replicas)
    with replicas[0].engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]


def test_db_upgrade_command_migrates_the_configured_database(postgres, tmp_path):
    url = postgres.database()
    environment = {**os.environ, "ECLAIREUR_DATABASE_URL": url, "ECLAIREUR_RECORDS_PATH": str(tmp_path / "unused.sqlite")}
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "db", "upgrade"], env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"schéma à jour (révision {head()})" in result.stdout
    assert current(Database(url).engine) == head()
    assert not (tmp_path / "unused.sqlite").exists()
