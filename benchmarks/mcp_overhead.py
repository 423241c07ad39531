"""What MCP adds to a search: the tool ``rechercher`` on ``/mcp`` against ``GET /search``, same questions, same server.

    .venv/bin/python benchmarks/mcp_overhead.py [--corpus DIR] [--questions FILE] [--rounds 5] [--index DIR]

A real `eclaireur serve` (query cache off, so every question is encoded), one asyncio client for each route: httpx
keep-alive for /search, the SDK's official MCP client over Streamable HTTP for /mcp. Each question goes to both, one
right after the other, so that a busy machine slows both alike; the overhead is the median of these paired differences.
Target (issue #17): at most 5 ms at p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import httpx2
import numpy as np
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import start_server  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
QUESTIONS = ["Comment créer un laboratoire d'innovation ?", "Quand a lieu le Mois de l'innovation publique ?",
             "Qu'est-ce que le droit à l'erreur ?", "Une collectivité peut-elle expérimenter une loi ?",
             "Comment organiser un atelier de co-conception avec des usagers ?", "Comment financer un projet innovant ?",
             "Quelles méthodes de design des services publics ?", "Comment mesurer l'impact d'une expérimentation ?",
             "Qui peut participer au Mois de l'innovation ?", "Comment former les agents à l'innovation publique ?"]
K = 5


async def measure(base: str, questions: list[str], rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"/search": [], "/mcp rechercher": []}
    async with httpx.AsyncClient(base_url=base, timeout=60) as rest, httpx2.AsyncClient(timeout=60) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as mcp:
            await rest.get("/search", params={"q": questions[0], "k": K})
            await mcp.call_tool("rechercher", {"question": questions[0], "k": K})
            for _ in range(rounds):
                for question in questions:
                    started = time.perf_counter()
                    (await rest.get("/search", params={"q": question, "k": K})).raise_for_status()
                    timings["/search"].append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    result = await mcp.call_tool("rechercher", {"question": question, "k": K})
                    timings["/mcp rechercher"].append((time.perf_counter() - started) * 1000)
                    assert not result.is_error, result.content
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, help="questions JSON lines (champ question) ; par défaut : 10 questions")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--index", type=Path, help="dossier d'index à réutiliser (par défaut : construit dans un dossier temporaire)")
    args = parser.parse_args()
    questions = QUESTIONS
    if args.questions:
        questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]

    with tempfile.TemporaryDirectory() as scratch:
        server, base = start_server(Path(scratch) / "records.sqlite", ECLAIREUR_CORPUS_DIR=str(args.corpus),
                                    ECLAIREUR_INDEX_DIR=str(args.index or Path(scratch) / "index"))
        try:
            timings = asyncio.run(measure(base, questions, args.rounds))
        finally:
            server.terminate()
            server.wait(timeout=30)

    pairs = len(timings["/search"])
    print(f"\n## rechercher en MCP contre /search — {len(questions)} questions × {args.rounds}, {args.corpus.name}, k = {K}\n")
    print("| requête | p50 (ms) | p95 (ms) |")
    print("|---|---|---|")
    for route, values in timings.items():
        print(f"| {route} | {np.percentile(values, 50):.1f} | {np.percentile(values, 95):.1f} |")
    differences = np.subtract(timings["/mcp rechercher"], timings["/search"])
    print(f"\nSurcoût MCP, médiane de {pairs} différences appariées : {np.median(differences):+.1f} ms "
          f"(p50 contre p50 : {np.percentile(timings['/mcp rechercher'], 50) - np.percentile(timings['/search'], 50):+.1f} ms ; "
          "cible : ≤ 5 ms)")
    corpus = args.corpus.resolve().relative_to(ROOT) if args.corpus.resolve().is_relative_to(ROOT) else args.corpus
    command = f".venv/bin/python benchmarks/mcp_overhead.py --corpus {corpus} --rounds {args.rounds}"
    print(f"\nCommande : {command}" + (f" --questions {args.questions}" if args.questions else ""))


if __name__ == "__main__":
    main()
