"""The audit page's verification of the decision log, as a background job whose result is kept.

``Verify now`` starts :func:`engine.log.audit.verify` (chain and replay) in a thread of the
server, with worker processes for a large log (``--jobs``, as ``engage log verify`` would
choose), and returns at once; the run's row in ``web_verify_runs`` (migration 0010) is
updated as records are checked, and at the end holds the head checked, the counts and
whether the log was intact or its first problem.  A second click while a run goes on starts
nothing: it shows the running one.  A run whose row has not moved for ``STALE`` (its server
stopped) no longer counts as running, and the next click starts a new one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..batches.processes import default_jobs, worker_pool
from ..log.audit import verify
from ..log.store import LogStore
from .db import STAMP, WebTables, stamp, utc_now

RUNNING, DONE, FAILED = "running", "done", "failed"
STALE = timedelta(minutes=10)  # no progress for this long: the server that ran it has stopped
EVERY = 1.0  # seconds between two updates of a running row

metadata = sa.MetaData()
runs = sa.Table(
    "web_verify_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("started_by", sa.String(100), nullable=False),
    sa.Column("started_at", STAMP, nullable=False),
    sa.Column("updated_at", STAMP, nullable=False),
    sa.Column("finished_at", STAMP, nullable=True),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("checked", sa.BigInteger, nullable=False),
    sa.Column("head_seq", sa.BigInteger, nullable=True),
    sa.Column("head_hash", sa.String(71), nullable=True),
    sa.Column("records", sa.BigInteger, nullable=True),
    sa.Column("replayed", sa.BigInteger, nullable=True),
    sa.Column("problems", sa.BigInteger, nullable=True),
    sa.Column("first_problem", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Index("web_verify_runs_state", "state", "id"),  # the running one, the last done one
)


@dataclass(frozen=True)
class Run:
    """One verification, as its row says."""

    id: int
    state: str
    started_by: str
    started_at: str
    updated_at: str
    finished_at: str | None
    total: int
    checked: int
    head_seq: int | None
    head_hash: str | None
    records: int | None
    replayed: int | None
    problems: int | None
    first_problem: str | None
    error: str | None

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def ok(self) -> bool:
        return self.state == DONE and not self.problems

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.checked / self.total)) if self.total else 0


def _run(row: sa.Row[tuple[object, ...]]) -> Run:
    return Run(**{name: row._mapping[name] for name in Run.__dataclass_fields__})


def _in_thread(job: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=job, name="engage-verify", daemon=True)
    thread.start()
    return thread


class Verifications:
    """Starting verifications and reading their rows, for one decision store."""

    def __init__(
        self,
        store: LogStore,
        clock: Callable[[], datetime] = utc_now,
        start: Callable[[Callable[[], None]], threading.Thread | None] = _in_thread,
    ) -> None:
        self.store = store
        self.tables = WebTables(store)
        self.clock = clock
        self.start_job = start  # how a run is started (tests may hold it back)
        self._thread: threading.Thread | None = None

    def current(self) -> Run | None:
        """The run going on, if any (a run whose row stopped moving is not)."""
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.state == RUNNING).order_by(runs.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        found = _run(row)
        return None if self._stale(found) else found

    def last(self) -> Run | None:
        """The last run that ended (intact, with problems, or failed)."""
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.state != RUNNING).order_by(runs.c.id.desc()).limit(1)).first()
        return None if row is None else _run(row)

    def _stale(self, run: Run) -> bool:
        return datetime.fromisoformat(run.updated_at) < self.clock() - STALE

    def start(self, by: str) -> tuple[Run, bool]:
        """Start a verification by ``by``; or, when one is running, that one.  Whether it was started now."""
        now = stamp(self.clock())
        total = self.store.head()[0]
        with self.tables.writing() as conn:
            for row in conn.execute(sa.select(runs).where(runs.c.state == RUNNING)).all():
                running = _run(row)
                if not self._stale(running):
                    return running, False
                conn.execute(
                    sa.update(runs)
                    .where(runs.c.id == running.id)
                    .values(state=FAILED, finished_at=now, error="interrupted: the server stopped while it ran")
                )
            new_id = conn.execute(
                sa.insert(runs)
                .values(state=RUNNING, started_by=by, started_at=now, updated_at=now, total=total, checked=0)
                .returning(runs.c.id)
            ).scalar_one()
        self._thread = self.start_job(lambda: self.run(int(new_id)))
        run = self.get(int(new_id))
        assert run is not None
        return run, True

    def get(self, run_id: int) -> Run | None:
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
        return None if row is None else _run(row)

    def wait(self, timeout: float | None = None) -> None:
        """Until the run this object started has ended (for the tests and a clean shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self, run_id: int) -> None:
        """Verify the log for run ``run_id`` and keep the result in its row."""
        run = self.get(run_id)
        assert run is not None
        last_update = time.monotonic()

        def progress(done: int) -> None:
            nonlocal last_update
            if time.monotonic() - last_update >= EVERY:
                last_update = time.monotonic()
                self._update(run_id, checked=done, updated_at=stamp(self.clock()))

        try:
            result = verify(self.store, replay=True, progress=progress, jobs=default_jobs(run.total), pool=worker_pool)
        except Exception as exc:  # noqa: BLE001 - the row says why it stopped; the server goes on
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            now = stamp(self.clock())
            self._update(run_id, state=FAILED, finished_at=now, updated_at=now, error=text[:2000])
            return
        now = stamp(self.clock())
        problems = result.problems
        self._update(
            run_id,
            state=DONE,
            finished_at=now,
            updated_at=now,
            checked=result.records,
            head_seq=result.head_seq,
            head_hash=result.head_hash,
            records=result.records,
            replayed=result.replayed,
            problems=len(problems),
            first_problem=str(problems[0])[:2000] if problems else None,
        )

    def _update(self, run_id: int, **values: object) -> None:
        with self.tables.writing() as conn:
            conn.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))
