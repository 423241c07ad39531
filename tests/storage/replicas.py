"""Real replicas for the fleet tests: ``eclaireur serve`` processes configured by ``ECLAIREUR_*`` variables, sharing
one PostgreSQL database and one index folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support import PROJECT_ROOT, free_port

START_SECONDS = 180


class Replica:
    """One ``eclaireur serve`` (``--workers`` and more arguments optional); its log in ``work``."""

    def __init__(self, work: Path, environment: dict[str, str], *arguments: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / f"replique-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(self.port), *arguments],
                                        cwd=work, env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | environment,
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not self.ready():
            assert self.process.poll() is None, f"la réplique s'est arrêtée :\n{self.log()}"
            assert time.monotonic() < deadline, f"la réplique n'a pas démarré :\n{self.log()}"
            time.sleep(0.2)

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def health(self) -> dict:
        return httpx.get(self.url + "/health", timeout=10).json()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def fleet_environment(work: Path, database_url: str, model_path: Path, search_key: str, admin_key: str) -> dict[str, str]:
    """The settings every replica shares: the database, the corpus and index folders, the model, the keys."""
    return {"ECLAIREUR_DATABASE_URL": database_url, "ECLAIREUR_CORPUS_DIR": str(work / "corpus"),
            "ECLAIREUR_INDEX_DIR": str(work / "index"), "ECLAIREUR_RECORDS_PATH": str(work / "inutilise.sqlite"),
            "ECLAIREUR_MODEL_PATH": str(model_path), "ECLAIREUR_LOG_LEVEL": "INFO", "ECLAIREUR_BUILD_POLL_SECONDS": "0.5",
            "ECLAIREUR_RATE_LIMIT_PER_MINUTE": "100000", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "ECLAIREUR_API_KEYS": json.dumps([search_key]), "ECLAIREUR_ADMIN_API_KEYS": json.dumps([admin_key])}
