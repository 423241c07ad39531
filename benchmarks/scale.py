"""Vector and BM25 indexes from 10k to 1M chunks: build time, memory, disk, latency, recall (issue #6).

    nice -n 10 .venv/bin/python benchmarks/scale.py [--sizes 10000,100000,1000000] [--kinds flat,hnsw,hnsw_sq8,ivf_sq8]

Encoding a million chunks takes hours here, so larger collections are synthesized from the real corpus:
vector i is normalize(base[i mod n] + σ·N(0, I)) where base are the e5 embeddings of corpus-real's chunks
(computed once, kept in the evaluation index cache). With σ = 0.015 a copy keeps cosine ≈ 0.96 with its
source chunk and ≈ 0.92 with the other copies, about as close as a chunk's nearest real neighbour
(median 0.94): clusters of near neighbours, not duplicates. Queries are the real development questions,
encoded by the model, plus three noisy variants of each. Recall@10 is measured against exact search.
BM25 is built on real chunk texts repeated with their sentences shuffled, a tenth of the words dropped
and a token naming the copy, and queried with the real questions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.lexical import BM25Index  # noqa: E402
from index.snapshot import IndexSnapshot  # noqa: E402
from index.sources import CorpusFolder  # noqa: E402
from index.vectors import FaissStore, VectorIndexConfig  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
NOISE = 0.015
QUERY_VARIANTS = 3
K = 10
FILTER_SHARE = 0.001  # a narrow filter (a rare tag): 1 passage in 1,000 allowed
SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def peak_rss_bytes() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu.group(1).strip() if cpu else platform.machine()}, {os.cpu_count()} cœurs, {memory:.0f} Gio, "
            f"Python {platform.python_version()}, faiss {faiss.__version__}")


def noisy(base: np.ndarray, count: int, sigma: float, seed: int) -> np.ndarray:
    """``count`` unit vectors normalize(base[i mod n] + σ·gaussian), made 100k at a time."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, base.shape[1]), np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        rows = base[np.arange(start, stop) % len(base)] + sigma * rng.standard_normal((stop - start, base.shape[1]), np.float32)
        out[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def variant(text: str, copy: int, rng: random.Random) -> str:
    """Copy 0 is the chunk itself; others shuffle its sentences, drop a tenth of its words, name the copy."""
    if copy == 0:
        return text
    sentences = [s for s in SENTENCE.split(text) if s]
    rng.shuffle(sentences)
    words = [w for w in " ".join(sentences).split() if rng.random() >= 0.1]
    return " ".join(words) + f" variante{copy}"


def latencies_ms(function, items) -> np.ndarray:
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def measure_vectors(kind: str, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, work: Path,
                    hnsw_ef_construction: int, nprobes: list[int]) -> list[dict]:
    """Build ``kind`` over ``vectors`` as the builder does (add, then fit), save, reload, query one at a time;
    an IVF index is queried once per ``nprobes`` value."""
    config = VectorIndexConfig(kind=kind, exact_max=1, hnsw_ef_construction=hnsw_ef_construction)
    store = FaissStore(vectors.shape[1], config)
    started = time.perf_counter()
    store.add(np.arange(len(vectors), dtype=np.int64), vectors)
    store.fit()
    build = time.perf_counter() - started
    store.save(work)
    del store
    loaded = FaissStore.load(work, config)
    common = {"kind": loaded.kind, "build_s": build, "ram": loaded.memory_bytes(),
              "disk": (work / FaissStore.FILE).stat().st_size, **loaded.describe()}
    (work / FaissStore.FILE).unlink()
    rows = []
    for nprobe in nprobes if kind == "ivf_sq8" else [config.nprobe]:
        loaded.config = replace(config, nprobe=nprobe)
        loaded.search(queries[:5], K)  # warm-up
        times = latencies_ms(lambda q: loaded.search(q, K), queries)
        found = loaded.search(queries, K)[1]
        rows.append(common | {"nprobe": nprobe, "p50": np.percentile(times, 50), "p99": np.percentile(times, 99),
                              "recall": recall_at_k(found, truth)} | measure_filtered(loaded, vectors, queries))
    return rows


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def measure_filtered(store: FaissStore, vectors: np.ndarray, queries: np.ndarray) -> dict:
    """Search restricted to a random ``FILTER_SHARE`` of the ids: latency, and recall@10 against exact search among them."""
    allowed = np.sort(np.random.default_rng(1).choice(len(vectors), max(K, int(len(vectors) * FILTER_SHARE)), replace=False))
    truth = allowed[np.argsort(-(queries @ vectors[allowed].T), axis=1)[:, :K]]
    times = latencies_ms(lambda q: store.search(q, K, allowed), queries)
    found = store.search(queries, K, allowed)[1]
    return {"filtered_p50": np.percentile(times, 50), "filtered_recall": recall_at_k(found, truth)}


def measure_bm25(size: int, texts: list[str], questions: list[str], work: Path) -> dict:
    def corpus():
        for i in range(size):
            yield variant(texts[i % len(texts)], i // len(texts), random.Random(i))

    before = rss_bytes()
    reset_peak_rss()
    started = time.perf_counter()
    index = BM25Index.build(range(size), corpus())
    build = time.perf_counter() - started
    peak = peak_rss_bytes() - before
    index.save(work)
    disk = sum((work / name).stat().st_size for name in BM25Index.FILES)
    for question in questions[:5]:
        index.search(question, K)
    times = np.concatenate([latencies_ms(lambda q: index.search(q, K), questions) for _ in range(3)])
    return {"build_s": build, "peak": peak, "memory": index.memory_bytes(), "disk": disk,
            "p50": np.percentile(times, 50), "p99": np.percentile(times, 99), "terms": len(index.vocabulary)}


def base_data(corpus: Path, questions_path: Path) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Real chunk embeddings and texts (cached index of the corpus), and the encoded real questions."""
    settings = Settings(_env_file=None)
    embedder = Embedder(settings.model_path, batch_size=settings.embedding_batch_size, engine=settings.encoder)
    index_dir = settings.cache_dir / f"scale-{corpus.name}"
    build_index(CorpusFolder(corpus), index_dir, settings.index_config(), embedder=embedder)
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    _, base = snapshot.vectors.contents()
    texts = [chunk.embedding_text for chunk in snapshot.chunks.iter_chunks()]
    snapshot.close()
    questions = [json.loads(line)["question"] for line in questions_path.open(encoding="utf-8")]
    return base, texts, embedder.encode_queries(questions), questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval-dev" / "corpus-real-dev-questions.jsonl")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kinds", default="flat,hnsw,hnsw_sq8,ivf_sq8")
    parser.add_argument("--hnsw-ef-construction", type=int, default=VectorIndexConfig().hnsw_ef_construction)
    parser.add_argument("--nprobe", default=str(VectorIndexConfig().nprobe), help="IVF : listes parcourues, ex. 16,32,64")
    args = parser.parse_args()
    sizes, kinds = [int(s) for s in args.sizes.split(",")], args.kinds.split(",")
    nprobes = [int(n) for n in args.nprobe.split(",")]

    base, texts, question_vectors, questions = base_data(args.corpus, args.questions)
    queries = np.vstack([question_vectors] + [noisy(question_vectors, len(question_vectors), NOISE, seed)
                                              for seed in range(1, QUERY_VARIANTS + 1)])
    auto = VectorIndexConfig()
    vector_rows, lexical_rows = [], []
    work = Path(tempfile.mkdtemp(prefix="eclaireur-scale-"))
    try:
        for size in sizes:
            vectors = noisy(base, size, NOISE, seed=0)
            exact = faiss.IndexFlatIP(vectors.shape[1])
            exact.add(vectors)
            truth = exact.search(queries, K)[1]
            del exact
            for kind in kinds:
                for row in measure_vectors(kind, vectors, queries, truth, work, args.hnsw_ef_construction, nprobes):
                    row["size"], row["auto"] = size, kind == auto.kind_for(size) and row["nprobe"] == auto.nprobe
                    vector_rows.append(row)
                    print(f"{size} {kind}: {row}", file=sys.stderr, flush=True)
            del vectors
            row = measure_bm25(size, texts, questions, work) | {"size": size}
            lexical_rows.append(row)
            print(f"{size} bm25: {row}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n## Index vectoriels à l'échelle ({len(base)} passages réels → vecteurs synthétiques, σ = {NOISE}, "
          f"{len(queries)} requêtes, k = {K})\n")
    print("| passages | index | auto | construction | mémoire | disque | p50 | p99 | rappel@10 | filtre 0,1 % : p50 | rappel@10 |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")
    for r in vector_rows:
        shape = f" ({r['lists']} listes – nprobe {r['nprobe']})" if "lists" in r else f" (M = {r['hnsw_m']})" if "hnsw_m" in r else ""
        print(f"| {r['size']:,} | {r['kind']}{shape} | {'✓' if r['auto'] else ''} | {r['build_s']:.1f} s | "
              f"{r['ram'] / 1e6:.0f} Mo | {r['disk'] / 1e6:.0f} Mo | {r['p50']:.2f} ms | {r['p99']:.2f} ms | "
              f"{r['recall']:.3f} | {r['filtered_p50']:.2f} ms | {r['filtered_recall']:.3f} |".replace(",", " "))
    print(f"\n## BM25 à l'échelle ({len(texts)} passages réels déclinés, {len(questions)} questions réelles × 3)\n")
    print("| passages | termes | construction | pic mémoire | index en mémoire | disque | p50 | p99 |\n|---|---|---|---|---|---|---|---|")
    for r in lexical_rows:
        print(f"| {r['size']:,} | {r['terms']:,} | {r['build_s']:.1f} s | {r['peak'] / 1e6:.0f} Mo | "
              f"{r['memory'] / 1e6:.0f} Mo | {r['disk'] / 1e6:.0f} Mo | {r['p50']:.2f} ms | {r['p99']:.2f} ms |".replace(",", " "))
    print(f"\nMachine : {machine()}.")
    print(f"Commande : nice -n 10 .venv/bin/python benchmarks/scale.py --sizes {args.sizes} --kinds {args.kinds} "
          f"--hnsw-ef-construction {args.hnsw_ef_construction} --nprobe {args.nprobe}")


if __name__ == "__main__":
    main()
