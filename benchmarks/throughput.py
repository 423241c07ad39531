"""`/search` throughput and latency under concurrent clients, with cross-request batching off, then on with each
maximum wait for company (``ECLAIREUR_BATCH_MAX_WAIT_MS``).

    .venv/bin/python benchmarks/throughput.py [--corpus DIR] [--clients 1,4,16,64] [--seconds 20] [--waits 2]

Each client sends its next `/search` as soon as the previous one is answered (closed loop, keep-alive).
Every query is distinct within a run (585 real questions cycled, query cache off), so neither the cache nor
the de-duplication of identical texts inside a batch helps. Target (issue #6): at 16 clients, at least 2x
the requests/s of batching off, with p95 no worse.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from serving import start_server  # noqa: E402

from assistant.cli import eval_index_dir  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
QUESTION_FILES = ("corpus-real-dev-questions.jsonl", "spf-qr-questions.jsonl")


@dataclass
class LoadResult:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


async def closed_loop(base: str, clients: int, seconds: float, queries: itertools.cycle) -> LoadResult:
    """``clients`` concurrent loops, each sending its next query when the previous one is answered."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get("/search", params={"q": next(queries)})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return LoadResult(clients, len(latencies), errors, elapsed, latencies)


def measure(index_dir: Path, corpus: Path, batching: dict[str, str], client_counts: list[int], seconds: float,
            questions: list[str]) -> list[LoadResult]:
    with tempfile.TemporaryDirectory(prefix="eclaireur-throughput-") as scratch:
        server, base = start_server(Path(scratch) / "records.sqlite", ECLAIREUR_CORPUS_DIR=str(corpus),
                                    ECLAIREUR_INDEX_DIR=str(index_dir), **batching)
        try:
            queries = itertools.cycle(questions)
            asyncio.run(closed_loop(base, 4, 3, queries))  # warm-up: model, FAISS, connections
            return [asyncio.run(closed_loop(base, clients, seconds, queries)) for clients in client_counts]
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--waits", default="2", help="attentes maximales (ms) à comparer, regroupement actif")
    args = parser.parse_args()
    client_counts = [int(n) for n in args.clients.split(",")]
    questions = [json.loads(line)["question"] for name in QUESTION_FILES if (SHARED / "eval-dev" / name).exists()
                 for line in (SHARED / "eval-dev" / name).open(encoding="utf-8")]
    if not args.corpus.is_dir() or not questions:
        raise SystemExit(f"corpus ou questions absents ({args.corpus}, {SHARED / 'eval-dev'})")

    settings = Settings(_env_file=None)
    index_dir = eval_index_dir(settings.corpus(args.corpus), settings)  # the index `eclaireur eval` caches, reused
    report = build_index(settings.corpus(args.corpus), index_dir, settings.index_config())
    configurations = {"sans regroupement": {"ECLAIREUR_BATCHING": "false"}} | {
        f"regroupement, attente {wait} ms": {"ECLAIREUR_BATCHING": "true", "ECLAIREUR_BATCH_MAX_WAIT_MS": wait}
        for wait in args.waits.split(",")}
    results = {name: measure(index_dir, args.corpus, env, client_counts, args.seconds, questions)
               for name, env in configurations.items()}

    print(f"\n## Débit de /search — {args.corpus.name} ({report.chunks} passages), moteur {settings.encoder}, "
          f"{len(questions)} questions distinctes, {args.seconds:.0f} s par mesure\n")
    print("| clients | " + " | ".join(f"{name} : req/s, p50 / p95 (ms)" for name in results) + " | erreurs |")
    print("|---|" + "---|" * len(results) + "---|")
    baseline = results["sans regroupement"]
    for row, clients in enumerate(client_counts):
        cells = [f"{runs[row].per_second:.1f} ({runs[row].per_second / baseline[row].per_second:.2f} ×), "
                 f"{runs[row].percentile(50):.0f} / {runs[row].percentile(95):.0f}" for runs in results.values()]
        print(f"| {clients} | " + " | ".join(cells) + f" | {sum(runs[row].errors for runs in results.values())} |")
    print(f"\nMachine : {platform.processor() or platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()}; "
          f"client et serveur sur la même machine. Lots de {settings.batch_max_size} textes au plus.")
    print(f"Commande : .venv/bin/python benchmarks/throughput.py --corpus {args.corpus} --clients {args.clients} "
          f"--seconds {args.seconds:g} --waits {args.waits}")

if __name__ == "__main__":
    main()
