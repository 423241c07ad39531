"""The reader: finds, inside the retrieved passages, the span that states what was asked.

A span is one to a few consecutive sentences of one passage, or a list with the sentence that introduces it (its
items whole, or the first sentence of each when they are long, to the list's end even when it goes on in the next
passages): an answer comes from one coherent place. Each span is scored from signals that catch different failures:

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
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from index.chunking import split_sentences
from index.chunkstore import StoredChunk
from index.lexical import BM25Index, analyze
from index.snapshot import IndexSnapshot

from .retrieval import SearchOutcome

LIST_ITEM = re.compile(r"^\s*(?:•|-|\*|\d+[.)])\s+")
ACRONYM = re.compile(r"\b[A-ZÀ-Ý][A-ZÀ-Ý0-9]+\b")  # « DITP », « RGAA », « EIG »: a name the answer must state


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
    line: int = 0  # which line of the passage it comes from: a list item's sentences share one


@dataclass
class Span:
    """Units of one passage, scored: consecutive, or a lead-in and its items' first sentences (``positions``)."""

    chunk: StoredChunk
    units: list[Unit]
    rank: int  # rank of its document in the results
    start: int  # position of its first unit in the passage
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    positions: tuple[int, ...] = ()  # which units of the passage it shows, when they are not consecutive

    def __post_init__(self) -> None:
        if not self.positions:
            self.positions = tuple(range(self.start, self.start + len(self.units)))

    @property
    def stop(self) -> int:
        """Position after its last unit."""
        return self.positions[-1] + 1

    @property
    def text(self) -> str:
        """Its units, a lead-in that lacks a final mark ending with « : »."""
        texts = [unit.text for unit in self.units]
        for i, (unit, following) in enumerate(zip(self.units, self.units[1:])):
            if not unit.is_item and following.is_item and unit.text[-1] not in ".:;!?…":
                texts[i] += " :"
        return " ".join(texts)

    @property
    def words(self) -> int:
        return sum(u.words for u in self.units)


def split_units(text: str) -> list[Unit]:
    """Sentences and list items of a passage, in reading order."""
    units = []
    for number, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        is_item = bool(LIST_ITEM.match(line))
        for sentence in split_sentences(LIST_ITEM.sub("", line) if is_item else line):
            if sentence.strip():
                units.append(Unit(sentence.strip(), is_item, len(sentence.split()), number))
    return units


def candidate_spans(chunk: StoredChunk, units: list[Unit], rank: int, config: ReaderConfig,
                    continuation: list[Unit] = ()) -> list[Span]:
    """Every run of 1 to ``max_units`` units within the word budget that does not end on a promise (« … : ») and is not
    only questions (« Faut-il rémunérer les usagers ? », answered by the next sentence, or the questions a guide lists
    as its contents), and every list with the sentence that introduces it, unless its items are mostly questions. A
    list comes whole, never with only some of its items: all of them when they fit the list budget, else the first
    sentence of each item (a list of long items states its points there). A list that goes on in the next passage
    (``continuation``, its first items) is read to its end. A list that opens the passage is introduced by its
    heading: it is a span of its own too."""
    spans = []
    if len(units) > 1 and units[0].is_item and units[1].is_item:
        spans.append(_list_span(chunk, [*units, *continuation], 0, rank, config))
    for start in range(len(units)):
        if _introduces_list(units, start):
            spans.append(_list_span(chunk, [*units, *continuation], start, rank, config))
            if _promises_list(units, start):
                continue
        words = 0
        for end in range(start, min(start + config.max_units, len(units))):
            words += units[end].words
            if words > config.max_span_words and end > start:
                break
            if _promises_list(units, end):  # its list is the whole-list span's, never cut
                break
            if not units[end].text.endswith(":") and not _only_questions(units[start:end + 1]):
                spans.append(Span(chunk, units[start:end + 1], rank, start))
    return [span for span in spans if not _mostly_questions([unit for unit in span.units if unit.is_item])]


