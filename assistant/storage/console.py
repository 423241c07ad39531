"""What the content team console reads and writes beyond the statistics: review states of gap groups, the latest
disliked answers, the questions of a period (CSV export), and the retention purge."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import and_, delete, func, or_, select

from .database import Database
from .gaps import SHOWN_ANSWERS, SHOWN_DOCUMENTS, Gap, GapWording, group_wordings
from .schema import answers, conversations, feedback, gap_reviews, gap_vectors
from .upsert import upsert

SAMPLES_PER_WORDING = 5  # recent failures read per wording for the documents and answers shown

REVIEW_STATES = ("traite", "a_ecrire", "hors_sujet")


@dataclass(frozen=True)
class Review:
    state: str  # one of REVIEW_STATES
    reviewer: str
    reviewed_at: str


@dataclass(frozen=True)
class ReviewedGap:
    gap: Gap
    review: Review | None
    returned: bool  # marked « traité », then asked and failed again

    @property
    def open(self) -> bool:
        """Still on the worklist: never reviewed, « à écrire », or back after « traité »."""
        return self.review is None or self.review.state == "a_ecrire" or self.returned


@dataclass(frozen=True)
class RatedAnswer:
    answer_id: str
    created_at: str  # when the answer was given
    rated_at: str
    channel: str
    useful: bool
    comment: str | None
    question: str | None
    status: str
    answer: str | None
    sources: list[dict]


@dataclass(frozen=True)
class Purged:
    answers: int
    conversations: int
    reviews: int


def review_gap(database: Database, gap_wordings: Iterable[str], question: str, state: str, reviewer: str, at: datetime) -> Review:
    """Record the decision on a group: every one of its wordings carries it (the latest decision wins)."""
    if state not in REVIEW_STATES:
        raise ValueError(f"État « {state} » inconnu : {', '.join(REVIEW_STATES)}.")
    review = Review(state, reviewer, at.isoformat())
    with database.transaction() as db:
        for wording in set(gap_wordings):
            db.execute(upsert(db, gap_reviews, {"wording": wording, "question": question, "state": state,
                                                "reviewer": reviewer, "reviewed_at": review.reviewed_at}))
    return review


def reviewed_gaps(database: Database, gaps: list[Gap]) -> list[ReviewedGap]:
    """Each group with the latest decision taken on any of its wordings; a « traité » group asked again since returns."""
    wordings = {w for gap in gaps for w in gap.wordings}
    with database.transaction() as db:
        rows = db.execute(select(gap_reviews.c.wording, gap_reviews.c.state, gap_reviews.c.reviewer, gap_reviews.c.reviewed_at)
                          .where(gap_reviews.c.wording.in_(wordings))).all() if wordings else []
    decisions = {row.wording: Review(row.state, row.reviewer, row.reviewed_at) for row in rows}
    reviewed = []
    for gap in gaps:
        found = [decisions[w] for w in gap.wordings if w in decisions]
        review = max(found, key=lambda r: r.reviewed_at) if found else None
        reviewed.append(ReviewedGap(gap, review, review is not None and review.state == "traite" and gap.last_asked > review.reviewed_at))
    return reviewed


def worklist(database: Database, encode: Callable[[list[str]], np.ndarray], model: str, since: datetime, until: datetime,
             include_reviewed: bool = False, limit: int | None = None) -> list[ReviewedGap]:
    """The gap groups of a period with their review, largest first: by default only those still open, at most
    ``limit``; each with its closest documents and the answers judged not useful."""
    groups = reviewed_gaps(database, group_wordings(gap_wordings(database, since, until),
                                                    lambda keys, texts: wording_vectors(database, keys, texts, encode, model)))
    shown = [group for group in groups if include_reviewed or group.open][:limit]
    samples = failure_samples(database, [text for group in shown for text in group.gap.examples], since, until) if shown else {}
    return [replace(group, gap=with_samples(group.gap, samples)) for group in shown]


def gap_wordings(database: Database, since: datetime, until: datetime) -> list[GapWording]:
    """Each exact wording asked from ``since`` until before ``until`` that got no answer or a 👎, counted by the database."""
    period = and_(answers.c.question.is_not(None), answers.c.created_at >= since.isoformat(), answers.c.created_at < until.isoformat())
    columns = (answers.c.question, func.count(), func.min(answers.c.created_at), func.max(answers.c.created_at))
    unanswered = select(*columns).where(answers.c.status == "no_answer", period).group_by(answers.c.question)
    disliked = (select(*columns).select_from(feedback.join(answers, answers.c.answer_id == feedback.c.answer_id))
                .where(feedback.c.useful == 0, answers.c.status != "no_answer", period).group_by(answers.c.question))
    found: dict[str, list] = defaultdict(lambda: [0, None, None, {}])
    with database.transaction() as db:
        for reason, query in (("no_answer", unanswered), ("not_useful", disliked)):
            for question, count, first, last in db.execute(query):
                entry = found[question]
                entry[0] += count
                entry[1] = min(first, entry[1] or first)
                entry[2] = max(last, entry[2] or last)
                entry[3][reason] = count
    return [GapWording(question, count, first, last, reasons) for question, (count, first, last, reasons) in found.items()]


def wording_vectors(database: Database, keys: list[str], texts: list[str], encode: Callable[[list[str]], np.ndarray],
                    model: str) -> np.ndarray:
    """One embedding per wording: read when kept, else computed from its text and kept."""
    with database.transaction() as db:
        rows = db.execute(select(gap_vectors.c.wording, gap_vectors.c.vector)
                          .where(gap_vectors.c.model == model, gap_vectors.c.wording.in_(keys))).all()
    kept = {wording: np.frombuffer(vector, dtype="<f4") for wording, vector in rows}
    missing = [i for i, key in enumerate(keys) if key not in kept]
    if missing:
        computed = np.asarray(encode([texts[i] for i in missing]), dtype="<f4")
        keep_vectors(database, {keys[i]: vector for i, vector in zip(missing, computed)}, model)
        kept.update((keys[i], vector) for i, vector in zip(missing, computed))
    return np.stack([kept[key] for key in keys])


def keep_vectors(database: Database, vectors: dict[str, np.ndarray], model: str) -> None:
    """Keep the embeddings of wordings (``wording_key`` → vector), computed for the worklist."""
    with database.transaction() as db:
        for wording, vector in vectors.items():
            db.execute(vector_upsert(db.dialect.name, WordingVector(wording, model, vector)))


@dataclass(frozen=True)
class WordingVector:
    """An unanswered wording's embedding (``wording_key``), kept so that the worklist rarely encodes anything: the
    service keeps it as it answers, from the vector it searched with (``Records.record_exchange``)."""

    wording: str
    model: str
    vector: np.ndarray


def vector_upsert(dialect: str, kept: WordingVector):
    """The statement keeping ``kept`` (an upsert: another request may have kept the same wording meanwhile)."""
    return upsert(dialect, gap_vectors, {"wording": kept.wording, "model": kept.model,
                                         "vector": np.asarray(kept.vector, dtype="<f4").tobytes(),
                                         "created_at": datetime.now(UTC).isoformat()})


def failure_samples(database: Database, texts: list[str], since: datetime, until: datetime) -> dict[str, list[tuple]]:
    """The latest failures of each wording in ``texts`` (at most SAMPLES_PER_WORDING): (answer judged not useful or
    None, sources)."""
    failed = or_(answers.c.status == "no_answer", feedback.c.useful == 0)
    latest = func.row_number().over(partition_by=answers.c.question, order_by=answers.c.created_at.desc()).label("n")
    ranked = (select(answers.c.question, answers.c.status, answers.c.answer_text, answers.c.sources, latest)
              .select_from(answers.outerjoin(feedback, feedback.c.answer_id == answers.c.answer_id))
              .where(answers.c.question.in_(texts), answers.c.created_at >= since.isoformat(),
                     answers.c.created_at < until.isoformat(), failed).subquery())
    samples: dict[str, list[tuple]] = defaultdict(list)
    with database.transaction() as db:
        for question, status, text, sources, _ in db.execute(select(ranked).where(ranked.c.n <= SAMPLES_PER_WORDING)):
            samples[question].append((text if status != "no_answer" else None, json.loads(sources or "[]")))
    return samples


def with_samples(gap: Gap, samples: dict[str, list[tuple]]) -> Gap:
    """The group with the documents and answers of its most frequent wordings' latest failures."""
    found = [sample for text in gap.examples for sample in samples.get(text, [])]
    documents = Counter((d["document_id"], d.get("title", "")) for _, sources in found for d in sources)
    given = Counter(text for text, _ in found if text)
    return replace(gap, documents=[{"document_id": d, "title": t} for (d, t), _ in documents.most_common(SHOWN_DOCUMENTS)],
                   answers=[text for text, _ in given.most_common(SHOWN_ANSWERS)])


