"""The ``Retriever``: dense, lexical or hybrid search over a loaded index, grouped per document."""

from __future__ import annotations

import html
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from index.chunkstore import StoredChunk
from index.embedding import TextEncoder
from index.lexical import analyze, analyze_with_spans
from index.snapshot import IndexSnapshot

MODES = ("dense", "lexical", "hybrid")
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class RetrievalConfig:
    fusion: str = "rrf"  # "rrf" (reciprocal rank fusion) or "weighted" (min-max normalised scores)
    rrf_k: int = 60
    dense_weight: float = 0.5
    candidates: int = 100


@dataclass(frozen=True)
class SearchFilters:
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    folder: str | None = None

    def __bool__(self) -> bool:
        return bool(self.types or self.tags or self.folder)


@dataclass
class ChunkHit:
    chunk: StoredChunk
    score: float
    snippet: str = ""


@dataclass
class DocumentHit:
    """A document and its matching passages, best first."""

    chunk_hits: list[ChunkHit]

    @property
    def best(self) -> ChunkHit:
        return self.chunk_hits[0]

    @property
    def score(self) -> float:
        return self.best.score


@dataclass
class SearchOutcome:
    query: str
    mode: str
    results: list[DocumentHit]
    took_ms: float


class Retriever:
    """Composes the query encoder, the vector store, BM25 and the chunk store of one index snapshot."""

    def __init__(self, snapshot: IndexSnapshot, encoder: TextEncoder, config: RetrievalConfig = RetrievalConfig()) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.config = config

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters = SearchFilters(),
               passages_per_document: int = 3) -> SearchOutcome:
        """The ``k`` best documents for ``query``, each with its best passages and a highlighted snippet."""
        if mode not in MODES:
            raise ValueError(f"mode inconnu : {mode}")
        started = time.perf_counter()
        allowed = self._allowed_ids(filters)
        ranked = self.rank_chunks(query, mode, allowed)
        selected: dict[str, list[tuple[int, float]]] = {}
        documents = self.snapshot.documents_of(np.array([v for v, _ in ranked], dtype=np.int64)) if ranked else []
        for (vector_id, score), document_id in zip(ranked, documents):
            if document_id not in selected and len(selected) == k:
                continue
            hits = selected.setdefault(document_id, [])
            if len(hits) < passages_per_document:
                hits.append((vector_id, score))
        chunks = self.snapshot.chunks.chunks_by_vector_id(v for hits in selected.values() for v, _ in hits)
        results = [DocumentHit([ChunkHit(chunks[v], score) for v, score in hits]) for hits in selected.values()]
        terms = set(analyze(query))
        for result in results:
            for hit in result.chunk_hits:
                hit.snippet = make_snippet(hit.chunk.text, terms)
        took = (time.perf_counter() - started) * 1000
        return SearchOutcome(query=query, mode=mode, results=results, took_ms=round(took, 2))

    def rank_chunks(self, query: str, mode: str = "hybrid", allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(vector id, score) of candidate chunks, best first."""
        n = self.config.candidates
        lists = []
        if mode in ("dense", "hybrid"):
            scores, ids = self.snapshot.vectors.search(self.encoder.encode_query(query), n, allowed)
            lists.append([(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0])
        if mode in ("lexical", "hybrid"):
            scores, ids = self.snapshot.lexical.search(query, n, allowed)
            lists.append([(int(i), float(s)) for i, s in zip(ids, scores)])
        if len(lists) == 1:
            return lists[0]
        return fuse(lists, self.config)

    def _allowed_ids(self, filters: SearchFilters) -> np.ndarray | None:
        if not filters:
            return None
        ids = self.snapshot.chunks.vector_ids_matching(list(filters.types), list(filters.tags), filters.folder)
        return np.array(ids, dtype=np.int64)


def fuse(lists: list[list[tuple[int, float]]], config: RetrievalConfig) -> list[tuple[int, float]]:
    """Merge ranked lists: reciprocal rank fusion, or a weighted sum of min-max normalised scores."""
    fused: dict[int, float] = defaultdict(float)
    weights = [config.dense_weight, 1 - config.dense_weight] if len(lists) == 2 else [1 / len(lists)] * len(lists)
    for ranked, weight in zip(lists, weights):
        if config.fusion == "rrf":
            for rank, (key, _) in enumerate(ranked):
                fused[key] += 2 * weight / (config.rrf_k + rank + 1)
        else:
            if not ranked:
                continue
            values = np.array([s for _, s in ranked])
            low, span = values.min(), max(values.max() - values.min(), 1e-9)
            for key, score in ranked:
                fused[key] += weight * (score - low) / span
    return sorted(fused.items(), key=lambda item: -item[1])


def make_snippet(text: str, terms: set[str], width: int = SNIPPET_CHARS) -> str:
    """An HTML-safe extract of ``text`` around the densest cluster of query terms, wrapped in ``<mark>``."""
    spans = [(start, end) for term, start, end in analyze_with_spans(text) if term in terms]
    if len(text) <= width:
        window = (0, len(text))
    elif not spans:
        window = (0, width)
    else:
        best = max(range(len(spans)), key=lambda i: sum(1 for s, _ in spans[i:] if s < spans[i][0] + width))
        start = max(0, spans[best][0] - width // 4)
        window = (start, min(len(text), start + width))
    start, end = window
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    parts, cursor = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts.append(html.escape(text[cursor:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(html.escape(text[cursor:end]))
    snippet = "".join(parts).replace("\n", " ")
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")
