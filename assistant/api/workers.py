"""``eclaireur serve --workers N``: N server processes on one port, each with its own model, sharing the records
database and the index folder (the state that used to live in one process's memory).

Each worker binds the port with ``SO_REUSEPORT`` and the kernel spreads new connections among them. The index is
brought up to date once, by ``eclaireur index``, before the workers start (they would otherwise each build it).
A worker that dies is started again; SIGTERM or SIGINT stops them all.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time

logger = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 1.0
STOP_SECONDS = 30


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other processes may bind too: the kernel shares the connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class Workers:
    """Starts, watches and stops the worker processes (``eclaireur serve --reuse-port``)."""

    def __init__(self, count: int, host: str, port: int) -> None:
        self.command = [sys.executable, "-m", "assistant.cli", "serve", "--host", host, "--port", str(port), "--reuse-port"]
        self.count = count
        self.processes: list[subprocess.Popen] = []
        self.stopping = False

    def run(self) -> int:
        prepared = subprocess.run([sys.executable, "-m", "assistant.cli", "index"], stdout=subprocess.DEVNULL)
        if prepared.returncode != 0:
            logger.warning("Index non mis à jour avant le démarrage des workers : ils servent le dernier index complet.")
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        self.processes = [subprocess.Popen(self.command) for _ in range(self.count)]
        logger.info("%d workers démarrés (chacun charge le modèle et l'index)", self.count)
        while not self.stopping:
            for number, process in enumerate(self.processes):
                if process.poll() is not None and not self.stopping:
                    logger.warning("Worker %d arrêté (code %s) : redémarrage", process.pid, process.returncode)
                    self.processes[number] = subprocess.Popen(self.command)
            time.sleep(RESTART_PAUSE_SECONDS)
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
        return 0

    def _stop(self, signum, frame) -> None:
        self.stopping = True
