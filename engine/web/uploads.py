"""Batch uploads as jobs: read, evaluated and recorded as a stream, with their progress in the database.

An uploaded file is spooled to disk and read row by row; every :data:`CHUNK` rows are
evaluated, their ids checked against the ids used so far (kept on disk,
:class:`~engine.batches.seen.SeenIds`), recorded in one transaction of the log
(:meth:`~engine.log.store.LogStore.record`: one decision in force per request id, whoever
races) and written to ``web_upload_rows`` with the job's counters.  So memory stays the same
however long the file is, and the job's state is in the database: a reload, a browser that
left or another officer sees how far it is, and the summary is read a page at a time.

A small file is run in the request that uploaded it (the answer is its summary); a larger
one in a thread of the server, whose progress page refreshes itself.  When the server stops,
a running job stops after its chunk and is marked interrupted; one the server could not stop
(it was killed) is marked interrupted when the server starts again.  Uploading the same file
again records only the rest: the rows already recorded are found in the log as they are.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..batches.batch import Result, evaluate_chunks
from ..batches.columns import request_columns
from ..batches.inputs import Item
from ..batches.seen import SeenIds
from ..batches.tables import TableErrors, csv_note, read_table
from ..errors import EngageError
from ..evaluation.evaluator import Engine
from ..i18n.problems import error_in_language
from ..i18n.said import in_language
from ..log.store import UNCHANGED, LogStore, decision_draft
from .db import WebTables, stamp, upload_jobs, upload_rows
from .i18n import Translator
from .releases import recording_engine

LOG = logging.getLogger("engage.web")
CHUNK = 500  # rows evaluated, checked and recorded per transaction: bounds memory and the lock's hold
PAGE_ROWS = 200  # rows of a summary page
RUNNING, DONE, INTERRUPTED, FAILED = "running", "done", "interrupted", "failed"
# A file read whole that holds no request: the page says so instead of showing a table of its problems.
NO_REQUESTS = ("no-requests", "empty-file")


@dataclass(frozen=True)
class Job:
    """One upload: what it has done so far."""

    id: int
    filename: str
    size: int
    started_by: str
    started_at: str
    updated_at: str
    finished_at: str | None
    state: str
    rows_read: int
    evaluated: int
    recorded: int
    unchanged: int
    problems: int
    no_request: int
    unread: int
    first_seq: int | None
    last_seq: int | None
    read_as: str | None
    message: str | None

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def no_requests(self) -> bool:
        """The file was read and holds no request: every row it gave is a no-request."""
        return self.state == DONE and self.rows_read > 0 and self.no_request == self.rows_read

    @property
    def whole_file(self) -> bool:
        """Its header or its syntax stopped the whole table: no row of it was read."""
        return self.state == DONE and self.unread > 0

    @property
    def how_read(self) -> dict[str, Any] | None:
        return json.loads(self.read_as) if self.read_as else None


@dataclass(frozen=True)
class JobRow:
    """What became of one row of an uploaded file."""

    n: int
    status: str  # recorded, unchanged, refused, invalid, no-request, unread
    where: str
    request_id: str | None
    outcome: str | None
    seq: int | None
    priority: float | None
    problems: tuple[str, ...]


def _job(row: Any) -> Job:
    return Job(**{c.name: getattr(row, c.name) for c in upload_jobs.columns})


def _row(row: Any) -> JobRow:
    problems = tuple(json.loads(row.problems)) if row.problems else ()
    priority = None if row.priority is None else float(row.priority)
    return JobRow(int(row.n), row.status, row.place, row.request_id, row.outcome, row.seq, priority, problems)


class UploadJobs:
    """The upload jobs of one decision store, and their rows."""

    def __init__(self, store: LogStore, now: Callable[[], datetime]) -> None:
        self.tables = WebTables(store)
        self.now = now

    def create(self, filename: str, size: int, user: str) -> int:
        when = stamp(self.now())
        values = {
            "filename": filename,
            "size": size,
            "started_by": user,
            "started_at": when,
            "updated_at": when,
            "state": RUNNING,
            **dict.fromkeys(("rows_read", "evaluated", "recorded", "unchanged", "problems", "no_request", "unread"), 0),
        }
        with self.tables.writing() as conn:
            return int(conn.execute(sa.insert(upload_jobs).values(values).returning(upload_jobs.c.id)).scalar_one())

    def get(self, job_id: int) -> Job | None:
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(upload_jobs).where(upload_jobs.c.id == job_id)).first()
        return None if row is None else _job(row)

    def recent(self, limit: int = 10) -> list[Job]:
        with self.tables.reading() as conn:
            rows = conn.execute(sa.select(upload_jobs).order_by(upload_jobs.c.id.desc()).limit(limit)).all()
        return [_job(row) for row in rows]

    def rows(self, job_id: int, start: int = 0, problems_only: bool = False, limit: int = PAGE_ROWS) -> list[JobRow]:
        """Up to ``limit`` rows from row ``start`` on (keyset: deep pages cost what the first does)."""
        query = sa.select(upload_rows).where(upload_rows.c.job_id == job_id, upload_rows.c.n >= start)
        if problems_only:
            query = query.where(upload_rows.c.problem == sa.true())
        with self.tables.reading() as conn:
            found = conn.execute(query.order_by(upload_rows.c.n).limit(limit)).all()
        return [_row(row) for row in found]

    def page_before(self, job_id: int, start: int, problems_only: bool = False, limit: int = PAGE_ROWS) -> int | None:
        """Where the page before the one starting at row ``start`` starts (None: it is the first)."""
        query = sa.select(upload_rows.c.n).where(upload_rows.c.job_id == job_id, upload_rows.c.n < start)
        if problems_only:
            query = query.where(upload_rows.c.problem == sa.true())
        with self.tables.reading() as conn:
            found = [int(n) for n in conn.scalars(query.order_by(upload_rows.c.n.desc()).limit(limit))]
        return found[-1] if found else None

    def add(self, job_id: int, rows: Sequence[dict[str, Any]], counts: dict[str, int], seqs: Sequence[int]) -> None:
        """A chunk's rows and what they add to the counters, in one transaction."""
        with self.tables.writing() as conn:
            if rows:
                conn.execute(sa.insert(upload_rows), [{"job_id": job_id, **row} for row in rows])
            c = upload_jobs.c
            values: dict[str, Any] = {name: getattr(c, name) + added for name, added in counts.items() if added}
            values["updated_at"] = stamp(self.now())
            if seqs:
                values["first_seq"] = sa.func.coalesce(c.first_seq, min(seqs))
                values["last_seq"] = max(seqs)
            conn.execute(sa.update(upload_jobs).where(c.id == job_id).values(values))

    def finish(self, job_id: int, state: str, read_as: dict[str, Any] | None = None, message: str | None = None) -> None:
        when = stamp(self.now())
        values = {"state": state, "finished_at": when, "updated_at": when, "message": message}
        if read_as is not None:
            values["read_as"] = json.dumps(read_as)
        with self.tables.writing() as conn:
            conn.execute(sa.update(upload_jobs).where(upload_jobs.c.id == job_id).values(values))

    def interrupt_unfinished(self) -> int:
        """Mark the jobs left running by a server that stopped without finishing them; how many."""
        when = stamp(self.now())
        with self.tables.writing() as conn:
            done = conn.execute(
                sa.update(upload_jobs)
                .where(upload_jobs.c.state == RUNNING)
                .values(state=INTERRUPTED, finished_at=when, updated_at=when)
            )
        return int(done.rowcount or 0)


