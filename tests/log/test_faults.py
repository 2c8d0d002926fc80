"""Faults of the log's database: a corrupted file, read-only media, dropped append-only triggers."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..helpers.logsupport import AS_OF, EXAMPLES, execute_bypassing_triggers, query, record_examples, run
from ..helpers.support import ROOT

PAGE = 4096


def _new_request(tmp_path: Path) -> Path:
    path = tmp_path / "new.yaml"
    path.write_text((EXAMPLES / "01-engage-nhri-programme.yaml").read_text().replace("REQ-2026-0101", "REQ-NEW-0001"))
    return path


def _corrupt_the_page_holding(path: Path, marker: bytes) -> None:
    """Overwrite the cells of the table page that holds ``marker``, as a bad sector or a torn write would."""
    data = bytearray(path.read_bytes())
    for start in range(0, len(data), PAGE):
        page = data[start : start + PAGE]
        if marker in page and page[0] == 13:  # a leaf page of a table b-tree
            data[start + 8 : start + PAGE - 96] = b"\xff" * (PAGE - 104)
            path.write_bytes(bytes(data))
            return
    raise AssertionError(f"no table page holds {marker!r}")


def _integrity_check(path: Path) -> str:
    """SQLite's own verdict on the file (where the damage is, it may refuse even to say)."""
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def test_a_corrupted_sqlite_log_refuses_appends_and_says_how_to_recover(tmp_path: Path) -> None:
    log = tmp_path / "log.sqlite3"
    db = f"sqlite:///{log}"
    record_examples(db)
    _corrupt_the_page_holding(log, b'"id":"REQ-2026-0102"')
    assert _integrity_check(log) != "ok"
    before = log.read_bytes()
    status, _, err = run("evaluate", str(_new_request(tmp_path)), "--as-of", AS_OF, "--record", "--db", db)
    assert status == 2
    assert f"{log}: log-corrupt: " in err and "nothing recorded" in err
    assert "engage log verify" in err and ".recover" in err and "backup" in err  # how to recover
    assert log.read_bytes() == before  # nothing appended


def test_an_edited_tail_record_refuses_appends(db: str, tmp_path: Path) -> None:
    record_examples(db)
    execute_bypassing_triggers(db, ["UPDATE log_records SET outcome = 'engage' WHERE seq = 9"])
    status, _, err = run("evaluate", str(_new_request(tmp_path)), "--as-of", AS_OF, "--record", "--db", db)
    assert status == 2 and "log-corrupt: " in err and "#9" in err
    assert query(db, "SELECT count(*) FROM log_records")[0][0] == 9


# -- read-only media ---------------------------------------------------------------------------


@pytest.fixture
def read_only_log(tmp_path: Path) -> Iterator[Path]:
    """A recorded log in a folder nobody may write to (put back afterwards)."""
    folder = tmp_path / "media"
    folder.mkdir()
    log = folder / "log.sqlite3"
    record_examples(f"sqlite:///{log}")
    for extra in folder.glob("log.sqlite3-*"):  # a cleanly closed log has no -wal or -shm left
        extra.unlink()
    log.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield log
    finally:
        folder.chmod(0o755)
        log.chmod(0o644)


def _as_without_write_access(*argv: str) -> subprocess.CompletedProcess[str]:
    """``engage ARGV`` in a process that file permissions bind (root drops the capabilities that bypass them)."""
    command = [sys.executable, "-c", "from engine.cli import run; run()", *argv]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot make the log read-only")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *command]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)


def test_a_log_on_read_only_media_can_be_listed_shown_and_verified(read_only_log: Path) -> None:
    assert _as_without_write_access("evaluate", "--help").returncode == 0
    probe = read_only_log.parent / "probe"
    denied = _as_without_write_access("log", "list", "--db", str(probe))  # a new log cannot be made there
    assert denied.returncode == 2 and "database-error" in denied.stderr
    listed = _as_without_write_access("log", "list", "--db", str(read_only_log))
    assert listed.returncode == 0, listed.stderr
    assert all(f"REQ-2026-010{i}" in listed.stdout for i in range(1, 10))
    shown = _as_without_write_access("log", "show", "REQ-2026-0105", "--db", str(read_only_log))
    assert shown.returncode == 0 and "REQ-2026-0105" in shown.stdout, shown.stderr
    verified = _as_without_write_access("log", "verify", "--db", str(read_only_log))
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert "chain: intact" in verified.stdout and "every one identical" in verified.stdout
    assert sorted(p.name for p in read_only_log.parent.iterdir()) == ["log.sqlite3"]  # nothing written beside it


# -- dropped triggers --------------------------------------------------------------------------


def _drop_triggers(db: str) -> list[str]:
    if db.startswith("sqlite"):
        names = [
            row[0] for row in query(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'log_records'")
        ]
        execute_bypassing_triggers(db, [f'DROP TRIGGER "{name}"' for name in names], tables=())
        return names
    execute_bypassing_triggers(db, ["DROP TRIGGER log_records_append_only ON log_records"], tables=())
    return ["log_records_append_only"]


def test_verify_reports_dropped_append_only_triggers(db: str) -> None:
    record_examples(db)
    dropped = _drop_triggers(db)
    status, out, _ = run("log", "verify", "--db", db, "--no-replay")
    assert status == 1
    for name in dropped:
        assert f"log: triggers-missing: the append-only trigger {name} on log_records is gone" in out
    assert "chain: intact" in out  # the records themselves are as written


def test_verify_reports_disabled_append_only_triggers_on_postgresql(db: str) -> None:
    if db.startswith("sqlite"):
        pytest.skip("SQLite triggers cannot be disabled, only dropped (the test above)")
    record_examples(db)
    execute_bypassing_triggers(db, ["ALTER TABLE rulesets DISABLE TRIGGER USER"], tables=())
    status, out, _ = run("log", "verify", "--db", db, "--no-replay")
    assert status == 1 and "the append-only trigger rulesets_append_only on rulesets is disabled" in out


def test_verify_reports_a_table_of_records_in_force_that_differs_from_the_chain(db: str) -> None:
    record_examples(db)
    execute_bypassing_triggers(db, ["DELETE FROM log_in_force WHERE request_id = 'REQ-2026-0103'"], tables=())
    execute_bypassing_triggers(db, ["UPDATE log_in_force SET seq = 3 WHERE request_id = 'REQ-2026-0104'"], tables=())
    status, out, _ = run("log", "verify", "--db", db, "--no-replay")
    assert status == 1
    assert "#3 (REQ-2026-0103): in-force-differs: the decision in force is not in log_in_force" in out
    assert "#4 (REQ-2026-0104): in-force-differs: log_in_force names #3 instead" in out
    assert "chain: intact" in out


def test_a_cut_tail_that_left_log_in_force_behind_is_named_without_an_anchor(db: str) -> None:
    record_examples(db)
    execute_bypassing_triggers(db, ["DELETE FROM log_records WHERE seq = 9"])
    status, out, _ = run("log", "verify", "--db", db, "--no-replay")
    assert status == 1
    assert "#9 (REQ-2026-0109): in-force-differs: log_in_force names it, but the chain has no decision in force" in out
