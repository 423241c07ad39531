"""Train the reader's span weights from the corpus's own structure, and judge them on the dev questions (issue #12).

    .venv/bin/python benchmarks/train_reader.py [--corpus DIR] [--facts FILE] [--limit N]

Examples come from the corpus alone, never from an eval question: each section's heading (a FAQ question, a
« Comment … ? » heading, an infinitive heading turned into « Comment … ? ») is searched as /ask searches; the spans
that open its section are right, every other span the reader reads (rest of the document, hybrid BM25 + e5
neighbours) is a hard negative. The heading is hidden from its own section (its terms leave the span's context and
its passages are re-encoded without it): a real question is not its answer's heading, and without this the model
only learns to match headings. A conditional logit (``calibrate_ask.fit``) over the reader's six signals, then
with four structural ones, is fitted on these examples and judged on dev (the share of questions whose best span
states every fact) and on the examples of held-out documents (every fifth document).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
from calibrate_ask import SHARED, eval_retriever, fit, read_all

from assistant.answers import AnswerComposer
from assistant.evaluation import load_fact_questions, states_facts
from assistant.reader import FEATURES, QuestionTerms, Reader, Span, split_units
from assistant.retrieval import Retriever
from assistant.service import ASK_DOCUMENTS
from index.chunking import Chunk
from index.chunkstore import StoredChunk
from index.embedding import Embedder
from index.lexical import analyze
from index.snapshot import IndexSnapshot

INFINITIVE = re.compile(r"^[a-zà-ü]+(?:er|ir)$")
STRUCTURE = ("log_words", "log_novel_terms", "list", "first_unit")


def heading_query(heading: str, title: str) -> str | None:
    """A question-like query from a section heading; a heading too vague on its own gets its document's title."""
    heading = heading.strip().rstrip(" :.")
    if not heading:
        return None
    if heading.endswith("?"):
        query = heading
    elif INFINITIVE.match(heading.split()[0].lower()):
        query = f"Comment {heading[0].lower()}{heading[1:]} ?"
    else:
        query = f"{heading} ?"
    if len(set(analyze(query))) < 2:
        return f"{title.strip()} : {query}" if title.strip() and title.strip() != heading else None
    return query


def section_openings(chunks: list[StoredChunk]) -> list[tuple[str, StoredChunk]]:
    """(query, first passage of the section) for each section whose heading gives a query no other section gives."""
    first: dict[tuple, StoredChunk] = {}
    for chunk in sorted(chunks, key=lambda c: (c.document_id, c.ordinal)):
        if chunk.heading_path:
            first.setdefault((chunk.document_id, chunk.heading_path), chunk)
    pairs = [(heading_query(c.heading_path[-1], c.title), c) for c in first.values()]
    counts: dict[str, int] = {}
    for query, _ in pairs:
        counts[query] = counts.get(query, 0) + 1
    return [(q, c) for q, c in pairs if q and counts[q] == 1]


def structure(query_terms: set[str], span: Span) -> list[float]:
    """Length, terms the question does not have, list-ness, whether the span opens its passage."""
    return [np.log1p(sum(u.words for u in span.units)), np.log1p(len(set(analyze(span.text)) - query_terms)),
            float(any(u.is_item for u in span.units)), 1.0 / (1 + span.start)]


def features(query: str, spans: list[Span], snapshot: IndexSnapshot, distinctive_idf: float) -> np.ndarray:
    terms = set(QuestionTerms.of(query, snapshot.lexical, distinctive_idf).weights)
    rows = [[s.features[name] for name in FEATURES] + structure(terms, s) for s in spans]
    return np.array(rows).reshape(len(spans), len(FEATURES) + len(STRUCTURE))


def hide_heading(query: str, vector: np.ndarray, spans: list[Span], target: StoredChunk, embedder: Embedder,
                 snapshot: IndexSnapshot, distinctive_idf: float) -> None:
    """Recompute the context signals of the target section's spans as if its heading were absent."""
    depth = len(target.heading_path)
    terms = QuestionTerms.of(query, snapshot.lexical, distinctive_idf)
    inside = [s for s in spans if s.chunk.document_id == target.document_id and s.chunk.heading_path[:depth] == target.heading_path]
    masked = {s.chunk.vector_id: s.chunk.heading_path[:depth - 1] + s.chunk.heading_path[depth:] for s in inside}
    chunks = {s.chunk.vector_id: s.chunk for s in inside}
    texts = [Chunk(c.document_id, c.ordinal, masked[i], c.text, c.kind, c.page).embedding_text for i, c in chunks.items()]
    similarity = dict(zip(chunks, embedder.encode_passages(texts) @ vector)) if texts else {}
    for span in inside:
        chunk = span.chunk
        context = terms.met_by(set(analyze(f"{chunk.title} {' '.join(masked[chunk.vector_id])}")) | set(analyze(span.text)))
        span.features = span.features | {"passage_similarity": float(similarity[chunk.vector_id]),
                                         "context_coverage": terms.coverage(context),
                                         "context_distinctive": terms.distinctive_coverage(context)}
        span.chunk = dataclasses.replace(chunk, heading_path=masked[chunk.vector_id])


