"""The records, on SQLite and on PostgreSQL: conversations expire, privacy mode keeps no text, similar gaps are grouped."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import event, func, select
from support import log_answer

from assistant.storage import INTERNAL, Caller, ForeignRecord, GapQuestion, Records, group_similar
from assistant.storage.console import WordingVector, wording_vectors
from assistant.storage.migrations import current, head
from assistant.storage.schema import answers, turns

ALICE, BOB, ADMIN = Caller("key:alice"), Caller("key:bob"), Caller("key:admin", admin=True)


def exchange(records: Records, conversation: str, new: bool, question: str, retrieval_query: str,
             caller: Caller = INTERNAL) -> str:
    """A turn of ``conversation`` and its answer, written as /ask writes them."""
    return records.record_exchange(conversation, new, question, retrieval_query, "answered", 0.9, "api", 40.0, caller)


def test_a_conversation_keeps_its_turns_until_it_expires(database_location):
    records = Records(database_location, conversation_ttl=timedelta(hours=1))
    conversation = "c0ffee"
    exchange(records, conversation, True, "Qu'est-ce qu'un lab ?", "Qu'est-ce qu'un lab ?")
    exchange(records, conversation, False, "et à l'hôpital ?", "Qu'est-ce qu'un lab ? et à l'hôpital ?")
    assert [q for q, _ in records.history(conversation)] == ["Qu'est-ce qu'un lab ?", "et à l'hôpital ?"]

    expired = Records(database_location, conversation_ttl=timedelta(seconds=-1))
    exchange(expired, "courte", True, "question", "question")
    assert expired.history("courte") is None
    assert records.history("inconnue") is None


def test_forgetting_a_conversation_deletes_its_turns(database_location):
    records = Records(database_location)
    conversation = "c0ffee"
    exchange(records, conversation, True, "question", "question")
    assert records.forget_conversation(conversation) is True
    assert records.history(conversation) is None and records.forget_conversation(conversation) is False


def test_privacy_mode_records_figures_but_no_question_text_not_even_for_a_follow_up(database_location):
    records = Records(database_location, keep_question_text=False)
    question = "Mon numéro de dossier est 12345, où en est-il ?"
    records.record_exchange("c0ffee", True, question, question, "no_answer", 0.2, "telegram", 80.0)
    assert records.history("c0ffee") == []  # a follow-up is read alone: no turn kept
    assert records.gap_questions() == []
    stats = records.stats(since=records_epoch())
    assert stats["questions"] == 1 and stats["answer_rate"] == 0.0 and stats["top_questions"] == []
    with records.database.transaction() as db:
        assert db.execute(select(answers.c.question)).scalars().all() == [None]
    if records.database.path:
        assert b"12345" not in records.database.path.read_bytes()


def test_feedback_replaces_an_earlier_opinion_and_feeds_the_useful_rate(database_location):
    records = Records(database_location)
    answer = log_answer(records, "Qui organise le Mois ?", "answered", 0.9, "api", 40.0)
    assert records.record_feedback(answer, useful=True, comment=None)
    assert records.record_feedback(answer, useful=False, comment="date fausse")
    assert records.stats(since=records_epoch())["useful_rate"] == 0.0
    assert [g.reason for g in records.gap_questions()] == ["not_useful"]


@pytest.mark.parametrize("count", [1, 2, 7, 101])
def test_latency_percentiles_are_ranked_by_the_database_and_interpolated_as_numpy_does(database_location, count):
    records = Records(database_location)
    latencies = [float((n * 37) % 101) + n / 10 for n in range(count)]  # unordered, distinct
    for latency in latencies:
        log_answer(records, "Qui organise le Mois ?", "answered", 0.9, "api", latency)
    expected = {f"p{p}": round(float(np.percentile(latencies, p)), 1) for p in (50, 95, 99)}
    assert records.stats(since=records_epoch())["latency_ms"] == expected


def test_no_answer_in_the_period_means_no_latency_figures(database_location):
    assert Records(database_location).stats(since=records_epoch())["latency_ms"] == {}


def test_conversations_and_answers_belong_to_their_creator_admins_excepted(database_location):
    records = Records(database_location)
    conversation = "c0ffee"
    answer = exchange(records, conversation, True, "Qu'est-ce qu'un lab ?", "Qu'est-ce qu'un lab ?", ALICE)

    with pytest.raises(ForeignRecord):
        records.history(conversation, BOB)
    assert records.record_feedback(answer, useful=False, comment="piégé", caller=BOB) is False
    assert records.forget_conversation(conversation, BOB) is False
    assert records.gap_questions() == []  # Bob's opinion was not recorded

    assert records.history(conversation, ALICE) == [("Qu'est-ce qu'un lab ?", "Qu'est-ce qu'un lab ?")]
    assert records.history(conversation, ADMIN) is not None
    assert records.record_feedback(answer, useful=True, comment=None, caller=ADMIN)
    assert records.forget_conversation(conversation, ALICE) is True


def test_a_conversation_keeps_its_last_turns_only_and_history_reads_the_last_few(database_location):
    records = Records(database_location, max_turns=5)
    conversation = "c0ffee"
    for number in range(12):
        exchange(records, conversation, number == 0, f"question {number}", f"requête {number}", ALICE)
    assert [q for q, _ in records.history(conversation, ALICE, last=3)] == ["question 9", "question 10", "question 11"]
    assert [q for q, _ in records.history(conversation, ALICE, last=100)] == [f"question {n}" for n in range(7, 12)]
    with records.database.transaction() as db:
        assert db.execute(select(func.count()).select_from(turns)).scalar_one() == 5


def test_a_records_file_from_an_earlier_version_gains_owners_and_its_rows_stay_admin_only(tmp_path):
    path = tmp_path / "ancien.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
            CREATE TABLE turns (conversation_id TEXT NOT NULL, position INTEGER NOT NULL, question TEXT NOT NULL,
                                retrieval_query TEXT NOT NULL, PRIMARY KEY (conversation_id, position));
            CREATE TABLE answers (answer_id TEXT PRIMARY KEY, conversation_id TEXT, question TEXT, status TEXT NOT NULL,
                                  confidence REAL NOT NULL, channel TEXT NOT NULL, latency_ms REAL NOT NULL, created_at TEXT NOT NULL);
            INSERT INTO conversations VALUES ('ancienne', '2026-01-01T00:00:00+00:00', '2999-01-01T00:00:00+00:00');
            INSERT INTO turns VALUES ('ancienne', 0, 'question ancienne', 'question ancienne');
            INSERT INTO answers VALUES ('reponse', 'ancienne', 'question ancienne', 'answered', 0.8, 'api', 30.0,
                                        '2026-01-01T00:00:00+00:00');
        """)
    records = Records(path)
    assert current(records.database.engine) == head()
    with pytest.raises(ForeignRecord):
        records.history("ancienne", ALICE)
    assert records.record_feedback("reponse", useful=True, comment=None, caller=ALICE) is False
    assert records.history("ancienne", ADMIN) == [("question ancienne", "question ancienne")]
    exchange(records, "nouvelle", True, "nouvelle", "nouvelle", ALICE)
    assert records.history("nouvelle", ALICE) == [("nouvelle", "nouvelle")]


