"""The decisions in force, kept as a table beside the chain: ``log_entries`` (migration 0007).

Which engine decision is in force for a request, and which human decision stands on it,
follow from the chain (:mod:`engine.log.logview`), but working them out reads every record:
minutes at a million.  ``log_entries`` holds one row per decision in force, with what the
pages sort, filter and count on (outcome, priority, dates, place, exceptions, the criteria's
statuses, the human decision), written in the same transaction as the records that change
it (:meth:`LogStore.keep_all_in_force`).  Like ``log_in_force`` it is an index, not part of
the chain: rows are updated and deleted, and :func:`rebuild` makes it again from the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .register import RegisterEntry, Use
from .store import CORRECTION, DECISION, HASH, HUMAN_DECISION, LogRecord, _record, records

metadata = sa.MetaData()
kept = sa.Table(
    "log_entries",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("request_id", sa.Text, nullable=False, unique=True),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("country", sa.String(3)),
    sa.Column("region", sa.String(64)),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("exceptions", sa.Integer, nullable=False),  # how many the decision names
    sa.Column("applied", sa.Integer, nullable=False),  # 1: one of them was applied
    sa.Column("rejected", sa.Integer, nullable=False),  # 1: one of them was rejected
    sa.Column("statuses", sa.Text, nullable=False),  # {criterion: status}, store_json: grouped on for the figures
    sa.Column("corrects", sa.BigInteger),  # the record it supersedes, when it is a correction
    sa.Column("ruleset_hash", HASH),
    sa.Column("release", sa.Integer),  # the release its record names
    sa.Column("human_seq", sa.BigInteger),  # the human decision in force on it
    sa.Column("human_outcome", sa.String(64)),
    sa.Column("human_follows", sa.Integer),  # 1: the human decision is the engine's outcome
    sa.Index("log_entries_queue", "outcome", sa.desc("priority"), "as_of", "seq"),
    sa.Index("log_entries_as_of", "as_of", "seq"),
    sa.Index("log_entries_country", "country", "seq"),
    sa.Index("log_entries_region", "region", "seq"),
    sa.Index("log_entries_human", "human_seq"),
    sa.Index("log_entries_departs", "human_follows", "seq"),  # the first departures of a period, in log order
    sa.Index("log_entries_exceptions", "exceptions", "seq"),
)
HUMAN_COLUMNS = ("human_seq", "human_outcome", "human_follows")
# The audit's and the report's figures, kept: for each evaluation date, how many decisions in force
# count towards each figure (see figure_names), moved by one as entries come and go.
figures = sa.Table(
    "log_figures",
    metadata,
    sa.Column("as_of", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)
# Every exception named by an engine decision record, superseded or not: the exception register's
# uses (engine/log/register.py), with the register's key hashed so that its entries are a GROUP BY.
exception_uses = sa.Table(
    "log_exception_uses",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),  # its place in the decision's exceptions
    sa.Column("key", HASH, nullable=False),
    sa.Column("request_id", sa.Text, nullable=False),
    sa.Column("waives", sa.Text, nullable=False),  # store_json list
    sa.Column("justification", sa.Text),
    sa.Column("requested_by", sa.Text),
    sa.Column("approved_by", sa.Text),
    sa.Column("expires", sa.Text),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("valid", sa.Integer, nullable=False),
    sa.Column("uncovered", sa.Text, nullable=False),  # store_json list
    sa.Index("log_exception_uses_key", "key", "as_of"),
    sa.Index("log_exception_uses_as_of", "as_of"),
)
# One row per entry of the exception register (a distinct key), with what its orders read: written
# when its first use is, never changed (the key's fields are the entry's, the first use stays first).
register_keys = sa.Table(
    "log_register",
    metadata,
    sa.Column("key", HASH, primary_key=True),
    sa.Column("first_seq", sa.BigInteger, nullable=False),
    sa.Column("request_id", sa.Text, nullable=False),
    sa.Column("expires", sa.Text),
    sa.Index("log_register_first", "first_seq"),
    sa.Index("log_register_expires", "expires", "request_id"),
)


def exception_rows(record: LogRecord) -> list[dict[str, Any]]:
    """The register's uses in an engine decision record (none when it names no exception)."""
    if '"exceptions":[{' not in (record.decision or ""):  # store_json: no spaces; an empty list is "[]"
        return []
    data = json.loads(record.decision or "{}")
    out = []
    for idx, exc in enumerate(data.get("exceptions") or ()):
        if not isinstance(exc, dict):
            continue
        key = [record.request_id, list(exc.get("waives") or ()), exc.get("justification"), exc.get("requested_by")]
        key += [exc.get("approved_by"), exc.get("expires")]
        digest = "sha256:" + hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode("utf-8")).hexdigest()
        out.append(
            {
                "seq": record.seq,
                "idx": idx,
                "key": digest,
                "request_id": record.request_id,
                "waives": json.dumps(list(exc.get("waives") or ())),
                "justification": exc.get("justification"),
                "requested_by": exc.get("requested_by"),
                "approved_by": exc.get("approved_by"),
                "expires": None if exc.get("expires") is None else str(exc.get("expires")),
                "as_of": str(data.get("as_of", "")),
                "outcome": str(data.get("outcome", "")),
                "decision": str(exc.get("decision", "")),
                "valid": int(bool(exc.get("valid"))),
                "uncovered": json.dumps(list(exc.get("uncovered") or ())),
            }
        )
    return out


