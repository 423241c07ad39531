"""The ``Retriever``: dense, lexical or hybrid search over a loaded index, grouped per document."""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass, field

import numpy as np

from index.chunkstore import StoredChunk
from index.document_vectors import MIN_DOCUMENTS
from index.embedding import TextEncoder
from index.lexical import term_spans
from index.snapshot import IndexSnapshot

from .fusion import FusionConfig, fuse
from .rerank import RerankClient, RerankError

MODES = ("dense", "lexical", "hybrid")
SNIPPET_CHARS = 240
MARK = re.compile(r"</?mark>")
NO_RERANKER = "aucun reclasseur n'est configuré (ECLAIREUR_RERANK_BASE_URL, ECLAIREUR_RERANK_MODEL)"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievalConfig:
    fusion: FusionConfig = field(default_factory=FusionConfig)
    candidates: int = 100
    document_weight: float = 0.1  # share of a passage's document's cosine added to its own (``in_document_context``)


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
    rerank_score: float | None = None  # the reranker's relevance of its best passage, when it judged it

    @property
    def best(self) -> ChunkHit:
        return self.chunk_hits[0]

    @property
    def score(self) -> float:
        return self.best.score if self.rerank_score is None else self.rerank_score


@dataclass
class SearchOutcome:
    query: str
    mode: str
    results: list[DocumentHit]
    took_ms: float
    reranked: bool = False
    rerank_fallback: str | None = None  # in French: why the local order was kept although reranking was asked
    dense_scores: dict[int, float] = field(default_factory=dict)  # query cosine of the dense candidates (vector id)
    query_vector: np.ndarray | None = None  # the query's encoding (dense and hybrid modes), for the reader to reuse


@dataclass
class Ranking:
    """Candidate chunks for a query, best first, and what its dense side measured."""

    chunks: list[tuple[int, float]]  # (vector id, score)
    dense_scores: dict[int, float]  # query cosine of the dense candidates
    query_vector: np.ndarray | None  # None in lexical mode


