"""Fair use under a flood: one key sends /ask at a fixed rate while another key searches; the second key's
/search median is measured idle, then during the flood, on a real `eclaireur serve` process.

Three servers, same index: without protection (limits lifted, no bound on work per key), with the bound on
model work per key only (rate limits lifted), and with the default settings (cost-aware rate limits too).

    .venv/bin/python benchmarks/fairness.py [--rate 8] [--seconds 20] [--index DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import BENCHMARK_ENV, ROOT, start_server  # noqa: E402

FLOODER, OTHER = "cle-du-client-qui-inonde-0123456789", "cle-de-l-autre-client-0123456789"
QUESTIONS = ["Comment créer un laboratoire d'innovation ?", "Quand a lieu le Mois de l'innovation publique ?",
             "Qu'est-ce que le droit à l'erreur ?", "Comment mesurer l'impact d'une innovation ?",
             "Comment conduire une expérimentation ?", "Qu'est-ce que le design des services publics ?"]
SEARCHES = ["laboratoire d'innovation", "droit à l'erreur", "mesure d'impact", "design des services publics",
            "expérimentation territoriale", "formation des agents", "co-conception avec les usagers", "Mois de l'innovation"]
ASK_TIMEOUT_SECONDS = 60
UNLIMITED = {"ECLAIREUR_RATE_LIMIT_PER_MINUTE": "1000000", "ECLAIREUR_IP_RATE_LIMIT_PER_MINUTE": "1000000"}
CONFIGURATIONS = {
    "sans protection": UNLIMITED | {"ECLAIREUR_MODEL_WORK_PER_CALLER": "1000", "ECLAIREUR_MODEL_QUEUE_PER_CALLER": "100000",
                                    "ECLAIREUR_MODEL_QUEUE_LIMIT": "100000"},
    "travail borné par clé": UNLIMITED,
    "réglages par défaut": {},
}


async def search_median(client: httpx.AsyncClient, seconds: float) -> tuple[float, int]:
    """The other key's searches, one at a time for ``seconds``: median latency (ms) of the answered ones."""
    latencies, deadline, turn = [], time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        response = await client.get("/search", params={"q": SEARCHES[turn % len(SEARCHES)]}, headers={"X-API-Key": OTHER})
        turn += 1
        if response.status_code == 200:
            latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies), len(latencies)


async def flood(client: httpx.AsyncClient, rate: float, seconds: float) -> dict[str, int]:
    """/ask from the flooding key at ``rate`` per second (open loop: it does not wait for answers)."""
    statuses: dict[str, int] = {}

    async def ask(question: str) -> None:
        try:
            response = await client.post("/ask", json={"question": question}, headers={"X-API-Key": FLOODER})
            status = str(response.status_code)
        except httpx.TimeoutException:
            status = f"délai > {ASK_TIMEOUT_SECONDS} s"
        statuses[status] = statuses.get(status, 0) + 1

    tasks, started = [], time.monotonic()
    for number in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        tasks.append(asyncio.create_task(ask(QUESTIONS[number % len(QUESTIONS)])))
    await asyncio.gather(*tasks)
    return statuses


async def measure(base: str, rate: float, seconds: float) -> dict:
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=ASK_TIMEOUT_SECONDS, limits=limits) as client:
        await search_median(client, 3)  # warm-up
        idle, _ = await search_median(client, seconds)
        flooding = asyncio.create_task(flood(client, rate, seconds))
        await asyncio.sleep(1)  # let the flood build up
        during, searches = await search_median(client, seconds - 1)
        statuses = await flooding
    return {"idle_ms": idle, "flood_ms": during, "ratio": during / idle, "searches": searches, "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=8.0, help="/ask par seconde de la clé qui inonde")
    parser.add_argument("--seconds", type=float, default=20.0, help="durée de chaque phase")
    parser.add_argument("--index", type=Path, help="dossier d'index du corpus par défaut (construit ou mis à jour d'abord)")
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="eclaireur-equite-") as scratch:
        index = args.index or Path(scratch) / "index"
        subprocess.run([str(Path(sys.executable).parent / "eclaireur"), "index", "--index", str(index)], cwd=ROOT, check=True,
                       env=os.environ | BENCHMARK_ENV, stdout=subprocess.DEVNULL)
        keys = {"ECLAIREUR_API_KEYS": json.dumps([FLOODER, OTHER]), "ECLAIREUR_INDEX_DIR": str(index),
                "ECLAIREUR_LINK_SIGNING_SECRET_FILE": str(Path(scratch) / "secret")}
        for name, env in CONFIGURATIONS.items():
            server, base = start_server(Path(scratch) / f"records-{len(rows)}.sqlite", **keys, **env)
            try:
                rows[name] = asyncio.run(measure(base, args.rate, args.seconds))
            finally:
                server.kill()
                server.wait()
    print(f"\nUne clé envoie /ask à {args.rate:g}/s pendant {args.seconds:g} s ; l'autre clé cherche, une requête à la fois.\n")
    print("| réglages | /search p50 au repos | /search p50 pendant l'afflux | rapport | /ask de la clé qui inonde |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        statuses = ", ".join(f"{count} × {status}" for status, count in sorted(row["statuses"].items()))
        print(f"| {name} | {row['idle_ms']:.1f} ms | {row['flood_ms']:.1f} ms | {row['ratio']:.2f} × | {statuses} |")
    print(f"\nCommande : .venv/bin/python benchmarks/fairness.py --rate {args.rate:g} --seconds {args.seconds:g}  (dossier {ROOT})")


if __name__ == "__main__":
    main()
