"""What the service remembers: conversations (with expiry), every question asked, feedback.

From these come the content gaps (questions the corpus could not answer or answered badly) and the
usage statistics that corpus editors and administrators read. A conversation and an answer belong to the
caller that created them (``Caller.owner``): no one else may continue, forget or rate them, admins excepted.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import case, delete, func, insert, literal, or_, select, true

from .console import WordingVector, vector_upsert
from .database import Database, RecordsUnavailable
from .gaps import GapQuestion
from .schema import answers, conversations, feedback, turns
from .upsert import upsert

LATENCY_PERCENTILES = (50, 95, 99)
TOP_WORDINGS = 200  # exact wordings counted by the database before merging case and spacing variants
HISTORY_TURNS = 4  # earlier turns a follow-up may draw on; only these are read

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who is asking: ``owner`` is the identity their conversations and answers are bound to (a key's digest,
    or the address of a local caller when no key is configured); an ``admin`` may act on anyone's."""

    owner: str
    admin: bool = False

    def may_act_on(self, owner: str | None) -> bool:
        return self.admin or owner == self.owner


INTERNAL = Caller("interne", admin=True)  # the command line and the evaluations


class ForeignRecord(LookupError):
    """The conversation or answer exists but belongs to another caller."""


def now() -> datetime:
    return datetime.now(UTC)


