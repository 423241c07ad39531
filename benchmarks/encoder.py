"""Encoder engines side by side in one run: PyTorch, ONNX Runtime fp32 and ONNX Runtime int8 (issue #11).

    nice -n 5 .venv/bin/python benchmarks/encoder.py [--corpus DIR] [--engines torch,onnx,onnx-int8]
        [--queries 200] [--chunks 256] [--seconds 20] [--asks 2000] [--rounds 1] [--latency-only]

1. In one process: one query's encoding, p50, and encoding + FAISS search (the dense half of /search), the
   engines taking turns query by query so that the machine's noise falls on all of them alike.
2. Indexing: the first ``--chunks`` passages of the corpus, each engine at its own batch size (sorted by length),
   the engines taking turns for ``--rounds`` rounds (median).
3. Over HTTP, one real `eclaireur serve` per engine, all started before measuring: /search p50 with one client
   (servers taking turns per query), each request next to the same query's encoding + FAISS search in this
   process, so that the ratio of the two sees the same machine; then requests/s with 16 clients in a closed loop,
   one server at a time.
4. Serving memory: each server's RSS just after start, then after ``--asks`` distinct /ask.
``--latency-only`` stops after the single-client /search p50 (no 16-client load, no /ask).
Query cache off in the servers (every query really encoded), as in benchmarks/throughput.py.
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
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from serving import start_server  # noqa: E402
from throughput import QUESTION_FILES, SHARED, closed_loop  # noqa: E402

from assistant.cli import eval_index_dir  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.chunking import chunk_document  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.snapshot import IndexSnapshot  # noqa: E402

ASK_VARIANTS = ("{q}", "Bonjour, {q}", "{q} Merci d'avance.", "Question d'un agent : {q}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"VmRSS absent pour le processus {pid}")


def p50(values: list[float]) -> float:
    return float(np.percentile(values, 50))


def corpus_chunks(embedder: Embedder, corpus: Path, count: int, settings: Settings) -> list[str]:
    texts: list[str] = []
    for entry in sorted(settings.corpus(corpus).scan(), key=lambda e: e.id):
        texts += [c.embedding_text for c in chunk_document(entry.load(), embedder.count_tokens, settings.chunking)]
        if len(texts) >= count:
            return texts[:count]
    return texts


def in_process(embedders: dict[str, Embedder], snapshots: dict[str, IndexSnapshot], questions: list[str],
               chunks: list[str], candidates: int, rounds: int) -> dict[str, dict[str, float]]:
    encode = {name: [] for name in embedders}
    dense = {name: [] for name in embedders}
    for embedder in embedders.values():  # warm-up: first calls allocate
        embedder.encode_queries(questions[:3])
    for question in questions:
        for name, embedder in embedders.items():
            started = time.perf_counter()
            vector = embedder.encode_queries([question])
            encoded = time.perf_counter()
            snapshots[name].vectors.search(vector, candidates)
            done = time.perf_counter()
            encode[name].append((encoded - started) * 1000)
            dense[name].append((done - started) * 1000)
    rates = {name: [] for name in embedders}
    for _ in range(rounds):
        for name, embedder in embedders.items():
            started = time.perf_counter()
            embedder.encode_passages(chunks)
            rates[name].append(len(chunks) / (time.perf_counter() - started))
    return {name: {"query_p50_ms": p50(encode[name]), "dense_p50_ms": p50(dense[name]), "chunks_per_s": p50(rates[name]),
                   "batch": embedder.batch_size} for name, embedder in embedders.items()}


def dense_ms(embedder: Embedder, snapshot: IndexSnapshot, question: str, candidates: int) -> float:
    """One query's encoding + FAISS search in this process (the dense half of /search), in ms."""
    started = time.perf_counter()
    snapshot.vectors.search(embedder.encode_queries([question]), candidates)
    return (time.perf_counter() - started) * 1000


def over_http(servers: dict[str, tuple], questions: list[str], seconds: float, asks: int, embedders: dict[str, Embedder],
              snapshots: dict[str, IndexSnapshot], candidates: int, latency_only: bool) -> dict[str, dict[str, float]]:
    results = {name: {"rss_start_mb": rss_mb(process.pid)} for name, (process, _) in servers.items()}
    latencies = {name: [] for name in servers}
    alongside = {name: [] for name in servers}
    clients = {name: httpx.Client(base_url=base, timeout=60) for name, (_, base) in servers.items()}
    try:
        for question in questions[:5]:
            for client in clients.values():
                client.get("/search", params={"q": question}).raise_for_status()
        for question in questions:
            for name, client in clients.items():
                alongside[name].append(dense_ms(embedders[name], snapshots[name], question, candidates))
                started = time.perf_counter()
                client.get("/search", params={"q": question}).raise_for_status()
                latencies[name].append((time.perf_counter() - started) * 1000)
    finally:
        for client in clients.values():
            client.close()
    for name in servers:
        results[name] |= {"search_p50_ms": p50(latencies[name]), "dense_alongside_p50_ms": p50(alongside[name])}
    if latency_only:
        return results
    for name, (_, base) in servers.items():
        load = asyncio.run(closed_loop(base, 16, seconds, itertools.cycle(questions)))
        results[name] |= {"rps_16": load.per_second,
                          "p95_16_ms": load.percentile(95), "errors_16": load.errors}
    distinct = [variant.format(q=q) for variant in ASK_VARIANTS for q in questions][:asks]
    for name, (process, base) in servers.items():
        started = time.perf_counter()
        failures = asyncio.run(ask_all(base, distinct, 4))
        results[name] |= {"rss_after_asks_mb": rss_mb(process.pid), "asks": len(distinct), "ask_failures": failures,
                          "asks_seconds": time.perf_counter() - started}
    return results


