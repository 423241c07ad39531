"""Answer composition without a language model: the span the reader found, cited, or an honest ``no_answer``.

The reader (``reader.py``) scores the spans of the best passages by the probability that they state the answer. The
composer gives the best span, or the whole FAQ answer when the span comes from a short FAQ answer (not when that
answer opens on « oui » or « non » and the question asks what, how, who…: the span then), and turns how much the
spans around it (those sharing a sentence with it) stand out among all it read into a confidence calibrated on
corpus-real's dev questions: the estimated chance that the answer states what was asked
(``benchmarks/calibrate_ask.py``). It abstains, and offers the closest documents (each shown from the span the
reader finds likeliest to answer in it), below ``min_confidence`` or when the span does not meet the question: none
of its terms, or one of its distinctive terms (a name, an acronym, a rare word) missing from the span and its
headings while the meaning is not clearly the same; or when the span is not the kind of answer asked
(``question_kind.py``): a bare « oui » to « Comment… ? », no quantity to « Combien… ? ». A question that asks two
things (``question_parts.py``) gets one span per part, each found by reading that part on its own, from the document
of the whole question's best span. When other spans of that document score exactly as high as the best (they meet
the same terms in the same passage), the reader cannot tell them apart: the answer shows them together. A question
that is a FAQ's own question, asked as written or nearly (``faq_asked``), gets that FAQ's answer whole. A how-to
question about what a guide's title names gets the guide's steps, or the section its action names (``outline.py``).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from index.chunkstore import StoredChunk
from index.embedding import TextEncoder
from index.lexical import analyze, fold_accents
from index.snapshot import IndexSnapshot

from .outline import GuidePart, OutlineConfig, guide_part
from .question_kind import YES_OR_NO, asks_for, counted, misses_an_ordinal, states_no_quantity_asked, yes_or_no_to_an_open_question
from .question_parts import question_parts
from .reader import Reader, ReaderConfig, Reading, Span
from .retrieval import ChunkHit, DocumentHit, SearchOutcome, make_snippet

TIE = 1e-9  # two span scores closer than this are the same score
EXTRACT_CHARS = 480  # an abstention's extract of a close document, from its best span on: the span whole, nearly always
TITLE_HEAD = re.compile(r"\s*[,:;|–—]\s+|\s+-\s+")  # where a title's leading name ends
DOCUMENT_KINDS = frozenset({"faq", "foire aux questions", "guide", "fiche", "memo", "questions-reponses"})


@dataclass(frozen=True)
class AnswerConfig:
    """Thresholds calibrated on corpus-real's dev questions (see benchmarks/calibrate_ask.py)."""

    min_confidence: float = 0.4
    faq_whole_words: int = 120  # a FAQ answer up to this length is given whole when its best span is chosen
    faq_question_overlap: float = 0.75  # IDF-weighted Dice overlap with a FAQ's question at which it is the one asked
    title_words: int = 6  # a title, or the name heading it, this short opens an answer that does not state it
    meaning_match: float = 0.88  # query-passage e5 cosine at which a span missing a distinctive term still answers
    parts_words: int = 130  # words at most of an answer with one span per part of the question
    # confidence = sigmoid(w · (logit of the answer's share, its context coverage, its passage similarity) + bias)
    calibration: tuple[float, float, float, float] = (0.661, 0.551, 6.396, -6.147)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    outline: OutlineConfig = field(default_factory=OutlineConfig)


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


@dataclass
class Choice:
    """What an answer would show: the spans quoted (the reader's best, one per part of the question, or the best with
    the spans of its document that the reader scores as high), and the reader's share of belief that the answer lies
    there (on them, or on spans that share a sentence with them)."""

    reading: Reading
    best: Span
    spans: list[Span]
    share: float
    faq_asked: float = 0.0  # how closely the question is the FAQ question whose answer is shown (0: not one)
    section_asked: float = 0.0  # how closely a how-to question names the guide whose section is shown (0: not one)
    guide_steps: GuidePart | None = None  # the steps of the guide (or section) that a how-to question asks for
    whole: bool = False  # the best span's whole FAQ answer is shown, not the span


