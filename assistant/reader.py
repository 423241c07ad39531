"""The reader: finds, inside the retrieved passages, the span that states what was asked.

A span is one to a few consecutive sentences of one passage, or a list with its lead-in sentence: an answer
comes from one coherent place. Each span is scored from signals that catch different failures:

- its passage's meaning against the question's (e5 cosine; embedding each sentence as well cost twenty times a
  search and did not pick better answers on the dev questions, see benchmarks/README.md);
- whether it meets the question's *distinctive* terms (rare words, names, acronyms, numbers), on its own and
  with its heading path: a sentence that shares only common words, or words in another sense, scores low;
- where retrieval ranked its document.

The signals are weighted by a model fitted on corpus-real's dev questions to put, for each question, the spans
that state the answer first (``benchmarks/calibrate_ask.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.chunking import split_sentences
from index.chunkstore import StoredChunk
from index.lexical import BM25Index, analyze
from index.snapshot import IndexSnapshot

from .retrieval import SearchOutcome

LIST_ITEM = re.compile(r"^\s*(?:•|-|\*|\d+[.)])\s+")


@dataclass(frozen=True)
class ReaderConfig:
    """How much the reader reads, and the weights of its signals (fitted, see ``benchmarks/calibrate_ask.py``)."""

    documents: int = 4  # best documents read
    passages_per_document: int = 2  # passages read per document, after the first document
    whole_document_passages: int = 16  # the first document is read whole, up to this many passages
    max_span_words: int = 70
    max_list_words: int = 110  # a list answer keeps its items, within reason
    max_units: int = 3  # sentences in a plain span
    distinctive_idf: float = 0.6  # share of the corpus's highest IDF above which a term is distinctive
    # One per FEATURES; a span's score is their weighted sum (benchmarks/calibrate_ask.py, corpus-real dev).
    weights: tuple[float, ...] = (58.432, 3.454, 3.049, 1.774, -1.646, 7.154)


FEATURES = ("passage_similarity", "coverage", "context_coverage", "distinctive", "context_distinctive", "document_rank")


@dataclass
class Unit:
    """A sentence or a list item of a passage."""

    text: str
    is_item: bool
    words: int


@dataclass
class Span:
    """Consecutive units of one passage, scored."""

    chunk: StoredChunk
    units: list[Unit]
    rank: int  # rank of its document in the results
    start: int  # position of its first unit in the passage
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(u.text for u in self.units)

    @property
    def words(self) -> int:
        return sum(u.words for u in self.units)


def split_units(text: str) -> list[Unit]:
    """Sentences and list items of a passage, in reading order."""
    units = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        is_item = bool(LIST_ITEM.match(line))
        for sentence in split_sentences(line):
            clean = LIST_ITEM.sub("", sentence).strip() if is_item else sentence.strip()
            if clean:
                units.append(Unit(clean, is_item, len(clean.split())))
    return units


def candidate_spans(chunk: StoredChunk, units: list[Unit], rank: int, config: ReaderConfig) -> list[Span]:
    """Every run of 1 to ``max_units`` units within the word budget that does not end on « : »; a lead-in ending with
    « : » comes with its whole list (as far as the list budget goes), never with only some of its items."""
    spans = []
    for start in range(len(units)):
        if _is_lead_in(units, start):
            end, words = start + 1, units[start].words + units[start + 1].words
            while end + 1 < len(units) and units[end + 1].is_item and words + units[end + 1].words <= config.max_list_words:
                end += 1
                words += units[end].words
            spans.append(Span(chunk, units[start:end + 1], rank, start))
            continue
        words = 0
        for end in range(start, min(start + config.max_units, len(units))):
            words += units[end].words
            if words > config.max_span_words and end > start:
                break
            if _is_lead_in(units, end):  # its list is the whole-list span's, never cut
                break
            if not units[end].text.endswith(":"):  # a span never stops on a promise (« … doivent : »)
                spans.append(Span(chunk, units[start:end + 1], rank, start))
    return spans


def _is_lead_in(units: list[Unit], position: int) -> bool:
    """Whether the unit at ``position`` introduces a list: it ends with « : » and a list item follows."""
    return units[position].text.endswith(":") and position + 1 < len(units) and units[position + 1].is_item


PREFIX = 5  # shortest stem compared by its beginning


def same_word(asked: str, stated: str) -> bool:
    """Whether two stems are forms of one word: they share at least ``PREFIX`` leading letters and part, if at all,
    at the shorter one's last letter (« financ » / « financi », « accessibl » / « accessibilit »)."""
    shorter = min(len(asked), len(stated))
    common = 0
    while common < shorter and asked[common] == stated[common]:
        common += 1
    return common >= max(PREFIX, shorter - 1)