def figure_names(row: dict[str, Any]) -> list[str]:
    """The figures an entry counts towards on its evaluation date.

    ``outcome:O``, ``exception:O``, ``applied:O`` (by outcome, for the buckets), ``rejected``,
    ``region:R:O``, ``status:C:S`` (each criterion's status), ``priority:P``, ``human``,
    ``follows``, ``departs``, ``corrected``, ``release:N`` (the release its record names).
    """
    outcome = row["outcome"]
    names = [f"outcome:{outcome}", f"region:{row['region'] or ''}:{outcome}", f"priority:{row['priority']!r}"]
    if row["exceptions"]:
        names.append(f"exception:{outcome}")
    if row["applied"]:
        names.append(f"applied:{outcome}")
    if row["rejected"]:
        names.append("rejected")
    names += [f"status:{k}:{v}" for k, v in json.loads(row["statuses"]).items()]
    if row["human_seq"] is not None:
        names.append("human")
        names.append("follows" if row["human_follows"] else "departs")
    if row["corrects"] is not None:
        names.append("corrected")
    names.append(f"release:{'' if row['release'] is None else row['release']}")
    return names


class Deltas:
    """How each (date, figure) count moves in one append, written at its end."""

    def __init__(self) -> None:
        self.moves: dict[tuple[str, str], int] = {}

    def add(self, row: dict[str, Any], sign: int = 1) -> None:
        for name in figure_names(row):
            key = (row["as_of"], name)
            self.moves[key] = self.moves.get(key, 0) + sign

    def write(self, conn: Connection) -> None:
        moved = [{"as_of": a, "name": n, "n": d} for (a, n), d in self.moves.items() if d]
        if not moved:
            return
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg = pg_insert(figures)
            conn.execute(
                pg.on_conflict_do_update(index_elements=["as_of", "name"], set_={"n": figures.c.n + pg.excluded.n}), moved
            )
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            lite = sqlite_insert(figures)
            conn.execute(
                lite.on_conflict_do_update(index_elements=["as_of", "name"], set_={"n": figures.c.n + lite.excluded.n}), moved
            )
        conn.execute(sa.delete(figures).where(figures.c.n == 0))


def entry_row(record: LogRecord, human: LogRecord | None = None) -> dict[str, Any]:
    """The row of an engine decision in force (``record``), with the human decision on it."""
    data = json.loads(record.decision or "{}")
    found = [x for x in data.get("exceptions") or () if isinstance(x, dict)]
    criteria = data.get("criteria") or {}
    statuses = {str(k): str((v or {}).get("status", "")) for k, v in criteria.items() if isinstance(v, dict)}
    return {
        "seq": record.seq,
        "request_id": record.request_id,
        "outcome": str(data.get("outcome", "")),
        "as_of": str(data.get("as_of", "")),
        "country": record.country,
        "region": record.region,
        "priority": float(data.get("priority_score") or 0),
        "exceptions": len(found),
        "applied": int(any(x.get("decision") == "applied" for x in found)),
        "rejected": int(any(x.get("decision") == "rejected" for x in found)),
        "statuses": json.dumps(statuses, sort_keys=True, separators=(",", ":")),
        "corrects": record.supersedes if record.kind == CORRECTION else None,
        "ruleset_hash": record.ruleset_hash,
        "release": _release(record),
        **_human_values(record, human),
    }


def _release(record: LogRecord) -> int | None:
    number = record.info.get("release")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _human_values(decision: LogRecord | None, human: LogRecord | None) -> dict[str, Any]:
    if human is None:
        return dict.fromkeys(HUMAN_COLUMNS)
    engine_outcome = str(human.info.get("engine_outcome", ""))
    return {"human_seq": human.seq, "human_outcome": human.outcome, "human_follows": int(human.outcome == engine_outcome)}


