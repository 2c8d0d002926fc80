"""One request, one record in force: recording again is a no-op, a changed request needs --update, races have one winner."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from engine.bench.decisions import generate
from engine.cli import main
from engine.errors import EngageError
from engine.evaluation.evaluator import Engine
from engine.log.audit import verify
from engine.log.database import _alembic_config, connect, resolve_url
from engine.log.logview import entries
from engine.log.store import LogStore, decision_draft

from ..helpers.logsupport import AS_OF, EXAMPLES, ok, query, record_examples, run, write_requests
from ..helpers.support import ROOT

FIRST = EXAMPLES / "01-engage-nhri-programme.yaml"


def _first_request() -> dict[str, Any]:
    """The first example as received from a JSON file (dates as text)."""
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(FIRST.read_text()), default=str))
    return data


def _count(db: str) -> int:
    return int(query(db, "SELECT count(*) FROM log_records")[0][0])


def _changed_copy(tmp_path: Path, **fields: Any) -> Path:
    data = _first_request()
    data.update(fields)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _record(db: str, path: Path, *extra: str, as_of: str = AS_OF) -> tuple[int, str, str]:
    return run("evaluate", str(path), "--as-of", as_of, "--record", "--db", db, "--format", "jsonl", *extra)


def test_recording_the_same_requests_again_is_a_no_op_that_says_so(db: str) -> None:
    record_examples(db)
    err = record_examples(db)
    assert _count(db) == 9
    assert "recorded 0 decisions" in err
    assert "9 already recorded as they are (#1 to #9): nothing recorded for them" in err
    status, _, err = _record(db, FIRST)
    assert status == 0 and "REQ-2026-0101 is already recorded as #1 (same request, date and rules)" in err


def test_a_changed_request_with_a_known_id_is_refused_with_the_existing_number(db: str, tmp_path: Path) -> None:
    record_examples(db)
    status, _, err = _record(db, _changed_copy(tmp_path, received="2026-09-15"))
    assert status == 2
    assert "already-recorded: REQ-2026-0101 is recorded as #1 with other content, date or rules" in err
    assert "--update" in err and "recorded 0 decisions" in err
    assert _count(db) == 9
    # The same request on another day is a changed request too.
    status, _, err = _record(db, FIRST, as_of="2026-11-25")
    assert status == 2 and "recorded as #1" in err and _count(db) == 9


def test_update_supersedes_the_record_in_force(db: str, tmp_path: Path) -> None:
    record_examples(db)
    status, _, err = _record(db, _changed_copy(tmp_path, received="2026-09-15"), "--update")
    assert status == 0, err
    assert "recorded 1 decision" in err and "(#10)" in err and "superseding #1" in err
    with LogStore.open(db) as store:
        tenth = store.get(10)
        assert tenth is not None and tenth.kind == "correction" and tenth.supersedes == 1
        assert json.loads(tenth.request or "{}")["received"] == "2026-09-15"
        with store.reading() as conn:
            in_force = [e.seq for e in entries(store, conn) if e.request_id == "REQ-2026-0101"]
        assert in_force == [10]
        result = verify(store)
    assert result.ok, [str(p) for p in result.problems]
    listed = ok("log", "list", "--db", db)
    assert listed.count("REQ-2026-0101") == 1
    # --update with nothing changed is still a no-op.
    status, _, err = _record(db, _changed_copy(tmp_path, received="2026-09-15"), "--update")
    assert status == 0 and "already recorded as #10" in err and _count(db) == 10


def test_a_withdrawn_request_can_be_recorded_again(db: str) -> None:
    record_examples(db)
    ok("log", "correct", "1", "--by", "Ana", "--reason", "entered in error", "--db", db)
    status, _, err = _record(db, FIRST)
    assert status == 0 and "recorded 1 decision" in err and _count(db) == 11


def test_the_store_refuses_a_second_engine_decision_for_an_id_in_force(db: str) -> None:
    engine = Engine.load()
    request = _first_request()
    decision = engine.evaluate(request, date.fromisoformat(AS_OF))
    try:
        with LogStore.open(db) as store:
            store.save_ruleset(engine.policy, "t")
            store.append([decision_draft(request, decision, "t")])
            with pytest.raises(EngageError) as caught:
                store.append([decision_draft(request, decision, "t")])
            assert caught.value.code == "already-recorded" and "#1" in caught.value.message
            assert store.count() == 1
    finally:
        engine.close()


def test_reports_and_lists_count_one_decision_per_request_even_in_an_old_log_with_duplicates(db: str, tmp_path: Path) -> None:
    record_examples(db)
    # A log written before the rule: the same requests recorded again, each a second decision in force.
    # The table of records in force is working data, so removing its rows is how an old log looks.
    engine = sa.create_engine(resolve_url(db))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM log_in_force"))
    engine.dispose()
    record_examples(db)
    assert _count(db) == 18
    with LogStore.open(db) as store, store.reading() as conn:
        found = entries(store, conn)
    assert len(found) == 9 and sorted(e.seq for e in found) == list(range(10, 19))
    report = ok("report", "--db", db, "--format", "csv", "--from", "2026-01-01", "--to", "2026-12-31")
    assert len(report.splitlines()) == 1 + 9
    assert ok("log", "list", "--db", db).count("REQ-2026-0101") == 1


def test_the_migration_builds_the_records_in_force_of_an_old_log(db: str) -> None:
    from alembic import command

    url = resolve_url(db)

    engine = connect(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0002")
    engine.dispose()
    # Records as the old version wrote them: two decisions for one id, and a withdrawn one.
    store = LogStore(connect(url), "old")
    with store.reading() as conn:
        assert "log_in_force" not in sa.inspect(conn).get_table_names()
    ev = Engine.load()
    try:
        request = _first_request()
        decision = ev.evaluate(request, date.fromisoformat(AS_OF))
        other = dict(request, id="REQ-OLD-2")
        other_decision = ev.evaluate(other, date.fromisoformat(AS_OF))
    finally:
        ev.close()
    _old_append(store, [decision_draft(request, decision, "t"), decision_draft(request, decision, "t")])
    _old_append(store, [decision_draft(other, other_decision, "t")])
    from engine.log.store import CORRECTION, Draft

    _old_append(store, [Draft(kind=CORRECTION, request_id="REQ-OLD-2", recorded_by="t", supersedes=3, details="{}")])
    store.close()
    with LogStore.open(db) as upgraded:
        assert upgraded.count() == 4
    assert [tuple(r) for r in query(db, "SELECT request_id, seq FROM log_in_force ORDER BY request_id")] == [("REQ-2026-0101", 2)]


def _old_append(store: LogStore, drafts: list[Any]) -> None:
    """Append as the version before the one-record rule did: straight onto the chain."""
    from dataclasses import asdict

    from engine.log.database import write_transaction
    from engine.log.store import CONTENT, LogRecord, record_hash, records

    with write_transaction(store.engine) as conn:
        seq, prev = store.head(conn)
        rows = []
        for draft in drafts:
            seq += 1
            content = {**asdict(draft), "seq": seq, "recorded_at": store.clock()}
            digest = record_hash({name: content[name] for name in CONTENT}, prev)
            rows.append(asdict(LogRecord(**content, prev_hash=prev, hash=digest)))
            prev = digest
        conn.execute(sa.insert(records), rows)


# -- races ------------------------------------------------------------------------------------


def racing_writer(url: str, worker: int, received: str | None, barrier: Any) -> str:
    """One process: record REQ-2026-0101 (received on ``received`` if given) at the same moment as the others."""
    engine = Engine.load()
    request = _first_request()
    if received is not None:
        request["received"] = received
    decision = engine.evaluate(request, date.fromisoformat(AS_OF))
    store = LogStore.open(url)
    try:
        store.save_ruleset(engine.policy, f"worker-{worker}")
        barrier.wait(timeout=120)
        (outcome,) = store.record([decision_draft(request, decision, f"worker-{worker}")])
        return outcome.status
    finally:
        store.close()
        engine.close()


@pytest.mark.parametrize("same", [True, False], ids=["same-request", "changed-requests"])
def test_writers_racing_on_one_id_one_wins_and_the_others_are_told(db: str, same: bool) -> None:
    workers = 4
    LogStore.open(db).close()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(workers) as pool:
        barrier = manager.Barrier(workers)
        args = [(db, w, None if same else f"2026-09-1{w}", barrier) for w in range(workers)]
        statuses = pool.starmap(racing_writer, args)
    assert sorted(statuses) == ["recorded"] + ["unchanged" if same else "refused"] * (workers - 1)
    assert _count(db) == 1


# -- interrupted runs -------------------------------------------------------------------------


class _Interrupting(io.StringIO):
    """Standard output that is interrupted (as by Ctrl-C) at its ``after``-th write."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def write(self, text: str) -> int:
        self.after -= 1
        if self.after == 0:
            raise KeyboardInterrupt
        return super().write(text)


