"""One engine decision in force per request id: the table ``log_in_force``.

Which record is in force follows from the chain (a later correction supersedes), but two
writers could each check and then both record the same new id.  ``log_in_force`` holds each
request id's engine decision in force, written in the same transaction as the record, and
its primary key makes a second one impossible on both databases.  It is an index kept
beside the chain, not part of it: it may be updated (no append-only triggers), and this
migration builds it for an existing log (where the latest decision in force of an id wins).

``fingerprint`` is the sha256 of the request as received, its evaluation date and the
ruleset, so that recording the same request again can be recognised as a no-op.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fingerprint(request: str | None, as_of: str | None, ruleset_hash: str | None) -> str:
    # The same formula as engine.log.store.fingerprint, frozen here as this revision knew it.
    text = json.dumps([request, as_of, ruleset_hash], ensure_ascii=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def upgrade() -> None:
    table = op.create_table(
        "log_in_force",
        sa.Column("request_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(71), nullable=False),
    )
    old = sa.table(
        "log_records",
        sa.column("seq"),
        sa.column("kind"),
        sa.column("request_id"),
        sa.column("supersedes"),
        sa.column("decision"),
        sa.column("request"),
        sa.column("as_of"),
        sa.column("ruleset_hash"),
    )
    in_force: dict[str, tuple[int, str]] = {}
    query = sa.select(old).order_by(old.c.seq)
    for row in op.get_bind().execute(query):
        if row.kind == "correction" and row.supersedes is not None:
            current = in_force.get(row.request_id)
            if current is not None and current[0] == row.supersedes:
                del in_force[row.request_id]
        if row.decision is not None and row.kind in ("decision", "correction"):
            in_force[row.request_id] = (int(row.seq), _fingerprint(row.request, row.as_of, row.ruleset_hash))
    if in_force:
        op.bulk_insert(table, [{"request_id": k, "seq": s, "fingerprint": f} for k, (s, f) in in_force.items()])


def downgrade() -> None:
    op.drop_table("log_in_force")