# -- one row in words -------------------------------------------------------------------


def _problem(text: str, name: str) -> str:
    """A reader's message without the file name the page already shows."""
    return text[len(name) + 1 :] if text.startswith(name + ":") else text


def message(error: EngageError, t: Translator) -> str:
    """One problem of a row in ``t``'s language: the column (or field) it is about and what is wrong, without the code."""
    path, said = error.location.path, in_language(error.message, t.lang)
    if path and error.location.row:
        return f"{t('batch.column', column=path)}: {said}"
    return f"{path}: {said}" if path else said


def where(place: str, name: str, t: Translator) -> str:
    """``intake.csv:row 7`` -> ``row 7``; ``batch.jsonl:12:1`` -> ``line 12`` (in ``t``'s language)."""
    rest = _problem(place, name).strip()
    line = re.match(r"^(\d+)(:\d+)?$", rest)
    if line:
        return t("batch.line", number=line.group(1))
    row = re.match(r"^row (\d+)$", rest)  # the engine's own words for a table's row (Location.prefix)
    return t("batch.row", number=row.group(1)) if row else rest or name


# -- running a job ----------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """What a job needs besides the web application: the spooled file and who sent it."""

    job: int
    path: Path  # in its own folder, removed when the job ends
    name: str
    user: str
    t: Translator


class Stopped(Exception):
    """The server is stopping: the job ends after its chunk, marked interrupted."""


