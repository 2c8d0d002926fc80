"""The log as it stands now: each recorded request's decision in force, and the people's decision on it.

Records are never changed, so "in force" is worked out: a record stops counting when a
later correction supersedes it (or, in a log written before the one-record rule, when a later
engine decision for the same request id follows it); a correction that holds a decision (or a human decision)
takes the place of the record it supersedes, and one that holds neither withdraws it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .store import _FIELDS, CORRECTION, DECISION, HUMAN_DECISION, LogRecord, LogStore, _record, records


@dataclass(frozen=True)
class HumanDecision:
    """What people decided on an engine decision."""

    record: LogRecord
    outcome: str
    by: str
    justification: str | None
    engine_outcome: str

    @property
    def follows(self) -> bool:
        return self.outcome == self.engine_outcome

    @classmethod
    def of(cls, record: LogRecord) -> HumanDecision:
        info = record.info
        return cls(
            record, record.outcome or "", str(info.get("by", "")), info.get("justification"), str(info.get("engine_outcome", ""))
        )


@dataclass(frozen=True)
class Entry:
    """A recorded request's decision in force, with the human decision on it (if any yet)."""

    record: LogRecord
    decision: Mapping[str, Any]
    human: HumanDecision | None

    @property
    def seq(self) -> int:
        return self.record.seq

    @property
    def request_id(self) -> str:
        return self.record.request_id

    @property
    def outcome(self) -> str:
        return str(self.decision.get("outcome", ""))

    @property
    def as_of(self) -> str:
        return str(self.decision.get("as_of", ""))

    @property
    def priority_score(self) -> float:
        return float(self.decision.get("priority_score") or 0)

    @property
    def region(self) -> str | None:
        return self.record.region

    @property
    def country(self) -> str | None:
        return self.record.country

    @property
    def exceptions(self) -> list[Mapping[str, Any]]:
        return list(self.decision.get("exceptions") or [])

    @property
    def corrects(self) -> int | None:
        return self.record.supersedes if self.record.kind == CORRECTION else None


def superseded(conn: Connection) -> dict[int, int]:
    """Each superseded record's number -> the number of the correction that superseded it."""
    query = sa.select(records.c.supersedes, records.c.seq).where(records.c.supersedes.isnot(None)).order_by(records.c.seq)
    out: dict[int, int] = {}
    for target, seq in conn.execute(query):
        out.setdefault(int(target), int(seq))
    return out


def latest_decisions(conn: Connection, gone: Mapping[int, int]) -> dict[str, int]:
    """Each request id -> its engine decision in force: the latest not superseded.

    Worked out from the chain, not from ``log_in_force``, so that a log written before the
    one-record rule (where an id could have several) still counts one decision per request.
    """
    query = (
        sa.select(records.c.request_id, records.c.seq)
        .where(records.c.decision.isnot(None), records.c.kind.in_((DECISION, CORRECTION)))
        .order_by(records.c.seq)
    )
    return {str(rid): int(seq) for rid, seq in conn.execute(query) if int(seq) not in gone}


def superseded_among(conn: Connection, seqs: Iterable[int]) -> dict[int, int]:
    """:func:`superseded` for ``seqs`` only (a few records: read through the index on ``supersedes``)."""
    wanted = sorted(set(seqs))
    out: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        query = (
            sa.select(records.c.supersedes, records.c.seq)
            .where(records.c.supersedes.in_(wanted[start : start + 500]))
            .order_by(records.c.seq)
        )
        for target, seq in conn.execute(query):
            out.setdefault(int(target), int(seq))
    return out


def human_decisions(store: LogStore, conn: Connection, decision_seqs: Iterable[int] | None = None) -> dict[int, HumanDecision]:
    """The human decision in force on each engine decision (by its number)."""
    condition = records.c.decides.isnot(None)
    few = None
    if decision_seqs is not None:
        wanted = list(decision_seqs)
        if len(wanted) < 500:
            condition, few = records.c.decides.in_(wanted), wanted
    found = store.select(conn, condition)
    gone = superseded(conn) if few is None else superseded_among(conn, [r.seq for r in found])
    out: dict[int, HumanDecision] = {}
    for record in found:
        if record.seq in gone or record.role != HUMAN_DECISION or record.decides is None:
            continue
        out[record.decides] = HumanDecision.of(record)  # the latest in force wins
    return out


