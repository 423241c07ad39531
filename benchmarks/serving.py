"""A real `eclaireur serve` process on a free loopback port, for the benchmarks that measure over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Every query really encoded (no cache), and no rate limit in the way of a benchmark.
BENCHMARK_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ECLAIREUR_QUERY_CACHE_SIZE": "0",
                 "ECLAIREUR_IP_RATE_LIMIT_PER_MINUTE": "1000000"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"le serveur {base} n'a pas répondu")


def start_server(records: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """`eclaireur serve` with the benchmark settings plus ``env``; returns the process and its base URL."""
    port = free_port()
    environment = os.environ | BENCHMARK_ENV | {"ECLAIREUR_RECORDS_PATH": str(records)} | env
    command = [str(Path(sys.executable).parent / "eclaireur"), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base)
    return server, base
