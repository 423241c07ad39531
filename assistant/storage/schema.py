"""The tables of the records, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Dates are ISO 8601 text in UTC: they sort as text on both backends and copy between them unchanged.
The migrations (``migrations/versions``) create exactly these; a test checks that they agree.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, Table, Text

metadata = MetaData()

conversations = Table(
    "conversations", metadata,
    Column("conversation_id", Text, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("owner", Text),
    Index("conversations_by_expiry", "expires_at"),
)

turns = Table(
    "turns", metadata,
    Column("conversation_id", Text, ForeignKey("conversations.conversation_id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("question", Text, nullable=False),
    Column("retrieval_query", Text, nullable=False),
)

answers = Table(
    "answers", metadata,
    Column("answer_id", Text, primary_key=True),
    Column("conversation_id", Text),
    Column("question", Text),
    Column("status", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("channel", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("owner", Text),
    Column("answer_text", Text),  # what the service answered, for the content team's review of disliked answers
    Column("sources", Text),  # JSON list of {"document_id", "title"}: cited, or the closest documents of a no_answer
    Index("answers_by_date", "created_at"),
    Index("answers_by_status_date", "status", "created_at"),
    Index("answers_activity", "created_at", "channel", "status", "latency_ms"),  # the statistics read only this index
)

feedback = Table(
    "feedback", metadata,
    Column("answer_id", Text, ForeignKey("answers.answer_id", ondelete="CASCADE"), primary_key=True),
    Column("useful", Integer, nullable=False),
    Column("comment", Text),
    Column("created_at", Text, nullable=False),
    Index("feedback_by_useful_date", "useful", "created_at"),
)

# The content team's decision on a group of unanswered questions, one row per wording of the group.
gap_reviews = Table(
    "gap_reviews", metadata,
    Column("wording", Text, primary_key=True),  # the question's text, trimmed and lower-cased
    Column("state", Text, nullable=False),  # traite, a_ecrire, hors_sujet
    Column("question", Text, nullable=False),  # the group's wording shown when the decision was taken
    Column("reviewer", Text, nullable=False),  # the admin key's name
    Column("reviewed_at", Text, nullable=False),
    Index("gap_reviews_by_date", "reviewed_at"),
)

# The embedding of each unanswered wording, computed once: grouping gaps by meaning then costs no model time.
gap_vectors = Table(
    "gap_vectors", metadata,
    Column("wording", Text, primary_key=True),  # as ``gaps.wording_key`` writes it
    Column("model", Text, primary_key=True),  # the model's fingerprint
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian
    Column("created_at", Text, nullable=False),
    Index("gap_vectors_by_date", "created_at"),
)

# Shared by the replicas of a fleet (PostgreSQL): a caller's token bucket, and the lease of the one index build
# running across the fleet with the state every replica reports.
rate_buckets = Table(
    "rate_buckets", metadata,
    Column("identity", Text, primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", Float, nullable=False),  # seconds since the epoch, on the database's clock
)

reindex_jobs = Table(
    "reindex_jobs", metadata,
    Column("name", Text, primary_key=True),  # one row: "index"
    Column("holder", Text),  # the replica running the build, while it runs
    Column("lease_expires_at", Float),
    Column("state", Text, nullable=False),  # idle, running, done, failed
    Column("started_at", Text),
    Column("finished_at", Text),
    Column("files_done", Integer, nullable=False, default=0),
    Column("files_total", Integer, nullable=False, default=0),
    Column("report", Text),  # JSON
    Column("error", Text),
    Column("build_id", Text),  # the last build announced to the fleet
)

# The Telegram bot's state when it persists in the database: per-user and per-chat data (answers behind recent
# buttons, conversation ids, question windows), pickled by python-telegram-bot's persistence.
bot_state = Table(
    "bot_state", metadata,
    Column("kind", Text, primary_key=True),  # user or chat
    Column("id", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("updated_at", Text, nullable=False),
)

COPIED_TABLES = (conversations, turns, answers, feedback, gap_reviews)  # in dependency order; gap_vectors is a cache
