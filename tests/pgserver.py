"""A throwaway PostgreSQL for the tests, from Debian's server binaries (``apt-get install postgresql``).

``initdb`` in a temporary folder, ``pg_ctl`` on a free loopback port (no Unix socket), trust authentication,
durability off (it is thrown away). ``initdb`` refuses to run as root: as root, the server runs as the
``postgres`` system user. ``stop`` and ``start`` let a test cut the database mid-run and bring it back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from support import free_port

BINARIES = [Path("/usr/lib/postgresql") / version / "bin" for version in ("17", "16", "15")]
SETTINGS = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": "''", "fsync": "off", "synchronous_commit": "off",
            "full_page_writes": "off", "max_connections": "200", "shared_buffers": "32MB", "log_min_messages": "warning"}


def server_binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None when PostgreSQL's server is not installed."""
    for folder in BINARIES:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def unavailable_reason() -> str | None:
    if server_binaries() is None:
        return ("Serveur PostgreSQL absent (/usr/lib/postgresql/*/bin/initdb) : installez-le avec "
                "« apt-get install postgresql » (ou lancez « make test » en root).")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "En root, runuser est nécessaire pour lancer PostgreSQL sous l'utilisateur postgres."
    return None


class PostgresServer:
    """One server, one folder; ``database()`` gives each test its own empty database."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="eclaireur-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("".join(f"{name} = {value}\n" for name, value in {**SETTINGS, "port": str(self.port)}.items()))
        self.start()

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def url_of(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def database(self) -> str:
        """A new empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.sql(f"CREATE DATABASE {name}")
        return self.url_of(name)

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(statement)

    def start(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` closes the connections; ``immediate`` is a crash (no shutdown checkpoint)."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, *command) -> None:
        completed = subprocess.run([*self.as_postgres, *map(str, command)], capture_output=True, text=True, cwd=self.folder)
        if completed.returncode != 0:
            raise RuntimeError(f"{command[0]} a échoué : {completed.stderr or completed.stdout}")