@dataclass(frozen=True)
class QuestionTerms:
    """The question's analysed terms with their IDF; the distinctive ones are those rare in the corpus."""

    weights: dict[str, float]
    distinctive: frozenset[str]

    @classmethod
    def of(cls, query: str, lexical: BM25Index, distinctive_idf: float) -> QuestionTerms:
        weights = {term: lexical.idf(term) for term in dict.fromkeys(analyze(query))}
        ceiling = lexical.idf("\x00")  # an unknown term gets the corpus's highest IDF
        return cls(weights, frozenset(t for t, w in weights.items() if w >= distinctive_idf * ceiling))

    def met_by(self, terms: set[str]) -> set[str]:
        """The question's terms that ``terms`` state, as they are or in a near form of the same word: the stemmer
        leaves « financé » and « financier », « accessible » and « accessibilité » apart (``same_word``)."""
        met = self.weights.keys() & terms
        if len(met) < len(self.weights):
            met |= {asked for term in terms for asked in self._by_prefix.get(term[:PREFIX], ())
                    if asked not in met and same_word(asked, term)}
        return met

    @cached_property
    def _by_prefix(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for term in self.weights:
            if len(term) >= PREFIX:
                grouped.setdefault(term[:PREFIX], []).append(term)
        return grouped

    def coverage(self, present: set[str]) -> float:
        """IDF-weighted share of the question's terms found in ``present``."""
        total = sum(self.weights.values())
        return sum(w for t, w in self.weights.items() if t in present) / total if total else 0.0

    def distinctive_coverage(self, present: set[str]) -> float:
        """Share of the distinctive terms found in ``present`` (1 when the question has none)."""
        return sum(1 for t in self.distinctive if t in present) / len(self.distinctive) if self.distinctive else 1.0


@dataclass
class Reading:
    """What the reader found: spans best first (scored), and the passages it read, by their best span."""

    spans: list[Span]
    passages: list[StoredChunk]
    terms: QuestionTerms

    @property
    def best(self) -> Span | None:
        return self.spans[0] if self.spans else None

    def share_within(self, chunk: StoredChunk, start: int = 0, end: int | None = None) -> float:
        """How much of the softmax over every span read falls on spans inside ``chunk``'s units ``start`` to ``end``
        (the whole passage by default): the reader's belief that the answer lies in what is shown (0 to 1)."""
        if not self.spans:
            return 0.0
        scores = np.array([span.score for span in self.spans])
        weights = np.exp(scores - scores.max())
        inside = [span.chunk.vector_id == chunk.vector_id and span.start >= start
                  and (end is None or span.start + len(span.units) <= end) for span in self.spans]
        return float(weights[inside].sum() / weights.sum())

    def terms_met(self, spans: list[Span]) -> set[str]:
        """The question's terms that ``spans`` state, with the titles and headings of their passages."""
        met: set[str] = set()
        for span in spans:
            met |= self.terms.met_by(set(analyze(f"{span.chunk.title} {' '.join(span.chunk.heading_path)} {span.text}")))
        return met


class Reader:
    """Reads the best passages of a search outcome and ranks their spans by how likely they state the answer."""

    def __init__(self, config: ReaderConfig = ReaderConfig()) -> None:
        self.config = config

    def read(self, query: str, query_vector: np.ndarray, outcome: SearchOutcome, snapshot: IndexSnapshot) -> Reading:
        """Score every span of the passages read: the whole best document (its answer may sit in a passage that
        retrieval did not rank), then the best passages of the next documents."""
        config = self.config
        terms = QuestionTerms.of(query, snapshot.lexical, config.distinctive_idf)
        passages = self._passages(outcome, snapshot)
        similarity = passage_similarities(query_vector, [chunk for _, chunk in passages], outcome, snapshot)
        spans: list[Span] = []
        for rank, chunk in passages:
            units = split_units(chunk.text)
            context = terms.met_by(set(analyze(f"{chunk.title} {' '.join(chunk.heading_path)}")))
            unit_terms = [terms.met_by(set(analyze(unit.text))) for unit in units]
            for span in candidate_spans(chunk, units, rank, config):
                present = set().union(*unit_terms[span.start:span.start + len(span.units)])
                span.features = {
                    "passage_similarity": similarity[chunk.vector_id],
                    "coverage": terms.coverage(present),
                    "context_coverage": terms.coverage(present | context),
                    "distinctive": terms.distinctive_coverage(present),
                    "context_distinctive": terms.distinctive_coverage(present | context),
                    "document_rank": 1 / (1 + rank),
                }
                spans.append(span)
        for span in spans:
            span.score = self._score(span.features)
        spans.sort(key=lambda s: -s.score)
        read_first: dict[int, StoredChunk] = {}
        for span in spans:
            read_first.setdefault(span.chunk.vector_id, span.chunk)
        return Reading(spans, list(read_first.values()), terms)

    def _passages(self, outcome: SearchOutcome, snapshot: IndexSnapshot) -> list[tuple[int, StoredChunk]]:
        """(document rank, passage) pairs read, each passage once."""
        config, seen, passages = self.config, set(), []
        for rank, result in enumerate(outcome.results[:config.documents]):
            chunks = [hit.chunk for hit in result.chunk_hits[:config.passages_per_document]]
            if rank == 0:
                chunks += snapshot.chunks.chunks_of(result.best.chunk.document_id, config.whole_document_passages)
            for chunk in chunks:
                if chunk.vector_id not in seen:
                    seen.add(chunk.vector_id)
                    passages.append((rank, chunk))
        return passages

    def _score(self, features: dict[str, float]) -> float:
        return sum(w * features[name] for name, w in zip(FEATURES, self.config.weights))


def passage_similarities(query_vector: np.ndarray, passages: list[StoredChunk], outcome: SearchOutcome,
                         snapshot: IndexSnapshot) -> dict[int, float]:
    """Cosine of the query with each passage: retrieval's dense scores, else an exact look-up of the others."""
    known = {chunk.vector_id: outcome.dense_scores[chunk.vector_id] for chunk in passages if chunk.vector_id in outcome.dense_scores}
    missing = np.array([chunk.vector_id for chunk in passages if chunk.vector_id not in known], dtype=np.int64)
    if len(missing):
        scores, ids = snapshot.vectors.search(query_vector, len(missing), missing)
        known.update((int(i), float(score)) for i, score in zip(ids[0], scores[0]) if i >= 0)
    return {chunk.vector_id: known.get(chunk.vector_id, 0.0) for chunk in passages}
