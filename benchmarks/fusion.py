"""Fusion and lexical-field calibration on the dev sets: every variant evaluated in-process, one encoding per question.

    nice -n 5 .venv/bin/python benchmarks/fusion.py [--sets corpus-real spf] [--candidates 100]

Loads each dev set's evaluation index (the one ``eclaireur eval`` builds and caches in ``var/cache``), encodes
every question once, keeps the dense and lexical candidate lists, then scores each fusion variant (and each
lexical field weighting, rebuilt in memory from the chunk store) with the document-level nDCG@10 and Recall@10
of ``eclaireur eval``. Prints a Markdown table per set and the command that reproduces it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.cli import eval_index_dir  # noqa: E402
from assistant.evaluation import load_questions, ndcg_at, recall_at  # noqa: E402
from assistant.fusion import FusionConfig, fuse  # noqa: E402
from assistant.retrieval import RetrievalConfig, Retriever  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.lexical import BODY, CHUNK_FIELDS, BM25Index, TextField, chunk_fields  # noqa: E402
from index.snapshot import IndexSnapshot  # noqa: E402
from index.sources import CorpusFolder, PassagesFile  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DEV = SHARED / "eval-dev"
QUESTIONS = ROOT / "benchmarks" / "questions"
SETS = {
    "corpus-real": (lambda: CorpusFolder(SHARED / "corpus-real"), DEV / "corpus-real-dev-questions.jsonl"),
    "corpus-real-second": (lambda: CorpusFolder(SHARED / "corpus-real"), QUESTIONS / "corpus-real-second-questions.jsonl"),
    "corpus-real-third": (lambda: CorpusFolder(SHARED / "corpus-real"), QUESTIONS / "corpus-real-third-questions.jsonl"),
    "spf": (lambda: PassagesFile(DEV / "spf-qr-passages.jsonl"), DEV / "spf-qr-questions.jsonl"),
}

Ranked = list[tuple[int, float]]
DOCUMENT_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)
# Lexical pseudo-relevance feedback: (where the feedback passages come from, how many, terms added, their weight)
LEXICAL_FEEDBACK = tuple((source, passages, terms, weight) for source in ("lexical", "dense", "fused")
                         for passages, terms, weight in ((3, 10, 0.2), (3, 30, 0.2), (10, 30, 0.2), (10, 30, 0.5)))
FIELD_WEIGHTS = ((1, 1), (2, 2), (3, 3), (1, 3), (3, 1))  # (title, headings) against the body's 1


def _fields(chunk) -> tuple[str, str, str]:
    return chunk_fields(chunk.title, chunk.heading_path, chunk.text)


@dataclass
class DevSet:
    name: str
    snapshot: IndexSnapshot
    questions: list
    dense: list[Ranked]  # as the product ranks them: in their documents' context (``Retriever.in_document_context``)
    raw_dense: list[Ranked]  # the passages' own cosines
    lexical: dict[str, list[Ranked]]  # lexical variant name -> candidates per question
    queries: np.ndarray
    candidates: int

    def documents(self, ranked: Ranked, k: int = 10, aggregate: float = 0.0) -> list[str]:
        """Documents in order of their best passage, plus ``aggregate`` times their second best."""
        ids = np.array([v for v, _ in ranked], dtype=np.int64)
        scores: dict[str, list[float]] = {}
        for document, (_, score) in zip(self.snapshot.documents_of(ids) if len(ids) else [], ranked):
            scores.setdefault(document, []).append(score)
        total = {d: s[0] + aggregate * (s[1] if len(s) > 1 else 0.0) for d, s in scores.items()}
        return sorted(total, key=lambda d: -total[d])[:k]

    def in_context(self, weight: float) -> list[Ranked]:
        """The dense lists rescored with a ``document_weight`` of ``weight``."""
        retriever = Retriever(self.snapshot, None, RetrievalConfig(document_weight=weight))
        return [retriever.in_document_context(hits, vector) for hits, vector in zip(self.raw_dense, self.queries)]

    def fuse(self, dense: Ranked, lexical: Ranked, config: FusionConfig) -> Ranked:
        """The product's fusion: a short lexical list measured against the candidates it leaves out (BM25 0)."""
        return fuse([dense, lexical], config, depth=self.candidates, absent=(None, 0.0))

    def per_document(self, ranked: Ranked) -> Ranked:
        """A passage list collapsed to its documents (their best passage's score), keyed by document code."""
        codes = self.snapshot.document_codes[np.searchsorted(self.snapshot.vector_ids, [v for v, _ in ranked])] if ranked else []
        seen: dict[int, float] = {}
        for code, (_, score) in zip(codes, ranked):
            seen.setdefault(int(code), score)
        return list(seen.items())

    def score_documents(self, rank: Callable[[int], Ranked]) -> tuple[float, float]:
        """Like ``score``, for a ranking of document codes."""
        ndcg, recall = [], []
        for number, question in enumerate(self.questions):
            if question.relevant:
                found = [self.snapshot.document_ids[code] for code, _ in rank(number)[:10]]
                ndcg.append(ndcg_at(found, set(question.relevant)))
                recall.append(recall_at(found, set(question.relevant), 10))
        return float(np.mean(ndcg)), float(np.mean(recall))

    def feedback(self, number: int, fused: Ranked, weight: float, passages: int = 3) -> Ranked:
        """Dense candidates for the query moved towards its ``passages`` best fused passages (Rocchio)."""
        ids = np.array([v for v, _ in fused[:passages]], dtype=np.int64)
        vector = self.queries[number] + weight * self.snapshot.vectors.index.reconstruct_batch(ids).mean(axis=0)
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)[None, :]
        scores, found = self.snapshot.vectors.search(vector, self.candidates)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0]) if i >= 0]

    @cached_property
    def _bm25_rows(self) -> tuple:
        """The product's BM25 weights row by row, and each passage's row."""
        lexical = self.snapshot.lexical
        return lexical.weights.tocsr(), {int(vector_id): row for row, vector_id in enumerate(lexical.ids)}

    def expanded_lexical(self, number: int, feedback: Ranked, passages: int, terms: int, weight: float) -> Ranked:
        """The lexical list of a question whose query also holds the ``terms`` heaviest other terms of its first
        ``passages`` feedback passages (RM3-like: each passage's BM25 weights as a distribution, averaged), weighing
        ``weight`` times the question's own terms in all."""
        lexical = self.snapshot.lexical
        rows, row_of = self._bm25_rows
        asked = {lexical.vocabulary[t] for t in lexical.query_terms(self.questions[number].question) if t in lexical.vocabulary}
        added: dict[int, float] = {}
        for vector_id, _ in feedback[:passages]:
            row = rows[row_of[vector_id]]
            for column, value in zip(row.indices, row.data / row.data.sum()):
                if column not in asked:
                    added[int(column)] = added.get(int(column), 0.0) + float(value)
        heaviest = sorted(added.items(), key=lambda item: -item[1])[:terms]
        total = sum(value for _, value in heaviest) or 1.0
        query = {column: 1.0 for column in asked} | {c: weight * len(asked) * v / total for c, v in heaviest}
        scores = np.zeros(len(lexical.ids), dtype=np.float32)
        columns = lexical.weights
        for column, factor in query.items():
            start, end = columns.indptr[column], columns.indptr[column + 1]
            scores[columns.indices[start:end]] += factor * columns.data[start:end]
        found = np.flatnonzero(scores > 0)
        found = found[np.argsort(-scores[found], kind="stable")][: self.candidates]
        return [(int(lexical.ids[i]), float(scores[i])) for i in found]

    def score(self, rank: Callable[[int], Ranked], aggregate: float = 0.0) -> tuple[float, float]:
        ndcg, recall = [], []
        for number, question in enumerate(self.questions):
            if not question.relevant:
                continue
            found, relevant = self.documents(rank(number), aggregate=aggregate), set(question.relevant)
            ndcg.append(ndcg_at(found, relevant))
            recall.append(recall_at(found, relevant, 10))
        return float(np.mean(ndcg)), float(np.mean(recall))


