"""The JSON API's bearer tokens: ``web_api_tokens``.

A token belongs to one account and acts with its roles.  Only the token's SHA-256 is kept,
with when it was made, when it expires (if ever), when it was last used and when it was
revoked.  Working data like the other web tables: rows are updated (last used, revoked)
and deleted with their account.

Revision ID: 0005
Revises: 0004 (the releases)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STAMP = sa.String(40)  # ISO 8601 UTC with microseconds, as the log writes them


def upgrade() -> None:
    op.create_table(
        "web_api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(100), sa.ForeignKey("web_users.name", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("expires_at", STAMP, nullable=True),
        sa.Column("last_used", STAMP, nullable=True),
        sa.Column("revoked_at", STAMP, nullable=True),
    )
    op.create_index("web_api_tokens_user", "web_api_tokens", ["user_name"])


def downgrade() -> None:
    op.drop_table("web_api_tokens")
