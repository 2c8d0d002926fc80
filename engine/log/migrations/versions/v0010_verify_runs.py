"""The web's verifications of the decision log: ``web_verify_runs``.

A verification started from the audit page runs in the background; its row says who started
it and when, how far it has got (updated as it goes, which is also how a run whose server
stopped is told from one still running), and at the end the head it checked (number and
hash), how many records and decisions, and whether the log was intact or its first problem.
Working data like the other web tables: rows are updated while a run goes on.

Revision ID: 0010
Revises: 0009 (the language of an account)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STAMP = sa.String(40)  # ISO 8601 UTC with microseconds, as the log writes them


def upgrade() -> None:
    op.create_table(
        "web_verify_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(10), nullable=False),  # running, done, failed
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("started_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.Column("finished_at", STAMP, nullable=True),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("checked", sa.BigInteger, nullable=False),
        sa.Column("head_seq", sa.BigInteger, nullable=True),
        sa.Column("head_hash", sa.String(71), nullable=True),
        sa.Column("records", sa.BigInteger, nullable=True),
        sa.Column("replayed", sa.BigInteger, nullable=True),
        sa.Column("problems", sa.BigInteger, nullable=True),
        sa.Column("first_problem", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("web_verify_runs_state", "web_verify_runs", ["state", "id"])


def downgrade() -> None:
    op.drop_table("web_verify_runs")
