"""The decision log: an append-only, hash-chained table of records, and the rule files by content.

Every record (an engine decision, a human decision, a correction) gets the next sequence
number, the hash of the record before it (``prev_hash``) and its own hash,
``sha256(canonical JSON of its content + "\\n" + prev_hash)``.  Nothing is ever updated or
deleted (database triggers refuse it); a correction is a new record that names the record
it supersedes.  The rule and criteria files behind each decision are stored once per
ruleset hash, each file once per content hash, so any decision can be replayed with the
exact rules that made it (:mod:`engine.log.audit`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from ..errors import EngageError, Location
from ..evaluation.decision import Decision
from ..policy.model import Policy
from .database import StoreError, database_error, open_database, read_transaction, write_transaction

DECISION, HUMAN_DECISION, CORRECTION = "decision", "human_decision", "correction"
KINDS = (DECISION, HUMAN_DECISION, CORRECTION)
GENESIS = "sha256:" + "0" * 64  # the prev_hash of the first record
HASH = sa.String(71)

metadata = sa.MetaData()
records = sa.Table(
    "log_records",
    metadata,
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
    sa.Index("log_records_hash", "hash", unique=True),
    sa.Index("log_records_request_id", "request_id"),
    sa.Index("log_records_as_of", "as_of"),
    sa.Index("log_records_supersedes", "supersedes"),
    sa.Index("log_records_decides", "decides"),
)
rulesets = sa.Table(
    "rulesets",
    metadata,
    sa.Column("hash", HASH, primary_key=True),
    sa.Column("stored_at", sa.String(40), nullable=False),
    sa.Column("stored_by", sa.Text, nullable=False),
)
policy_blobs = sa.Table(
    "policy_blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
# Each request id's engine decision in force (migration 0003): kept in the transaction that appends.
in_force = sa.Table(
    "log_in_force",
    metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("fingerprint", HASH, nullable=False),
)
# The steps of releases of the rules, a hash chain of their own (migration 0004, engine/log/releases.py).
release_records = sa.Table(
    "release_records",
    metadata,
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
    sa.Index("release_records_release", "release"),
)
ruleset_files = sa.Table(
    "ruleset_files",
    metadata,
    sa.Column("ruleset_hash", HASH, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("path", sa.Text, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
)


def store_json(data: Any) -> str:
    """The canonical JSON the log stores and hashes: sorted keys, no spaces, ASCII only."""
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Draft:
    """A record before it joins the chain (no number, no hashes yet)."""

    kind: str
    request_id: str
    recorded_by: str
    supersedes: int | None = None
    decides: int | None = None
    as_of: str | None = None
    outcome: str | None = None
    country: str | None = None
    region: str | None = None
    ruleset_hash: str | None = None
    request: str | None = None  # the request as received, store_json
    decision: str | None = None  # the engine's decision, store_json
    details: str | None = None  # what else the kind holds, store_json


CONTENT = (
    "seq",
    "kind",
    "request_id",
    "supersedes",
    "decides",
    "recorded_at",
    "recorded_by",
    "as_of",
    "outcome",
    "country",
    "region",
    "ruleset_hash",
    "request",
    "decision",
    "details",
)


@dataclass(frozen=True)
class LogRecord:
    """One record of the chain, exactly as stored."""

    seq: int
    kind: str
    request_id: str
    supersedes: int | None
    decides: int | None
    recorded_at: str
    recorded_by: str
    as_of: str | None
    outcome: str | None
    country: str | None
    region: str | None
    ruleset_hash: str | None
    request: str | None
    decision: str | None
    details: str | None
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CONTENT}

    def computed_hash(self, prev_hash: str | None = None, seq: int | None = None) -> str:
        """The hash this record's content gives (optionally as if it had another number or predecessor)."""
        content = self.content()
        if seq is not None:
            content["seq"] = seq
        return record_hash(content, self.prev_hash if prev_hash is None else prev_hash)

    @property
    def info(self) -> dict[str, Any]:
        """``details`` as data."""
        if not self.details:
            return {}
        data = json.loads(self.details)
        return data if isinstance(data, dict) else {}

    @property
    def role(self) -> str:
        """What the record stands for: an engine ``decision``, a ``human_decision`` or a ``withdrawal``."""
        if self.decision is not None:
            return DECISION
        if self.outcome is not None:
            return HUMAN_DECISION
        return "withdrawal"

    def decision_data(self) -> dict[str, Any]:
        data = json.loads(self.decision or "{}")
        return data if isinstance(data, dict) else {}

    def request_data(self) -> Any:
        return json.loads(self.request) if self.request is not None else None

    @property
    def label(self) -> str:
        return f"#{self.seq}"


