"""Verifying the decision log: walk the hash chain, then replay every decision with its stored rules.

The walk names each record that is not as it was written: ``edited`` (its content no longer
gives its hash), ``reordered`` (it verifies, but under another number), ``missing`` (a
number is absent: the row was deleted), ``broken-link`` (it does not follow the record
before it: that one was replaced with a recomputed hash), ``bad-reference`` (it names a
record that does not exist or cannot be superseded or decided; a request for information that
names no earlier engine decision).  The replay re-evaluates the
request as received with the ruleset stored for it, at the recorded ``as_of``, and compares
the canonical decision JSON byte for byte.

The append-only triggers are checked too: one dropped or disabled is named
(``triggers-missing``), since the records may be changed without a trace from then on; and
``log_in_force`` against the chain (``in-force-differs``), since it is what refuses a second
decision in force for a request id.  The release records are checked as steps of a life: an
approval by the release's own author (``four-eyes``), a step of a release never proposed or
already closed (``bad-release-step``), a step anchored to a decision log record that is not as it
was (``release-anchor``), and a decision naming a release that did not make it (``decision-release``);
release records changed or deleted are named as decision records are.

A chain cannot show that records were removed from its end, or that the whole chain was
rewritten: check the head (number and hash) against one kept elsewhere with ``anchor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import EngageError, Location
from .checking import UNIT, WorkerPool, check_units, units
from .database import trigger_problems
from .logview import latest_decisions, superseded
from .releases import chain, chain_problems, decision_release_problem, read_releases
from .store import (
    CORRECTION,
    DECISION,
    GENESIS,
    HUMAN_DECISION,
    INFORMATION_REQUEST,
    LogRecord,
    LogStore,
    in_force,
    records,
    store_json,
)

MAX_DEPTH = 64  # how far back a reordered record's original number is looked for


@dataclass(frozen=True)
class Problem:
    seq: int | None
    code: str
    message: str
    request_id: str | None = None
    where: str | None = None  # where it is when not a decision log record (a release record)

    def __str__(self) -> str:
        where = self.where or (f"#{self.seq}" if self.seq is not None else "log")
        who = f" ({self.request_id})" if self.request_id else ""
        return f"{where}{who}: {self.code}: {self.message}"


@dataclass
class AuditResult:
    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    replayed: int = 0
    rulesets: set[str] = field(default_factory=set)
    other_engine: int = 0  # replayed identically by another engine version
    release_records: int = 0  # the steps of releases, a chain of their own
    chain: list[Problem] = field(default_factory=list)
    replay: list[Problem] = field(default_factory=list)
    # The database's own guards: the append-only triggers, and log_in_force against a second decision in force.
    guards: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return self.guards + self.chain + self.replay

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Anchor:
    """A record number and hash kept outside the database (for example printed in a report)."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        number, sep, digest = text.partition(":")
        if not sep or not number.lstrip("#").isdigit() or not digest.startswith("sha256:"):
            raise ValueError(text)
        return cls(int(number.lstrip("#")), digest)


