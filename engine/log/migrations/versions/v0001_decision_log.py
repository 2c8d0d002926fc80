"""The decision log: a hash-chained, append-only table of records, and the rule files by content.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

HASH = sa.String(71)  # "sha256:" + 64 hex digits
TABLES = ("log_records", "rulesets", "policy_blobs", "ruleset_files")


def upgrade() -> None:
    op.create_table(
        "log_records",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("supersedes", sa.BigInteger),
        sa.Column("decides", sa.BigInteger),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("as_of", sa.String(10)),
        sa.Column("outcome", sa.String(64)),
        sa.Column("country", sa.String(3)),
        sa.Column("region", sa.String(64)),
        sa.Column("ruleset_hash", HASH),
        sa.Column("request", sa.Text),
        sa.Column("decision", sa.Text),
        sa.Column("details", sa.Text),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("hash", HASH, nullable=False),
    )
    op.create_index("log_records_hash", "log_records", ["hash"], unique=True)
    op.create_index("log_records_request_id", "log_records", ["request_id"])
    op.create_index("log_records_as_of", "log_records", ["as_of"])
    op.create_index("log_records_supersedes", "log_records", ["supersedes"])
    op.create_index("log_records_decides", "log_records", ["decides"])
    op.create_table(
        "rulesets",
        sa.Column("hash", HASH, primary_key=True),
        sa.Column("stored_at", sa.String(40), nullable=False),
        sa.Column("stored_by", sa.Text, nullable=False),
    )
    op.create_table(
        "policy_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ruleset_files",
        sa.Column("ruleset_hash", HASH, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION engage_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'the decision log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME;
            END $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION engage_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION engage_append_only()"
            )
    else:
        for table in TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
                    f" BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: {verb} on {table} is not allowed'); END"
                )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION engage_append_only()")