def _list_span(chunk: StoredChunk, units: list[Unit], lead_in: int, rank: int, config: ReaderConfig) -> Span:
    """The lead-in at ``lead_in`` with its items (or, for a list that opens its passage, its first item with the
    others): all of them, or the first sentence of each, within the budget."""
    end = lead_in + 1
    while end < len(units) and units[end].is_item:
        end += 1
    every = range(lead_in, end)
    firsts = [lead_in] + [p for p in every[1:] if units[p].line != units[p - 1].line]
    shown = every if sum(units[p].words for p in every) <= config.max_list_words else firsts
    positions, words = [], 0
    for p in shown:
        if positions and words + units[p].words > config.max_list_words:
            break
        positions.append(p)
        words += units[p].words
    return Span(chunk, [units[p] for p in positions], rank, lead_in, positions=tuple(positions))


def _introduces_list(units: list[Unit], position: int) -> bool:
    """Whether a list follows the unit at ``position`` and it introduces it: it ends with « : », or it closes the
    paragraph just before the list (« …on fait le mode pompier » above its steps)."""
    if position + 1 >= len(units) or not units[position + 1].is_item:
        return False
    unit = units[position]
    return unit.text.endswith(":") or (not unit.is_item and unit.line != units[position + 1].line)


def _only_questions(units: list[Unit]) -> bool:
    """Whether ``units`` (at least one) all ask rather than state: they cannot be an answer."""
    return bool(units) and all(unit.text.endswith("?") for unit in units)


def _mostly_questions(items: list[Unit]) -> bool:
    """Whether most list ``items`` ask rather than state: the contents of a page (« Elle répond aux questions
    suivantes : Quels produits… ? Quelles exemptions… ? »), not an answer."""
    return 2 * sum(item.text.endswith("?") for item in items) > len(items)


def _promises_list(units: list[Unit], position: int) -> bool:
    """Whether the unit at ``position`` announces the list that follows (« … il faut : »): it means nothing without it."""
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
    """The question's analysed terms with their IDF; the distinctive ones are those rare in the corpus, and the
    acronyms the question names (« le budget de la DITP » is not a laboratory's budget, however often the corpus
    names the DITP)."""

    weights: dict[str, float]
    distinctive: frozenset[str]

    @classmethod
    def of(cls, query: str, lexical: BM25Index, distinctive_idf: float) -> QuestionTerms:
        weights = {term: lexical.idf(term) for term in dict.fromkeys(lexical.query_terms(query))}
        ceiling = lexical.idf("\x00")  # an unknown term gets the corpus's highest IDF
        acronyms = {lexical.corrected(term) for acronym in ACRONYM.findall(query) for term in analyze(acronym)}
        return cls(weights, frozenset(t for t, w in weights.items() if w >= distinctive_idf * ceiling or t in acronyms))

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

    def share_near(self, shown: list[tuple[StoredChunk, int, int | None]]) -> float:
        """How much of the softmax over every span read falls on spans that share a unit with what is shown
        (``(passage, start, end)``, ``end`` None for the whole passage): the reader's belief that the answer lies
        there (0 to 1). Overlapping spans agree on where the answer is, whatever their exact bounds."""
        if not self.spans:
            return 0.0
        scores = np.array([span.score for span in self.spans])
        weights = np.exp(scores - scores.max())
        near = [any(span.chunk.vector_id == chunk.vector_id and span.stop > start and (end is None or span.start < end)
                    for chunk, start, end in shown) for span in self.spans]
        return float(weights[near].sum() / weights.sum())

    def terms_met(self, spans: list[Span]) -> set[str]:
        """The question's terms that ``spans`` state, with the titles and headings of their passages."""
        met: set[str] = set()
        for span in spans:
            met |= self.terms.met_by(set(analyze(f"{span.chunk.title} {' '.join(span.chunk.heading_path)} {span.text}")))
        return met

    def distinctive_terms_met(self, spans: list[Span]) -> set[str]:
        """The question's distinctive terms that ``spans`` state as their subject: in their text and headings, but only
        in its question for a FAQ answer, which answers its own question (« Quel budget prévoir pour un laboratoire ? »
        is not about the DITP its answer sends the reader to)."""
        met: set[str] = set()
        for span in spans:
            chunk = span.chunk
            text = "" if chunk.kind == "faq" and len(chunk.heading_path) >= 2 else span.text
            met |= self.terms.met_by(set(analyze(f"{chunk.title} {' '.join(chunk.heading_path)} {text}")))
        return met & self.terms.distinctive


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
        continuations = list_continuations([chunk for _, chunk in passages], snapshot)
        spans: list[Span] = []
        for rank, chunk in passages:
            units = split_units(chunk.text)
            continuation = continuations.get(chunk.vector_id, [])
            context = terms.met_by(set(analyze(f"{chunk.title} {' '.join(chunk.heading_path)}")))
            unit_terms = [terms.met_by(set(analyze(unit.text))) for unit in [*units, *continuation]]
            for span in candidate_spans(chunk, units, rank, config, continuation):
                present = set().union(*(unit_terms[p] for p in span.positions))
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


