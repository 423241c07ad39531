"""Retention: what was asked more than ECLAIREUR_QUESTION_RETENTION_DAYS ago is deleted, at start and every day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from support import log_answer

from assistant.retention import PURGE_INTERVAL, DailyPurge
from assistant.storage import Caller, Records
from assistant.storage.console import rated_answers, review_gap
from assistant.storage.schema import answers, conversations, feedback, gap_reviews, turns

AGENT = Caller("key:agent")


def age(records: Records, table, column, days: int) -> None:
    """Move every row of ``table`` ``days`` into the past, as if written then."""
    with records.database.transaction() as db:
        db.execute(update(table).values({column: (datetime.now(UTC) - timedelta(days=days)).isoformat()}))


def count(records: Records, table) -> int:
    with records.database.transaction() as db:
        return db.execute(select(func.count()).select_from(table)).scalar_one()


def test_the_daily_purge_deletes_what_is_older_than_the_retention_and_keeps_the_rest(database_location):
    records = Records(database_location)
    old = records.record_exchange("ancienne", True, "Comment joindre le labo ?", "Comment joindre le labo ?", "answered", 0.8,
                                  "telegram", 40.0, AGENT, "Par courriel [1].",
                                  [{"document_id": "guides/labo.md", "title": "Le labo"}])
    records.record_feedback(old, useful=False, comment="Mon nom est Jeanne Martin", caller=AGENT)
    review_gap(records.database, ["comment joindre le labo ?"], "Comment joindre le labo ?", "a_ecrire", "admin-1",
               datetime.now(UTC))
    for table, column in ((answers, "created_at"), (conversations, "created_at"), (feedback, "created_at"),
                          (gap_reviews, "reviewed_at")):
        age(records, table, column, 31)
    recent = log_answer(records, "Où est le guide ?", "no_answer", 0.1, "widget", 30.0, AGENT)
    records.record_feedback(recent, useful=False, comment=None, caller=AGENT)

    purge = DailyPurge(records.database, days=30)
    purge.start()
    assert purge.ran.wait(30), "the first purge runs as the service starts"
    purge.stop()

    assert (purge.last.answers, purge.last.conversations, purge.last.reviews) == (1, 1, 1)
    assert purge.interval == PURGE_INTERVAL == timedelta(days=1)
    assert [a.answer_id for a in rated_answers(records.database)] == [recent], "the old 👎 and its comment are gone"
    assert count(records, answers) == 1 and count(records, feedback) == 1
    assert count(records, conversations) == 1 and count(records, turns) == 1, "the recent conversation stays"
    assert count(records, gap_reviews) == 0
    assert records.stats(datetime.now(UTC) - timedelta(days=90))["questions"] == 1

    assert purge.run_once().answers == 0, "a second run finds nothing more"