class Retriever:
    """Composes the query encoder, the vector store, BM25 and the chunk store of one index snapshot."""

    def __init__(self, snapshot: IndexSnapshot, encoder: TextEncoder, config: RetrievalConfig = RetrievalConfig(),
                 reranker: RerankClient | None = None) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.config = config
        self.reranker = reranker

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters = SearchFilters(),
               passages_per_document: int = 3, rerank: bool = False) -> SearchOutcome:
        """The ``k`` best documents for ``query``, each with its best passages and a highlighted snippet.

        With ``rerank`` and a configured reranker, the first ``top_n`` documents are reordered by it before
        the first ``k`` are kept; if it fails, the local order stays and ``rerank_fallback`` says why.
        """
        if mode not in MODES:
            raise ValueError(f"mode inconnu : {mode}")
        started = time.perf_counter()
        allowed = self._allowed_ids(filters)
        ranking = self.rank_chunks(query, mode, allowed)
        wanted = max(k, self.reranker.config.top_n) if rerank and self.reranker else k
        results = self._documents(ranking.chunks, wanted, passages_per_document)
        outcome = SearchOutcome(query=query, mode=mode, results=results, took_ms=0.0, dense_scores=ranking.dense_scores,
                                query_vector=ranking.query_vector)
        if rerank:
            self._rerank(outcome)
        del outcome.results[k:]
        terms = set(self.snapshot.lexical.query_terms(query))
        for result in outcome.results:
            for hit in result.chunk_hits:
                hit.snippet = make_snippet(hit.chunk.text, terms)
        outcome.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return outcome

    def _documents(self, ranked: list[tuple[int, float]], k: int, passages_per_document: int) -> list[DocumentHit]:
        """The first ``k`` documents of a chunk ranking, each with its best passages."""
        selected: dict[str, list[tuple[int, float]]] = {}
        documents = self.snapshot.documents_of(np.array([v for v, _ in ranked], dtype=np.int64)) if ranked else []
        for (vector_id, score), document_id in zip(ranked, documents):
            if document_id not in selected and len(selected) == k:
                continue
            hits = selected.setdefault(document_id, [])
            if len(hits) < passages_per_document:
                hits.append((vector_id, score))
        chunks = self.snapshot.chunks.chunks_by_vector_id(v for hits in selected.values() for v, _ in hits)
        return [DocumentHit([ChunkHit(chunks[v], score) for v, score in hits]) for hits in selected.values()]

    def _rerank(self, outcome: SearchOutcome) -> None:
        """Reorder the first ``top_n`` documents by the reranker's judgement of their best passage."""
        if self.reranker is None:
            outcome.rerank_fallback = f"Ordre de la recherche locale : {NO_RERANKER}."
            return
        head = outcome.results[: self.reranker.config.top_n]
        if not head:
            return
        passages = [f"{hit.best.chunk.title}\n{hit.best.chunk.embedding_text}" for hit in head]
        try:
            judged = self.reranker.rerank(outcome.query, passages)
        except RerankError as error:
            logger.warning("Reclassement impossible, ordre local gardé : %s", error)
            outcome.rerank_fallback = f"Ordre de la recherche locale : {error}."
            return
        for index, relevance in judged:
            head[index].rerank_score = relevance
        judged_indexes = {index for index, _ in judged}
        unjudged = [hit for index, hit in enumerate(head) if index not in judged_indexes]
        outcome.results[: len(head)] = [head[index] for index, _ in judged] + unjudged
        outcome.reranked = True

    def rank_chunks(self, query: str, mode: str = "hybrid", allowed: np.ndarray | None = None) -> Ranking:
        """Candidate chunks for ``query``: one list, or the dense and lexical lists fused."""
        n = self.config.candidates
        lists, dense_scores, vector = [], {}, None
        if mode in ("dense", "hybrid"):
            vector = self.encoder.encode_query(query)
            scores, ids = self.snapshot.vectors.search(vector, n, allowed)
            hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
            dense_scores = dict(hits)
            lists.append(self.in_document_context(hits, vector))
        if mode in ("lexical", "hybrid"):
            scores, ids = self.snapshot.lexical.search(query, n, allowed)
            lists.append([(int(i), float(s)) for i, s in zip(ids, scores)])
        fused = lists[0] if len(lists) == 1 else fuse(lists, self.config.fusion, depth=n, absent=(None, 0.0))
        return Ranking(fused, dense_scores, vector)

    def in_document_context(self, hits: list[tuple[int, float]], vector: np.ndarray) -> list[tuple[int, float]]:
        """Dense hits rescored with what their documents are about, best first: each passage's cosine plus
        ``document_weight`` times the query's cosine with its document's vector, both less the corpus's mean passage
        (``index/document_vectors.py``). A passage matching the question inside a guide about something else falls
        behind one inside a guide about the question. Passages are read alone in a corpus of fewer than
        ``MIN_DOCUMENTS`` documents."""
        snapshot, weight = self.snapshot, self.config.document_weight
        if not hits or not weight or snapshot.document_vectors is None or len(snapshot.document_ids) < MIN_DOCUMENTS:
            return hits
        query = np.asarray(vector, dtype=np.float32).reshape(-1) - snapshot.corpus_mean
        norm = float(np.linalg.norm(query))
        if not norm:
            return hits
        codes = snapshot.document_codes[np.searchsorted(snapshot.vector_ids, [vector_id for vector_id, _ in hits])]
        context = snapshot.document_vectors[codes] @ (query / norm)
        rescored = [(vector_id, score + weight * float(c)) for (vector_id, score), c in zip(hits, context)]
        return sorted(rescored, key=lambda hit: -hit[1])

    def _allowed_ids(self, filters: SearchFilters) -> np.ndarray | None:
        if not filters:
            return None
        ids = self.snapshot.chunks.vector_ids_matching(list(filters.types), list(filters.tags), filters.folder)
        return np.array(ids, dtype=np.int64)


def make_snippet(text: str, terms: set[str], width: int = SNIPPET_CHARS, start: int | None = None) -> str:
    """An HTML-safe extract of ``text`` around the densest cluster of query terms, or from the word at ``start``,
    with the terms wrapped in ``<mark>``."""
    spans = term_spans(text, terms)
    around_terms = start is None
    if around_terms:
        start = max(0, spans[densest_window([s for s, _ in spans], width)][0] - width // 4) \
            if len(text) > width and spans else 0
    end = min(len(text), start + width)
    if around_terms and start > 0:
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


def snippet_text(snippet: str) -> str:
    """A snippet as plain text, as a client displays it: no ``<mark>``, HTML entities decoded."""
    return html.unescape(MARK.sub("", snippet))


def densest_window(starts: list[int], width: int) -> int:
    """Index of the first of the sorted ``starts`` that opens the window of ``width`` characters holding the most
    of them (one pass, however many matches)."""
    best, most, end = 0, 0, 0
    for first, start in enumerate(starts):
        while end < len(starts) and starts[end] < start + width:
            end += 1
        if end - first > most:
            best, most = first, end - first
    return best
