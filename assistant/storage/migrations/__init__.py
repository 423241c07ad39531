"""Versioned migrations of the records schema (Alembic), applied at start-up under a lock.

PostgreSQL: a session advisory lock, so that among replicas starting together one migrates and the others
wait, then find nothing left to do. SQLite: a lock file beside the database. A records file written before
the migrations existed is adopted by the first revision (its tables kept, missing columns added).
"""

from __future__ import annotations

import logging
from pathlib import Path

from filelock import FileLock
from sqlalchemy import Engine

FOLDER = Path(__file__).resolve().parent
ADVISORY_LOCK = 0x45434C52  # "ECLR": the key of the migration lock on PostgreSQL

logger = logging.getLogger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin lines (logged on import: Alembic is imported
# below, inside the functions) and context lines; ours says what was migrated


def config():
    from alembic.config import Config

    settings = Config()
    settings.set_main_option("script_location", str(FOLDER))
    return settings


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, sqlite_path: Path | None = None) -> str:
    """Bring the database to the latest revision; returns it. Cheap when already there (one read)."""
    latest = head()
    found = current(engine)
    if found == latest:
        return latest
    logger.info("Migration de la base de suivi : révision %s → %s", found or "initiale", latest)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({ADVISORY_LOCK})")
            connection.commit()
            try:
                _run(connection)
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({ADVISORY_LOCK})")
                connection.commit()
    else:
        lock = FileLock(f"{sqlite_path}.migration.lock") if sqlite_path else None
        if lock:
            lock.acquire()
        try:
            with engine.connect() as connection:
                _run(connection)
        finally:
            if lock:
                lock.release()
    return latest


def _run(connection) -> None:
    from alembic import command

    settings = config()
    settings.attributes["connection"] = connection
    command.upgrade(settings, "head")
    connection.commit()
