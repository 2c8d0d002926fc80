"""A consistent copy of a live decision log (``engage log backup``).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the pages of one
snapshot while writers go on; the copy goes to a temporary file beside the target and is
renamed onto it once its chain verifies.  PostgreSQL: ``pg_dump -Fc``, the way PostgreSQL
documents; it reads one snapshot too.  ``pg_dump`` must be installed and at least as new as
the server (an older one refuses a newer server), so both are checked first; the dump is
then read back with ``pg_restore --list``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import EngageError, Location
from .audit import verify
from .database import display_url
from .store import LogStore

# All pages in one step, under one read transaction: in WAL mode writers go on meanwhile.  Copied
# in slices instead, the backup starts over whenever another process writes, and with a steady
# writer it did not finish (506 s for a log being appended to, against seconds when idle).
PAGES_PER_STEP = -1


class BackupError(EngageError):
    """A backup that cannot be taken or does not check (exit status 2)."""


@dataclass(frozen=True)
class Backup:
    target: Path
    records: int
    head_seq: int
    head_hash: str
    how_to_restore: str


def backup(store: LogStore, target: Path) -> Backup:
    target = target.expanduser().resolve()
    if not target.parent.is_dir():
        raise BackupError("bad-target", "the directory for the backup does not exist", Location(str(target)))
    if store.backend == "sqlite":
        return _sqlite(store, target)
    return _postgresql(store, target)


def _sqlite(store: LogStore, target: Path) -> Backup:
    database = store.engine.url.database
    assert database is not None
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        source = sqlite3.connect(database, timeout=120)
        copy = sqlite3.connect(temp)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
        finally:
            copy.close()
            source.close()
        copied = LogStore.open(temp, read_only=True)
        try:
            result = verify(copied, replay=False)
        finally:
            copied.close()
        if not result.ok:
            first = result.problems[0]
            raise BackupError("backup-differs", f"the copy does not verify: {first}", Location(str(target)))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Backup(
        target,
        result.records,
        result.head_seq,
        result.head_hash,
        f"restore: copy {target} to where the log lives (the server stopped), or use it as it is:"
        f" engage log verify --db {target}",
    )


def pg_dump_major(text: str) -> int | None:
    """The major version in ``pg_dump --version`` output (``pg_dump (PostgreSQL) 15.18 (Debian ...)``)."""
    found = re.search(r"\)\s*(\d+)(?:\.(\d+))?", text)
    return int(found.group(1)) if found else None


def _postgresql(store: LogStore, target: Path) -> Backup:
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    where = store.where
    if pg_dump is None or pg_restore is None:
        raise BackupError(
            "no-pg-dump",
            "a PostgreSQL log is backed up with pg_dump and pg_restore, and they are not on PATH;"
            " install the PostgreSQL client tools of the server's version",
            Location(where),
        )
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=False).stdout
    client = pg_dump_major(version)
    with store.reading() as conn:
        server = int(str(conn.execute(sa.text("SHOW server_version_num")).scalar_one())) // 10000
        head_seq, head_hash = store.head(conn)
        count = store.count(conn)
    if client is None or client < server:
        raise BackupError(
            "old-pg-dump",
            f"pg_dump {client if client is not None else '(unknown version)'} cannot dump a PostgreSQL {server} server;"
            f" install pg_dump {server} or newer",
            Location(where),
        )
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        dumped = subprocess.run(
            [pg_dump, "-Fc", "--no-owner", "-f", temp, "--dbname", url], capture_output=True, text=True, check=False
        )
        if dumped.returncode != 0:
            raise BackupError("pg-dump-failed", f"pg_dump failed: {_first_line(dumped.stderr)}", Location(where))
        listed = subprocess.run([pg_restore, "--list", temp], capture_output=True, text=True, check=False)
        if listed.returncode != 0 or "TABLE DATA public log_records" not in listed.stdout:
            raise BackupError(
                "backup-differs", f"pg_restore cannot read the dump: {_first_line(listed.stderr)}", Location(str(target))
            )
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    shown = display_url(store.engine.url)
    return Backup(
        target,
        count,
        head_seq,
        head_hash,
        f"check: pg_restore --list {target}; restore: createdb NEW && pg_restore --no-owner -d NEW {target}"
        f" && engage log verify --db {shown.rsplit('/', 1)[0]}/NEW (the head is at least #{head_seq})",
    )


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "(no message)"
