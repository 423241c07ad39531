"""What the service remembers, in SQLite: conversations (with expiry), every question asked, feedback.

From these come the content gaps (questions the corpus could not answer or answered badly) and the
usage statistics that corpus editors and administrators read. A conversation and an answer belong to the
caller that created them (``Caller.owner``): no one else may continue, forget or rate them, admins excepted.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    owner TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    retrieval_query TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    conversation_id TEXT,
    question TEXT,
    status TEXT NOT NULL,
    confidence REAL NOT NULL,
    channel TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    created_at TEXT NOT NULL,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS answers_by_date ON answers(created_at);
CREATE INDEX IF NOT EXISTS conversations_by_expiry ON conversations(expires_at);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT PRIMARY KEY REFERENCES answers(answer_id) ON DELETE CASCADE,
    useful INTEGER NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL
);
"""


# Columns added since the first release: an older file gets them on opening (its rows have no owner,
# so only an admin may act on them).
ADDED_COLUMNS = (("conversations", "owner TEXT"), ("answers", "owner TEXT"))
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


class RecordsUnavailable(RuntimeError):
    """The SQLite store cannot be read or written (locked, read-only, disk full)."""


@dataclass(frozen=True)
class GapQuestion:
    question: str
    reason: str  # "no_answer" or "not_useful"
    created_at: str


@dataclass
class Gap:
    question: str  # the most frequent wording of the group
    count: int
    last_asked: str
    reasons: dict[str, int]
    examples: list[str]


def now() -> datetime:
    return datetime.now(UTC)


