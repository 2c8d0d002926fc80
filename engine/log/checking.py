"""Checking the records of a range of numbers: each one's hash, and the replay of its decision.

This is the costly part of ``engage log verify`` (a profile of 50,000 records: a third in
reading and hashing, two thirds in replaying), and it needs nothing from the records
around it, so it is cut into *units* of consecutive numbers, checked in this process or in
worker processes (``--jobs``), each reading its own records from the database.  What the
walk of the chain needs from them is small: the numbers whose content does not give their
hash.  The walk (:mod:`engine.log.audit`) then reads only the short columns of every record.

Three things keep the cost per record low:

* rows are read as plain tuples in keyset order (``seq > last``), never as mappings;
* the hash is the stored formula, ``sha256(store_json(content) + "\\n" + prev_hash)``, with
  the canonical JSON of the fixed set of fields written out directly rather than through a
  dict sorted for each record (:func:`fast_hash`, the same bytes: a test compares them);
* a replay is compared as bytes first: when the replay's canonical JSON is the stored
  decision's, they are the same data, and the stored one need not be parsed; only a decision
  that differs is parsed and compared field by field.  A replay of the same request text, with
  the same ruleset and date, is not evaluated again (a bounded cache of its bytes).

Workers come from the caller's ``pool`` (:func:`engine.batches.processes.worker_pool`: forked
from the fork server, ending with the command, as ``engage evaluate --jobs`` workers do; this
layer may not start processes of its own kind).  Each reads only records up to the head
the command read at its start: the log is append-only, so those rows are the ones it sees.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import date
from json.encoder import encode_basestring_ascii
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import EngageError
from ..evaluation.decision import Decision
from .rulesets import RulesetCache
from .store import CONTENT, DECISION, LogRecord, LogStore, records, store_json

UNIT = 5_000  # records per unit: a worker's run between two answers
READ_BATCH = 1_000  # rows fetched at once
REPLAY_CACHE = 4_096  # replays kept by request text, ruleset and date

_COLUMNS = [records.c[name] for name in (f.name for f in LogRecord.__dataclass_fields__.values())]
_ORDER = sorted(range(len(CONTENT)), key=lambda i: CONTENT[i])  # the canonical JSON's key order
_KEYS = [encode_basestring_ascii(CONTENT[i]) + ":" for i in _ORDER]
# (jobs, initializer, its arguments) -> an executor of that many worker processes.
WorkerPool = Callable[[int, Callable[..., None], tuple[Any, ...]], Executor]
_SOURCE = re.compile(r'"as_of_source":"([a-z_]+)"')


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return str(encode_basestring_ascii(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def fast_hash(row: tuple[Any, ...]) -> str:
    """The hash of a record given as a tuple in :class:`LogRecord`'s field order (CONTENT first): ``record_hash``'s bytes."""
    text = "{" + ",".join(key + _value(row[i]) for key, i in zip(_KEYS, _ORDER, strict=True)) + "}\n" + row[-2]
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Unit:
    """Records ``first`` to ``last`` (their numbers, both included)."""

    first: int
    last: int


@dataclass
class Checked:
    """What a unit's records showed; merged in unit order, it is what one walk in order shows."""

    unit: Unit
    records: int = 0
    bad_hash: list[int] = field(default_factory=list)  # numbers whose content does not give their hash
    replayed: int = 0
    other_engine: int = 0
    rulesets: list[str] = field(default_factory=list)  # in the order first met
    # The replay's problems in order: (seq, code, message, request id, ruleset hash for "ruleset-changed").
    problems: list[tuple[int | None, str, str, str | None, str | None]] = field(default_factory=list)


