"""The content team console: answers keep their text and sources, gap groups get review states, and indexes for
the console's queries (questions by outcome and date, disliked answers by date).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as answers:
        answers.add_column(sa.Column("answer_text", sa.Text))
        answers.add_column(sa.Column("sources", sa.Text))
    op.create_index("answers_by_status_date", "answers", ["status", "created_at"])
    op.create_index("feedback_by_useful_date", "feedback", ["useful", "created_at"])
    op.create_table(
        "gap_reviews",
        sa.Column("wording", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("reviewed_at", sa.Text, nullable=False),
    )
    op.create_index("gap_reviews_by_date", "gap_reviews", ["reviewed_at"])


def downgrade() -> None:
    op.drop_table("gap_reviews")
    op.drop_index("feedback_by_useful_date", "feedback")
    op.drop_index("answers_by_status_date", "answers")
    with op.batch_alter_table("answers") as answers:
        answers.drop_column("sources")
        answers.drop_column("answer_text")
