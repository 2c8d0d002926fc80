"""Batch uploads run as background jobs: ``web_upload_jobs`` and the rows they read, ``web_upload_rows``.

A job is working data like the other web tables: its counters are updated as it goes, so
that its progress page (and another officer, or a reload) sees how far it is.  Its rows
say what became of each row of the file, for the summary page, read a page at a time.

Revision ID: 0008
Revises: 0007 (the decisions in force kept beside the chain)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STAMP = sa.String(40)  # ISO 8601 UTC with microseconds, as the log writes them


def upgrade() -> None:
    op.create_table(
        "web_upload_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("started_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.Column("finished_at", STAMP, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("rows_read", sa.BigInteger, nullable=False),
        sa.Column("evaluated", sa.BigInteger, nullable=False),
        sa.Column("recorded", sa.BigInteger, nullable=False),
        sa.Column("unchanged", sa.BigInteger, nullable=False),
        sa.Column("problems", sa.BigInteger, nullable=False),
        sa.Column("no_request", sa.BigInteger, nullable=False),
        sa.Column("unread", sa.BigInteger, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=True),
        sa.Column("last_seq", sa.BigInteger, nullable=True),
        sa.Column("read_as", sa.Text, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index("web_upload_jobs_state", "web_upload_jobs", ["state"])
    op.create_table(
        "web_upload_rows",
        sa.Column("job_id", sa.Integer, sa.ForeignKey("web_upload_jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("n", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("problem", sa.Boolean, nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=True),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("seq", sa.BigInteger, nullable=True),
        sa.Column("priority", sa.Float, nullable=True),
        sa.Column("problems", sa.Text, nullable=True),
    )
    op.create_index("web_upload_rows_problems", "web_upload_rows", ["job_id", "problem", "n"])


def downgrade() -> None:
    op.drop_table("web_upload_rows")
    op.drop_table("web_upload_jobs")
