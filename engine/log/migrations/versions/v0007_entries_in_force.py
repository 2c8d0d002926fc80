"""The decisions in force with what the pages sort, filter and count on: ``log_entries``.

At a million records, working out from the chain which decision is in force (and the human
decision on it) for every page took minutes.  ``log_entries`` keeps one row per engine
decision in force (outcome, evaluation date, country, region, priority, exceptions, the
criteria's statuses, the human decision in force on it), written in the transaction that
appends the records changing it, with an index for each sort and filter of the pages
(keyset pagination of the queue: outcome, priority descending, date, number).
``log_figures`` keeps the audit's and the report's counts per evaluation date and figure,
moved in the same transaction; ``log_exception_uses`` numbers every decision record that
names an exception (one row per exception), and ``log_register`` each distinct entry of the
exception register, so that the register is read from those and not from every decision.

Like ``log_in_force`` it is an index kept beside the chain (no append-only triggers).  This
migration fills it from an existing chain with :func:`engine.log.kept.rebuild`, the code
that keeps it: the table's meaning is that code's, and a later change to it comes with a
migration that rebuilds it again.

Revision ID: 0007
Revises: 0005 (the API tokens)
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from engine.log.kept import exception_uses, figures, kept, rebuild, register_keys

    bind = op.get_bind()
    for table in (kept, figures, exception_uses, register_keys):
        table.create(bind)  # with its indexes
    rebuild(bind)


def downgrade() -> None:
    for name in ("log_register", "log_exception_uses", "log_figures", "log_entries"):
        op.drop_table(name)