def run_upload(
    jobs: UploadJobs,
    served: Engine,
    store: LogStore,
    today: date,
    upload: Upload,
    stop: threading.Event | None = None,
) -> None:
    """Read, evaluate and record every row of ``upload``, a chunk at a time, keeping its job up to date."""
    folder = upload.path.parent
    seen = SeenIds(folder / "ids.sqlite3")
    try:
        _run(jobs, served, store, today, upload, seen, stop)
    except Stopped:
        jobs.finish(upload.job, INTERRUPTED)
    except EngageError as exc:  # the log refused (it does not verify, the database is away): say why
        jobs.finish(upload.job, FAILED, message=error_in_language(exc, upload.t.lang))
    except Exception as exc:
        LOG.exception("upload job %s failed", upload.job)
        jobs.finish(upload.job, FAILED, message=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        seen.close()
        shutil.rmtree(folder, ignore_errors=True)


def _run(
    jobs: UploadJobs,
    served: Engine,
    store: LogStore,
    today: date,
    upload: Upload,
    seen: SeenIds,
    stop: threading.Event | None,
) -> None:
    name, t = upload.name, upload.t
    columns = request_columns(served.policy.request_schema)
    engine, release = recording_engine(served, store, today, upload.user)
    items = _items(read_table(upload.path, name, columns), name)
    saved = False
    n = 0
    for chunk in evaluate_chunks(engine, items, today, seen, CHUNK):
        if stop is not None and stop.is_set():
            raise Stopped()
        rows: list[dict[str, Any]] = []
        drafts = []
        waiting: list[tuple[dict[str, Any], Any]] = []
        counts = dict.fromkeys(("rows_read", "evaluated", "recorded", "unchanged", "problems", "no_request", "unread"), 0)
        for result in chunk:
            row = _described(result, name, t, n)
            n += 1
            counts["rows_read"] += 1
            rows.append(row)
            if result.decision is None:
                counts["problems"] += 1
                counts["no_request"] += row["status"] == "no-request"
                counts["unread"] += row["status"] == "unread"
                continue
            counts["evaluated"] += 1
            item = result.item
            received = item.doc.data if item is not None and item.doc is not None else result.record
            drafts.append(decision_draft(received, result.decision, upload.user, f"web upload {name}", release, release is None))
            waiting.append((row, result.decision))
        seqs: list[int] = []
        if drafts:
            if not saved:
                store.save_ruleset(engine.policy, upload.user)
                saved = True
            # One transaction under the log's lock: of uploads racing with the same rows, each row is
            # recorded by exactly one of them, and the others say it is already in the log.
            for (row, decision), outcome in zip(waiting, store.record(drafts), strict=True):
                if outcome.record is None:
                    row.update(status=UNCHANGED if outcome.status == UNCHANGED else "refused", problem=True, seq=outcome.existing)
                    row["problems"] = json.dumps([t("batch.already_recorded", seq=outcome.existing)])
                    counts["problems"] += 1
                    counts["unchanged"] += outcome.status == UNCHANGED
                    continue
                row.update(status="recorded", outcome=decision.outcome, priority=decision.priority_score)
                row["seq"] = outcome.record.seq
                counts["recorded"] += 1
                seqs.append(outcome.record.seq)
        jobs.add(upload.job, rows, counts, seqs)
    note = csv_note(upload.path)
    read_as = None
    if note is not None:  # a CSV file not in UTF-8 with commas: the summary says how it was read
        read_as = {"encoding": note.encoding, "separator": note.separator_name, "decimal_comma": note.decimal_comma}
    jobs.finish(upload.job, DONE, read_as=read_as)


def _items(reads: Iterator[Any], name: str) -> Iterator[Item]:
    for read in reads:
        yield Item(name, error=read) if isinstance(read, EngageError) else Item(name, doc=read)


def _described(result: Result, name: str, t: Translator, n: int) -> dict[str, Any]:
    """A row of ``web_upload_rows`` for a result (its outcome filled in once it is recorded)."""
    item = result.item
    row: dict[str, Any] = {
        "n": n,
        "status": "invalid",
        "problem": True,
        "place": where(item.where if item is not None else result.location.prefix(), name, t),
        "request_id": item.request_id if item is not None else result.request_id,
        "outcome": None,
        "seq": None,
        "priority": None,
        "problems": None,
    }
    if result.decision is None:
        every = [one for error in result.errors for one in getattr(error, "errors", [error])]
        row["problems"] = json.dumps([message(one, t) for one in every])
        if every and all(one.code in NO_REQUESTS for one in every):
            row["status"] = "no-request"
        elif any(isinstance(error, TableErrors) for error in result.errors):
            row["status"] = "unread"
    else:
        row["problem"] = False
    return row


class UploadRunner:
    """The server's upload threads: started for large files, stopped (at a chunk's end) with the server."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def start(self, job: int, work: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=self._run, args=(job, work), name=f"engage-upload-{job}", daemon=True)
        with self._lock:
            self._threads[job] = thread
        thread.start()

    def _run(self, job: int, work: Callable[[threading.Event], None]) -> None:
        try:
            work(self.stopping)
        except Exception:  # noqa: BLE001 - logged and kept in the job (run_upload); the thread just ends
            pass
        finally:
            with self._lock:
                self._threads.pop(job, None)

    def wait(self, job: int, timeout: float | None = None) -> None:
        """Until job ``job``'s thread has ended (for the tests and the benchmark)."""
        with self._lock:
            thread = self._threads.get(job)
        if thread is not None:
            thread.join(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every running job to stop after its chunk, and wait for them."""
        self.stopping.set()
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