class Checker:
    """Checks units against one database connection, with the stored rulesets loaded once each."""

    def __init__(self, store: LogStore, replay: bool) -> None:
        self.store = store
        self.replay = replay
        self.cache = RulesetCache(store)
        self.replays: OrderedDict[tuple[str, str, str, str], tuple[str, str, str | None, str | None, str]] = OrderedDict()

    def close(self) -> None:
        self.cache.close()

    def rows(self, conn: Connection, unit: Unit) -> Iterator[tuple[Any, ...]]:
        last = unit.first - 1
        while True:
            query = (
                sa.select(*_COLUMNS)
                .where(records.c.seq > last, records.c.seq <= unit.last)
                .order_by(records.c.seq)
                .limit(READ_BATCH)
            )
            rows = conn.execute(query).all()
            yield from rows
            if len(rows) < READ_BATCH:
                return
            last = int(rows[-1][0])

    def check(self, conn: Connection, unit: Unit) -> Checked:
        out = Checked(unit)
        seen: set[str] = set()
        for row in self.rows(conn, unit):
            out.records += 1
            if fast_hash(row) != row[-1]:
                out.bad_hash.append(int(row[0]))
            if self.replay and row[13] is not None:  # an engine decision
                record = LogRecord(*row)
                if record.role == DECISION:
                    self._replay(record, conn, out, seen)
        return out

    def _replay(self, record: LogRecord, conn: Connection, out: Checked, seen: set[str]) -> None:
        ruleset_hash = record.ruleset_hash or ""
        loaded = self.cache.get(ruleset_hash, conn)
        if loaded.engine is not None and record.request is not None and record.as_of is not None:
            found = _SOURCE.search(record.decision or "")
            source = found.group(1) if found else "given"
            key = (record.request, ruleset_hash, record.as_of, source)
            replayed = self.replays.get(key)
            if replayed is None:
                try:
                    checked = loaded.engine.check(json.loads(record.request))
                    decision = loaded.engine.decide(checked, date.fromisoformat(record.as_of), source)
                    replayed = (
                        _stored_text(decision),
                        str(decision.request_id),
                        decision.outcome,
                        decision.as_of.isoformat(),
                        str(decision.ruleset_hash),
                    )
                except (EngageError, ValueError, TypeError):
                    replayed = None
                else:
                    self.replays[key] = replayed
                    if len(self.replays) > REPLAY_CACHE:
                        self.replays.popitem(last=False)
            if replayed is not None and replayed[0] == record.decision:
                # The same bytes: the stored decision is this replay, and its fields are the replay's.
                self._first_use(ruleset_hash, loaded.problems, out, seen)
                self._columns(record, replayed[1], replayed[2], replayed[3], replayed[4], ruleset_hash, out)
                out.replayed += 1
                return
        self._replay_slowly(record, conn, out, seen)

    def _first_use(self, ruleset_hash: str, problems: tuple[str, ...], out: Checked, seen: set[str]) -> None:
        if ruleset_hash in seen:
            return
        seen.add(ruleset_hash)
        out.rulesets.append(ruleset_hash)
        for text in problems:
            out.problems.append((None, "ruleset-changed", f"ruleset {ruleset_hash}: {text}", None, ruleset_hash))

    @staticmethod
    def _columns(
        record: LogRecord, request_id: Any, outcome: Any, as_of: Any, decided_by: Any, ruleset_hash: str, out: Checked
    ) -> None:
        for name, column, stored in (
            ("request_id", record.request_id, request_id),
            ("outcome", record.outcome, outcome),
            ("as_of", record.as_of, as_of),
        ):
            if stored != column:
                message = f"the record says {name} {column!r} but its decision says {stored!r}"
                out.problems.append((record.seq, "edited", message, record.request_id, None))
        if decided_by != ruleset_hash:
            message = f"the record names ruleset {ruleset_hash} but its decision was made by another"
            out.problems.append((record.seq, "edited", message, record.request_id, None))

    def _replay_slowly(self, record: LogRecord, conn: Connection, out: Checked, seen: set[str]) -> None:
        """A decision whose replay is not its bytes (or cannot be made): parsed and compared field by field."""
        from .audit import differences

        def fail(code: str, message: str) -> None:
            out.problems.append((record.seq, code, message, record.request_id, None))

        try:
            stored = record.decision_data()
        except ValueError:
            fail("replay-differs", "the stored decision is not JSON")
            return
        ruleset_hash = record.ruleset_hash or ""
        loaded = self.cache.get(ruleset_hash, conn)
        self._first_use(ruleset_hash, loaded.problems, out, seen)
        if loaded.engine is None:
            fail("not-replayable", loaded.error or "the ruleset cannot be loaded")
            return
        ruleset = stored.get("ruleset") or {}
        self._columns(
            record, stored.get("request_id"), stored.get("outcome"), stored.get("as_of"), ruleset.get("hash"), ruleset_hash, out
        )
        try:
            checked = loaded.engine.check(record.request_data())
            as_of = date.fromisoformat(str(stored.get("as_of")))
            replayed = loaded.engine.decide(checked, as_of, str(stored.get("as_of_source"))).to_dict()
        except (EngageError, ValueError, TypeError) as exc:
            fail("not-replayable", f"the stored request cannot be evaluated again: {exc}")
            return
        out.replayed += 1
        recorded_version = ruleset.get("engine_version")
        if replayed["ruleset"]["engine_version"] != recorded_version:
            replayed["ruleset"]["engine_version"] = recorded_version
            out.other_engine += 1
        if store_json(replayed) != record.decision:
            diffs = list(differences(stored, replayed))
            shown = "; ".join(diffs[:4]) + (f" (and {len(diffs) - 4} more)" if len(diffs) > 4 else "")
            fail("replay-differs", f"replaying with ruleset {ruleset_hash} gives another decision: {shown or 'different bytes'}")


