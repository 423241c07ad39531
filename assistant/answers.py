"""Answer composition without a language model: a matching FAQ answer, or the best sentences of the
top passages, each followed by its citation marker; an honest ``no_answer`` below the confidence bar.

Confidence combines two signals that catch different failures: how close the best sentence is to the
question in meaning (e5 cosine), and how much of the question's rare words the retrieved passages
contain (IDF-weighted coverage: a question about « SecNumCloud » is not answered by a text that never
names it, however close in topic).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from index.chunking import split_sentences
from index.chunkstore import StoredChunk
from index.embedding import TextEncoder
from index.lexical import BM25Index, analyze

from .retrieval import DocumentHit, SearchOutcome

MIN_SENTENCE_WORDS = 5
MAX_SENTENCE_WORDS = 90


@dataclass(frozen=True)
class AnswerConfig:
    """Thresholds calibrated on corpus-real's dev questions (see benchmarks/calibrate_ask.py)."""

    min_confidence: float = 0.5
    faq_match: float = 0.9  # question-to-FAQ-question cosine above which the FAQ answer is given whole
    max_sentences: int = 3
    source_documents: int = 3  # documents whose best passages feed sentence extraction
    redundancy: float = 0.9  # a sentence this close to one already picked adds nothing
    rank_penalty: float = 0.02  # retrieval's order is informative: prefer sentences of better-ranked documents
    shortlist: int = 8  # sentences embedded per answer (embedding is the costly step)
    sentence_cache_size: int = 20_000  # sentence vectors kept: passages come back for related questions
    cosine_floor: float = 0.78  # e5 cosines live in a narrow band: map [floor, ceiling] to [0, 1]
    cosine_ceiling: float = 0.90


@dataclass
class Citation:
    number: int
    chunk: StoredChunk
    quote: str


@dataclass
class Answer:
    status: str  # "answered" or "no_answer"
    text: str
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    related: list[DocumentHit] = field(default_factory=list)
    method: str = "extractive"  # "faq", "extractive", "generative", "none"
    signals: dict[str, float] = field(default_factory=dict)


@dataclass
class _Sentence:
    text: str
    chunk: StoredChunk
    rank: int  # rank of its document in the results
    position: int  # order within its passage
    similarity: float = 0.0
    overlap: float = 0.0

    def score(self, rank_penalty: float) -> float:
        return self.similarity + 0.1 * self.overlap - rank_penalty * self.rank


class SentenceCache:
    """LRU cache of passage-side sentence embeddings: the same passages come back for related questions.
    Shared by concurrent requests, hence the lock (the model call itself runs outside it)."""

    def __init__(self, encoder: TextEncoder, size: int = 20_000) -> None:
        self.encoder, self.size = encoder, size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            found = {s: self._vectors[s] for s in sentences if s in self._vectors}
        missing = [s for s in dict.fromkeys(sentences) if s not in found]
        if missing:
            found.update(zip(missing, self.encoder.encode_passages(missing)))
        with self._lock:
            for sentence in dict.fromkeys(sentences):
                self._vectors[sentence] = found[sentence]
                self._vectors.move_to_end(sentence)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return np.vstack([found[s] for s in sentences])