def examples(pairs, retriever: Retriever, embedder: Embedder, reader: Reader) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(document, features, right) per query whose section the reader reads: its opening spans right, the spans of
    other passages wrong, the rest of the section left out (it may or may not answer)."""
    snapshot, idf = retriever.snapshot, reader.config.distinctive_idf
    out = []
    for query, target in pairs:
        vector = embedder.encode_query(query)
        spans = reader.read(query, vector, retriever.search(query, k=ASK_DOCUMENTS, mode="hybrid"), snapshot).spans
        section = " ".join(u.text for u in split_units(target.text))
        kept = [s for s in spans if (s.start == 0 if s.chunk.vector_id == target.vector_id else s.text not in section)]
        right = np.array([s.chunk.vector_id == target.vector_id for s in kept])
        if right.any() and not right.all():
            hide_heading(query, vector, kept, target, embedder, snapshot, idf)
            out.append((target.document_id, features(query, kept, snapshot, idf), right))
    return out


def top1(groups, weights: np.ndarray) -> float:
    return float(np.mean([y[int((x[:, :len(weights)] @ weights).argmax())] for x, y in groups]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--facts", type=Path, default=SHARED / "eval-dev" / "corpus-real-dev-answer-facts.jsonl")
    parser.add_argument("--limit", type=int, default=600, help="sections used (re-encoding them costs most)")
    args = parser.parse_args()
    if not args.corpus.is_dir() or not args.facts.exists():
        sys.exit(f"Données d'évaluation absentes ({args.corpus}, {args.facts}).")

    settings, embedder, retriever = eval_retriever(args.corpus)
    config = settings.answer_config().reader
    reader = Reader(config)

    pairs = section_openings(list(retriever.snapshot.chunks.iter_chunks()))
    step = max(1, len(pairs) // args.limit)
    found = examples(pairs[::step][:args.limit], retriever, embedder, reader)
    documents = sorted({d for d, _, _ in found})
    held_out = set(documents[::5])
    train = [(x, y) for d, x, y in found if d not in held_out]
    test = [(x, y) for d, x, y in found if d in held_out]

    questions = load_fact_questions(args.facts)
    composer = AnswerComposer(embedder, settings.answer_config())
    dev = []
    for item, spans in zip(questions, read_all(questions, retriever, embedder, config)):
        if item.facts and spans:
            right = np.array([states_facts(composer.render(s)[0], item.facts) for s in spans])
            dev.append((features(item.question, spans, retriever.snapshot, config.distinctive_idf), right))
    answerable = sum(1 for item in questions if item.facts)

    def dev_share(weights: np.ndarray) -> float:
        return sum(y[int((x[:, :len(weights)] @ weights).argmax())] for x, y in dev) / answerable

    print(f"\n## Lecteur appris sur la structure du corpus — {len(pairs)} sections titrées, {len(found)} exemples "
          f"({len(train)} pour l'ajustement, {len(test)} de documents tenus à part), {answerable} questions dev\n")
    print("| poids | extrait juste (dev) | extrait juste (exemples tenus à part) |")
    print("|---|---|---|")
    current = np.array(config.weights)
    print(f"| actuels (ajustés sur dev même) | {dev_share(current):.1%} | {top1(test, current):.1%} |")
    for label, columns in (("appris, 6 signaux du lecteur", len(FEATURES)),
                           (f"appris, + {', '.join(STRUCTURE)}", len(FEATURES) + len(STRUCTURE))):
        weights = fit([(x[:, :columns], y) for x, y in train])
        print(f"| {label} | {dev_share(weights):.1%} | {top1(test, weights):.1%} |")
    print(f"\nCommande : .venv/bin/python benchmarks/train_reader.py --corpus {args.corpus} --facts {args.facts} --limit {args.limit}")


if __name__ == "__main__":
    main()
