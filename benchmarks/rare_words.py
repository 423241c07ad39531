"""One-word searches for a word found in a single document: is that document first, or in the top 3?

    .venv/bin/python benchmarks/rare_words.py [--corpus corpus ../shared/data/corpus-real]

What the search widget sees when an agent types a name or a rare word. For every word of at least 7 letters whose
term appears in one document only, the word alone is searched in hybrid mode, and the fusion is scored two ways: the
product's (a short lexical list measured against the candidates it leaves out, at BM25 0) and the one before
(measured against its own candidates only). Builds or reuses each corpus's evaluation index (``var/cache``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.cli import eval_index_dir  # noqa: E402
from assistant.fusion import fuse  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.lexical import WORD, _term  # noqa: E402
from index.snapshot import IndexSnapshot  # noqa: E402
from index.sources import CorpusFolder  # noqa: E402

CANDIDATES = 100


def words_of_one_document(snapshot: IndexSnapshot) -> dict[str, tuple[str, str]]:
    """term -> (the word as first written, the only document whose passages hold it)."""
    documents, written = defaultdict(set), {}
    for chunk in snapshot.chunks.iter_chunks():
        for word in WORD.findall(chunk.text):
            if len(word) >= 7 and word.isalpha() and (term := _term(word)):
                documents[term].add(chunk.document_id)
                written.setdefault(term, word)
    return {term: (written[term], next(iter(found))) for term, found in documents.items() if len(found) == 1}


def top_documents(snapshot: IndexSnapshot, fused: list[tuple[int, float]], k: int = 3) -> list[str]:
    found: list[str] = []
    for document in snapshot.documents_of([key for key, _ in fused[:50]]):
        if document not in found:
            found.append(document)
    return found[:k]


def measure(corpus: Path, settings: Settings, embedder: Embedder) -> list[str]:
    source = CorpusFolder(corpus)
    index_dir = eval_index_dir(source, settings)
    build_index(source, index_dir, settings.index_config(), embedder=embedder)
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    words = words_of_one_document(snapshot)
    config = settings.retrieval_config().fusion
    counts = {"measured against the passages left out (product)": [0, 0], "measured against itself (before)": [0, 0]}
    vectors = embedder.encode_queries([word for word, _ in words.values()])
    for (word, document), vector in zip(words.values(), vectors):
        scores, ids = snapshot.vectors.search(vector, CANDIDATES)
        dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        lexical_scores, lexical_ids = snapshot.lexical.search(word, CANDIDATES)
        lexical = [(int(i), float(s)) for i, s in zip(lexical_ids, lexical_scores)]
        for label, fused in zip(counts, (fuse([dense, lexical], config, depth=CANDIDATES, absent=(None, 0.0)),
                                         fuse([dense, lexical], config))):
            found = top_documents(snapshot, fused)
            counts[label][0] += bool(found) and found[0] == document
            counts[label][1] += document in found
    return [f"| {corpus.name} | {len(words)} | {label} | {first / len(words):.1%} | {top3 / len(words):.1%} |"
            for label, (first, top3) in counts.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", type=Path, default=[ROOT / "corpus", ROOT.parent / "shared" / "data" / "corpus-real"])
    args = parser.parse_args()
    settings = Settings()
    embedder = Embedder(settings.model_path, batch_size=settings.embedding_batch_size, engine=settings.encoder)
    rows = [row for corpus in args.corpus if corpus.is_dir() for row in measure(corpus, settings, embedder)]
    print("| corpus | words of one document | lexical list | document first | in the top 3 |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    corpora = " ".join(os.path.relpath(corpus) for corpus in args.corpus)
    print(f"\n`.venv/bin/python benchmarks/rare_words.py --corpus {corpora}`")


if __name__ == "__main__":
    main()
