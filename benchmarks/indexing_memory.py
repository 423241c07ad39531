"""Indexing at scale: peak memory and core usage of `eclaireur index` on corpora of 10k to 100k chunks.

    .venv/bin/python benchmarks/indexing_memory.py [--chunks 10000,100000] [--per-file 100]

The corpus is written for the run: FAQ files (one chunk per question/answer pair) made of real French
text, questions from `../shared/data/eval-dev/` and answers from sentences of `../shared/data/corpus-real/`,
combined so that every pair is distinct. Short pairs keep the encoding of 100,000 chunks within minutes on
2 cores; what grows with the corpus (chunk store, vectors, BM25, file list) grows the same way as with
long guides. Target (issue #6): peak RSS while indexing 100k chunks under 3 GB, all cores in use.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.chunking import split_sentences  # noqa: E402
from index.readers import read_document, reader_for  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
QUESTION_FILES = ("corpus-real-dev-questions.jsonl", "spf-qr-questions.jsonl")


def real_sentences(corpus: Path, limit_words: int = 35) -> list[str]:
    """Sentences of the real corpus short enough for a one-sentence answer."""
    sentences = set()
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or reader_for(path.name) is None:
            continue
        try:
            document = read_document(path.read_bytes(), path.name)
        except Exception:  # noqa: BLE001 - a file the product would skip is skipped here too
            continue
        for section in document.sections:
            sentences.update(s for s in split_sentences(section.text) if 8 <= len(s.split()) <= limit_words)
    return sorted(sentences)


def write_faq_corpus(root: Path, chunks: int, per_file: int, questions: list[str], answers: list[str]) -> int:
    """``chunks`` distinct question/answer pairs in FAQ Markdown files of ``per_file`` pairs; returns the file count."""
    rng = random.Random(chunks)
    files = 0
    for start in range(0, chunks, per_file):
        files += 1
        lines = [f"---\ntitle: \"FAQ synthétique {files}\"\ntype: faq\ntags: [banc d'essai]\n---\n", f"# FAQ synthétique {files}\n"]
        for number in range(start, min(start + per_file, chunks)):
            question = questions[number % len(questions)].rstrip(" ?")
            lines.append(f"## {question} (cas {number}) ?\n\n{rng.choice(answers)}\n")
        folder = root / f"lot-{files // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"faq-{files:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    return files


def index_once(corpus: Path, work: Path) -> dict:
    """Run `eclaireur index` as its own process; its peak RSS and CPU time come from the kernel's accounting."""
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ECLAIREUR_CORPUS_DIR": str(corpus),
                        "ECLAIREUR_INDEX_DIR": str(work / "index"), "ECLAIREUR_RECORDS_PATH": str(work / "records.sqlite")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "eclaireur"), "index"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    manifest = json.loads((work / "index" / "current" / "manifest.json").read_text(encoding="utf-8"))
    return {"chunks": manifest["chunks"], "wall": wall, "peak_rss_mb": after.ru_maxrss / 1024, "cpu": cpu,
            "disk_mb": sum(p.stat().st_size for p in (work / "index" / "current").resolve().iterdir()) / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", default="10000,100000")
    parser.add_argument("--per-file", type=int, default=100)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for name in QUESTION_FILES if (SHARED / "eval-dev" / name).exists()
                 for line in (SHARED / "eval-dev" / name).open(encoding="utf-8")]
    if not args.corpus.is_dir() or not questions:
        raise SystemExit(f"corpus ou questions absents ({args.corpus}, {SHARED / 'eval-dev'})")
    answers = real_sentences(args.corpus)

    rows = []
    for size in (int(n) for n in args.chunks.split(",")):
        # A fresh process per size: ru_maxrss of children is the maximum over all of them, so sizes go up.
        with tempfile.TemporaryDirectory(prefix="eclaireur-indexing-") as scratch:
            work = Path(scratch)
            files = write_faq_corpus(work / "corpus", size, args.per_file, questions, answers)
            measured = index_once(work / "corpus", work)
            rows.append((files, measured))
            print(f"{size} passages : {measured}", file=sys.stderr)

    print(f"\n## Indexation à grande échelle — FAQ synthétiques de texte réel ({len(answers)} phrases de {args.corpus.name})\n")
    print("| passages | fichiers | durée | passages/s | RSS maximal | cœurs occupés (temps CPU / durée) | index sur disque |")
    print("|---|---|---|---|---|---|---|")
    for files, m in rows:
        print(f"| {m['chunks']:,} | {files:,} | {m['wall']:.0f} s | {m['chunks'] / m['wall']:.0f} | {m['peak_rss_mb']:,.0f} Mo "
              f"| {m['cpu'] / m['wall']:.2f} sur {os.cpu_count()} | {m['disk_mb']:,.0f} Mo |".replace(",", " "))
    print(f"\nMachine : {platform.processor() or platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()}.")
    print(f"Commande : .venv/bin/python benchmarks/indexing_memory.py --chunks {args.chunks} --per-file {args.per_file}")


if __name__ == "__main__":
    main()