def test_an_interrupted_record_run_names_the_last_record_and_a_rerun_records_only_the_rest(db: str, tmp_path: Path) -> None:
    folder = write_requests(tmp_path / "in")
    argv = ["evaluate", str(folder), "--as-of", AS_OF, "--record", "--db", db, "--format", "jsonl", "--quiet"]
    err = io.StringIO()
    assert main(argv, _Interrupting(5), err, io.StringIO()) == 130
    recorded = _count(db)
    assert recorded == 5  # the five decisions printed or being printed are kept
    last = query(db, "SELECT seq, request_id FROM log_records ORDER BY seq DESC")[0]
    assert "interrupted: recorded 5 decisions in " in err.getvalue()
    assert f"the last is #{last[0]} ({last[1]}); run the same command again to record the rest" in err.getvalue()
    status, _, rest = run(*argv)
    assert status == 0, rest
    assert "recorded 4 decisions" in rest and "5 already recorded as they are (#1 to #5)" in rest
    assert _count(db) == 9


def test_sigterm_interrupts_a_jobs_record_run_which_names_its_last_record_and_a_rerun_records_the_rest(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in generate(3000, seed=7)), "utf-8")
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    argv = ["evaluate", str(batch), "--as-of", AS_OF, "--record", "--db", db, "--jobs", "2", "--format", "jsonl", "--quiet"]
    command = [sys.executable, "-c", "from engine.cli import run; run()", *argv]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if (tmp_path / "log.sqlite3").exists() and _count_quietly(db) > 0:
                break
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    recorded = _count(db)
    assert 0 < recorded < 3000, "the run was not interrupted half-way"
    assert process.returncode == 130, err
    last = query(db, "SELECT seq, request_id FROM log_records ORDER BY seq DESC")[0]
    assert f"interrupted: recorded {recorded} decisions in " in err
    assert f"the last is #{last[0]} ({last[1]}); run the same command again to record the rest" in err
    status, _, rest = run(*argv)
    assert status == 0, rest
    assert f"recorded {3000 - recorded} decisions" in rest and f"{recorded} already recorded as they are" in rest
    assert _count(db) == 3000 and query(db, "SELECT count(DISTINCT request_id) FROM log_records")[0][0] == 3000