def test_a_records_file_from_the_release_before_migrations_is_adopted_with_every_row(tmp_path):
    path = tmp_path / "avant-migrations.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(RELEASE_BEFORE_MIGRATIONS)
    records = Records(path)
    assert current(records.database.engine) == head()
    assert records.history("conv", ALICE) == [("Qu'est-ce qu'un lab ?", "Qu'est-ce qu'un lab ?")]
    stats = records.stats(since=records_epoch())
    assert stats["questions"] == 2 and stats["feedback_count"] == 1 and stats["useful_rate"] == 0.0
    assert [(g.question, g.reason) for g in records.gap_questions()] == [("Qu'est-ce qu'un lab ?", "not_useful"),
                                                                         ("Menu de la cantine ?", "no_answer")]


# The schema that records.py created itself (CREATE TABLE IF NOT EXISTS) before the Alembic revisions, with rows.
RELEASE_BEFORE_MIGRATIONS = """
CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, owner TEXT);
CREATE TABLE turns (conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id) ON DELETE CASCADE,
                    position INTEGER NOT NULL, question TEXT NOT NULL, retrieval_query TEXT NOT NULL,
                    PRIMARY KEY (conversation_id, position));
CREATE TABLE answers (answer_id TEXT PRIMARY KEY, conversation_id TEXT, question TEXT, status TEXT NOT NULL,
                      confidence REAL NOT NULL, channel TEXT NOT NULL, latency_ms REAL NOT NULL, created_at TEXT NOT NULL,
                      owner TEXT);
CREATE INDEX answers_by_date ON answers(created_at);
CREATE INDEX conversations_by_expiry ON conversations(expires_at);
CREATE TABLE feedback (answer_id TEXT PRIMARY KEY REFERENCES answers(answer_id) ON DELETE CASCADE, useful INTEGER NOT NULL,
                       comment TEXT, created_at TEXT NOT NULL);
INSERT INTO conversations VALUES ('conv', '2026-01-01T00:00:00+00:00', '2999-01-01T00:00:00+00:00', 'key:alice');
INSERT INTO turns VALUES ('conv', 0, 'Qu''est-ce qu''un lab ?', 'Qu''est-ce qu''un lab ?');
INSERT INTO answers VALUES ('r1', 'conv', 'Qu''est-ce qu''un lab ?', 'answered', 0.8, 'api', 30.0, '2026-01-01T00:00:00+00:00',
                            'key:alice');
INSERT INTO answers VALUES ('r2', NULL, 'Menu de la cantine ?', 'no_answer', 0.1, 'telegram', 20.0, '2026-01-02T00:00:00+00:00',
                            'key:bob');
INSERT INTO feedback VALUES ('r1', 0, 'incomplet', '2026-01-01T00:01:00+00:00');
"""