def verify(
    store: LogStore,
    *,
    replay: bool = True,
    anchors: tuple[Anchor, ...] = (),
    progress: Callable[[int], None] | None = None,
    start: int = 1,
    jobs: int = 1,
    pool: WorkerPool | None = None,
    unit: int = UNIT,
) -> AuditResult:
    """Walk the chain and (unless ``replay`` is false) replay every decision; collect every problem.

    ``start``: check records ``start`` to the head only, the chain joined to record
    ``start - 1``'s stored hash (which is trusted: a full verify, or an anchor, checks it).
    ``log_in_force`` is checked against the chain only by a full verify, since it follows
    from every record.  ``jobs``: hash and replay in that many worker processes of
    ``pool`` (:func:`engine.batches.processes.worker_pool`; :mod:`engine.log.checking`), ``unit``
    records at a time; the walk of the chain itself runs
    here, on short columns.
    ``progress`` is called with the number of records checked so far.
    """
    result = AuditResult()
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done)

    with store.reading() as conn:
        # The chain shows what was changed; without the triggers nothing stops the next change.
        result.guards = [Problem(None, "triggers-missing", text) for text in trigger_problems(conn)]
        walker = _Walker(store, conn, result)
        if start > 1:
            walker.join(start)
        last = store.head(conn)[0]
        announced: set[str] = set()
        walked = start - 1
        for checked in check_units(store, conn, units(start, last, unit), replay=replay, jobs=jobs, pool=pool, progress=advance):
            result.replayed += checked.replayed
            result.other_engine += checked.other_engine
            for seq, code, message, request_id, ruleset in checked.problems:
                if ruleset is None or ruleset not in announced:
                    result.replay.append(Problem(seq, code, message, request_id))
            announced.update(checked.rulesets)
            result.rulesets.update(checked.rulesets)
            # The unit's records walked now, in order, while the workers hash the next units.
            _walk(store, conn, walker, walked + 1, checked.unit.last, set(checked.bad_hash))
            walked = checked.unit.last
        _walk(store, conn, walker, walked + 1, last, set())  # none left, unless there were no units
        if progress:
            progress(done)
        for anchor in anchors:
            _check_anchor(store, conn, anchor, result)
        if not result.chain and start == 1:  # a changed chain is named already, and the table follows the chain
            result.guards.extend(_in_force_problems(conn))
        result.chain.extend(_release_problems(store, conn, start))
        result.release_records = len(chain(conn))
    return result


def _walk(store: LogStore, conn: Connection, walker: _Walker, first: int, last: int, bad: set[int]) -> None:
    """Records ``first`` to ``last`` stepped through in order; ``bad``: those whose content does not give their hash."""
    if first > last:
        return
    for record in _light_walk(conn, first, last):
        if record.seq in bad:
            full = store.get(record.seq, conn)
            assert full is not None
            walker.step(full, hash_ok=False)
        else:
            walker.step(record, hash_ok=True)


_LIGHT = (
    records.c.seq,
    records.c.kind,
    records.c.request_id,
    records.c.supersedes,
    records.c.decides,
    records.c.outcome,
    records.c.decision.is_not(None),
    records.c.prev_hash,
    records.c.hash,
)


def _light_walk(conn: Connection, start: int, last: int, batch: int = 10_000) -> Iterator[LogRecord]:
    """Every record from ``start`` to ``last`` in order, with only what the walk reads (not the request, decision, details)."""
    after = start - 1
    while True:
        query = sa.select(*_LIGHT).where(records.c.seq > after, records.c.seq <= last).order_by(records.c.seq).limit(batch)
        rows = conn.execute(query).all()
        for seq, kind, request_id, supersedes, decides, outcome, has_decision, prev_hash, digest in rows:
            yield LogRecord(
                int(seq),
                kind,
                request_id,
                None if supersedes is None else int(supersedes),
                None if decides is None else int(decides),
                "",
                "",
                None,
                outcome,
                None,
                None,
                None,
                None,
                "" if has_decision else None,
                None,
                prev_hash,
                digest,
            )
        if len(rows) < batch:
            return
        after = int(rows[-1][0])


