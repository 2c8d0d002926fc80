"""Releases of the rules: ``releases`` and ``release_steps``, indexes of the release records in the chain.

Every step of a release's life (proposed, approved, rejected, withdrawn, or adopted at first
use) is a record of kind ``release`` in ``log_records``, hash-chained like a decision; what the
release is and where it stands is worked out from those records.  These two tables hold the
same facts in columns, written in the transaction that appends the record, so that the
release in force can be found with one query, and so that the database itself refuses a
second closing step (approval, rejection or withdrawal) of one release: ``closing`` holds the
release's number for those steps and is unique.  ``engage log verify`` compares them with the
chain.  A log written before this revision has no release records, so nothing is built here.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STAMP = sa.String(40)
HASH = sa.String(71)


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),  # the record that proposed (or adopted) it
        sa.Column("ruleset_hash", HASH, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("proposed_at", STAMP, nullable=False),
        sa.Column("effective_from", sa.String(10)),  # None: from the start (a release adopted at first use)
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("report", sa.Text),  # the checks run on proposal, as JSON
    )
    op.create_table(
        "release_steps",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("release", sa.Integer, nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("text", sa.Text),  # the note, justification or reason
        sa.Column("closing", sa.Integer, unique=True),  # the release's number for a step that closes it, else NULL
    )
    op.create_index("release_steps_release", "release_steps", ["release"])


def downgrade() -> None:
    op.drop_table("release_steps")
    op.drop_table("releases")
