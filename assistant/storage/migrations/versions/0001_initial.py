"""The records as of the first versioned release; adopts a file written before the migrations existed.

Such a file already holds conversations, turns, answers and feedback (perhaps without the ``owner`` columns,
added later): its tables are kept with their rows and only what is missing is created.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = sa.inspect(op.get_bind())
    tables = set(existing.get_table_names())
    if "conversations" not in tables:
        op.create_table(
            "conversations",
            sa.Column("conversation_id", sa.Text, primary_key=True),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("expires_at", sa.Text, nullable=False),
            sa.Column("owner", sa.Text),
        )
        op.create_index("conversations_by_expiry", "conversations", ["expires_at"])
    if "turns" not in tables:
        op.create_table(
            "turns",
            sa.Column("conversation_id", sa.Text, sa.ForeignKey("conversations.conversation_id", ondelete="CASCADE"),
                      primary_key=True),
            sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("retrieval_query", sa.Text, nullable=False),
        )
    if "answers" not in tables:
        op.create_table(
            "answers",
            sa.Column("answer_id", sa.Text, primary_key=True),
            sa.Column("conversation_id", sa.Text),
            sa.Column("question", sa.Text),
            sa.Column("status", sa.Text, nullable=False),
            sa.Column("confidence", sa.Float, nullable=False),
            sa.Column("channel", sa.Text, nullable=False),
            sa.Column("latency_ms", sa.Float, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("owner", sa.Text),
        )
        op.create_index("answers_by_date", "answers", ["created_at"])
    if "feedback" not in tables:
        op.create_table(
            "feedback",
            sa.Column("answer_id", sa.Text, sa.ForeignKey("answers.answer_id", ondelete="CASCADE"), primary_key=True),
            sa.Column("useful", sa.Integer, nullable=False),
            sa.Column("comment", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False),
        )
    for table in ("conversations", "answers"):  # files from before owners were recorded: their rows stay admin-only
        if "owner" not in {c["name"] for c in existing.get_columns(table)}:
            op.add_column(table, sa.Column("owner", sa.Text))
    for table, index, column in (("conversations", "conversations_by_expiry", "expires_at"),
                                 ("answers", "answers_by_date", "created_at")):
        if index not in {i["name"] for i in existing.get_indexes(table)}:
            op.create_index(index, table, [column])

    op.create_table(
        "rate_buckets",
        sa.Column("identity", sa.Text, primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "reindex_jobs",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text),
        sa.Column("lease_expires_at", sa.Float),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text),
        sa.Column("finished_at", sa.Text),
        sa.Column("files_done", sa.Integer, nullable=False),
        sa.Column("files_total", sa.Integer, nullable=False),
        sa.Column("report", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("build_id", sa.Text),
    )


def downgrade() -> None:
    for table in ("reindex_jobs", "rate_buckets", "feedback", "answers", "turns", "conversations"):
        op.drop_table(table)
