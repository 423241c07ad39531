"""The console at 100,000 questions: statistics read from one covering index, and the embedding of each unanswered
wording kept once computed (grouping gaps by meaning then costs no model time).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("answers_activity", "answers", ["created_at", "channel", "status", "latency_ms"])
    op.create_table(
        "gap_vectors",
        sa.Column("wording", sa.Text, primary_key=True),
        sa.Column("model", sa.Text, primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("gap_vectors_by_date", "gap_vectors", ["created_at"])


def downgrade() -> None:
    op.drop_table("gap_vectors")
    op.drop_index("answers_activity", "answers")
