"""The connection to the records: a SQLite file (the embedded default) or PostgreSQL shared by a fleet.

Every failure of the database itself (unreachable, locked, read-only, disk full, too slow) becomes
``RecordsUnavailable``, which callers turn into a French 503 or a skipped record; the schema is brought up to
date on first use, and again at the next call while the database is away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from .migrations import upgrade

logger = logging.getLogger(__name__)


class RecordsUnavailable(RuntimeError):
    """The records database cannot be read or written (unreachable, locked, read-only, disk full)."""


def database_url(location: str | Path) -> str:
    """A URL for SQLAlchemy: a path is a SQLite file; ``postgresql://`` uses psycopg 3."""
    text = str(location)
    if "://" not in text:
        return f"sqlite:///{Path(text)}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def redacted(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One engine (a pool of connections) and the schema, brought up to date under a lock on first use."""

    def __init__(self, location: str | Path, timeout: float = 2.0, pool_size: int = 5) -> None:
        self.url = database_url(location)
        self.timeout = timeout
        self.dialect = make_url(self.url).get_backend_name()
        self.engine = self._engine(pool_size)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @property
    def shared(self) -> bool:
        """True when several processes may share this database as a fleet (PostgreSQL)."""
        return self.dialect == "postgresql"

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server."""
        database = make_url(self.url).database
        return Path(database) if self.dialect == "sqlite" and database else None

    def describe(self) -> str:
        return str(self.path) if self.path else redacted(self.url)

    def _engine(self, pool_size: int) -> Engine:
        if self.dialect == "sqlite":
            if self.path:
                with suppress(OSError):  # an unwritable folder: reported as unavailable on first use
                    self.path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": self.timeout, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        # No ping before each use (a round trip per request): after a restart of the server, the first call on a broken
        # connection fails (a skipped record, a 503) and SQLAlchemy discards the whole pool; the next call reconnects.
        milliseconds = int(self.timeout * 1000)
        return create_engine(self.url, pool_size=pool_size, max_overflow=pool_size * 2,
                             pool_timeout=self.timeout, pool_recycle=1800,
                             connect_args={"connect_timeout": max(1, round(self.timeout)),
                                           "options": f"-c statement_timeout={milliseconds} "
                                                      f"-c lock_timeout={milliseconds}"})

    def upgrade(self) -> str:
        """Apply the pending migrations (under a lock: one process migrates, the others wait); the revision."""
        with self.unavailable_as_error():
            revision = upgrade(self.engine, self.path)
        self._schema_ready = True
        return revision

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A short transaction, committed on success; database failures raise ``RecordsUnavailable``."""
        with self.unavailable_as_error():
            self._ensure_schema()
            with self.engine.begin() as connection:
                yield connection

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection whose every statement commits at once: one round trip for a one-statement change."""
        with self.unavailable_as_error():
            self._ensure_schema()
            with self.engine.connect() as connection:
                yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            with self._schema_lock:
                if not self._schema_ready:
                    upgrade(self.engine, self.path)
                    self._schema_ready = True

    @contextmanager
    def unavailable_as_error(self) -> Iterator[None]:
        try:
            yield
        except (exc.IntegrityError, exc.ProgrammingError):
            raise
        except (exc.DBAPIError, exc.TimeoutError, OSError) as error:
            reason = getattr(error, "orig", None) or error
            raise RecordsUnavailable(f"Base de suivi indisponible ({self.describe()} : {reason}).") from error

    def ping(self) -> bool:
        """True when the database answers now (``/health``)."""
        try:
            with self.unavailable_as_error(), self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except RecordsUnavailable:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()