class AnswerComposer:
    def __init__(self, encoder: TextEncoder, config: AnswerConfig = AnswerConfig()) -> None:
        self.encoder = encoder
        self.config = config
        self.sentences = SentenceCache(encoder, config.sentence_cache_size)

    def compose(self, question: str, outcome: SearchOutcome, lexical: BM25Index) -> Answer:
        """The answer to ``question`` from the search ``outcome`` (made for the possibly enriched query)."""
        if not outcome.results:
            return self.no_answer([], 0.0, {})
        query_vector = self.encoder.encode_query(outcome.query)
        coverage = term_coverage(outcome.query, [r.best.chunk for r in outcome.results[:2]], lexical)

        best = outcome.results[0].best.chunk
        if best.kind == "faq":
            faq_question = best.heading_path[-1]
            similarity = float(self.encoder.encode_query(faq_question) @ query_vector)
            if similarity >= self.config.faq_match:
                confidence = self._confidence(similarity, coverage)
                signals = {"faq_similarity": similarity, "coverage": coverage}
                if confidence >= self.config.min_confidence:
                    citation = Citation(1, best, best.text)
                    return Answer("answered", f"{best.text} [1]", confidence, [citation],
                                  outcome.results[1:6], "faq", signals)

        candidates = self._shortlist(self._candidate_sentences(outcome), outcome.query, lexical)
        if not candidates:
            return self.no_answer(outcome.results[:5], 0.0, {"coverage": coverage})
        vectors = self.sentences.encode([c.text for c in candidates])
        for candidate, vector in zip(candidates, vectors):
            candidate.similarity = float(vector @ query_vector)
        chosen = self._pick(candidates, vectors)
        confidence = self._confidence(chosen[0].similarity, coverage)
        signals = {"sentence_similarity": chosen[0].similarity, "coverage": coverage}
        if confidence < self.config.min_confidence:
            return self.no_answer(outcome.results[:5], confidence, signals)
        return self._extractive_answer(chosen, outcome, confidence, signals)

    def _candidate_sentences(self, outcome: SearchOutcome) -> list[_Sentence]:
        candidates = []
        for rank, result in enumerate(outcome.results[: self.config.source_documents]):
            for hit in result.chunk_hits[:2 if rank == 0 else 1]:
                for position, sentence in enumerate(split_sentences(hit.chunk.text)):
                    words = len(sentence.split())
                    if MIN_SENTENCE_WORDS <= words <= MAX_SENTENCE_WORDS:
                        candidates.append(_Sentence(sentence.lstrip("• ").strip(), hit.chunk, rank, position))
        return candidates

    def _shortlist(self, candidates: list[_Sentence], query: str, lexical: BM25Index) -> list[_Sentence]:
        """Keep the sentences worth embedding (the costly step): best IDF-weighted word overlap, better-ranked first."""
        terms = list(dict.fromkeys(analyze(query)))
        weights = {term: lexical.idf(term) for term in terms}
        total = sum(weights.values()) or 1.0
        for candidate in candidates:
            present = set(analyze(candidate.text))
            candidate.overlap = sum(w for term, w in weights.items() if term in present) / total
        ranked = sorted(candidates, key=lambda c: -(c.overlap - 0.1 * c.rank))
        return ranked[: self.config.shortlist]

    def _pick(self, candidates: list[_Sentence], vectors: np.ndarray) -> list[_Sentence]:
        """Best sentences first, skipping near-duplicates; then back in reading order per source."""
        scores = [c.score(self.config.rank_penalty) for c in candidates]
        order = sorted(range(len(candidates)), key=lambda i: -scores[i])
        picked: list[int] = [order[0]]
        for index in order[1:]:
            if len(picked) == self.config.max_sentences:
                break
            if scores[index] < scores[order[0]] - 0.03:
                break
            if max(float(vectors[index] @ vectors[p]) for p in picked) >= self.config.redundancy:
                continue
            picked.append(index)
        chosen = [candidates[i] for i in picked]
        first_seen = {}
        for sentence in chosen:
            first_seen.setdefault(sentence.chunk.chunk_id, len(first_seen))
        return sorted(chosen, key=lambda s: (first_seen[s.chunk.chunk_id], s.position))

    def _extractive_answer(self, chosen: list[_Sentence], outcome: SearchOutcome, confidence: float,
                           signals: dict[str, float]) -> Answer:
        citations: dict[str, Citation] = {}
        parts = []
        for sentence in chosen:
            citation = citations.get(sentence.chunk.chunk_id)
            if citation is None:
                citation = citations[sentence.chunk.chunk_id] = Citation(len(citations) + 1, sentence.chunk, "")
            citation.quote = f"{citation.quote} {sentence.text}".strip()
            parts.append(f"{_as_sentence(sentence.text)} [{citation.number}]")
        cited_documents = {c.chunk.document_id for c in citations.values()}
        related = [r for r in outcome.results if r.best.chunk.document_id not in cited_documents][:5]
        return Answer("answered", " ".join(parts), confidence, list(citations.values()), related, "extractive", signals)

    def _confidence(self, similarity: float, coverage: float) -> float:
        c = self.config
        closeness = min(max((similarity - c.cosine_floor) / (c.cosine_ceiling - c.cosine_floor), 0.0), 1.0)
        return round(0.5 * closeness + 0.5 * coverage, 4)

    @staticmethod
    def no_answer(related: list[DocumentHit], confidence: float, signals: dict[str, float]) -> Answer:
        return Answer("no_answer", no_answer_text(related), confidence, [], related[:5], "none", signals)


def term_coverage(query: str, chunks: list[StoredChunk], lexical: BM25Index) -> float:
    """Share of the query's information (IDF-weighted terms) found in ``chunks``; unknown terms weigh most."""
    terms = list(dict.fromkeys(analyze(query)))
    if not terms:
        return 0.0
    present = set()
    for chunk in chunks:
        present |= set(analyze(chunk.embedding_text))
    weights = np.array([lexical.idf(term) for term in terms])
    found = np.array([term in present for term in terms])
    return float(weights[found].sum() / weights.sum()) if weights.sum() else 0.0


def no_answer_text(related: list[DocumentHit]) -> str:
    text = "Je n'ai pas trouvé de réponse fiable à cette question dans la documentation."
    if related:
        titles = " ; ".join(f"« {r.best.chunk.title} »" for r in related[:3])
        text += f" Les ressources les plus proches sont : {titles}."
    return text


def _as_sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if text[-1:] in ".!?…:" else text + "."