def keep(conn: Connection, added: Sequence[LogRecord]) -> None:
    """Bring ``log_entries`` and the kept figures up to date with ``added`` (already inserted, in chain order)."""
    deltas = Deltas()
    run: dict[str, dict[str, Any]] = {}  # new engine decisions, by request id: written many at a time
    uses = [row for r in added if r.role == DECISION for row in exception_rows(r)]
    if uses:
        conn.execute(sa.insert(exception_uses), uses)
        _register_keys(conn, uses)
    for record in added:
        if record.kind == DECISION and record.role == DECISION:
            run[record.request_id] = entry_row(record)  # in an old log, a second decision for an id replaced the first
            continue
        _write(conn, run, deltas)
        run = {}
        _keep_one(conn, record, deltas)
    _write(conn, run, deltas)
    deltas.write(conn)


def _register_keys(conn: Connection, uses: list[dict[str, Any]]) -> None:
    firsts: dict[str, dict[str, Any]] = {}
    for u in uses:
        firsts.setdefault(
            u["key"], {"key": u["key"], "first_seq": u["seq"], "request_id": u["request_id"], "expires": u["expires"]}
        )
    rows = list(firsts.values())
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(register_keys).on_conflict_do_nothing(index_elements=["key"]), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(register_keys).on_conflict_do_nothing(index_elements=["key"]), rows)


def _remove(conn: Connection, condition: sa.ColumnElement[bool], deltas: Deltas) -> list[dict[str, Any]]:
    gone = [dict(row._mapping) for row in conn.execute(sa.select(kept).where(condition))]
    if gone:
        conn.execute(sa.delete(kept).where(condition))
        for row in gone:
            deltas.add(row, -1)
    return gone


def _add(conn: Connection, rows: list[dict[str, Any]], deltas: Deltas) -> None:
    if rows:
        conn.execute(sa.insert(kept), rows)
        for row in rows:
            deltas.add(row)


def _set_human(conn: Connection, seq: int, values: dict[str, Any], deltas: Deltas) -> None:
    for row in _remove(conn, kept.c.seq == seq, deltas):
        _add(conn, [{**row, **values}], deltas)


def _write(conn: Connection, run: dict[str, dict[str, Any]], deltas: Deltas) -> None:
    if not run:
        return
    ids = list(run)
    for start in range(0, len(ids), 500):
        _remove(conn, kept.c.request_id.in_(ids[start : start + 500]), deltas)
    _add(conn, list(run.values()), deltas)


def _keep_one(conn: Connection, record: LogRecord, deltas: Deltas) -> None:
    if record.kind == CORRECTION and record.supersedes is not None:
        target = record.supersedes
        if _remove(conn, kept.c.seq == target, deltas):
            if record.role != DECISION:  # withdrawn: an older decision in force for the id counts again
                earlier = _latest_decision(conn, record.request_id, record.seq)
                if earlier is not None:
                    _add(conn, [entry_row(earlier, _latest_human(conn, earlier.seq, record.seq))], deltas)
        else:
            decided = conn.execute(sa.select(kept.c.seq).where(kept.c.human_seq == target)).scalar()
            if decided is not None:
                again = _latest_human(conn, int(decided), record.seq)
                _set_human(conn, int(decided), _human_values(None, again), deltas)
    if record.role == DECISION and record.kind in (DECISION, CORRECTION):
        _remove(conn, kept.c.request_id == record.request_id, deltas)
        _add(conn, [entry_row(record)], deltas)
    elif record.role == HUMAN_DECISION and record.decides is not None:
        _set_human(conn, record.decides, _human_values(None, record), deltas)


def _in_force_upto(upto: int) -> sa.ColumnElement[bool]:
    later = records.alias("later")
    return ~sa.exists().where(later.c.supersedes == records.c.seq, later.c.seq <= upto)


