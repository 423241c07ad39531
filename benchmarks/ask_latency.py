"""/ask against /search over HTTP on the same questions: the reader's cost on top of retrieval.

    .venv/bin/python benchmarks/ask_latency.py [--corpus DIR] [--questions FILE] [--rounds 3] [--index DIR]

A real `eclaireur serve` on the corpus (query cache off, so every question is encoded), one client, the questions
asked in turn to /search and /ask. Target (issue #12): /ask p50 <= 2.5 x /search p50.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import start_server  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval-dev" / "corpus-real-dev-questions.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--index", type=Path, help="dossier d'index à réutiliser (par défaut : construit dans un dossier temporaire)")
    args = parser.parse_args()
    if not args.corpus.is_dir() or not args.questions.exists():
        sys.exit(f"Données absentes ({args.corpus}, {args.questions}).")
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]

    with tempfile.TemporaryDirectory() as scratch:
        server, base = start_server(Path(scratch) / "records.sqlite", ECLAIREUR_CORPUS_DIR=str(args.corpus),
                                    ECLAIREUR_INDEX_DIR=str(args.index or Path(scratch) / "index"))
        try:
            timings: dict[str, list[float]] = {"/search": [], "/ask": []}
            with httpx.Client(base_url=base, timeout=60) as client:
                client.post("/ask", json={"question": questions[0]})
                for _ in range(args.rounds):
                    for question in questions:
                        for path, call in (("/search", lambda q: client.get("/search", params={"q": q, "k": 10})),
                                           ("/ask", lambda q: client.post("/ask", json={"question": q}))):
                            started = time.perf_counter()
                            call(question).raise_for_status()
                            timings[path].append((time.perf_counter() - started) * 1000)
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"\n## /ask et /search en HTTP — {len(questions)} questions × {args.rounds}, {args.corpus.name}\n")
    print("| requête | p50 (ms) | p95 (ms) |")
    print("|---|---|---|")
    for path, values in timings.items():
        print(f"| {path} | {np.percentile(values, 50):.1f} | {np.percentile(values, 95):.1f} |")
    ratio = np.percentile(timings["/ask"], 50) / np.percentile(timings["/search"], 50)
    print(f"\n/ask p50 = {ratio:.2f} × /search p50 (cible : ≤ 2,5 ×)")
    print(f"\nCommande : .venv/bin/python benchmarks/ask_latency.py --corpus {args.corpus} --questions {args.questions} "
          f"--rounds {args.rounds}")


if __name__ == "__main__":
    main()