def record_hash(content: Mapping[str, Any], prev_hash: str) -> str:
    digest = hashlib.sha256((store_json(dict(content)) + "\n" + prev_hash).encode("ascii"))
    return "sha256:" + digest.hexdigest()


def fingerprint(request: str | None, as_of: str | None, ruleset_hash: str | None) -> str:
    """What makes two recordings of a request the same: the request as received, its date, its ruleset."""
    text = json.dumps([request, as_of, ruleset_hash], ensure_ascii=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def draft_fingerprint(draft: Draft) -> str:
    return fingerprint(draft.request, draft.as_of, draft.ruleset_hash)


RECORDED, UPDATED, UNCHANGED, REFUSED = "recorded", "updated", "unchanged", "refused"


@dataclass(frozen=True)
class Outcome:
    """What became of one engine decision given to :meth:`LogStore.record`."""

    draft: Draft
    status: str  # RECORDED, UPDATED (a correction superseding ``existing``), UNCHANGED or REFUSED
    record: LogRecord | None = None  # the new record (recorded or updated)
    existing: int | None = None  # the number of the record in force before

    @property
    def seq(self) -> int | None:
        return self.record.seq if self.record is not None else None


def already_recorded(request_id: str, seq: int) -> StoreError:
    return StoreError(
        "already-recorded",
        f"{request_id} is recorded as #{seq} with other content, date or rules; nothing recorded"
        " (--update supersedes it with this one)",
        Location(request_id),
    )


def decision_draft(
    request: Any,
    decision: Decision,
    recorded_by: str,
    source: str | None = None,
    release: int | None = None,
    unreleased: bool = False,
) -> Draft:
    """The record of an engine decision: the request as received and the decision it got.

    ``release``: the number of the release whose rules made it; ``unreleased``: rules that are
    not the release in force were asked for explicitly (``--unreleased``), and the record says so.
    """
    data = request if isinstance(request, Mapping) else {}
    country = data.get("country")
    region = data.get("region")
    return Draft(
        kind=DECISION,
        request_id=decision.request_id,
        recorded_by=recorded_by,
        as_of=decision.as_of.isoformat(),
        outcome=decision.outcome,
        country=country if isinstance(country, str) and len(country) <= 3 else None,
        region=region if isinstance(region, str) else None,
        ruleset_hash=decision.ruleset_hash,
        request=store_json(request),
        decision=store_json(decision.to_dict()),
        details=_decision_details(source, release, unreleased),
    )


def _decision_details(source: str | None, release: int | None, unreleased: bool) -> str | None:
    details: dict[str, Any] = {"source": source} if source else {}
    if release is not None:
        details["release"] = release
    if unreleased:
        details["unreleased"] = True
    return store_json(details) if details else None


def _superseding(draft: Draft, existing: int | None) -> Draft:
    """The correction that puts ``draft``'s decision in the place of record ``existing``."""
    before = json.loads(draft.details) if draft.details else {}
    details = {"by": draft.recorded_by, "reason": "updated with new information"}
    for key in ("source", "release", "unreleased"):  # what the decision's own record would have said
        if before.get(key):
            details[key] = before[key]
    return replace(draft, kind=CORRECTION, supersedes=existing, details=store_json(details))


@dataclass(frozen=True)
class StoredFile:
    kind: str  # "rules" or "criteria"
    path: str
    sha256: str
    content: bytes | None  # None when the blob is missing


class LogStore:
    """The decision log in one database.  Open with :meth:`open`; close when done."""

    def __init__(self, engine: Engine, where: str, clock: Callable[[], str] = utc_now) -> None:
        self.engine = engine
        self.where = where
        self.clock = clock
        self._file_checked = False  # SQLite's integrity check runs before this store's first append

    @classmethod
    def open(cls, db: str | None = None, clock: Callable[[], str] = utc_now, read_only: bool = False) -> LogStore:
        """The log named by ``db``; ``read_only``: the caller only reads (a log that cannot be written still opens)."""
        engine, where = open_database(db, read_only=read_only)
        return cls(engine, where, clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> LogStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except EngageError:
            raise
        except (SQLAlchemyError, OSError) as exc:
            raise database_error(exc, self.where) from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """One consistent snapshot of the log."""
        with self._guard(), read_transaction(self.engine) as conn:
            yield conn

    # -- appending ------------------------------------------------------------------------

    def append(self, drafts: Sequence[Draft], check: Callable[[Connection], None] | None = None) -> list[LogRecord]:
        """Chain ``drafts`` onto the log, atomically and in order; ``check`` runs first, under the lock.

        An engine decision for a request id that has one in force is refused (``already-recorded``):
        :meth:`record` is the way to record decisions that may have been recorded before.
        """
        if not drafts:
            return []
        with self._guard(), write_transaction(self.engine) as conn:
            self._check_tail(conn)
            if check is not None:
                check(conn)
            current = self._in_force(conn, [d.request_id for d in drafts])
            for draft in drafts:
                if draft.kind == DECISION and draft.request_id in current:
                    raise StoreError(
                        "already-recorded",
                        f"{draft.request_id} already has an engine decision in force (#{current[draft.request_id][0]});"
                        " nothing recorded",
                        Location(draft.request_id),
                    )
            return self._chain(conn, drafts)

    def record(self, drafts: Sequence[Draft], update: bool = False) -> list[Outcome]:
        """Record engine decisions, at most one in force per request id, atomically and in order.

        A request recorded before with the same content, date and ruleset is left as it is
        (``unchanged``); with anything else it is ``refused``, unless ``update``, which
        supersedes the record in force with a correction holding the new decision.  The
        check and the append share one transaction under the writer lock, and the primary key
        of ``log_in_force`` backs it, so of two writers racing on one id exactly one wins.
        """
        if not drafts:
            return []
        with self._guard(), write_transaction(self.engine) as conn:
            self._check_tail(conn)
            current = self._in_force(conn, [d.request_id for d in drafts])
            next_seq = self.head(conn)[0] + 1
            planned: list[tuple[Draft, str, int | None]] = []
            to_chain: list[Draft] = []
            for draft in drafts:
                if draft.kind != DECISION:
                    raise ValueError(f"record() takes engine decisions, not {draft.kind!r}")
                mark = draft_fingerprint(draft)
                known = current.get(draft.request_id)
                existing = None if known is None else known[0]
                if known is not None and known[1] == mark:
                    planned.append((draft, UNCHANGED, existing))
                elif known is not None and not update:
                    planned.append((draft, REFUSED, existing))
                else:
                    # Numbers are known before the insert (the lock is held): a later draft in the
                    # same call may need to name this one.
                    planned.append((draft, RECORDED if known is None else UPDATED, existing))
                    to_chain.append(draft if known is None else _superseding(draft, existing))
                    current[draft.request_id] = (next_seq, mark)
                    next_seq += 1
            added = iter(self._chain(conn, to_chain))
        return [
            Outcome(draft, status, next(added) if status in (RECORDED, UPDATED) else None, existing)
            for draft, status, existing in planned
        ]

    def _in_force(self, conn: Connection, request_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Request id -> (number, fingerprint) of its engine decision in force, for those that have one."""
        out: dict[str, tuple[int, str]] = {}
        wanted = sorted(set(request_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = sa.select(in_force.c.request_id, in_force.c.seq, in_force.c.fingerprint).where(
                in_force.c.request_id.in_(chunk)
            )
            for row in conn.execute(query):
                out[str(row.request_id)] = (int(row.seq), str(row.fingerprint))
        return out

    def _chain(self, conn: Connection, drafts: Sequence[Draft]) -> list[LogRecord]:
        """Number, hash and insert ``drafts`` (the writer lock is held), keeping ``log_in_force`` in step."""
        seq, prev = self.head(conn)
        added: list[LogRecord] = []
        for draft in drafts:
            if draft.kind not in KINDS:
                raise ValueError(f"unknown record kind {draft.kind!r}")
            seq += 1
            content = {**asdict(draft), "seq": seq, "recorded_at": self.clock()}
            digest = record_hash({name: content[name] for name in CONTENT}, prev)
            added.append(LogRecord(**content, prev_hash=prev, hash=digest))
            prev = digest
        if added:
            conn.execute(sa.insert(records), [asdict(r) for r in added])
        self.keep_all_in_force(conn, added)
        return added

    def _check_tail(self, conn: Connection) -> None:
        """Refuse to chain onto a log that does not verify where the new records would join it."""
        try:
            self._verify_tail(conn)
        except DatabaseError as exc:  # the file is damaged where the check had to read
            if self.backend != "sqlite":
                raise
            raise self._corrupt(f"SQLite cannot read it ({str(exc.orig).strip() or type(exc.orig).__name__})") from None

    def _verify_tail(self, conn: Connection) -> None:
        if not self._file_checked and self.backend == "sqlite":
            # Once per store: it reads the whole file, and pages far from the tail can be damaged too.
            found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check").all()]
            if found != ["ok"]:
                raise self._corrupt(f"SQLite's integrity check fails ({found[0].splitlines()[-1].strip()})")
            self._file_checked = True
        tail = [_record(row) for row in conn.execute(sa.select(records).order_by(records.c.seq.desc()).limit(2))]
        if not tail:
            return
        last = tail[0]
        before = tail[1] if len(tail) > 1 else None
        if last.computed_hash() != last.hash:
            raise self._corrupt(f"its last record #{last.seq} does not give its hash: it was changed after it was recorded")
        if before is None and (last.seq != 1 or last.prev_hash != GENESIS):
            raise self._corrupt(f"its last record #{last.seq} is its only one: the records before it were deleted")
        if before is not None and (before.seq != last.seq - 1 or last.prev_hash != before.hash):
            raise self._corrupt(f"its last record #{last.seq} does not follow #{before.seq}: records were deleted or changed")

    def _corrupt(self, why: str) -> StoreError:
        recover = (
            " restore the latest backup that verifies, or save what can be read with"
            f" `sqlite3 {self.where} .recover | sqlite3 NEW.sqlite3` and verify that copy before using it"
            if self.backend == "sqlite"
            else " restore the latest backup that verifies"
        )
        return StoreError(
            "log-corrupt",
            f"the decision log does not verify: {why}; nothing recorded. Stop writing to it, see what is affected"
            f" with `engage log verify --db {self.where}`, then{recover}",
            Location(self.where),
        )

    @classmethod
    def keep_all_in_force(cls, conn: Connection, added: Sequence[LogRecord]) -> None:
        """:meth:`keep_in_force` for each of ``added`` in order, new decisions inserted many at a time."""
        run: list[dict[str, Any]] = []
        for record in added:
            if record.kind == DECISION and record.role == DECISION:
                mark = fingerprint(record.request, record.as_of, record.ruleset_hash)
                run.append({"request_id": record.request_id, "seq": record.seq, "fingerprint": mark})
                continue
            if run:
                conn.execute(sa.insert(in_force), run)
                run = []
            cls.keep_in_force(conn, record)
        if run:
            conn.execute(sa.insert(in_force), run)

    @staticmethod
    def keep_in_force(conn: Connection, record: LogRecord) -> None:
        if record.kind == CORRECTION and record.supersedes is not None:
            conn.execute(
                sa.delete(in_force).where(in_force.c.request_id == record.request_id, in_force.c.seq == record.supersedes)
            )
        if record.role == DECISION and record.kind in (DECISION, CORRECTION):
            if record.kind == CORRECTION:  # replaces whatever is in force (an old log may have had two)
                conn.execute(sa.delete(in_force).where(in_force.c.request_id == record.request_id))
            mark = fingerprint(record.request, record.as_of, record.ruleset_hash)
            # The primary key refuses a second decision in force even if a check was skipped.
            conn.execute(sa.insert(in_force), {"request_id": record.request_id, "seq": record.seq, "fingerprint": mark})

    def head(self, conn: Connection | None = None) -> tuple[int, str]:
        """The number and hash of the last record (0 and the genesis hash for an empty log)."""
        if conn is None:
            with self.reading() as c:
                return self.head(c)
        row = conn.execute(sa.select(records.c.seq, records.c.hash).order_by(records.c.seq.desc()).limit(1)).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    # -- rulesets -------------------------------------------------------------------------

    def save_ruleset(self, policy: Policy, stored_by: str) -> bool:
        """Store the rule and criteria files of ``policy`` unless its hash is already stored."""
        with self._guard():
            with self.reading() as conn:
                if self.has_ruleset(policy.hash, conn):
                    return False
            contents: dict[tuple[str, str], bytes] = {}
            for f in policy.files:
                base = policy.rules_dir if f.kind == "rules" else policy.criteria_dir
                content = (Path(base) / f.path).read_bytes()
                if hashlib.sha256(content).hexdigest() != f.sha256:
                    raise EngageError(
                        "rules-changed",
                        "the file changed after the rules were loaded; evaluate again to record the rules that decided",
                        Location(str(Path(base) / f.path)),
                    )
                contents[(f.kind, f.path)] = content
            with write_transaction(self.engine) as conn:
                if self.has_ruleset(policy.hash, conn):
                    return False
                known = set(
                    conn.scalars(
                        sa.select(policy_blobs.c.sha256).where(policy_blobs.c.sha256.in_([f.sha256 for f in policy.files]))
                    )
                )
                blobs = {f.sha256: contents[(f.kind, f.path)] for f in policy.files if f.sha256 not in known}
                if blobs:
                    conn.execute(sa.insert(policy_blobs), [{"sha256": k, "content": v} for k, v in blobs.items()])
                conn.execute(
                    sa.insert(ruleset_files),
                    [{"ruleset_hash": policy.hash, "kind": f.kind, "path": f.path, "sha256": f.sha256} for f in policy.files],
                )
                conn.execute(sa.insert(rulesets), {"hash": policy.hash, "stored_at": self.clock(), "stored_by": stored_by})
            return True

    def has_ruleset(self, ruleset_hash: str, conn: Connection | None = None) -> bool:
        if conn is None:
            with self.reading() as c:
                return self.has_ruleset(ruleset_hash, c)
        return conn.execute(sa.select(rulesets.c.hash).where(rulesets.c.hash == ruleset_hash)).first() is not None

    def ruleset_files(self, ruleset_hash: str, conn: Connection | None = None) -> list[StoredFile]:
        """The stored files of a ruleset, with their bytes (None where a blob is missing)."""
        if conn is None:
            with self.reading() as c:
                return self.ruleset_files(ruleset_hash, c)
        query = (
            sa.select(ruleset_files.c.kind, ruleset_files.c.path, ruleset_files.c.sha256, policy_blobs.c.content)
            .select_from(ruleset_files.outerjoin(policy_blobs, policy_blobs.c.sha256 == ruleset_files.c.sha256))
            .where(ruleset_files.c.ruleset_hash == ruleset_hash)
            .order_by(ruleset_files.c.kind, ruleset_files.c.path)
        )
        return [
            StoredFile(row.kind, row.path, row.sha256, None if row.content is None else bytes(row.content))
            for row in conn.execute(query)
        ]

    def ruleset_hashes(self, conn: Connection | None = None) -> list[str]:
        if conn is None:
            with self.reading() as c:
                return self.ruleset_hashes(c)
        return [str(h) for h in conn.scalars(sa.select(rulesets.c.hash).order_by(rulesets.c.hash))]

    # -- reading --------------------------------------------------------------------------

    def get(self, seq: int, conn: Connection | None = None) -> LogRecord | None:
        if conn is None:
            with self.reading() as c:
                return self.get(seq, c)
        row = conn.execute(sa.select(records).where(records.c.seq == seq)).first()
        return None if row is None else _record(row)

    def walk(self, conn: Connection, batch: int = 2000, start: int = 1) -> Iterator[LogRecord]:
        """Every record in chain order from number ``start`` on, read in batches."""
        last = start - 1 if start > 1 else None
        while True:
            query = sa.select(records).order_by(records.c.seq).limit(batch)
            if last is not None:
                query = query.where(records.c.seq > last)
            rows = conn.execute(query).all()
            for row in rows:
                yield _record(row)
            if len(rows) < batch:
                return
            last = rows[-1].seq

    def select(self, conn: Connection, *conditions: sa.ColumnElement[bool]) -> list[LogRecord]:
        """The records meeting every condition (columns of :data:`records`), in chain order."""
        query = sa.select(records).where(*conditions).order_by(records.c.seq)
        return [_record(row) for row in conn.execute(query)]

    def for_request(self, request_id: str, conn: Connection) -> list[LogRecord]:
        return self.select(conn, records.c.request_id == request_id)

    def referring_to(self, seqs: Iterable[int], conn: Connection) -> list[LogRecord]:
        """The records that supersede or decide any of ``seqs``."""
        wanted = list(seqs)
        if not wanted:
            return []
        return self.select(conn, sa.or_(records.c.supersedes.in_(wanted), records.c.decides.in_(wanted)))

    def by_hash(self, digest: str, conn: Connection) -> LogRecord | None:
        row = conn.execute(sa.select(records).where(records.c.hash == digest)).first()
        return None if row is None else _record(row)

    def count(self, conn: Connection | None = None) -> int:
        if conn is None:
            with self.reading() as c:
                return self.count(c)
        return int(conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one())


_FIELDS = tuple(f.name for f in fields(LogRecord))


def _record(row: Any) -> LogRecord:
    values = dict(zip(_FIELDS, (getattr(row, name) for name in _FIELDS), strict=True))
    for name in ("seq", "supersedes", "decides"):
        if values[name] is not None:
            values[name] = int(values[name])
    return LogRecord(**values)