class _Walker:
    def __init__(self, store: LogStore, conn: Connection, result: AuditResult) -> None:
        self.store = store
        self.conn = conn
        self.result = result
        self.prev_seq = 0
        self.prev_hash = GENESIS
        self.roles: dict[int, str] = {}  # number -> role, for checking references
        self.superseded: set[int] = set()
        self.decided: set[int] = set()
        self.moved: set[str] = set()  # stored hashes of records found under another number
        self.start = 1  # the first record walked (see join)

    def join(self, start: int) -> None:
        """Begin at record ``start``: after record ``start - 1`` as stored, the records before it known by role."""
        before = self.store.get(start - 1, self.conn)
        if before is None:
            raise EngageError(
                "bad-range", f"--from {start}: there is no record #{start - 1} to join the range to", Location("--from")
            )
        self.start = start
        self.prev_seq, self.prev_hash = before.seq, before.hash
        self.result.head_seq, self.result.head_hash = before.seq, before.hash

    def role_of(self, seq: int) -> str | None:
        """The role of an earlier record: from the walk, or (before the range) from the database."""
        if seq in self.roles or seq >= self.start:
            return self.roles.get(seq)
        record = self.store.get(seq, self.conn)
        return None if record is None else record.role

    def superseded_before(self, target: int, seq: int) -> bool:
        """Whether a correction before record ``seq`` superseded ``target`` (for a target before the range)."""
        if target in self.superseded or target >= self.start:
            return target in self.superseded
        found = self.store.select(self.conn, records.c.supersedes == target, records.c.kind == CORRECTION, records.c.seq < seq)
        return bool(found)

    def problem(self, record: LogRecord, code: str, message: str) -> None:
        self.result.chain.append(Problem(record.seq, code, message, record.request_id))

    def step(self, record: LogRecord, hash_ok: bool | None = None) -> None:
        """The next record; ``hash_ok``: whether its content gives its hash, when that was checked already."""
        result = self.result
        result.records += 1
        gap = record.seq != self.prev_seq + 1
        if record.seq > self.prev_seq + 1:
            lost = record.seq - self.prev_seq - 1
            span = f"#{self.prev_seq + 1}" if lost == 1 else f"#{self.prev_seq + 1} to #{record.seq - 1}"
            self.problem(record, "missing", f"{span} {'is' if lost == 1 else 'are'} missing: the row was deleted")
        reported = False
        if not (record.computed_hash() == record.hash if hash_ok is None else hash_ok):
            original = self._original_seq(record, 0)
            if original is not None and original != record.seq:
                self.moved.add(record.hash)
                self.problem(record, "reordered", f"holds the record first written as #{original}: rows were reordered")
            else:
                self.problem(record, "edited", "its content does not give its hash: the row was changed after it was recorded")
            reported = True
        elif record.prev_hash != self.prev_hash and not gap and self.prev_hash not in self.moved:
            if record.prev_hash not in self.moved:  # following a record moved away: already named
                self.problem(
                    record,
                    "broken-link",
                    f"does not follow #{self.prev_seq}: #{self.prev_seq} was replaced after #{record.seq} was recorded",
                )
            reported = True
        if not reported:
            self._references(record)
        self.roles[record.seq] = record.role
        self.prev_seq, self.prev_hash = record.seq, record.hash
        result.head_seq, result.head_hash = record.seq, record.hash

    def _original_seq(self, record: LogRecord, depth: int) -> int | None:
        """The number under which ``record`` verifies, found through the record it links to."""
        if record.computed_hash() == record.hash:
            return record.seq
        if depth > MAX_DEPTH:
            return None
        if record.prev_hash == GENESIS:
            before: int | None = 0
        else:
            pred = self.store.by_hash(record.prev_hash, self.conn)
            before = None if pred is None else self._original_seq(pred, depth + 1)
        candidates = [c for c in (None if before is None else before + 1, record.seq + 1, record.seq - 1) if c]
        for candidate in candidates:
            if record.computed_hash(seq=candidate) == record.hash:
                return candidate
        return None

    def _references(self, record: LogRecord) -> None:
        if record.kind == HUMAN_DECISION or (record.kind == CORRECTION and record.role == HUMAN_DECISION):
            target = record.decides
            if target is None or target >= record.seq or self.role_of(target) != DECISION:
                self.problem(record, "bad-reference", f"decides #{target}, which is not an earlier engine decision")
            elif record.kind == HUMAN_DECISION:
                self.decided.add(target)
        if record.kind == CORRECTION:
            target = record.supersedes
            if target is None or target >= record.seq or self.role_of(target) is None:
                self.problem(record, "bad-reference", f"supersedes #{target}, which is not an earlier record")
            elif self.superseded_before(target, record.seq):
                self.problem(record, "bad-reference", f"supersedes #{target}, which an earlier correction already superseded")
            else:
                self.superseded.add(target)
        elif record.kind == DECISION and record.role != DECISION:
            self.problem(record, "edited", "an engine decision without its decision")
        elif record.kind == INFORMATION_REQUEST:
            target = record.decides
            if target is None or target >= record.seq or self.role_of(target) != DECISION:
                why = f"asks for information on #{target}, which is not an earlier engine decision"
                self.problem(record, "bad-reference", why)
            elif record.decision is not None or record.outcome is not None or record.request is not None:
                self.problem(record, "edited", "a request for information holding a decision or a request")


