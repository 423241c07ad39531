"""Records on PostgreSQL against SQLite, and replicas: what the shared database costs /ask, and what a replica serves.

    nice .venv/bin/python benchmarks/storage.py [--asks 200] [--seconds 30] [--clients 8]

1. /ask p50 and p95 over HTTP, one service on SQLite and one on PostgreSQL (a throwaway server from Debian's
   binaries, as in the tests), the same model and index, questions alternated between them so that both see the
   same machine noise. Target (issue #14): PostgreSQL at most 3 ms above SQLite.
2. Database round trips on the request path of /ask (PostgreSQL), counted with SQLAlchemy events: statements,
   transactions (each a BEGIN and a COMMIT sent by psycopg), for a new conversation and for a follow-up. Target: 2.
   The key's budget is a busy agency's (6,000 tokens a minute): its replica spends a reserve of it locally and
   renews it in the background; those statements are counted apart, off the request path.
3. Throughput of 1 and then 2 real replicas (``eclaireur serve`` processes on one PostgreSQL and one index), closed
   loop of ``--clients`` agents asking; CPU ms and memory (RSS) per replica and per request, read from /proc.

The machine's cores are shared with other work: compare the rows of one run, not numbers across runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "storage")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pgserver import PostgresServer, unavailable_reason  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from replicas import Replica, fleet_environment  # noqa: E402
from sqlalchemy import Engine, event  # noqa: E402
from support import LiveServer  # noqa: E402

from assistant.api.app import create_app  # noqa: E402
from assistant.service import Eclaireur  # noqa: E402
from assistant.settings import Settings  # noqa: E402

KEY = "cle-banc-stockage-0001-0123456789"
ADMIN = "cle-banc-admin-0002-0123456789"
QUESTIONS = ["Qu'est-ce qu'un laboratoire d'innovation publique ?", "Qui coordonne le Mois de l'innovation publique ?",
             "Qu'est-ce que le droit à l'erreur ?", "Comment tester un prototype avec des usagers ?",
             "Une collectivité peut-elle expérimenter une loi ?", "Où trouver un designer pour mon service ?"]
FOLLOW_UP = "et pour une collectivité ?"
BACKGROUND_THREADS = "eclaireur-"  # how the service names its own threads


class RoundTrips:
    """Counts what every engine of this process sends to its database: statements, BEGINs, COMMITs and ROLLBACKs,
    and apart from them the statements of the service's background threads (the rate limit's reserves, the poll
    for new builds), which no request waits for."""

    def __init__(self) -> None:
        self.statements = self.begins = self.ends = self.background = 0
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "begin", self._begin)
        event.listen(Engine, "commit", self._end)
        event.listen(Engine, "rollback", self._end)

    def _statement(self, *args) -> None:
        if threading.current_thread().name.startswith(BACKGROUND_THREADS):
            self.background += 1
        else:
            self.statements += 1

    def _begin(self, connection) -> None:
        self.begins += not autocommit(connection)

    def _end(self, connection) -> None:
        self.ends += not autocommit(connection)

    def reset(self) -> tuple[int, int, int]:
        counts = (self.statements, self.begins, self.ends)
        self.statements = self.begins = self.ends = 0
        return counts


def autocommit(connection) -> bool:
    """A statement on such a connection commits by itself: no BEGIN or COMMIT goes to the server."""
    return connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def compare_backends(work: Path, postgres: PostgresServer, asks: int) -> dict:
    base = Settings(_env_file=None, corpus_dir=ROOT / "corpus", index_dir=work / "index", records_path=work / "records.sqlite",
                    api_keys=[KEY], rate_limit_per_minute=6_000, query_cache_size=0)
    sqlite = Eclaireur(base)
    sqlite.ensure_index()
    on_postgres = Eclaireur(base.model_copy(update={"database_url": SecretStr(postgres.database())}), embedder=sqlite.embedder)
    on_postgres.reload()
    trips_counter = RoundTrips()
    latencies: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}
    per_ask: dict[str, list[tuple[int, int, int]]] = {"nouvelle conversation": [], "question de suivi": []}
    with LiveServer(create_app(base, service=sqlite)) as a, LiveServer(create_app(on_postgres.settings, service=on_postgres)) as b:
        clients = {"SQLite": httpx.Client(base_url=a.url, headers={"X-API-Key": KEY}, timeout=60),
                   "PostgreSQL": httpx.Client(base_url=b.url, headers={"X-API-Key": KEY}, timeout=60)}
        for client in clients.values():  # warm-up: connections, caches, the model's first runs
            for question in QUESTIONS:
                client.post("/ask", json={"question": question}).raise_for_status()
        for number in range(asks):
            question = QUESTIONS[number % len(QUESTIONS)]
            for name in (("SQLite", "PostgreSQL") if number % 2 else ("PostgreSQL", "SQLite")):
                trips_counter.reset()
                started = time.perf_counter()
                response = clients[name].post("/ask", json={"question": question})
                latencies[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                if name == "PostgreSQL":
                    per_ask["nouvelle conversation"].append(trips_counter.reset())
                    follow = clients[name].post("/ask", json={"question": FOLLOW_UP,
                                                              "conversation_id": response.json()["conversation_id"]})
                    follow.raise_for_status()
                    per_ask["question de suivi"].append(trips_counter.reset())
        for client in clients.values():
            client.close()
    trips = {kind: {"median": np.median(np.array(rows), axis=0), "max": max(sum(row) for row in rows)}
             for kind, rows in per_ask.items()}
    return {"latencies": latencies, "trips": trips, "background": trips_counter.background, "asks": 2 * asks}


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def throughput(work: Path, postgres: PostgresServer, replicas: int, seconds: float, clients: int) -> dict:
    environment = fleet_environment(work, postgres.database(), ROOT / "models" / "multilingual-e5-small", KEY, ADMIN)
    environment["ECLAIREUR_CORPUS_DIR"] = str(ROOT / "corpus")
    servers = [Replica(work, environment) for _ in range(replicas)]
    try:
        for server in servers:
            server.wait_ready()
        for server in servers:
            for question in QUESTIONS:
                httpx.post(server.url + "/ask", json={"question": question}, headers={"X-API-Key": KEY}, timeout=60)
        cpu_before = [proc_cpu_seconds(s.process.pid) for s in servers]
        done, failed, stop = [0], [0], threading.Event()

        def agent(number: int) -> None:
            with httpx.Client(base_url=servers[number % replicas].url, headers={"X-API-Key": KEY}, timeout=60) as client:
                turn = number
                while not stop.is_set():
                    turn += 1
                    ok = client.post("/ask", json={"question": QUESTIONS[turn % len(QUESTIONS)]}).status_code == 200
                    done[0] += ok
                    failed[0] += not ok

        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            for number in range(clients):
                pool.submit(agent, number)
            time.sleep(seconds)
            stop.set()
        elapsed = time.monotonic() - started
        cpu = sum(proc_cpu_seconds(s.process.pid) - before for s, before in zip(servers, cpu_before))
        return {"replicas": replicas, "per_second": done[0] / elapsed, "failed": failed[0],
                "cpu_ms": cpu * 1000 / max(done[0], 1), "rss_mb": [proc_rss_mb(s.process.pid) for s in servers]}
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=200, help="questions par base (alternées)")
    parser.add_argument("--seconds", type=float, default=30, help="durée de chaque mesure de débit")
    parser.add_argument("--clients", type=int, default=8, help="agents simultanés pour le débit")
    args = parser.parse_args()
    for name in ("httpx", "assistant", "mcp", "uvicorn"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if reason := unavailable_reason():
        print(reason)
        return 1
    postgres = PostgresServer()
    try:
        with tempfile.TemporaryDirectory(prefix="eclaireur-stockage-") as folder:
            work = Path(folder)
            backends = compare_backends(work, postgres, args.asks)
            runs = [throughput(work, postgres, replicas, args.seconds, args.clients) for replicas in (1, 2)]
    finally:
        postgres.close()

    cores = os.cpu_count()
    print(f"\n## Base de suivi et répliques — corpus fourni, {platform.machine()}, {cores} cœurs partagés\n")
    print("| base | /ask p50 | /ask p95 | questions |")
    print("|---|---|---|---|")
    for name, values in backends["latencies"].items():
        print(f"| {name} | {percentile(values, 50):.1f} ms | {percentile(values, 95):.1f} ms | {len(values)} |")
    gap = percentile(backends["latencies"]["PostgreSQL"], 50) - percentile(backends["latencies"]["SQLite"], 50)
    print(f"\nÉcart des p50 : {gap:+.1f} ms (cible : ≤ 3 ms).\n")
    print("| /ask sur PostgreSQL | requêtes SQL (médiane) | transactions (médiane) | allers-retours, médiane | "
          "allers-retours, maximum |")
    print("|---|---|---|---|---|")
    for kind, trips in backends["trips"].items():
        statements, begins, ends = trips["median"]
        print(f"| {kind} | {statements:.0f} | {begins:.0f} | {statements + begins + ends:.0f} | {trips['max']} |")
    print(f"\nHors du chemin des requêtes : {backends['background']} requêtes SQL en arrière-plan (réserves de jetons, "
          f"suivi des constructions) pendant {backends['asks']} /ask.\n")
    print(f"\n| répliques | /ask par s ({args.clients} agents) | échecs | CPU par question | mémoire par réplique (RSS) |")
    print("|---|---|---|---|---|")
    for run in runs:
        print(f"| {run['replicas']} | {run['per_second']:.1f} | {run['failed']} | {run['cpu_ms']:.0f} ms | "
              f"{' / '.join(f'{rss:.0f} Mo' for rss in run['rss_mb'])} |")
    cpu_ms = runs[0]["cpu_ms"]
    print(f"\nUne question coûte {cpu_ms:.0f} ms de CPU : un cœur sert ≈ {1000 / cpu_ms:.0f} /ask par s ; "
          f"N répliques sur des machines de C cœurs libres ≈ N × C × {1000 / cpu_ms:.0f} /ask par s "
          f"(une réplique par 2 cœurs, {runs[0]['rss_mb'][0]:.0f} Mo chacune).")
    print(f"\nReproduire : nice .venv/bin/python benchmarks/storage.py --asks {args.asks} --seconds {args.seconds:g} "
          f"--clients {args.clients}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