def test_a_sigterm_that_arrives_as_a_batch_commits_is_counted_in_the_interrupted_line(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal lands after the log committed the second batch and before the run noted it:
    the line must still count what the log holds, and name its last record."""
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in generate(350, seed=7)), "utf-8")
    committed = LogStore.record
    calls = []

    def record_then_terminate(self: LogStore, *args: Any, **kwargs: Any) -> Any:
        done = committed(self, *args, **kwargs)
        calls.append(len(done))
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # delivered before this function returns its records
        return done

    monkeypatch.setattr(LogStore, "record", record_then_terminate)
    argv = ["evaluate", str(batch), "--as-of", AS_OF, "--record", "--db", db, "--format", "jsonl", "--quiet"]
    err = io.StringIO()
    assert main(argv, io.StringIO(), err, io.StringIO()) == 130
    recorded = _count(db)
    assert recorded == 200 and calls == [100, 100]
    last = query(db, "SELECT seq, request_id FROM log_records ORDER BY seq DESC")[0]
    assert f"interrupted: recorded {recorded} decisions in " in err.getvalue(), err.getvalue()
    assert f"the last is #{last[0]} ({last[1]})" in err.getvalue()
    assert signal.getsignal(signal.SIGTERM) is not None and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _count_quietly(db: str) -> int:
    try:
        return _count(db)
    except sa.exc.SQLAlchemyError:  # the schema is still being made
        return 0


def test_the_database_itself_refuses_a_second_decision_in_force_for_an_id(db: str) -> None:
    """The primary key, not only the check under the lock: a writer that skipped the check still cannot win twice."""
    record_examples(db)
    engine = sa.create_engine(resolve_url(db))
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO log_in_force (request_id, seq, fingerprint) VALUES ('REQ-2026-0101', 99, 'x')"))
    finally:
        engine.dispose()
    assert query(db, "SELECT seq FROM log_in_force WHERE request_id = 'REQ-2026-0101'") == [(1,)]


def test_an_escaped_nul_in_one_line_of_a_batch_refuses_that_line_and_records_every_other(db: str, tmp_path: Path) -> None:
    # PostgreSQL's text cannot hold U+0000: the review saw a batch aborted half-way (500 of 1,001 recorded).
    lines = []
    for i in range(41):
        data = dict(_first_request(), id=f"REQ-NUL-{i}")
        data["request"] = dict(data["request"], title="T\x00itle" if i == 20 else "Title")
        lines.append(json.dumps(data))  # the NUL is written as the escape \u0000
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n", "utf-8")
    assert "\\u0000" in batch.read_text("utf-8")
    code, _, err = _record(db, batch)
    assert code == 2, err
    assert f"{batch}:21:" in err and "control-character: the text holds the control character U+0000" in err
    assert _count(db) == 40
    recorded = {row[0] for row in query(db, "SELECT request_id FROM log_records")}
    assert "REQ-NUL-20" not in recorded and {"REQ-NUL-19", "REQ-NUL-21", "REQ-NUL-40"} <= recorded
    with LogStore.open(db) as store:
        assert verify(store).ok
