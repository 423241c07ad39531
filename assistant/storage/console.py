"""What the content team console reads and writes beyond the statistics: review states of gap groups, the latest
disliked answers, the questions of a period (CSV export), and the retention purge."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from .database import Database
from .gaps import Gap
from .schema import answers, conversations, feedback, gap_reviews
from .upsert import upsert

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
    review decisions (they quote questions) taken before it."""
    before = cutoff.isoformat()
    with database.transaction() as db:
        stale = select(answers.c.answer_id).where(answers.c.created_at < before)
        db.execute(delete(feedback).where(feedback.c.answer_id.in_(stale)))  # also where foreign keys are not enforced
        removed_answers = db.execute(delete(answers).where(answers.c.created_at < before)).rowcount
        removed_conversations = db.execute(delete(conversations).where(conversations.c.created_at < before)).rowcount
        removed_reviews = db.execute(delete(gap_reviews).where(gap_reviews.c.reviewed_at < before)).rowcount
    return Purged(removed_answers, removed_conversations, removed_reviews)
