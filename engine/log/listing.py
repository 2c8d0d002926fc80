"""The decisions in force a page at a time: filters as SQL, keyset pagination, counts from the database.

Read from ``log_entries`` (:mod:`engine.log.kept`), never from every record.  A page of the
queue is one outcome's decisions in the queue's order (priority highest first, then
evaluation date, then number); a :class:`Cursor` is the sort key of a page's last (or first)
line, and the next page is the lines after it, found through the index
``log_entries_queue`` whatever the depth.  Every page concatenated is the whole ordered list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .kept import kept
from .logview import Entry, HumanDecision
from .store import _record, records

PAGE_SIZE = 50
AWAITING, DECIDED = "awaiting", "decided"


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    outcome: str | None = None
    country: str | None = None
    region: str | None = None
    human: str | None = None  # AWAITING, DECIDED or None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        out: list[sa.ColumnElement[bool]] = []
        if self.date_from is not None:
            out.append(kept.c.as_of >= self.date_from.isoformat())
        if self.date_to is not None:
            out.append(kept.c.as_of <= self.date_to.isoformat())
        if self.outcome is not None:
            out.append(kept.c.outcome == self.outcome)
        if self.country is not None:
            out.append(kept.c.country == self.country)
        if self.region is not None:
            out.append(kept.c.region == self.region)
        if self.human == AWAITING:
            out.append(kept.c.human_seq.is_(None))
        elif self.human == DECIDED:
            out.append(kept.c.human_seq.isnot(None))
        return out


@dataclass(frozen=True)
class Cursor:
    """A place in the queue's order: the sort key of one line."""

    priority: float
    as_of: str
    seq: int

    def text(self) -> str:
        return f"{self.priority!r}_{self.as_of}_{self.seq}"  # repr: a float read back exactly

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor of a link, or None for anything else (a hand-edited address is the first page)."""
        parts = (text or "").split("_")
        if len(parts) != 3:
            return None
        try:
            return cls(float(parts[0]), date.fromisoformat(parts[1]).isoformat(), int(parts[2]))
        except ValueError:
            return None


@dataclass(frozen=True)
class Page:
    entries: tuple[Entry, ...]
    next: Cursor | None  # the cursor of the page after (its lines come after this one)
    previous: Cursor | None  # the cursor of the page before (its lines come before this one)


def _cursor(row: Any) -> Cursor:
    return Cursor(float(row[0]), str(row[1]), int(row[2]))


def _after(c: Cursor) -> list[tuple[list[sa.ColumnElement[bool]], list[Any]]]:
    """The lines after ``c`` in the queue's order, as three index ranges read one after the other.

    One condition with OR (priority below, or equal and a later date, or ...) made SQLite walk the
    index from the start of the outcome: a page near the end of a million cost a second.
    """
    return [
        ([kept.c.priority == c.priority, kept.c.as_of == c.as_of, kept.c.seq > c.seq], [kept.c.seq.asc()]),
        ([kept.c.priority == c.priority, kept.c.as_of > c.as_of], [kept.c.as_of.asc(), kept.c.seq.asc()]),
        ([kept.c.priority < c.priority], [kept.c.priority.desc(), kept.c.as_of.asc(), kept.c.seq.asc()]),
    ]


def _before(c: Cursor) -> list[tuple[list[sa.ColumnElement[bool]], list[Any]]]:
    """The lines before ``c``, nearest first (the queue's order reversed), as three index ranges."""
    return [
        ([kept.c.priority == c.priority, kept.c.as_of == c.as_of, kept.c.seq < c.seq], [kept.c.seq.desc()]),
        ([kept.c.priority == c.priority, kept.c.as_of < c.as_of], [kept.c.as_of.desc(), kept.c.seq.desc()]),
        ([kept.c.priority > c.priority], [kept.c.priority.asc(), kept.c.as_of.desc(), kept.c.seq.desc()]),
    ]


def queue_page(
    conn: Connection,
    filters: Filters,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """``size`` decisions in the queue's order after ``after`` (or before ``before``; else the first)."""
    key = (kept.c.priority, kept.c.as_of, kept.c.seq)
    base = sa.select(*key).where(*filters.conditions())
    if before is not None:
        ranges = _before(before)
    elif after is not None:
        ranges = _after(after)
    else:
        ranges = [([], [kept.c.priority.desc(), kept.c.as_of.asc(), kept.c.seq.asc()])]
    rows: list[Any] = []
    for conditions, order in ranges:
        rows += conn.execute(base.where(*conditions).order_by(*order).limit(size + 1 - len(rows))).all()
        if len(rows) > size:
            break
    more = len(rows) > size
    rows = rows[:size]
    if before is not None:
        rows.reverse()
    if not rows:
        return Page((), None, None)
    first, last = _cursor(rows[0]), _cursor(rows[-1])
    if before is not None:
        return Page(load_entries(conn, [int(r[2]) for r in rows]), last, first if more else None)
    return Page(load_entries(conn, [int(r[2]) for r in rows]), last if more else None, first if after is not None else None)


def seq_page(conn: Connection, filters: Filters, after: int, size: int) -> tuple[tuple[Entry, ...], bool]:
    """``size`` decisions in log order after number ``after``, and whether there are more."""
    query = sa.select(kept.c.seq).where(*filters.conditions(), kept.c.seq > after).order_by(kept.c.seq).limit(size + 1)
    seqs = [int(s) for s in conn.scalars(query)]
    return load_entries(conn, seqs[:size]), len(seqs) > size


def load_entries(conn: Connection, seqs: Sequence[int]) -> tuple[Entry, ...]:
    """The entries of ``seqs`` (decisions in force), in that order, each with its human decision."""
    if not seqs:
        return ()
    found = {int(row.seq): _record(row) for row in conn.execute(sa.select(records).where(records.c.seq.in_(list(seqs))))}
    query = sa.select(kept.c.seq, kept.c.human_seq).where(kept.c.seq.in_(list(seqs)), kept.c.human_seq.isnot(None))
    humans_of = {int(seq): int(human) for seq, human in conn.execute(query)}
    humans = {}
    if humans_of:
        wanted = [int(h) for h in humans_of.values()]
        for row in conn.execute(sa.select(records).where(records.c.seq.in_(wanted))):
            humans[int(row.seq)] = HumanDecision.of(_record(row))
    out = []
    for seq in seqs:
        record = found[seq]
        human_seq = humans_of.get(seq)
        out.append(Entry(record, record.decision_data(), None if human_seq is None else humans.get(int(human_seq))))
    return tuple(out)


def counts_by_outcome(conn: Connection, filters: Filters) -> dict[str, int]:
    """How many decisions in force meet ``filters``, by outcome (one ``GROUP BY`` on the index)."""
    query = sa.select(kept.c.outcome, sa.func.count()).where(*filters.conditions()).group_by(kept.c.outcome)
    return {str(o): int(n) for o, n in conn.execute(query)}


def totals(conn: Connection) -> tuple[int, int]:
    """The decisions in force, and how many of them await a human decision."""
    recorded = int(conn.execute(sa.select(sa.func.count()).select_from(kept)).scalar_one())
    awaiting = int(conn.execute(sa.select(sa.func.count()).select_from(kept).where(kept.c.human_seq.is_(None))).scalar_one())
    return recorded, awaiting


def distinct_values(conn: Connection, column: str) -> list[str]:
    """The countries (or regions) of the decisions in force, for a page's filter lists."""
    col = kept.c[column]
    return [str(v) for v in conn.scalars(sa.select(col).where(col.isnot(None)).distinct())]