class AnswerComposer:
    def __init__(self, encoder: TextEncoder, config: AnswerConfig = AnswerConfig()) -> None:
        self.encoder = encoder
        self.config = config
        self.reader = Reader(config.reader)

    def compose(self, question: str, outcome: SearchOutcome, snapshot: IndexSnapshot) -> Answer:
        """The answer to ``question`` from the search ``outcome`` (made for the possibly enriched query)."""
        if not outcome.results:
            return self.no_answer([], 0.0, {})
        vector = outcome.query_vector if outcome.query_vector is not None else self.encoder.encode_query(outcome.query)
        choice = self.choose(question, vector, outcome, snapshot)
        if choice is None:
            return self.no_answer(outcome.results[:5], 0.0, {})
        best, reading = choice.best, choice.reading
        if choice.guide_steps is not None:
            return self._steps_answer(choice, outcome)
        confidence = max(self.confidence(choice.share, best), round(choice.faq_asked, 4), choice.section_asked)
        signals = {name: round(value, 4) for name, value in best.features.items()} | {
            "answer_share": round(choice.share, 4), "faq_asked": round(choice.faq_asked, 4),
            "section_asked": choice.section_asked, "parts": float(len(choice.spans))}
        coverage = reading.terms.coverage(reading.terms_met(choice.spans))
        distinctive = reading.terms.distinctive_coverage(reading.distinctive_terms_met(choice.spans))
        if not self.grounded(coverage, distinctive, best.features["passage_similarity"]):
            confidence = round(confidence * distinctive * coverage, 4)
            return self.no_answer(shown_by_best_span(outcome.results[:5], reading), confidence, signals, reading.passages)
        if confidence < self.config.min_confidence or not self.of_the_kind_asked(question, choice):
            return self.no_answer(shown_by_best_span(outcome.results[:5], reading), confidence, signals, reading.passages)
        return self._answer(choice, outcome, confidence, signals)

    def choose(self, question: str, query_vector: np.ndarray, outcome: SearchOutcome,
               snapshot: IndexSnapshot) -> Choice | None:
        """What the answer would show, before any threshold: the reader's best span, or one span per part of a
        question that asks several things, with the reader's share of belief in it."""
        reading = self.reader.read(outcome.query, query_vector, outcome, snapshot)
        best = reading.best
        if best is None:
            return None
        asked = self.faq_asked(outcome.query, reading, snapshot)
        if asked is not None:
            span, closeness = asked
            return Choice(reading, span, [span], reading.share_near([(span.chunk, 0, None)]), closeness, whole=True)
        part = guide_part(question, reading, snapshot, self.config.outline) if outcome.query == question else None
        if part is not None and part.steps:
            return Choice(reading, best, [best], 0.0, guide_steps=part)
        section_span = _opening(reading, part) if part else None
        if section_span is not None:
            shown = [(section_span.chunk, section_span.start, section_span.stop)]
            return Choice(reading, section_span, [section_span], reading.share_near(shown), section_asked=part.closeness,
                          whole=self.gives_whole_passage(section_span))
        best = self._stating_the_quantity(question, reading, best)
        spans = self._spans_by_part(question, query_vector, outcome, snapshot, best) \
            if outcome.query == question else []  # a follow-up's parts would lack the context it was read in
        whole_answer = self.gives_whole_passage(best) and not yes_or_no_to_an_open_question(question, best.chunk.text)
        if not spans and not whole_answer:
            spans = self._tied_spans(reading, best)
        whole = not spans and whole_answer
        share = reading.share_near([(best.chunk, 0, None)] if whole else [(s.chunk, s.start, s.stop) for s in spans or [best]])
        return Choice(reading, best, spans or [best], share, whole=whole)

    def faq_asked(self, question: str, reading: Reading, snapshot: IndexSnapshot) -> tuple[Span, float] | None:
        """The FAQ answer read whose question is the one asked, as written or nearly, with how close they are: the
        IDF-weighted Dice overlap of their terms, at least ``faq_question_overlap``, every distinctive term of the
        question in the FAQ's question (« Quel est le budget de la DITP ? » is not « Quel budget prévoir pour un
        laboratoire ? »), and no other interrogative word (« Comment mesurer l'impact… ? » is not « Pourquoi mesurer
        l'impact… ? »). The answer must be short enough to give whole; its best-scored span stands for it. None when
        no FAQ question is that close."""
        total, seen, asked = sum(reading.terms.weights.values()), set(), asks_for(question)
        best: tuple[Span, float] | None = None
        for span in reading.spans:  # best-scored first: the first span of a passage stands for it
            chunk = span.chunk
            if chunk.vector_id in seen or chunk.kind != "faq" or len(chunk.heading_path) < 2:
                continue
            seen.add(chunk.vector_id)
            terms = set(analyze(chunk.heading_path[-1]))
            met = reading.terms.met_by(terms)
            weight = total + sum(snapshot.lexical.idf(term) for term in terms)
            closeness = min(2 * sum(reading.terms.weights[term] for term in met) / weight, 1.0) if weight else 0.0
            if closeness >= self.config.faq_question_overlap and reading.terms.distinctive <= met \
                    and asks_for(chunk.heading_path[-1]) in (asked, None) and self.gives_whole_passage(span) \
                    and (best is None or closeness > best[1]):
                best = (span, closeness)
        return best

    def _spans_by_part(self, question: str, query_vector: np.ndarray, outcome: SearchOutcome, snapshot: IndexSnapshot,
                       best: Span) -> list[Span]:
        """For a question that asks several things, its parts' best spans from ``best``'s document, in the order
        asked, within the word budget; none unless each part meets a span of its own that shares its terms."""
        parts = question_parts(question)
        if len(parts) < 2:
            return []
        chosen: list[Span] = []
        budget = self.config.parts_words
        for part in parts:
            span = next((s for s in self.reader.read(part, query_vector, outcome, snapshot).spans
                         if s.chunk.document_id == best.chunk.document_id and s.words <= budget
                         and not any(_overlap(s, c) for c in chosen)), None)
            if span is None or span.features["context_coverage"] == 0:
                return []
            chosen.append(span)
            budget -= span.words
        return chosen

    @staticmethod
    def _stating_the_quantity(question: str, reading: Reading, best: Span) -> Span:
        """``best``, or, when it lacks the quantity the question asks for, the first span of its passage scored as
        high that states one (« Combien de participants… ? »: the sentence that adds « un groupe de huit à quinze
        personnes » to the one before it meets the same terms)."""
        if not states_no_quantity_asked(question, best.text):
            return best
        tied = itertools.takewhile(lambda span: span.score >= best.score - TIE, reading.spans)
        return next((span for span in tied if span.chunk.vector_id == best.chunk.vector_id
                     and not states_no_quantity_asked(question, span.text)), best)

    def _tied_spans(self, reading: Reading, best: Span) -> list[Span]:
        """Spans of ``best``'s document that the reader scores exactly as high as ``best`` (they meet the same terms
        of the question in the same passage): it cannot tell which one answers, so the answer shows them together,
        in reading order, within the word budget, the shortest first. None when ``best`` stands alone."""
        tied = itertools.takewhile(lambda span: span.score >= best.score - TIE, reading.spans[1:])
        chosen, budget = [best], self.config.parts_words - best.words
        for span in sorted(tied, key=lambda span: span.words):
            if span.chunk.document_id == best.chunk.document_id and span.words <= budget \
                    and not any(_overlap(span, other) for other in chosen):
                chosen.append(span)
                budget -= span.words
        return sorted(chosen, key=lambda s: (s.chunk.ordinal, s.start)) if len(chosen) > 1 else []

    def gives_whole_passage(self, span: Span) -> bool:
        """A short FAQ answer is given whole rather than cut."""
        return span.chunk.kind == "faq" and len(span.chunk.text.split()) <= self.config.faq_whole_words

    def of_the_kind_asked(self, question: str, choice: Choice) -> bool:
        """Whether what ``choice`` shows is the kind of answer ``question`` asks for: not a bare « oui » or « non » to
        a question that asks how, why, who…, and a quantity (or « cela dépend ») to one that asks how many, how long…
        (a FAQ's answer to its own question aside), naming what « combien de… » counts and the numbered thing the
        question names (« la 7e promotion »). The meaning of a passage cannot vouch for a number it lacks, nor for what
        a number counts."""
        citations = self.text_of(choice)[1]
        quotes = [citation.quote for citation in citations]
        if yes_or_no_to_an_open_question(question, quotes[0]):
            return False
        if choice.faq_asked:
            return True
        shown = " ".join(f"{c.chunk.title} {' '.join(c.chunk.heading_path)} {c.quote}" for c in citations)
        return not states_no_quantity_asked(question, " ".join(quotes)) and not misses_an_ordinal(question, shown) \
            and _names_what_is_counted(question, choice.reading, shown)

    def grounded(self, coverage: float, distinctive: float, similarity: float) -> bool:
        """Whether what the answer shows meets the question: it shares its terms (``coverage``, with the headings of
        its passages), and states all its distinctive ones (``distinctive``) or, failing that, comes from a passage
        that says the same thing in other words (the question-passage cosine ``similarity``)."""
        return coverage > 0 and (distinctive >= 1.0 or similarity >= self.config.meaning_match)

    def confidence(self, answer_share: float, best: Span) -> float:
        """The observed chance that such an answer is right, from the reader's share of belief in what is shown and
        how well it meets the question (a logistic model fitted on corpus-real's dev questions)."""
        share_weight, coverage_weight, similarity_weight, bias = self.config.calibration
        share = min(max(answer_share, 1e-6), 1 - 1e-6)
        z = (share_weight * math.log(share / (1 - share)) + coverage_weight * best.features["context_coverage"]
             + similarity_weight * best.features["passage_similarity"] + bias)
        return round(1 / (1 + math.exp(-z)), 4)

    def render(self, span: Span, in_section: bool = False, faq_asked: bool = False,
               whole_faq: bool = False) -> tuple[str, str, bool]:
        """(answer text with its citation marker, quote, ``whole_faq``) for ``span``, or for its whole FAQ answer
        (``whole_faq``). ``in_section``: it answers from the section a how-to question asked for, whose heading then
        opens it with the guide's title. A FAQ answer that opens on « oui » or « non » to a question other than the one
        asked (not ``faq_asked``) says which question it answers: its « oui » may be the « non » of the question asked."""
        chunk = span.chunk
        quote = chunk.text if whole_faq else span.text
        text = f"{_as_sentence(quote)} [1]"
        subject = None if whole_faq else subject_of(chunk.title, quote, self.config.title_words)
        if whole_faq and not faq_asked and YES_OR_NO.match(quote) and len(chunk.heading_path) >= 2:
            text = f"À la question « {chunk.heading_path[-1]} », la FAQ répond : {text}"
        elif in_section and len(chunk.heading_path) >= 2:
            text = f"« {chunk.title} » ({chunk.heading_path[-1]}) : {text}"
        elif subject:
            text = f"« {subject} » : {text}"
        return text, quote, whole_faq

    def render_parts(self, spans: list[Span]) -> tuple[str, list[Citation]]:
        """(answer text, citations) for several spans (one per part of the question, or spans tied with the best): the
        spans of one passage together, in its reading order (« … » where they are not contiguous), then a citation per
        passage, in the order given."""
        by_passage: dict[int, list[Span]] = {}
        for span in spans:
            by_passage.setdefault(span.chunk.vector_id, []).append(span)
        pieces, citations = [], []
        for number, group in enumerate(by_passage.values(), start=1):
            group.sort(key=lambda s: s.start)
            quote = group[0].text
            for before, span in zip(group, group[1:]):
                quote += (" " if before.stop == span.start else " … ") + span.text
            pieces.append(f"{_as_sentence(quote)} [{number}]")
            citations.append(Citation(number, group[0].chunk, quote))
        text = " ".join(pieces)
        subject = subject_of(spans[0].chunk.title, " ".join(span.text for span in spans), self.config.title_words)
        if subject:
            text = f"« {subject} » : {text}"
        return text, citations

    def text_of(self, choice: Choice) -> tuple[str, list[Citation], bool]:
        """(answer text, citations, whether it is a whole FAQ answer) for what ``choice`` shows."""
        if choice.guide_steps is not None:
            steps = choice.guide_steps
            return f"{steps.text} [1]", [Citation(1, steps.first_chunk, steps.text)], False
        if len(choice.spans) > 1:
            return *self.render_parts(choice.spans), False
        text, quote, whole_faq = self.render(choice.best, bool(choice.section_asked), bool(choice.faq_asked), choice.whole)
        return text, [Citation(1, choice.best.chunk, quote)], whole_faq

    def _answer(self, choice: Choice, outcome: SearchOutcome, confidence: float, signals: dict[str, float]) -> Answer:
        text, citations, whole_faq = self.text_of(choice)
        related = [r for r in outcome.results if r.best.chunk.document_id != choice.best.chunk.document_id][:5]
        return Answer("answered", text, confidence, citations, related, "faq" if whole_faq else "extractive", signals,
                      choice.reading.passages)

    def _steps_answer(self, choice: Choice, outcome: SearchOutcome) -> Answer:
        """The steps of a guide or of its section, cited; as sure as the question names the guide."""
        steps = choice.guide_steps
        text, citations, _ = self.text_of(choice)
        related = [r for r in outcome.results if r.best.chunk.document_id != steps.document_id][:5]
        signals = {"guide_steps": steps.closeness, "parts": float(len(steps.steps))}
        return Answer("answered", text, steps.closeness, citations, related, "extractive", signals, choice.reading.passages)

    @staticmethod
    def no_answer(related: list[DocumentHit], confidence: float, signals: dict[str, float],
                  passages: list[StoredChunk] | None = None) -> Answer:
        return Answer("no_answer", no_answer_text(related), confidence, [], related[:5], "none", signals, passages or [])