class Records:
    """One SQLite file; a connection per thread; every write in its own short transaction.

    When the file is locked by another writer (beyond ``busy_timeout`` seconds), read-only or on a full disk,
    every call raises ``RecordsUnavailable`` (a 503 for the API) instead of hanging or failing obscurely;
    the service still starts and searches without it.
    """

    def __init__(self, path: Path, conversation_ttl: timedelta = timedelta(hours=24), keep_question_text: bool = True,
                 busy_timeout: float = 2.0, max_turns: int = 20) -> None:
        self.path = Path(path)
        self.ttl = conversation_ttl
        self.max_turns = max_turns
        self.keep_question_text = keep_question_text
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._schema_ready = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._transaction():
                pass
        except (OSError, RecordsUnavailable) as error:
            logger.warning("Base de suivi indisponible au démarrage (%s : %s) : nouvel essai à chaque requête.", self.path, error)

    @contextmanager
    def _transaction(self):
        try:
            db = getattr(self._local, "db", None)
            if db is None:
                db = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False)
                try:
                    db.execute("PRAGMA foreign_keys = ON")
                    db.execute("PRAGMA journal_mode = WAL")
                except sqlite3.Error:
                    db.close()
                    raise
                self._local.db = db
            if not self._schema_ready:
                with db:
                    db.executescript(SCHEMA)
                    _add_missing_columns(db)
                self._schema_ready = True
            with db:
                yield db
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise
        except sqlite3.DatabaseError as error:  # locked, read-only, disk full, unreadable file
            raise RecordsUnavailable(f"Base de suivi indisponible ({self.path} : {error}).") from error

    # -- conversations ----------------------------------------------------------------------------
    def history(self, conversation_id: str, caller: Caller = INTERNAL, last: int = HISTORY_TURNS) -> list[tuple[str, str]] | None:
        """(question, retrieval query) of the ``last`` earlier turns, oldest first; None when unknown or expired.

        Raises ``ForeignRecord`` when the conversation belongs to another caller.
        """
        with self._transaction() as db:
            row = db.execute("SELECT expires_at, owner FROM conversations WHERE conversation_id = ?",
                             (conversation_id,)).fetchone()
            if row is None or row[0] < now().isoformat():
                return None
            if not caller.may_act_on(row[1]):
                raise ForeignRecord(conversation_id)
            turns = db.execute("SELECT question, retrieval_query FROM turns WHERE conversation_id = ? "
                               "ORDER BY position DESC LIMIT ?", (conversation_id, last)).fetchall()
        return [(q, r) for q, r in reversed(turns)]

    def start_conversation(self, caller: Caller = INTERNAL) -> str:
        """A new conversation; expired ones are deleted on the way (their questions stay in the log)."""
        conversation_id = uuid.uuid4().hex
        with self._transaction() as db:
            db.execute("DELETE FROM conversations WHERE expires_at < ?", (now().isoformat(),))
            db.execute("INSERT INTO conversations (conversation_id, created_at, expires_at, owner) VALUES (?, ?, ?, ?)",
                       (conversation_id, now().isoformat(), (now() + self.ttl).isoformat(), caller.owner))
        return conversation_id

    def add_turn(self, conversation_id: str, question: str, retrieval_query: str) -> None:
        """Append a turn; only the last ``max_turns`` are kept."""
        with self._transaction() as db:
            position = db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE conversation_id = ?",
                                  (conversation_id,)).fetchone()[0]
            db.execute("INSERT INTO turns VALUES (?, ?, ?, ?)", (conversation_id, position, question, retrieval_query))
            db.execute("DELETE FROM turns WHERE conversation_id = ? AND position <= ?",
                       (conversation_id, position - self.max_turns))
            db.execute("UPDATE conversations SET expires_at = ? WHERE conversation_id = ?",
                       ((now() + self.ttl).isoformat(), conversation_id))

    def forget_conversation(self, conversation_id: str, caller: Caller = INTERNAL) -> bool:
        """False when the conversation is unknown, or not the caller's."""
        with self._transaction() as db:
            row = db.execute("SELECT owner FROM conversations WHERE conversation_id = ?", (conversation_id,)).fetchone()
            if row is None or not caller.may_act_on(row[0]):
                return False
            return db.execute("DELETE FROM conversations WHERE conversation_id = ?", (conversation_id,)).rowcount > 0

    # -- questions and feedback ---------------------------------------------------------------------
    def record_answer(self, conversation_id: str | None, question: str, status: str, confidence: float,
                      channel: str, latency_ms: float, caller: Caller = INTERNAL) -> str:
        answer_id = uuid.uuid4().hex
        with self._transaction() as db:
            db.execute("INSERT INTO answers (answer_id, conversation_id, question, status, confidence, channel, latency_ms, "
                       "created_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (answer_id, conversation_id, question if self.keep_question_text else None, status,
                        confidence, channel, latency_ms, now().isoformat(), caller.owner))
        return answer_id

    def record_feedback(self, answer_id: str, useful: bool, comment: str | None, caller: Caller = INTERNAL) -> bool:
        """Store (or replace) the feedback on an answer; False when the answer id is unknown or not the caller's."""
        with self._transaction() as db:
            row = db.execute("SELECT owner FROM answers WHERE answer_id = ?", (answer_id,)).fetchone()
            if row is None or not caller.may_act_on(row[0]):
                return False
            db.execute("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)", (answer_id, int(useful), comment, now().isoformat()))
        return True

    def gap_questions(self, since: datetime | None = None) -> list[GapQuestion]:
        """Questions answered ``no_answer`` or marked not useful (with their text, when it was kept)."""
        since_text = (since or datetime(1970, 1, 1, tzinfo=UTC)).isoformat()
        with self._transaction() as db:
            rows = db.execute(
                "SELECT a.question, CASE WHEN a.status = 'no_answer' THEN 'no_answer' ELSE 'not_useful' END, a.created_at "
                "FROM answers a LEFT JOIN feedback f USING (answer_id) "
                "WHERE a.question IS NOT NULL AND a.created_at >= ? AND (a.status = 'no_answer' OR f.useful = 0) "
                "ORDER BY a.created_at", (since_text,)).fetchall()
        return [GapQuestion(*row) for row in rows]

    def stats(self, since: datetime) -> dict:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT substr(a.created_at, 1, 10), a.channel, a.status, a.latency_ms, a.question, f.useful "
                "FROM answers a LEFT JOIN feedback f USING (answer_id) WHERE a.created_at >= ?", (since.isoformat(),)).fetchall()
        per_day: dict[str, Counter] = defaultdict(Counter)
        for day, channel, *_ in rows:
            per_day[day][channel] += 1
        latencies = [r[3] for r in rows]
        rated = [r[5] for r in rows if r[5] is not None]
        questions = Counter(r[4].strip().lower() for r in rows if r[4])
        return {
            "questions": len(rows),
            "per_day": [{"day": day, "channels": dict(counts), "total": sum(counts.values())} for day, counts in sorted(per_day.items())],
            "answer_rate": round(sum(1 for r in rows if r[2] == "answered") / len(rows), 4) if rows else 0.0,
            "feedback_count": len(rated),
            "useful_rate": round(sum(rated) / len(rated), 4) if rated else None,
            "top_questions": [{"question": q, "count": c} for q, c in questions.most_common(10)],
            "latency_ms": {f"p{p}": round(float(np.percentile(latencies, p)), 1) for p in (50, 95, 99)} if latencies else {},
        }


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, column in ADDED_COLUMNS:
        if column.split()[0] not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def group_similar(questions: list[GapQuestion], encode: Callable[[list[str]], np.ndarray], threshold: float = 0.88) -> list[Gap]:
    """Greedy grouping of questions whose embeddings are close; largest groups first."""
    if not questions:
        return []
    vectors = encode([q.question for q in questions])
    groups: list[list[int]] = []
    centroids: list[np.ndarray] = []
    for index, vector in enumerate(vectors):
        similarities = [float(vector @ c) / float(np.linalg.norm(c)) for c in centroids]
        best = int(np.argmax(similarities)) if similarities else -1
        if best >= 0 and similarities[best] >= threshold:
            groups[best].append(index)
            centroids[best] = centroids[best] + vector
        else:
            groups.append([index])
            centroids.append(vector.copy())
    gaps = []
    for members in groups:
        wordings = Counter(questions[i].question.strip() for i in members)
        gaps.append(Gap(
            question=wordings.most_common(1)[0][0], count=len(members),
            last_asked=max(questions[i].created_at for i in members),
            reasons=dict(Counter(questions[i].reason for i in members)),
            examples=[w for w, _ in wordings.most_common(5)],
        ))
    return sorted(gaps, key=lambda g: (g.count, g.last_asked), reverse=True)