def rated_answers(database: Database, useful: bool | None = False, channel: str | None = None,
                  since: datetime | None = None, until: datetime | None = None, limit: int = 50) -> list[RatedAnswer]:
    """The latest rated answers (by default the disliked ones), newest rating first, with what was asked and said."""
    query = (select(answers.c.answer_id, answers.c.created_at, feedback.c.created_at.label("rated_at"), answers.c.channel,
                    feedback.c.useful, feedback.c.comment, answers.c.question, answers.c.status, answers.c.answer_text,
                    answers.c.sources)
             .select_from(feedback.join(answers, answers.c.answer_id == feedback.c.answer_id))
             .order_by(feedback.c.created_at.desc()).limit(limit))
    if useful is not None:
        query = query.where(feedback.c.useful == int(useful))
    if channel:
        query = query.where(answers.c.channel == channel)
    if since:
        query = query.where(feedback.c.created_at >= since.isoformat())
    if until:
        query = query.where(feedback.c.created_at < until.isoformat())
    with database.transaction() as db:
        rows = db.execute(query).all()
    return [RatedAnswer(r.answer_id, r.created_at, r.rated_at, r.channel, bool(r.useful), r.comment, r.question, r.status,
                        r.answer_text, json.loads(r.sources or "[]")) for r in rows]