class Records:
    """Conversations, questions and feedback in a ``Database`` (a SQLite file or PostgreSQL); every write in its
    own short transaction.

    When the database cannot be reached, is locked beyond ``timeout`` seconds, read-only or full, every call
    raises ``RecordsUnavailable`` (a 503 for the API) instead of hanging or failing obscurely; the service
    still starts and searches without it, and uses it again as soon as it is back.
    """

    def __init__(self, database: Database | str | Path, conversation_ttl: timedelta = timedelta(hours=24),
                 keep_question_text: bool = True, busy_timeout: float = 2.0, max_turns: int = 20) -> None:
        self.database = database if isinstance(database, Database) else Database(database, timeout=busy_timeout)
        self.ttl = conversation_ttl
        self.max_turns = max_turns
        self.keep_question_text = keep_question_text
        try:
            with self.database.transaction():
                pass
        except RecordsUnavailable as error:
            logger.warning("%s Nouvel essai à chaque requête.", error)

    # -- conversations ----------------------------------------------------------------------------
    def history(self, conversation_id: str, caller: Caller = INTERNAL, last: int = HISTORY_TURNS) -> list[tuple[str, str]] | None:
        """(question, retrieval query) of the ``last`` earlier turns, oldest first; None when unknown or expired.
        One statement (the conversation joined to its last turns): one round trip to a database server.

        Raises ``ForeignRecord`` when the conversation belongs to another caller.
        """
        latest = (select(turns.c.question, turns.c.retrieval_query, turns.c.position)
                  .where(turns.c.conversation_id == conversation_id).order_by(turns.c.position.desc()).limit(last)
                  .subquery())
        query = (select(conversations.c.expires_at, conversations.c.owner, latest.c.question, latest.c.retrieval_query)
                 .select_from(conversations.outerjoin(latest, true()))
                 .where(conversations.c.conversation_id == conversation_id).order_by(latest.c.position))
        with self.database.autocommit() as db:
            rows = db.execute(query).all()
        if not rows or rows[0].expires_at < now().isoformat():
            return None
        if not caller.may_act_on(rows[0].owner):
            raise ForeignRecord(conversation_id)
        return [(row.question, row.retrieval_query) for row in rows if row.question is not None]

    def record_exchange(self, conversation_id: str, new: bool, question: str, retrieval_query: str, status: str,
                        confidence: float, channel: str, latency_ms: float, caller: Caller = INTERNAL,
                        answer_text: str | None = None, sources: list[dict] | None = None,
                        kept_vector: WordingVector | None = None) -> str:
        """One question and its answer written at once: the conversation (created when ``new``, expired ones deleted on
        the way; else its expiry pushed back), its turn (only the last ``max_turns`` kept; none without question text),
        the answer's log line and, for an unanswered question, its wording's vector. On PostgreSQL one statement,
        hence one round trip; on SQLite one transaction."""
        answer_id = uuid.uuid4().hex
        moment = now()
        prior = select(func.max(turns.c.position)).where(turns.c.conversation_id == conversation_id).scalar_subquery()
        writes = []
        if new:
            writes.append(delete(conversations).where(conversations.c.expires_at < moment.isoformat()))
        writes.append(upsert(self.database.dialect, conversations, {
            "conversation_id": conversation_id, "created_at": moment.isoformat(), "expires_at": (moment + self.ttl).isoformat(),
            "owner": caller.owner}, keep=("created_at", "owner")))
        if self.keep_question_text:  # the turns are text: without it, a follow-up is read alone
            writes += [
                delete(turns).where(turns.c.conversation_id == conversation_id,
                                    turns.c.position <= func.coalesce(prior, -1) + 1 - self.max_turns),
                insert(turns).from_select(["conversation_id", "position", "question", "retrieval_query"],
                                          select(literal(conversation_id), func.coalesce(prior + 1, 0), literal(question),
                                                 literal(retrieval_query))),
            ]
        if kept_vector is not None:
            writes.append(vector_upsert(self.database.dialect, kept_vector))
        logged = insert(answers).values(
            answer_id=answer_id, conversation_id=conversation_id, question=question if self.keep_question_text else None,
            status=status, confidence=confidence, channel=channel, latency_ms=latency_ms, created_at=moment.isoformat(),
            owner=caller.owner, answer_text=answer_text, sources=json.dumps(sources or [], ensure_ascii=False))
        if self.database.shared:  # data-modifying CTEs: every part sees the rows as they were before the statement
            ctes = [write.returning(literal(1)).cte(f"ecriture_{number}") for number, write in enumerate(writes)]
            with self.database.autocommit() as db:
                db.execute(logged.add_cte(*ctes))
        else:
            with self.database.transaction() as db:
                for write in [*writes, logged]:
                    db.execute(write)
        return answer_id

    def forget_conversation(self, conversation_id: str, caller: Caller = INTERNAL) -> bool:
        """False when the conversation is unknown, or not the caller's."""
        with self.database.transaction() as db:
            owner = db.execute(select(conversations.c.owner).where(conversations.c.conversation_id == conversation_id)).first()
            if owner is None or not caller.may_act_on(owner[0]):
                return False
            return db.execute(delete(conversations).where(conversations.c.conversation_id == conversation_id)).rowcount > 0

    # -- questions and feedback ---------------------------------------------------------------------
    def record_feedback(self, answer_id: str, useful: bool, comment: str | None, caller: Caller = INTERNAL) -> bool:
        """Store (or replace) the feedback on an answer; False when the answer id is unknown or not the caller's."""
        with self.database.transaction() as db:
            owner = db.execute(select(answers.c.owner).where(answers.c.answer_id == answer_id)).first()
            if owner is None or not caller.may_act_on(owner[0]):
                return False
            db.execute(upsert(db, feedback, {"answer_id": answer_id, "useful": int(useful), "comment": comment,
                                             "created_at": now().isoformat()}))
        return True

    def gap_questions(self, since: datetime | None = None, until: datetime | None = None) -> list[GapQuestion]:
        """Questions answered ``no_answer`` or marked not useful (with their text, when it was kept), asked from
        ``since`` until before ``until``; with the answer given and its sources."""
        since_text = (since or datetime(1970, 1, 1, tzinfo=UTC)).isoformat()
        reason = case((answers.c.status == "no_answer", "no_answer"), else_="not_useful")
        query = (select(answers.c.question, reason, answers.c.created_at, answers.c.answer_text, answers.c.sources)
                 .select_from(answers.outerjoin(feedback, feedback.c.answer_id == answers.c.answer_id))
                 .where(answers.c.question.is_not(None), answers.c.created_at >= since_text,
                        (answers.c.status == "no_answer") | (feedback.c.useful == 0))
                 .order_by(answers.c.created_at))
        if until is not None:
            query = query.where(answers.c.created_at < until.isoformat())
        with self.database.transaction() as db:
            rows = db.execute(query).all()
        return [GapQuestion(question, reason, created_at, text if reason == "not_useful" else None,
                            tuple(json.loads(sources or "[]"))) for question, reason, created_at, text, sources in rows]

    def stats(self, since: datetime) -> dict:
        """Usage since ``since``, counted by the database (a few hundred rows come back, not one per question)."""
        since_text = since.isoformat()
        day = func.substr(answers.c.created_at, 1, 10)
        recent = answers.c.created_at >= since_text
        with self.database.transaction() as db:
            counts = db.execute(select(day, answers.c.channel, answers.c.status, func.count()).where(recent)
                                .group_by(day, answers.c.channel, answers.c.status)).all()
            rating_day = func.substr(feedback.c.created_at, 1, 10)
            rated = db.execute(select(rating_day, feedback.c.useful, func.count()).where(feedback.c.created_at >= since_text)
                               .group_by(rating_day, feedback.c.useful)).all()  # ratings on the day they were given
            latency = latency_percentiles(db, recent)
            count, first = func.count().label("n"), func.min(answers.c.created_at).label("first")
            asked = db.execute(select(answers.c.question, count, first).where(recent, answers.c.question.is_not(None))
                               .group_by(answers.c.question).order_by(count.desc(), first, answers.c.question)
                               .limit(TOP_WORDINGS)).all()  # ties: the first asked first
        questions = Counter()
        for question, n, _ in asked:  # wordings differing only in case or spaces counted together
            questions[question.strip().lower()] += n
        per_day: dict[str, Counter] = defaultdict(Counter)
        outcomes: dict[str, Counter] = defaultdict(Counter)
        ratings: dict[str, Counter] = defaultdict(Counter)
        for when, channel, status, n in counts:
            per_day[when][channel] += n
            outcomes[when][status] += n
        for when, useful, n in rated:
            ratings[when]["useful" if useful else "not_useful"] += n
        total = sum(n for *_, n in counts)
        feedback_count = sum(n for *_, n in rated)
        return {
            "questions": total,
            "per_day": [{"day": when, "channels": dict(by_channel), "total": sum(by_channel.values()),
                         "outcomes": dict(outcomes[when]), "ratings": dict(ratings[when])} for when, by_channel in sorted(per_day.items())],
            "answer_rate": round(sum(n for _, _, status, n in counts if status == "answered") / total, 4) if total else 0.0,
            "feedback_count": feedback_count,
            "useful_rate": round(sum(n for _, useful, n in rated if useful) / feedback_count, 4) if feedback_count else None,
            "top_questions": [{"question": q, "count": c} for q, c in questions.most_common(10)],
            "latency_ms": latency,
        }


def latency_percentiles(db, period) -> dict[str, float]:
    """p50, p95 and p99 of the answers' latency in ``period``, interpolated between ranks as ``numpy.percentile``
    does: the database ranks the latencies and returns only the two rows around each percentile."""
    rank = func.row_number().over(order_by=answers.c.latency_ms).label("rank")
    ranked = select(answers.c.latency_ms, rank, func.count().over().label("n")).where(period).subquery()
    below = {p: (ranked.c.n - 1) * p // 100 + 1 for p in LATENCY_PERCENTILES}  # the rank at or below each
    around = or_(*(ranked.c.rank.in_([rank_below, rank_below + 1]) for rank_below in below.values()))
    rows = db.execute(select(ranked.c.rank, ranked.c.latency_ms, ranked.c.n).where(around)).all()
    if not rows:
        return {}
    value, total = {rank: latency for rank, latency, _ in rows}, rows[0].n
    found = {}
    for p in LATENCY_PERCENTILES:
        position = (total - 1) * p / 100
        low = value[math.floor(position) + 1]
        high = value.get(math.floor(position) + 2, low)
        found[f"p{p}"] = round(low + (high - low) * (position - math.floor(position)), 1)
    return found