def _in_force_problems(conn: Connection) -> list[Problem]:
    """Where ``log_in_force`` (which refuses a second decision in force) differs from what the chain says is in force."""
    if not sa.inspect(conn).has_table("log_in_force"):  # a log of an older schema, read as it is
        return []
    chain = latest_decisions(conn, superseded(conn))
    table = {str(rid): int(seq) for rid, seq in conn.execute(sa.select(in_force.c.request_id, in_force.c.seq))}
    problems = []
    for request_id, seq in sorted(chain.items(), key=lambda item: item[1]):
        held = table.get(request_id)
        if held is None:
            message = "the decision in force is not in log_in_force: a second one for this id would not be refused"
            problems.append(Problem(seq, "in-force-differs", message, request_id))
        elif held != seq:
            message = f"log_in_force names #{held} instead: the table of records in force was changed"
            problems.append(Problem(seq, "in-force-differs", message, request_id))
    for request_id, seq in sorted(table.items(), key=lambda item: item[1]):
        if request_id not in chain:
            message = "log_in_force names it, but the chain has no decision in force for this id"
            problems.append(Problem(seq, "in-force-differs", message, request_id))
    return problems


def _release_problems(store: LogStore, conn: Connection, start: int = 1) -> list[Problem]:
    """The release chain's own problems, and decisions that name a release that did not make them."""
    problems = [
        Problem(None, p.code, p.message, where=None if p.record is None else p.record.label) for p in chain_problems(conn)
    ]
    if problems:  # the releases as read are not the releases as written
        return problems
    found = read_releases(conn)
    # Only the short columns, streamed (a server-side cursor on PostgreSQL): every decision recorded on
    # the web names its release, and a list of them all held 630 MB for 100,000 records.
    query = (
        sa.select(records.c.seq, records.c.request_id, records.c.ruleset_hash, records.c.details)
        .where(records.c.seq >= start, records.c.decision.is_not(None), records.c.details.like('%"release":%'))
        .order_by(records.c.seq)
        .execution_options(yield_per=10_000)
    )
    known: dict[tuple[str, str | None], str | None] = {}  # most decisions share their details: each checked once
    for seq, request_id, ruleset_hash, details in conn.execute(query):
        if '"release":' not in (details or ""):  # LIKE ignores case on SQLite
            continue
        key = (details, ruleset_hash)
        if key in known:
            why = known[key]
        else:
            data = json.loads(details)
            why = decision_release_problem(found, data if isinstance(data, dict) else {}, ruleset_hash)
            if len(known) >= 10_000:
                known.clear()
            known[key] = why
        if why is not None:
            problems.append(Problem(int(seq), "decision-release", why, request_id))
    return problems


def differences(recorded: Any, replayed: Any, path: str = "") -> Iterator[str]:
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in sorted(set(recorded) | set(replayed)):
            yield from differences(recorded.get(key), replayed.get(key), f"{path}.{key}" if path else key)
    elif isinstance(recorded, list) and isinstance(replayed, list) and len(recorded) == len(replayed):
        for i, (a, b) in enumerate(zip(recorded, replayed, strict=True)):
            yield from differences(a, b, f"{path}[{i}]")
    elif recorded != replayed:
        yield f"{path or 'decision'}: recorded {_short(recorded)}, replay {_short(replayed)}"


def _short(value: Any) -> str:
    text = store_json(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_anchor(store: LogStore, conn: Connection, anchor: Anchor, result: AuditResult) -> None:
    record = store.get(anchor.seq, conn)
    if record is None:
        result.chain.append(
            Problem(anchor.seq, "anchor", f"the anchored record #{anchor.seq} is not in the log: the log was cut")
        )
    elif record.hash != anchor.hash:
        result.chain.append(
            Problem(anchor.seq, "anchor", f"has hash {record.hash}, not the anchored {anchor.hash}: the chain was rewritten")
        )
