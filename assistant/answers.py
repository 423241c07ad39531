"""Answer composition without a language model: the span the reader found, cited, or an honest ``no_answer``.

The reader (``reader.py``) scores the spans of the best passages by the probability that they state the
answer. The composer gives the best span, or the whole FAQ answer when the span comes from a short FAQ answer,
and turns how much that span stands out among all it read into a confidence calibrated on corpus-real's dev
questions: the estimated chance that the answer states what was asked (``benchmarks/calibrate_ask.py``). It
abstains, and offers the closest documents, below ``min_confidence`` or when the span does not meet the question:
none of its terms, or one of its distinctive terms (a name, an acronym, a rare word) missing from the span and its
headings while the meaning is not clearly the same.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from index.chunkstore import StoredChunk
from index.embedding import TextEncoder
from index.lexical import analyze
from index.snapshot import IndexSnapshot

from .reader import Reader, ReaderConfig, Reading, Span
from .retrieval import DocumentHit, SearchOutcome


@dataclass(frozen=True)
class AnswerConfig:
    """Thresholds calibrated on corpus-real's dev questions (see benchmarks/calibrate_ask.py)."""

    min_confidence: float = 0.4
    faq_whole_words: int = 110  # a FAQ answer up to this length is given whole when its best span is chosen
    title_words: int = 12  # a document title up to this length opens an answer that does not state it
    meaning_match: float = 0.88  # query-passage e5 cosine at which a span missing a distinctive term still answers
    # confidence = sigmoid(w · (logit of the answer's share, its context coverage, its passage similarity) + bias)
    calibration: tuple[float, float, float, float] = (0.526, -0.043, 2.197, -1.949)
    reader: ReaderConfig = field(default_factory=ReaderConfig)


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
    passages: list[StoredChunk] = field(default_factory=list)  # what the reader read, best first (for generation)


class AnswerComposer:
    def __init__(self, encoder: TextEncoder, config: AnswerConfig = AnswerConfig()) -> None:
        self.encoder = encoder
        self.config = config
        self.reader = Reader(config.reader)

    def compose(self, question: str, outcome: SearchOutcome, snapshot: IndexSnapshot) -> Answer:
        """The answer to ``question`` from the search ``outcome`` (made for the possibly enriched query)."""
        if not outcome.results:
            return self.no_answer([], 0.0, {})
        query_vector = self.encoder.encode_query(outcome.query)
        reading = self.reader.read(outcome.query, query_vector, outcome, snapshot)
        best = reading.best
        if best is None:
            return self.no_answer(outcome.results[:5], 0.0, {})
        whole_faq = self.gives_whole_passage(best)
        share = reading.share_within(best.chunk) if whole_faq else reading.share_within(best.chunk, best.start,
                                                                                         best.start + len(best.units))
        confidence = self.confidence(share, best)
        signals = {name: round(value, 4) for name, value in best.features.items()} | {"answer_share": round(share, 4)}
        if not self.grounded(best):
            confidence = round(confidence * best.features["context_distinctive"] * best.features["context_coverage"], 4)
            return self.no_answer(outcome.results[:5], confidence, signals, reading.passages)
        if confidence < self.config.min_confidence:
            return self.no_answer(outcome.results[:5], confidence, signals, reading.passages)
        return self._answer(best, outcome, reading, confidence, signals)

    def gives_whole_passage(self, span: Span) -> bool:
        """A short FAQ answer is given whole rather than cut."""
        return span.chunk.kind == "faq" and len(span.chunk.text.split()) <= self.config.faq_whole_words

    def grounded(self, span: Span) -> bool:
        """Whether the answer meets the question: it shares its terms, and states its distinctive ones (with its
        headings) or, failing that, comes from a passage that says the same thing in other words."""
        features = span.features
        return features["context_coverage"] > 0 and (features["context_distinctive"] >= 1.0
                                                     or features["passage_similarity"] >= self.config.meaning_match)

    def confidence(self, answer_share: float, best: Span) -> float:
        """The observed chance that such an answer is right, from the reader's share of belief in what is shown and
        how well it meets the question (a logistic model fitted on corpus-real's dev questions)."""
        share_weight, coverage_weight, similarity_weight, bias = self.config.calibration
        share = min(max(answer_share, 1e-6), 1 - 1e-6)
        z = (share_weight * math.log(share / (1 - share)) + coverage_weight * best.features["context_coverage"]
             + similarity_weight * best.features["passage_similarity"] + bias)
        return round(1 / (1 + math.exp(-z)), 4)

    def render(self, span: Span) -> tuple[str, str, bool]:
        """(answer text with its citation marker, quote, whether it is a whole FAQ answer) for ``span``."""
        chunk = span.chunk
        whole_faq = self.gives_whole_passage(span)
        quote = chunk.text if whole_faq else span.text
        text = f"{_as_sentence(quote)} [1]"
        if not whole_faq and names_subject(chunk.title, quote, self.config.title_words):
            text = f"« {chunk.title} » : {text}"
        return text, quote, whole_faq

    def _answer(self, span: Span, outcome: SearchOutcome, reading: Reading, confidence: float,
                signals: dict[str, float]) -> Answer:
        text, quote, whole_faq = self.render(span)
        related = [r for r in outcome.results if r.best.chunk.document_id != span.chunk.document_id][:5]
        return Answer("answered", text, confidence, [Citation(1, span.chunk, quote)], related,
                      "faq" if whole_faq else "extractive", signals, reading.passages)

    @staticmethod
    def no_answer(related: list[DocumentHit], confidence: float, signals: dict[str, float],
                  passages: list[StoredChunk] | None = None) -> Answer:
        return Answer("no_answer", no_answer_text(related), confidence, [], related[:5], "none", signals, passages or [])


def names_subject(title: str, quote: str, max_words: int) -> bool:
    """Whether an answer should open with its document's title: a short title the quote does not state, such as a
    project's name on its own page (« MonitorFish »), is what the sentence is about."""
    title_terms = set(analyze(title))
    return bool(title_terms) and len(title.split()) <= max_words and not title_terms <= set(analyze(quote))


def no_answer_text(related: list[DocumentHit]) -> str:
    text = "Je n'ai pas trouvé de réponse fiable à cette question dans la documentation."
    if related:
        titles = " ; ".join(f"« {r.best.chunk.title} »" for r in related[:3])
        text += f" Les ressources les plus proches sont : {titles}."
    return text


def _as_sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip(";,").rstrip()
    return text if text[-1:] in ".!?…:" else text + "."