def _stored_text(decision: Decision) -> str:
    """``store_json(decision.to_dict())``, the text a recording stores, made from the decision's cached pieces.

    The compact JSON of :meth:`Decision.to_json` is the same canonical JSON without ASCII
    escapes, so where it is ASCII it is those bytes; serialising the whole dict again was a
    fifth of a verify.
    """
    text = decision.to_json(indent=None)
    return text if text.isascii() else store_json(decision.to_dict())


def units(first: int, last: int, size: int = UNIT) -> list[Unit]:
    return [Unit(lo, min(lo + size - 1, last)) for lo in range(first, last + 1, size)]


def check_units(
    store: LogStore,
    conn: Connection,
    todo: list[Unit],
    *,
    replay: bool,
    jobs: int = 1,
    pool: WorkerPool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Checked]:
    """Every unit checked, in order: in this process on ``conn``, or in ``jobs`` workers of ``pool``."""
    if jobs <= 1 or len(todo) <= 1 or pool is None:
        checker = Checker(store, replay)
        try:
            for unit in todo:
                checked = checker.check(conn, unit)
                if progress:
                    progress(checked.records)
                yield checked
        finally:
            checker.close()
        return
    url = store.engine.url.render_as_string(hide_password=False)
    executor = pool(jobs, _start_worker, (url, replay))
    try:
        pending: deque[Future[Checked]] = deque()
        queued = iter(todo)
        for unit in queued:
            pending.append(executor.submit(_check_in_worker, unit))
            if len(pending) >= jobs * 2:
                break
        while pending:
            checked = pending.popleft().result()
            for unit in queued:
                pending.append(executor.submit(_check_in_worker, unit))
                break
            if progress:
                progress(checked.records)
            yield checked
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


_WORKER: dict[str, Checker] = {}  # in a worker process: its checker


def _start_worker(url: str, replay: bool) -> None:
    # The command's own URL: the driver it chose, and for a read-only SQLite file its immutable URI.
    store = LogStore(sa.create_engine(sa.engine.make_url(url)), url)
    _WORKER["checker"] = Checker(store, replay)


def _check_in_worker(unit: Unit) -> Checked:
    checker = _WORKER["checker"]
    with checker.store.engine.connect() as conn:
        return checker.check(conn, unit)