def entries(
    store: LogStore,
    conn: Connection,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    outcome: str | None = None,
    country: str | None = None,
    region: str | None = None,
) -> list[Entry]:
    """The decisions in force, in log order, filtered by evaluation date (``as_of``) and the rest.

    Read from ``log_entries`` (:mod:`engine.log.kept`), which the appends keep; the pages
    read a page of it at a time (:mod:`engine.log.listing`), this reads every one that matches.
    """
    from .kept import kept

    if not sa.inspect(conn).has_table("log_entries"):  # a read-only log of an older schema, read as it is
        return _entries_from_chain(store, conn, date_from, date_to, outcome, country, region)
    conditions: list[sa.ColumnElement[bool]] = []
    if date_from is not None:
        conditions.append(kept.c.as_of >= date_from.isoformat())
    if date_to is not None:
        conditions.append(kept.c.as_of <= date_to.isoformat())
    if outcome is not None:
        conditions.append(kept.c.outcome == outcome)
    if country is not None:
        conditions.append(kept.c.country == country)
    if region is not None:
        conditions.append(kept.c.region == region)
    human = records.alias("human")
    query = (
        sa.select(records, *(human.c[name].label(f"h_{name}") for name in _FIELDS))
        .select_from(kept.join(records, records.c.seq == kept.c.seq).outerjoin(human, human.c.seq == kept.c.human_seq))
        .where(*conditions)
        .order_by(kept.c.seq)
    )
    out = []
    for row in conn.execute(query):
        record = _record(row)
        mapping = row._mapping
        human_record = None if mapping["h_seq"] is None else _record_of({n: mapping[f"h_{n}"] for n in _FIELDS})
        out.append(Entry(record, record.decision_data(), None if human_record is None else HumanDecision.of(human_record)))
    return out


def _entries_from_chain(
    store: LogStore,
    conn: Connection,
    date_from: date | None,
    date_to: date | None,
    outcome: str | None,
    country: str | None,
    region: str | None,
) -> list[Entry]:
    conditions: list[sa.ColumnElement[bool]] = [records.c.decision.isnot(None), records.c.kind.in_((DECISION, CORRECTION))]
    if date_from is not None:
        conditions.append(records.c.as_of >= date_from.isoformat())
    if date_to is not None:
        conditions.append(records.c.as_of <= date_to.isoformat())
    if outcome is not None:
        conditions.append(records.c.outcome == outcome)
    if country is not None:
        conditions.append(records.c.country == country)
    if region is not None:
        conditions.append(records.c.region == region)
    gone = superseded(conn)
    latest = latest_decisions(conn, gone)
    found = [r for r in store.select(conn, *conditions) if r.seq not in gone and latest.get(r.request_id) == r.seq]
    humans = human_decisions(store, conn, [r.seq for r in found])
    return [Entry(r, r.decision_data(), humans.get(r.seq)) for r in found]


def find_decision(store: LogStore, conn: Connection, ident: str) -> LogRecord | None:
    """A record by number (``17`` or ``#17``), or the decision in force for a request id."""
    text = ident.strip()
    if text.lstrip("#").isdigit():
        return store.get(int(text.lstrip("#")), conn)
    every = store.for_request(text, conn)
    gone = superseded_among(conn, [r.seq for r in every])
    found = [r for r in every if r.role == DECISION and r.seq not in gone]
    if found:
        return found[-1]
    return every[-1] if every else None


def history(store: LogStore, conn: Connection, record: LogRecord) -> list[LogRecord]:
    """Every record about the same request, in log order."""
    return store.for_request(record.request_id, conn)


def _record_of(values: Mapping[str, Any]) -> LogRecord:
    out = dict(values)
    for name in ("seq", "supersedes", "decides"):
        if out[name] is not None:
            out[name] = int(out[name])
    return LogRecord(**out)
