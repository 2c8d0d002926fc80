"""The web application's tables: accounts, sessions, failed sign-ins and drafts of requests.

These are working data, not part of the decision log: they may be updated and deleted (no
append-only triggers).  Decisions recorded from the browser still go to ``log_records``.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAMP = sa.String(40)  # ISO 8601 UTC with microseconds, as the log writes them


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("password_changed_at", STAMP, nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(100), sa.ForeignKey("web_users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("last_seen", STAMP, nullable=False),
    )
    op.create_index("web_sessions_user", "web_sessions", ["user_name"])
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("at", STAMP, nullable=False),
    )
    op.create_index("web_login_failures_user", "web_login_failures", ["user_name", "at"])
    op.create_index("web_login_failures_client", "web_login_failures", ["client", "at"])
    op.create_table(
        "web_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("form", sa.Text, nullable=False),  # the form's values as JSON, valid or not
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
    )


def downgrade() -> None:
    for table in ("web_drafts", "web_login_failures", "web_sessions", "web_users"):
        op.drop_table(table)