def shown_by_best_span(related: list[DocumentHit], reading: Reading) -> list[DocumentHit]:
    """The ``related`` documents of an abstention, each shown by the best span the reader read in it (that passage,
    from the span on) rather than by the densest window of the question's words: the sentence likeliest to answer,
    often one that shares few of its words, is still put before the agent, to judge, with what follows it. A document
    the reader did not read keeps its search passage."""
    best_spans: dict[str, Span] = {}
    for span in reading.spans:  # best first
        best_spans.setdefault(span.chunk.document_id, span)
    terms = set(reading.terms.weights)
    shown = []
    for hit in related:
        span = best_spans.get(hit.best.chunk.document_id)
        if span is None:
            shown.append(hit)
            continue
        opening = span.chunk.text.find(span.units[0].text)
        extract = ChunkHit(span.chunk, hit.best.score, make_snippet(span.chunk.text, terms, EXTRACT_CHARS, max(opening, 0)))
        others = [other for other in hit.chunk_hits if other.chunk.vector_id != span.chunk.vector_id]
        shown.append(replace(hit, chunk_hits=[extract, *others]))
    return shown


def _names_what_is_counted(question: str, reading: Reading, shown: str) -> bool:
    """Whether what is ``shown`` (quotes with their titles and headings) names every term of what ``question``
    counts (``counted``)."""
    what = counted(question)
    return what is None or reading.terms.met_by(set(analyze(what))) <= reading.terms.met_by(set(analyze(shown)))


