"""Search-core speed on corpus-real: indexing throughput, query latency, HTTP overhead, no-change re-index.

    .venv/bin/python benchmarks/search_core.py [--corpus DIR] [--questions FILE] [--repeat 3]

Prints a Markdown table and the command that reproduces it. Targets (issue #2): indexing >= 0.9x raw
``model.encode`` throughput on the same chunks; hybrid query p50 <= 1.3x (query encoding + FAISS
search); ``/search`` over HTTP adds <= 5 ms at p50; a no-change re-index < 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from serving import start_server  # noqa: E402

from assistant.retrieval import Retriever  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.snapshot import IndexSnapshot  # noqa: E402
from index.sources import CorpusFolder  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval-dev" / "corpus-real-dev-questions.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        args.corpus, args.questions = ROOT / "corpus", None
        print(f"corpus-real absent : mesure sur le corpus fourni ({args.corpus})", file=sys.stderr)

    settings = Settings(_env_file=None)
    config = settings.index_config()
    # No query cache: every timed query must really be encoded, as a new question would be.
    embedder = Embedder(settings.model_path, batch_size=settings.embedding_batch_size, engine=settings.encoder)
    work = Path(tempfile.mkdtemp(prefix="eclaireur-bench-"))
    rows: list[tuple[str, str, str, str]] = []
    try:
        # 1. Indexing throughput vs raw model.encode on the same chunk texts.
        index_dir = work / "index"
        build_ms, report = timed(build_index, CorpusFolder(args.corpus), index_dir, config, embedder=embedder)
        snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
        texts = [chunk.embedding_text for chunk in snapshot.chunks.iter_chunks()]
        raw_ms, _ = timed(embedder.encode_passages, texts)
        build_rate, raw_rate = len(texts) / build_ms * 1000, len(texts) / raw_ms * 1000
        rows.append(("indexation complète (lecture, découpage, encodage, écriture)", f"{build_rate:.1f} passages/s",
                     f"{build_rate / raw_rate:.2f} × model.encode ({raw_rate:.1f} passages/s)", ">= 0.9 ×"))

        # 2. No-change re-index: in-process, and as the CLI a user runs.
        again_ms, again = timed(build_index, CorpusFolder(args.corpus), index_dir, config, embedder=lambda: None)
        assert again.up_to_date and again.chunks_embedded == 0
        env = os.environ | {"ECLAIREUR_CORPUS_DIR": str(args.corpus), "ECLAIREUR_INDEX_DIR": str(index_dir)}
        cli_ms, _ = timed(subprocess.run, [str(ROOT / ".venv" / "bin" / "eclaireur"), "index"], env=env, check=True,
                          capture_output=True)
        rows.append(("ré-indexation sans changement", f"{again_ms / 1000:.2f} s (commande complète : {cli_ms / 1000:.2f} s)",
                     f"{report.files_seen} fichiers vérifiés, 0 encodé", "< 3 s"))

        # 3. Query latency in-process: hybrid vs (query encoding + FAISS search) alone.
        questions = [json.loads(line)["question"] for line in args.questions.open()] if args.questions else [
            "Quand a lieu le Mois de l'innovation publique ?", "créer un laboratoire d'innovation", "droit à l'erreur"]
        retriever = Retriever(snapshot, embedder, settings.retrieval_config())
        for question in questions[:5]:
            retriever.search(question)  # warm-up
        dense_only, hybrid = [], []
        for _ in range(args.repeat):
            for question in questions:
                dense_only.append(timed(lambda q: snapshot.vectors.search(embedder.encode_queries([q]), settings.candidates), question)[0])
                hybrid.append(timed(retriever.search, question, 10, "hybrid")[0])
        rows.append(("requête hybride en processus, p50 / p95", f"{percentile(hybrid, 50):.1f} / {percentile(hybrid, 95):.1f} ms",
                     f"{percentile(hybrid, 50) / percentile(dense_only, 50):.2f} × "
                     f"(encodage + FAISS : {percentile(dense_only, 50):.1f} ms)",
                     "<= 1.3 ×"))

        # 4. /search over HTTP against a real server process.
        server, base = start_server(work / "records.sqlite", ECLAIREUR_CORPUS_DIR=str(args.corpus),
                                    ECLAIREUR_INDEX_DIR=str(index_dir))
        try:
            http, server_side = [], []
            with httpx.Client(base_url=base, timeout=30) as client:
                for question in questions[:5]:
                    client.get("/search", params={"q": question})
                for _ in range(args.repeat):
                    for question in questions:
                        elapsed, response = timed(client.get, "/search", params={"q": question})
                        response.raise_for_status()
                        http.append(elapsed)
                        server_side.append(response.json()["took_ms"])
            overhead = percentile(http, 50) - percentile(hybrid, 50)
            rows.append(("/search en HTTP (client httpx, keep-alive), p50 / p95",
                         f"{percentile(http, 50):.1f} / {percentile(http, 95):.1f} ms",
                         f"+{overhead:.1f} ms sur la requête en processus (serveur : {percentile(server_side, 50):.1f} ms)", "<= +5 ms"))
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n## Cœur de recherche — {args.corpus.name} ({report.documents} documents, {report.chunks} passages, "
          f"{len(questions)} questions × {args.repeat})\n")
    print("| mesure | valeur | comparaison | cible |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nMachine : {platform.processor() or platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()}.")
    print(f"Commande : .venv/bin/python benchmarks/search_core.py --corpus {args.corpus} --repeat {args.repeat}")


if __name__ == "__main__":
    main()
