"""Calibrate the ``no_answer`` threshold of /ask on questions with and without an answer in the corpus.

    .venv/bin/python benchmarks/calibrate_ask.py [--corpus DIR] [--questions FILE]

Answers every question with the threshold at 0, keeps each answer's confidence, then prints, for a
range of thresholds, the share of answerable questions answered with a citation from a relevant
document and the share of unanswerable questions wrongly answered.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.evaluation import load_questions  # noqa: E402
from assistant.service import Eclaireur  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.sources import CorpusFolder  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval-dev" / "corpus-real-dev-questions.jsonl")
    args = parser.parse_args()
    if not args.corpus.is_dir() or not args.questions.exists():
        sys.exit(f"Données d'évaluation absentes ({args.corpus}, {args.questions}).")

    settings = Settings(_env_file=None)
    source = CorpusFolder(args.corpus)
    key = hashlib.sha256(f"{source.identity}|{settings.model_path.resolve()}".encode()).hexdigest()[:16]
    index_dir = settings.cache_dir / f"eval-{key}"  # the same cache as `eclaireur eval`
    embedder = Embedder(settings.model_path, engine=settings.encoder)
    build_index(source, index_dir, settings.index_config(), embedder=embedder)
    questions = load_questions(args.questions)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        service = Eclaireur(settings.model_copy(update={"index_dir": index_dir, "min_confidence": 0.0,
                                                        "records_path": Path(scratch) / "r.sqlite"}), embedder=embedder)
        service.reload()
        for item in questions:
            answer = service.ask(item.question).answer
            cited = {c.chunk.document_id for c in answer.citations}
            rows.append((item, answer.confidence, bool(cited & set(item.relevant)), answer.method, answer.signals))

    answerable = [r for r in rows if r[0].relevant]
    unanswerable = [r for r in rows if not r[0].relevant]
    print(f"\n## Seuil de confiance de /ask — {len(answerable)} questions avec réponse, {len(unanswerable)} sans\n")
    print("| seuil | avec réponse : répondues et citant un document pertinent | sans réponse : répondues à tort |")
    print("|---|---|---|")
    for step in range(6, 17):
        threshold = step / 20
        grounded = sum(1 for r in answerable if r[1] >= threshold and r[2]) / len(answerable)
        wrong = sum(1 for r in unanswerable if r[1] >= threshold) / max(len(unanswerable), 1)
        print(f"| {threshold:.2f} | {grounded:.1%} | {wrong:.1%} |")
    print("\nConfiance des questions sans réponse :")
    for item, confidence, _, method, signals in unanswerable:
        print(f"  {confidence:.3f} {method:<10} {signals}  {item.question[:70]}")
    print("\nQuestions avec réponse les moins confiantes ou mal citées :")
    for item, confidence, grounded, method, signals in sorted(answerable, key=lambda r: r[1])[:12]:
        print(f"  {confidence:.3f} {'ok ' if grounded else 'NON'} {method:<10} {signals}  {item.question[:60]}")
    print(f"\nCommande : .venv/bin/python benchmarks/calibrate_ask.py --corpus {args.corpus} --questions {args.questions}")


if __name__ == "__main__":
    main()