def list_continuations(passages: list[StoredChunk], snapshot: IndexSnapshot,
                       further: int = 3) -> dict[int, list[Unit]]:
    """For each passage that ends inside a list, the items that open the next passages of its section (up to
    ``further`` of them): a list longer than a passage goes on there. Their lines are numbered after the passage's."""
    ending_in_list = [chunk for chunk in passages if LIST_ITEM.match(chunk.text.rsplit("\n", 1)[-1])]
    following = snapshot.chunks.chunks_by_vector_id(
        chunk.vector_id + step for chunk in ending_in_list for step in range(1, further + 1))
    continuations = {}
    for chunk in ending_in_list:
        read, added = split_units(chunk.text), []
        for step in range(1, further + 1):
            after = following.get(chunk.vector_id + step)
            if after is None or (after.document_id, after.ordinal, after.heading_path) != (
                    chunk.document_id, chunk.ordinal + step, chunk.heading_path):
                break
            items, ends = _list_going_on(read, split_units(after.text))
            read, added = read + items, added + items
            if ends:
                break
        if added:
            continuations[chunk.vector_id] = added
    return continuations


def _list_going_on(read: list[Unit], opening: list[Unit]) -> tuple[list[Unit], bool]:
    """The units of the next passage (``opening``) that carry on the list ``read`` ends with, numbered after its lines,
    and whether the list ends in that passage. The passages may share a sentence or two across their cut."""
    repeated = _overlap(read, opening)
    shared_line = opening[repeated - 1].line if repeated else None  # an item cut between the two passages
    after_cut = opening[repeated:]
    last_line, items = read[-1].line, []
    for unit in after_cut:
        if not (unit.is_item or unit.line == shared_line):
            break
        items.append(replace(unit, is_item=True, line=last_line if unit.line == shared_line else unit.line + last_line + 1))
    return items, not items or len(items) < len(after_cut)


def _overlap(ending: list[Unit], opening: list[Unit]) -> int:
    """How many units ``ending`` ends with that ``opening`` starts with."""
    texts, following = [unit.text for unit in ending], [unit.text for unit in opening]
    return next((n for n in range(min(len(texts), len(following)), 0, -1) if texts[-n:] == following[:n]), 0)


def passage_similarities(query_vector: np.ndarray, passages: list[StoredChunk], outcome: SearchOutcome,
                         snapshot: IndexSnapshot) -> dict[int, float]:
    """Cosine of the query with each passage: retrieval's dense scores, else an exact look-up of the others."""
    known = {chunk.vector_id: outcome.dense_scores[chunk.vector_id] for chunk in passages if chunk.vector_id in outcome.dense_scores}
    missing = np.array([chunk.vector_id for chunk in passages if chunk.vector_id not in known], dtype=np.int64)
    if len(missing):
        scores, ids = snapshot.vectors.search(query_vector, len(missing), missing)
        known.update((int(i), float(score)) for i, score in zip(ids[0], scores[0]) if i >= 0)
    return {chunk.vector_id: known.get(chunk.vector_id, 0.0) for chunk in passages}