def test_similar_questions_form_one_gap_with_counts_and_last_date(embedder):
    questions = [GapQuestion("Comment obtenir un badge pour le bâtiment ?", "no_answer", "2026-11-01T10:00:00+00:00"),
                 GapQuestion("Comment obtenir un badge pour le bâtiment ?", "no_answer", "2026-11-03T10:00:00+00:00"),
                 GapQuestion("Comment avoir un badge d'accès au bâtiment ?", "not_useful", "2026-11-02T10:00:00+00:00"),
                 GapQuestion("Quel est le menu de la cantine cette semaine ?", "no_answer", "2026-11-04T10:00:00+00:00")]
    gaps = group_similar(questions, embedder.encode_queries)
    assert [g.count for g in gaps] == [3, 1]
    badge = gaps[0]
    assert badge.question == "Comment obtenir un badge pour le bâtiment ?"
    assert badge.last_asked == "2026-11-03T10:00:00+00:00" and badge.reasons == {"no_answer": 2, "not_useful": 1}


def records_epoch():
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


def test_a_question_and_its_answer_are_written_at_once_and_read_back_in_one_statement(database_location):
    records = Records(database_location, max_turns=3)
    sent = []
    event.listen(records.database.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    conversation = "c0ffee"
    for number in range(5):
        history = records.history(conversation, ALICE)
        assert (history is None) == (number == 0)
        records.record_exchange(conversation, history is None, f"question {number}", f"requête {number}", "answered", 0.8,
                                "api", 40.0, ALICE, answer_text=f"réponse {number}")
    if records.database.shared:  # a database server: one statement to read, one to write, each committed by itself
        assert len(sent) == 5 * 2, sent
    assert records.history(conversation, ALICE, last=10) == [(f"question {n}", f"requête {n}") for n in (2, 3, 4)]
    assert records.stats(since=records_epoch())["questions"] == 5
    with pytest.raises(ForeignRecord):
        records.history(conversation, BOB)


def test_an_unanswered_question_keeps_its_wording_vector_in_the_same_write(database_location):
    records = Records(database_location)
    sent = []
    event.listen(records.database.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    records.record_exchange("c0ffee", True, "Budget de la DITP ?", "Budget de la DITP ?", "no_answer", 0.1, "api", 40.0,
                            kept_vector=WordingVector("budget de la ditp", "e5", vector))
    if records.database.shared:
        assert len(sent) == 1, "one statement: conversation, turn, answer and vector"
    unused = lambda texts: pytest.fail("a kept vector is read, not encoded again")  # noqa: E731
    kept = wording_vectors(records.database, ["budget de la ditp"], ["Budget de la DITP ?"], unused, "e5")
    assert np.array_equal(kept[0], vector)


def test_starting_a_conversation_clears_the_expired_ones(database_location):
    expired = Records(database_location, conversation_ttl=timedelta(seconds=-1))
    expired.record_exchange("ancienne", True, "question", "question", "answered", 0.8, "api", 40.0)
    records = Records(database_location)
    records.record_exchange("nouvelle", True, "question", "question", "answered", 0.8, "api", 40.0)
    with records.database.transaction() as db:
        assert db.execute(select(func.count()).select_from(turns)).scalar_one() == 1, "the expired turns went with it"
    assert records.stats(since=records_epoch())["questions"] == 2, "their questions stay in the log"