def load_set(name: str, settings: Settings, embedder: Embedder, candidates: int, fields: dict, build: bool) -> DevSet:
    make_source, questions_path = SETS[name]
    source = make_source()
    index_dir = eval_index_dir(source, settings)
    if build:
        build_index(source, index_dir, settings.index_config(), embedder=embedder)
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    questions = load_questions(questions_path)
    vectors = embedder.encode_queries([q.question for q in questions])
    scores, ids = snapshot.vectors.search(vectors, candidates)
    raw_dense = [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0] for row_ids, row_scores in zip(ids, scores)]
    retriever = Retriever(snapshot, embedder, settings.retrieval_config())
    dense = [retriever.in_document_context(hits, vector) for hits, vector in zip(raw_dense, vectors)]
    lexical = {}
    chunks = list(snapshot.chunks.iter_chunks())
    for label, spec in fields.items():
        bm25 = BM25Index.build((c.vector_id for c in chunks), (spec[0](c) for c in chunks), fields=spec[1])
        lexical[label] = [_lexical(bm25, q.question, candidates) for q in questions]
    return DevSet(name, snapshot, questions, dense, raw_dense, lexical, vectors, candidates)


def _lexical(bm25: BM25Index, question: str, candidates: int) -> Ranked:
    scores, ids = bm25.search(question, candidates)
    return [(int(i), float(s)) for i, s in zip(ids, scores)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--no-build", action="store_true",
                        help="use the cached evaluation indexes as they are, even when built by an older version")
    args = parser.parse_args()
    settings = Settings()
    embedder = Embedder(settings.model_path, batch_size=settings.embedding_batch_size, engine=settings.encoder)
    fields = {"product": (_fields, CHUNK_FIELDS),
              "one field (heading path + text)": (lambda chunk: chunk.embedding_text, (BODY,))}
    fields |= {f"title {t:g}, headings {h:g}, body 1": (_fields, (TextField("title", t, 0.5), TextField("headings", h, 0.5), BODY))
               for t, h in FIELD_WEIGHTS}
    sets = [load_set(name, settings, embedder, args.candidates, fields, not args.no_build)
            for name in args.sets if SETS[name][1].exists()]
    default = settings.retrieval_config().fusion
    print("\n### Lexical fields (nDCG@10: lexical alone, hybrid with RRF, hybrid with the default fusion)\n")
    print("| lexical scoring | " + " | ".join(f"{d.name} lexical | {d.name} RRF | {d.name} default" for d in sets) + " |")
    print("|---|" + "---|---|---|" * len(sets))
    for label in fields:
        cells = []
        for dev in sets:
            lexical = dev.lexical[label]
            cells += [dev.score(lambda n, lexical=lexical: lexical[n])[0],
                      *(dev.score(lambda n, c=c, dev=dev, lexical=lexical: dev.fuse(dev.dense[n], lexical[n], c))[0]
                        for c in (FusionConfig(method="rrf", dense_weight=0.5), default))]
        print(f"| {label} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    variants = {"dense alone": None, "lexical alone": None, "rrf k=60": FusionConfig(method="rrf", dense_weight=0.5)}
    for weight in (0.4, 0.5, 0.6, 0.7):
        variants[f"min-max {weight}"] = FusionConfig(method="weighted", dense_weight=weight)
        variants[f"z-score {weight}"] = FusionConfig(method="zscore", dense_weight=weight)
        for k in (10, 60):
            for share in (0.25, 0.5, 0.75):
                variants[f"rank+score {weight} k={k} share={share}"] = FusionConfig(
                    method="rank_score", dense_weight=weight, rrf_k=k, rank_share=share)
    print("\n### Fusion (lexical: the product's fields; margin: hybrid minus the best single mode, worst set)\n")
    print("| fusion | " + " | ".join(f"{d.name} nDCG@10 | {d.name} R@10" for d in sets) + " | margin |")
    print("|---|" + "---|---|" * len(sets) + "---|")
    best_single = [max(dev.score(lambda n, dev=dev: dev.dense[n])[0], dev.score(lambda n, dev=dev: dev.lexical["product"][n])[0])
                   for dev in sets]
    for label, config in variants.items():
        cells, margins = [], []
        for dev, single in zip(sets, best_single):
            if config is None:
                lists = dev.dense if label == "dense alone" else dev.lexical["product"]
                ndcg, recall = dev.score(lambda n, lists=lists: lists[n])
            else:
                ndcg, recall = dev.score(lambda n, c=config, dev=dev: dev.fuse(dev.dense[n], dev.lexical["product"][n], c))
            cells += [f"{ndcg:.4f}", f"{recall:.3f}"]
            margins.append(ndcg - single)
        print(f"| {label} | " + " | ".join(cells) + f" | {min(margins):+.4f} |")
    print("\n### Fusion of document lists (each list collapsed to its documents first)\n")
    print("| fusion | " + " | ".join(f"{d.name} nDCG@10 | {d.name} R@10" for d in sets) + " | margin |")
    print("|---|" + "---|---|" * len(sets) + "---|")
    for label, config in variants.items():
        if config is None:
            continue
        cells, margins = [], []
        for dev, single in zip(sets, best_single):
            ndcg, recall = dev.score_documents(lambda n, c=config, dev=dev: fuse(
                [dev.per_document(dev.dense[n]), dev.per_document(dev.lexical["product"][n])], c))
            cells += [f"{ndcg:.4f}", f"{recall:.3f}"]
            margins.append(ndcg - single)
        print(f"| documents, {label} | " + " | ".join(cells) + f" | {min(margins):+.4f} |")
    print("\n### Document aggregation and dense pseudo-relevance feedback (on top of RRF and of the default fusion)\n")
    print("| variant | " + " | ".join(f"{d.name} nDCG@10 | {d.name} R@10" for d in sets) + " | margin |")
    print("|---|" + "---|---|" * len(sets) + "---|")
    for base_label, base in (("rrf k=60", FusionConfig(method="rrf", dense_weight=0.5)), ("default", default)):
        extras = {f"{base_label} + second passage x{g}": (g, None) for g in (0.1, 0.3)}
        extras |= {f"{base_label} + dense feedback {b}": (0.0, b) for b in (0.3, 0.6)}
        for label, (aggregate, feedback) in extras.items():
            cells, margins = [], []
            for dev, single in zip(sets, best_single):
                def rank(n, dev=dev, base=base, feedback=feedback):
                    fused = dev.fuse(dev.dense[n], dev.lexical["product"][n], base)
                    return dev.fuse(dev.feedback(n, fused, feedback), dev.lexical["product"][n], base) if feedback else fused
                ndcg, recall = dev.score(rank, aggregate=aggregate)
                cells += [f"{ndcg:.4f}", f"{recall:.3f}"]
                margins.append(ndcg - single)
            print(f"| {label} | " + " | ".join(cells) + f" | {min(margins):+.4f} |")
    print("\n### Document context: each dense passage plus a share of its document's cosine (document_weight)\n")
    print("| document_weight | " + " | ".join(f"{d.name} dense | {d.name} hybrid | {d.name} R@10" for d in sets) + " | margin |")
    print("|---|" + "---|---|---|" * len(sets) + "---|")
    for weight in DOCUMENT_WEIGHTS:
        cells, margins = [], []
        for dev in sets:
            dense, lexical = dev.in_context(weight), dev.lexical["product"]
            alone = dev.score(lambda n, dense=dense: dense[n])[0]
            ndcg, recall = dev.score(lambda n, dev=dev, dense=dense, lexical=lexical: dev.fuse(dense[n], lexical[n], default))
            cells += [f"{alone:.4f}", f"{ndcg:.4f}", f"{recall:.3f}"]
            margins.append(ndcg - max(alone, dev.score(lambda n, lexical=lexical: lexical[n])[0]))
        print(f"| {weight:g} | " + " | ".join(cells) + f" | {min(margins):+.4f} |")
    print("\n### Lexical pseudo-relevance feedback: the lexical query expanded from the first passages of a list\n")
    print("| feedback (passages, terms, weight) | " + " | ".join(f"{d.name} lexical | {d.name} hybrid" for d in sets) + " | margin |")
    print("|---|" + "---|---|" * len(sets) + "---|")
    for source, passages, terms, weight in LEXICAL_FEEDBACK:
        cells, margins = [], []
        for dev in sets:
            def feedback(n, dev=dev, source=source):
                lexical = dev.lexical["product"][n]
                return {"lexical": lexical, "dense": dev.dense[n], "fused": dev.fuse(dev.dense[n], lexical, default)}[source]
            expanded = [dev.expanded_lexical(n, feedback(n), passages, terms, weight) for n in range(len(dev.questions))]
            alone = dev.score(lambda n, expanded=expanded: expanded[n])[0]
            ndcg = dev.score(lambda n, dev=dev, expanded=expanded: dev.fuse(dev.dense[n], expanded[n], default))[0]
            cells += [f"{alone:.4f}", f"{ndcg:.4f}"]
            margins.append(ndcg - max(alone, dev.score(lambda n, dev=dev: dev.dense[n])[0]))
        print(f"| {source} ({passages}, {terms}, {weight:g}) | " + " | ".join(cells) + f" | {min(margins):+.4f} |")
    options = " --no-build" if args.no_build else ""
    print(f"\n`ECLAIREUR_ENCODER={settings.encoder} nice -n 5 .venv/bin/python benchmarks/fusion.py --sets {' '.join(args.sets)} "
          f"--candidates {args.candidates}{options}`")


if __name__ == "__main__":
    main()
