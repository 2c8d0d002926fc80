"""The request ids a long batch has used so far, kept on disk rather than in memory.

A batch must not use an id twice (:func:`engine.batches.batch.unique_ids`).  Keeping every id
seen in a dictionary costs about 200 bytes an id: 200 MB for a million rows.  Here they are
kept in a scratch SQLite file beside the spooled upload, asked about and added a chunk at a
time, so that memory stays the same however long the file is.  Each query binds at most
:data:`QUERY_IDS` values: SQLite refuses statements with more than 250,000 variables (and
older builds more than 999).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..errors import Location

QUERY_IDS = 500  # values bound per statement: far under every SQLite's limit


class SeenIds:
    """The ids used so far and where each was first used, in a SQLite file at ``path`` (created)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # isolation_level=None: the statements below manage their own transaction.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")  # scratch data: nothing to recover after a crash
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, file TEXT, line INT, col INT, row INT)")
        self.count = 0

    def first_uses(self, ids: Iterable[str]) -> dict[str, Location]:
        """Of ``ids``, those already used, each with where it was first used."""
        wanted = sorted(set(ids))
        found: dict[str, Location] = {}
        for start in range(0, len(wanted), QUERY_IDS):
            chunk = wanted[start : start + QUERY_IDS]
            marks = ",".join("?" * len(chunk))
            for request_id, file, line, col, row in self._db.execute(
                f"SELECT id, file, line, col, row FROM seen WHERE id IN ({marks})",  # only placeholders in it
                chunk,
            ):
                found[request_id] = Location(file, line, col, row=bool(row))
        return found

    def add(self, first: Mapping[str, Location]) -> None:
        """Remember ids used for the first time, in one transaction."""
        if not first:
            return
        rows: Sequence[tuple[str, str | None, int | None, int | None, int]] = [
            (request_id, where.file, where.line, where.col, int(where.row)) for request_id, where in first.items()
        ]
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO seen (id, file, line, col, row) VALUES (?, ?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")
        self.count += len(rows)

    def close(self) -> None:
        self._db.close()