def _opening(reading: Reading, part: GuidePart) -> Span | None:
    """The best span read that opens the section ``part`` names (its first passage, from its first sentence), else
    the best span read in it; None when the reader read none of it."""
    inside = [span for span in reading.spans if part.holds(span.chunk)]
    opening = [span for span in inside if span.chunk.vector_id == part.first_chunk.vector_id and span.start == 0]
    return (opening or inside or [None])[0]


def _overlap(one: Span, other: Span) -> bool:
    return one.chunk.vector_id == other.chunk.vector_id and one.start < other.stop and other.start < one.stop


def subject_of(title: str, quote: str, max_words: int) -> str | None:
    """The name an answer should open with, when the quote does not state it: a short title, such as a project's
    name on its own page (« MonitorFish »), or the name heading a longer one (« Framadate, notre première
    contribution au logiciel libre » → « Framadate »); a headline without such a head names nothing. A head that only
    says what kind of document it is (« FAQ — Le cadre juridique… ») gives way to what follows it."""
    head, *rest = TITLE_HEAD.split(title, maxsplit=1)
    if rest and fold_accents(head).strip().lower() in DOCUMENT_KINDS:
        title, head = rest[0], TITLE_HEAD.split(rest[0], maxsplit=1)[0]
    head = title if len(title.split()) <= max_words else head
    head_terms = set(analyze(head))
    if len(head.split()) > max_words or not head_terms or head_terms <= set(analyze(quote)):
        return None
    return head.strip()


def no_answer_text(related: list[DocumentHit]) -> str:
    text = "Je n'ai pas trouvé de réponse fiable à cette question dans la documentation."
    if related:
        titles = " ; ".join(f"« {r.best.chunk.title} »" for r in related[:3])
        text += f" Les ressources les plus proches sont : {titles}."
    return text


def _as_sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip(";,").rstrip()
    return text if text[-1:] in ".!?…:" else text + "."