def _latest_decision(conn: Connection, request_id: str, upto: int) -> LogRecord | None:
    query = (
        sa.select(records)
        .where(
            records.c.request_id == request_id,
            records.c.decision.isnot(None),
            records.c.kind.in_((DECISION, CORRECTION)),
            records.c.seq <= upto,
            _in_force_upto(upto),
        )
        .order_by(records.c.seq.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else _record(row)


def _latest_human(conn: Connection, decision_seq: int, upto: int) -> LogRecord | None:
    query = (
        sa.select(records)
        .where(
            records.c.decides == decision_seq,
            records.c.decision.is_(None),
            records.c.outcome.isnot(None),
            records.c.seq <= upto,
            _in_force_upto(upto),
        )
        .order_by(records.c.seq.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else _record(row)


def rebuild(conn: Connection, batch: int = 5000) -> None:
    """Make ``log_entries`` again from the whole chain (the migration that adds it, a repair)."""
    conn.execute(sa.delete(kept))
    conn.execute(sa.delete(figures))
    conn.execute(sa.delete(exception_uses))
    conn.execute(sa.delete(register_keys))
    last = 0
    while True:
        rows = conn.execute(sa.select(records).where(records.c.seq > last).order_by(records.c.seq).limit(batch)).all()
        if not rows:
            return
        keep(conn, [_record(row) for row in rows])
        last = int(rows[-1].seq)


def figure_counts(conn: Connection, date_from: str, date_to: str, by_month: bool) -> list[tuple[str, str, int]]:
    """(day or month, figure, count) for the decisions in force evaluated between the two dates."""
    when = sa.func.substr(figures.c.as_of, 1, 7) if by_month else figures.c.as_of
    query = (
        sa.select(when, figures.c.name, sa.func.sum(figures.c.n))
        .where(figures.c.as_of >= date_from, figures.c.as_of <= date_to)
        .group_by(when, figures.c.name)
    )
    return [(str(w), str(name), int(n)) for w, name, n in conn.execute(query)]


def register_entries(
    conn: Connection, date_from: str, date_to: str, *, limit: int, urgent: tuple[str, str] | None = None
) -> tuple[list[RegisterEntry], int]:
    """The exception register's entries used by a decision of the period, at most ``limit``, and how many there are.

    In the order first seen (as :func:`engine.log.register.build_register` gives them), or with
    ``urgent`` (today and the last day counted as ending soon, ISO dates) in the audit page's
    order: ending soon, in force, without a date, expired; then by end date and request id.
    """
    from .logview import superseded_among

    u, reg = exception_uses, register_keys
    lowest = conn.execute(sa.select(sa.func.min(u.c.as_of))).scalar()
    highest = conn.execute(sa.select(sa.func.max(u.c.as_of))).scalar()
    if lowest is None or highest is None:
        return [], 0
    conditions: list[sa.ColumnElement[bool]] = []
    if not (date_from <= lowest and highest <= date_to):  # else every entry has a use in the period
        used = sa.select(u.c.key).where(u.c.key == reg.c.key, u.c.as_of >= date_from, u.c.as_of <= date_to)
        conditions.append(sa.exists(used))
    total = int(conn.execute(sa.select(sa.func.count()).select_from(reg).where(*conditions)).scalar_one())
    if urgent is None:
        ranges: list[tuple[list[sa.ColumnElement[bool]], list[Any]]] = [([], [reg.c.first_seq])]
    else:
        today, soon = urgent
        by_end = [reg.c.expires, reg.c.request_id]
        ranges = [  # ending soon, in force, without a date, expired: each an index range, read in turn
            ([reg.c.expires >= today, reg.c.expires <= soon], by_end),
            ([reg.c.expires > soon], by_end),
            ([sa.or_(reg.c.expires.is_(None), reg.c.expires == "")], [reg.c.request_id]),
            ([reg.c.expires < today, reg.c.expires != ""], by_end),
        ]
    keys: list[str] = []
    for where, order in ranges:
        if len(keys) >= limit:
            break
        query = sa.select(reg.c.key).where(*conditions, *where).order_by(*order).limit(min(limit - len(keys), 2**62))
        keys += [str(k) for k in conn.scalars(query)]
    if not keys:
        return [], total
    rows = conn.execute(sa.select(u).where(u.c.key.in_(keys)).order_by(u.c.seq, u.c.idx)).all()
    gone = superseded_among(conn, [int(r.seq) for r in rows])
    uses: dict[str, list[Any]] = {}
    for r in rows:
        uses.setdefault(str(r.key), []).append(r)
    out = []
    for key in keys:
        found = uses[key]
        first = found[0]
        out.append(
            RegisterEntry(
                request_id=first.request_id,
                waives=tuple(json.loads(first.waives)),
                justification=first.justification,
                requested_by=first.requested_by,
                approved_by=first.approved_by,
                expires=first.expires,
                uses=tuple(
                    Use(
                        int(r.seq),
                        r.as_of,
                        r.outcome,
                        r.decision,
                        bool(r.valid),
                        tuple(json.loads(r.uncovered)),
                        gone.get(int(r.seq)),
                    )
                    for r in found
                ),
            )
        )
    return out, total


def whole_register(conn: Connection) -> list[RegisterEntry]:
    """Every entry of the exception register, as first seen (what build_register gives over every decision)."""
    from .logview import superseded
    from .register import build_register

    if not sa.inspect(conn).has_table("log_exception_uses"):  # a read-only log of an older schema: read as it is
        decisions = conn.execute(sa.select(records).where(records.c.decision.isnot(None)).order_by(records.c.seq))
        return build_register((_record(row) for row in decisions), superseded(conn))
    return register_entries(conn, "0000-01-01", "9999-12-31", limit=2**62)[0]
