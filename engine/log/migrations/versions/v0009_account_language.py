"""The language of an account's pages: ``web_users.language``.

``en``, ``fr`` or ``es``, or NULL for the browser's (Accept-Language).  Set by the account
itself with the switcher in every page's frame, or by an administrator on the Accounts page.

Revision ID: 0009
Revises: 0008 (the upload jobs)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_users") as batch:  # SQLite adds a column in place; batch keeps one path for both
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_users") as batch:
        batch.drop_column("language")
