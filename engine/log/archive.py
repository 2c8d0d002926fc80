"""A decision log as a portable archive, and a log rebuilt from one (``engage log export`` / ``import``).

The archive is a gzip'd JSON Lines file: a header (format, version, the head's number and
hash, the release chain's head, how many rows of each kind follow), then the stored rule
files (``blob``, ``ruleset``, ``ruleset_file``), every row of ``log_records`` and of
``release_records`` with every column, and a closing line that repeats the counts, so a cut
archive is told from a whole one.  ``log_in_force`` is not exported: it follows from the
chain and is rebuilt on import.  The web accounts and API tokens are not exported: they are
credentials of one installation, not part of the record.

Both directions stream, one row at a time (read in keyset batches), so memory does not
grow with the log.  The export is written to a temporary file beside the target and
renamed onto it, so a target never holds half an archive.  The import checks the whole
archive before writing anything (every record's hash, every link, the counts, the head the
header names), then inserts in transactions of bounded size under the writer lock; the
append-only triggers stay in place (they refuse updates and deletes, not inserts).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import EngageError, Location
from .database import read_transaction, write_transaction
from .releases import ReleaseRecord
from .store import (
    GENESIS,
    LogRecord,
    LogStore,
    policy_blobs,
    records,
    release_records,
    ruleset_files,
    rulesets,
    store_json,
)

FORMAT = "engage-log-archive"
VERSION = 1
BATCH = 1000  # rows read per query and inserted per transaction
# zlib's own default, not gzip's 9: on these JSON lines 9 costs about 60% more CPU for an archive ~6% smaller.
COMPRESSION = 6
NOT_EXPORTED = ("web accounts", "API tokens")
_T = TypeVar("_T")
_TABLES = {
    "blob": policy_blobs,
    "ruleset": rulesets,
    "ruleset_file": ruleset_files,
    "record": records,
    "release_record": release_records,
}


class ArchiveError(EngageError):
    """An archive that cannot be read, does not verify, or cannot be imported here (exit status 2)."""


@dataclass(frozen=True)
class Summary:
    head_seq: int
    head_hash: str
    records: int
    release_records: int
    rulesets: int
    blobs: int


def export_archive(store: LogStore, target: Path) -> Summary:
    """Write the whole log to ``target`` (atomically: a temporary file renamed onto it)."""
    target = target.expanduser().resolve()
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=COMPRESSION) as out:
            with read_transaction(store.engine) as conn:
                summary = _write(conn, store, out)
            out.flush()
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return summary


def _write(conn: Connection, store: LogStore, out: gzip.GzipFile) -> Summary:
    head_seq, head_hash = store.head(conn)
    release_head = conn.execute(
        sa.select(release_records.c.seq, release_records.c.hash).order_by(release_records.c.seq.desc()).limit(1)
    ).first()
    counts = {kind: _count(conn, table) for kind, table in _TABLES.items()}
    header = {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "head_seq": head_seq,
        "head_hash": head_hash,
        "release_head_seq": 0 if release_head is None else int(release_head.seq),
        "release_head_hash": GENESIS if release_head is None else str(release_head.hash),
        "counts": counts,
        "not_exported": list(NOT_EXPORTED),
    }
    _line(out, header)
    for kind, table in _TABLES.items():
        for row in _rows(conn, table):
            values = dict(row._mapping)
            if kind == "blob":
                values["content"] = base64.b64encode(bytes(values["content"])).decode("ascii")
            _line(out, {"type": kind, **values})
    _line(out, {"type": "end", "counts": counts, "head_hash": head_hash})
    return Summary(head_seq, head_hash, counts["record"], counts["release_record"], counts["ruleset"], counts["blob"])


def _line(out: gzip.GzipFile, data: dict[str, Any]) -> None:
    out.write(store_json(data).encode("ascii") + b"\n")


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _rows(conn: Connection, table: sa.Table) -> Iterator[Any]:
    """Every row of ``table`` in primary-key order, read in keyset batches (bounded memory)."""
    keys = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(table).order_by(*keys).limit(BATCH)
        if last is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*(sa.literal(v) for v in last)))
        rows = conn.execute(query).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = tuple(getattr(rows[-1], k.name) for k in keys)


# -- import -------------------------------------------------------------------------------


def import_archive(store: LogStore, source: Path) -> Summary:
    """Rebuild the log from ``source`` into ``store``, which must be empty; nothing is written unless it all verifies."""
    summary = check_archive(source)
    _refuse_unless_empty(store)
    pending: dict[str, list[dict[str, Any]]] = {}
    size = 0
    for kind, values in _entries(source):
        if kind not in _TABLES:
            continue
        pending.setdefault(kind, []).append(values)
        size += 1
        if size >= BATCH:
            _insert(store, pending)
            pending, size = {}, 0
    _insert(store, pending)
    return summary


def _insert(store: LogStore, pending: dict[str, list[dict[str, Any]]]) -> None:
    if not pending:
        return
    with write_transaction(store.engine) as conn:
        for kind, table in _TABLES.items():  # the archive's order: a ruleset's files before its records
            rows = pending.get(kind)
            if not rows:
                continue
            if kind == "blob":
                rows = [{**r, "content": base64.b64decode(r["content"])} for r in rows]
            conn.execute(sa.insert(table), rows)
            if kind == "record":
                LogStore.keep_all_in_force(conn, [LogRecord(**row) for row in rows])


def _refuse_unless_empty(store: LogStore) -> None:
    with store.reading() as conn:
        held = {name: _count(conn, table) for name, table in _TABLES.items()}
    if any(held.values()):
        found = ", ".join(f"{n} {table.name}" for (_, table), n in zip(_TABLES.items(), held.values(), strict=True) if n)
        raise ArchiveError(
            "not-empty",
            f"an archive is imported only into an empty database, and this one holds {found}; nothing imported",
            Location(store.where),
        )


def check_archive(source: Path) -> Summary:
    """Read the whole archive and verify it: every hash and link, the counts and the head its header names."""
    where = str(source)
    header: dict[str, Any] | None = None
    counts = dict.fromkeys(_TABLES, 0)
    seq, prev = 0, GENESIS
    rseq, rprev = 0, GENESIS
    ended: dict[str, Any] | None = None
    for kind, values in _entries(source, keep_header=True):
        if ended is not None:
            raise ArchiveError("bad-archive", "there are lines after the archive's end line", Location(where))
        if header is None:
            if kind != "header" or values.get("format") != FORMAT:
                raise ArchiveError("bad-archive", f"this is not an {FORMAT} (no header line)", Location(where))
            if values.get("version") != VERSION:
                raise ArchiveError(
                    "bad-archive", f"archive format version {values.get('version')} is not {VERSION}", Location(where)
                )
            header = values
            continue
        if kind == "end":
            ended = values
            continue
        if kind not in _TABLES:
            raise ArchiveError("bad-archive", f"unknown line type {kind!r}", Location(where))
        counts[kind] += 1
        if kind == "record":
            record = _as(LogRecord, values, where, f"record #{values.get('seq')}")
            _check_link(record.seq, seq, record.prev_hash, prev, record.computed_hash(), record.hash, "record", where)
            seq, prev = record.seq, record.hash
        elif kind == "release_record":
            step = _as(ReleaseRecord, values, where, f"release record #{values.get('seq')}")
            _check_link(step.seq, rseq, step.prev_hash, rprev, step.computed_hash(), step.hash, "release record", where)
            rseq, rprev = step.seq, step.hash
    if header is None:
        raise ArchiveError("bad-archive", "the archive is empty", Location(where))
    if ended is None:
        raise ArchiveError(
            "archive-truncated",
            f"the archive ends after record #{seq} without its end line: it was cut short; nothing imported",
            Location(where),
        )
    if counts != header.get("counts") or counts != ended.get("counts"):
        raise ArchiveError(
            "archive-truncated",
            f"the archive holds {store_json(counts)} where its header names {store_json(header.get('counts'))}",
            Location(where),
        )
    if (seq, prev) != (header.get("head_seq"), header.get("head_hash")):
        raise ArchiveError(
            "archive-head",
            f"the chain ends at #{seq} {prev}, not at the head the header names"
            f" (#{header.get('head_seq')} {header.get('head_hash')}); nothing imported",
            Location(where),
        )
    if (rseq, rprev) != (header.get("release_head_seq"), header.get("release_head_hash")):
        raise ArchiveError(
            "archive-head", f"the release chain ends at #{rseq}, not at the head the header names", Location(where)
        )
    return Summary(seq, prev, counts["record"], counts["release_record"], counts["ruleset"], counts["blob"])


def _check_link(seq: int, last: int, prev_hash: str, prev: str, computed: str, stored: str, what: str, where: str) -> None:
    if computed != stored:
        raise ArchiveError(
            "archive-edited",
            f"{what} #{seq} does not give its hash: it was changed after it was recorded; nothing imported",
            Location(where),
        )
    if seq != last + 1 or prev_hash != prev:
        raise ArchiveError(
            "archive-broken",
            f"{what} #{seq} does not follow #{last}: records are missing or out of order; nothing imported",
            Location(where),
        )


def _as(cls: type[_T], values: dict[str, Any], where: str, what: str) -> _T:
    try:
        return cls(**values)
    except TypeError:
        raise ArchiveError("bad-archive", f"{what} does not have the columns of this version", Location(where)) from None


def _entries(source: Path, keep_header: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    """(type, columns) for each line, streamed; a damaged file is one clear error naming the line."""
    where = str(source)
    number = 0
    try:
        with gzip.open(source, "rb") as lines:
            for number, line in enumerate(lines, 1):
                data = json.loads(line)
                if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                    raise ArchiveError("bad-archive", "a line is not an archive entry", Location(where, number))
                kind = data.pop("type")
                if kind == "header" and not keep_header:
                    continue
                yield kind, data
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ArchiveError(
            "archive-truncated",
            f"the archive cannot be read after line {number} ({exc}): it was cut short or damaged; nothing imported",
            Location(where),
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArchiveError("bad-archive", "a line is not JSON", Location(where, number)) from None
    except OSError as exc:
        raise ArchiveError("bad-archive", f"cannot read the archive: {exc.strerror or exc}", Location(where)) from None