async def ask_all(base: str, questions: list[str], clients: int) -> int:
    """Every question asked once, by ``clients`` concurrent loops; returns how many failed."""
    pending = iter(questions)
    failures = 0
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        async def loop() -> None:
            nonlocal failures
            for question in pending:
                response = await client.post("/ask", json={"question": question})
                failures += response.status_code != 200

        await asyncio.gather(*(loop() for _ in range(clients)))
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--engines", default="torch,onnx,onnx-int8")
    parser.add_argument("--queries", type=int, default=200, help="questions distinctes pour les p50")
    parser.add_argument("--chunks", type=int, default=256, help="passages encodés pour le débit d'indexation")
    parser.add_argument("--seconds", type=float, default=20, help="durée de la mesure à 16 clients, par serveur")
    parser.add_argument("--asks", type=int, default=2000, help="/ask distincts avant la seconde mesure de mémoire")
    parser.add_argument("--rounds", type=int, default=1, help="tours d'indexation, moteurs en alternance (médiane)")
    parser.add_argument("--latency-only", action="store_true", help="sans la charge à 16 clients ni les /ask")
    args = parser.parse_args()
    engines = args.engines.split(",")
    questions = [json.loads(line)["question"] for name in QUESTION_FILES if (SHARED / "eval-dev" / name).exists()
                 for line in (SHARED / "eval-dev" / name).open(encoding="utf-8")]
    if not args.corpus.is_dir() or not questions:
        raise SystemExit(f"corpus ou questions absents ({args.corpus}, {SHARED / 'eval-dev'})")

    settings = Settings(_env_file=None)
    embedders = {engine: Embedder(settings.model_path, engine=engine) for engine in engines}
    index_dirs, snapshots, chunk_counts = {}, {}, {}
    for engine, embedder in embedders.items():  # the indexes `eclaireur eval --corpus` builds, reused when current
        engine_settings = settings.model_copy(update={"encoder": engine})
        index_dirs[engine] = eval_index_dir(settings.corpus(args.corpus), engine_settings)
        chunk_counts[engine] = build_index(settings.corpus(args.corpus), index_dirs[engine], engine_settings.index_config(),
                                           embedder=embedder).chunks
        snapshots[engine] = IndexSnapshot.open(index_dirs[engine], embedder.fingerprint)
    chunks = corpus_chunks(embedders[engines[0]], args.corpus, args.chunks, settings)
    local = in_process(embedders, snapshots, questions[: args.queries], chunks, settings.candidates, args.rounds)

    with tempfile.TemporaryDirectory(prefix="eclaireur-encoder-") as scratch:
        servers = {engine: start_server(Path(scratch) / f"records-{engine}.sqlite", ECLAIREUR_ENCODER=engine,
                                        ECLAIREUR_CORPUS_DIR=str(args.corpus), ECLAIREUR_INDEX_DIR=str(index_dirs[engine]))
                   for engine in engines}
        try:
            http = over_http(servers, questions[: args.queries], args.seconds, args.asks, embedders, snapshots,
                             settings.candidates, args.latency_only)
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)

    base = engines[0]
    print(f"\n## Moteurs d'encodage — {args.corpus.name} ({chunk_counts[base]} passages), {args.queries} questions\n")
    print("| moteur | une requête, p50 | encodage + FAISS, p50 | indexation (lot) | /search HTTP p50 (encodage + FAISS à côté) "
          "| 16 clients : req/s (p95) | RSS au démarrage | RSS après /ask |")
    print("|---|---|---|---|---|---|---|---|")
    for engine in engines:
        a, h, ref, ref_h = local[engine], http[engine], local[base], http[base]
        load = (f"{h['rps_16']:.1f} ({h['rps_16'] / ref_h['rps_16']:.2f} ×, {h['p95_16_ms']:.0f} ms, {h['errors_16']} erreurs) "
                f"| {h['rss_start_mb']:.0f} Mo | {h['rss_after_asks_mb']:.0f} Mo ({h['asks']} /ask, {h['ask_failures']} échecs, "
                f"{h['asks_seconds']:.0f} s)") if not args.latency_only else f"— | {h['rss_start_mb']:.0f} Mo | —"
        print(f"| {engine} | {a['query_p50_ms']:.1f} ms ({a['query_p50_ms'] / ref['query_p50_ms']:.2f} ×) "
              f"| {a['dense_p50_ms']:.1f} ms | {a['chunks_per_s']:.1f} /s ({a['batch']}, {a['chunks_per_s'] / ref['chunks_per_s']:.2f} ×) "
              f"| {h['search_p50_ms']:.1f} ms ({h['search_p50_ms'] / h['dense_alongside_p50_ms']:.2f} × "
              f"{h['dense_alongside_p50_ms']:.1f} ms) | {load} |")
    print(f"\nRapports au premier moteur ({base}). Machine : {platform.processor() or platform.machine()}, {os.cpu_count()} cœurs, "
          f"Python {platform.python_version()} ; client et serveurs sur la même machine, cache des requêtes coupé.")
    print(f"Commande : nice -n 5 .venv/bin/python benchmarks/encoder.py --corpus {args.corpus} --engines {args.engines} "
          f"--queries {args.queries} --chunks {args.chunks} --seconds {args.seconds:g} --asks {args.asks} --rounds {args.rounds}"
          + (" --latency-only" if args.latency_only else "")
          + f"\nCharge (uptime) à la fin : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(json.dumps({"in_process": local, "http": http}), file=sys.stderr)


if __name__ == "__main__":
    main()
