"""Releases of the rules: ``release_records``, the hash chain of every step of a release's life.

Each step (proposed, approved, rejected, withdrawn, or adopted at first use) is one row,
chained as the decisions are (``prev_hash``, ``hash`` over the canonical JSON of its content),
append-only under the same triggers, and anchored in the decision log: it holds the number
and hash of the decision log's last record when it was taken.  A chain of its own, in the
same database and checked by the same ``engage log verify``, so that the numbers of the
decisions (which people cite) stay what they were.  What a release is and where it stands is
worked out from these rows; ``closing`` holds the release's number for the step that closes
it (adoption, approval, rejection, withdrawal) and is unique, so the database itself refuses
a second approval of one release.

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

HASH = sa.String(71)
TABLE = "release_records"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("release", sa.Integer, nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("closing", sa.Integer, unique=True),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("ruleset_hash", HASH, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("log_seq", sa.BigInteger, nullable=False),
        sa.Column("log_hash", HASH, nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("hash", HASH, nullable=False),
    )
    op.create_index("release_records_release", TABLE, ["release"])
    if op.get_bind().dialect.name == "postgresql":  # engage_append_only() is migration 0001's
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}"
            " FOR EACH ROW EXECUTE FUNCTION engage_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}"
            " FOR EACH STATEMENT EXECUTE FUNCTION engage_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE}"
                f" BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: {verb} on {TABLE} is not allowed'); END"
            )


def downgrade() -> None:
    op.drop_table(TABLE)