def questions_between(database: Database, since: datetime, until: datetime) -> list[tuple]:
    """(date, channel, status, confidence, latency_ms, useful or None, comment, question) of the answers given from
    ``since`` until before ``until``, oldest first."""
    query = (select(answers.c.created_at, answers.c.channel, answers.c.status, answers.c.confidence, answers.c.latency_ms,
                    feedback.c.useful, feedback.c.comment, answers.c.question)
             .select_from(answers.outerjoin(feedback, feedback.c.answer_id == answers.c.answer_id))
             .where(answers.c.created_at >= since.isoformat(), answers.c.created_at < until.isoformat())
             .order_by(answers.c.created_at))
    with database.transaction() as db:
        return [tuple(row) for row in db.execute(query)]


def purge_before(database: Database, cutoff: datetime) -> Purged:
    """Delete what was asked before ``cutoff``: answers with their feedback, conversations with their turns, and the
    review decisions and wording embeddings (both derived from questions) made before it."""
    before = cutoff.isoformat()
    with database.transaction() as db:
        stale = select(answers.c.answer_id).where(answers.c.created_at < before)
        db.execute(delete(feedback).where(feedback.c.answer_id.in_(stale)))  # also where foreign keys are not enforced
        removed_answers = db.execute(delete(answers).where(answers.c.created_at < before)).rowcount
        removed_conversations = db.execute(delete(conversations).where(conversations.c.created_at < before)).rowcount
        removed_reviews = db.execute(delete(gap_reviews).where(gap_reviews.c.reviewed_at < before)).rowcount
        db.execute(delete(gap_vectors).where(gap_vectors.c.created_at < before))  # computed again if still asked
    return Purged(removed_answers, removed_conversations, removed_reviews)
