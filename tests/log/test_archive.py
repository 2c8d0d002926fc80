"""Backing up, exporting and importing the decision log; moving it between SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.log.backup import pg_dump_major

from ..helpers.logsupport import concurrent_writer, fresh_pg_database, ok, query, record_examples, require_pg, run

HEAD = "head #"


def _head(verify_output: str) -> str:
    """'#N sha256:...' from the first line of `engage log verify`."""
    first = verify_output.splitlines()[0]
    return first[first.index(HEAD) + len(HEAD) - 1 :].split(";")[0]


def _verified(url: str) -> str:
    out = ok("log", "verify", "--db", url)
    assert "chain: intact" in out and "every one identical" in out, out
    return _head(out)


def _lines(archive: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(archive.read_bytes()).splitlines()]


def _write_lines(archive: Path, lines: list[dict[str, object]]) -> None:
    archive.write_bytes(gzip.compress(b"".join(json.dumps(x).encode() + b"\n" for x in lines)))


def test_a_log_moves_from_sqlite_to_postgresql_and_back_with_the_same_head(tmp_path: Path) -> None:
    first = f"sqlite:///{tmp_path / 'first.sqlite3'}"
    record_examples(first)
    ok("log", "decide", "1", "--db", first, "--decision", "decline", "--by", "Board", "--justification", "as advised")
    head = _verified(first)
    assert head.startswith("#10 sha256:")
    ok("log", "export", str(tmp_path / "one.jsonl.gz"), "--db", first)
    with fresh_pg_database() as pg:
        out = ok("log", "import", str(tmp_path / "one.jsonl.gz"), "--db", pg)
        assert f"head {head}" in out
        assert _verified(pg) == head
        assert query(pg, "SELECT count(*) FROM log_in_force") == query(first, "SELECT count(*) FROM log_in_force")
        ok("log", "export", str(tmp_path / "two.jsonl.gz"), "--db", pg)
    back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    ok("log", "import", str(tmp_path / "two.jsonl.gz"), "--db", back)
    assert _verified(back) == head
    # Every column came through both databases unchanged: the two archives are the same bytes.
    assert (tmp_path / "one.jsonl.gz").read_bytes() == (tmp_path / "two.jsonl.gz").read_bytes()
    header = _lines(tmp_path / "one.jsonl.gz")[0]
    assert header["head_seq"] == 10 and header["not_exported"] == ["web accounts", "API tokens"]


def test_an_archive_with_one_record_changed_is_refused_naming_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(url)
    archive = tmp_path / "log.jsonl.gz"
    ok("log", "export", str(archive), "--db", url)
    lines = _lines(archive)
    third = next(x for x in lines if x["type"] == "record" and x["seq"] == 3)
    third["outcome"] = "engage" if third["outcome"] != "engage" else "decline"
    _write_lines(archive, lines)
    target = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    status, out, err = run("log", "import", str(archive), "--db", target)
    assert status == 2 and out == ""
    why = "record #3 does not give its hash: it was changed after it was recorded; nothing imported"
    assert err == f"{archive}: archive-edited: {why}\n"
    assert query(target, "SELECT count(*) FROM log_records") == [(0,)]
    assert query(target, "SELECT count(*) FROM rulesets") == [(0,)]


def test_an_archive_missing_a_record_is_refused_naming_where_the_chain_breaks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(url)
    archive = tmp_path / "log.jsonl.gz"
    ok("log", "export", str(archive), "--db", url)
    _write_lines(archive, [x for x in _lines(archive) if not (x["type"] == "record" and x["seq"] == 5)])
    status, _, err = run("log", "import", str(archive), "--db", str(tmp_path / "new.sqlite3"))
    assert status == 2
    assert "archive-broken: record #6 does not follow #4" in err and err.count("\n") == 1


def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(url)
    archive = tmp_path / "log.jsonl.gz"
    ok("log", "export", str(archive), "--db", url)
    whole = archive.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])  # the file cut mid-stream
    status, _, err = run("log", "import", str(cut), "--db", str(tmp_path / "a.sqlite3"))
    assert status == 2 and "archive-truncated" in err and "Traceback" not in err and err.count("\n") == 1
    shorter = tmp_path / "shorter.jsonl.gz"
    _write_lines(shorter, _lines(archive)[:-4])  # a whole gzip file without its last lines: end, release record, #9, #8
    status, _, err = run("log", "import", str(shorter), "--db", str(tmp_path / "b.sqlite3"))
    assert status == 2
    assert "archive-truncated: the archive ends after record #7 without its end line" in err
    assert query(f"sqlite:///{tmp_path / 'b.sqlite3'}", "SELECT count(*) FROM log_records") == [(0,)]


def test_an_archive_is_imported_only_into_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(url)
    archive = tmp_path / "log.jsonl.gz"
    ok("log", "export", str(archive), "--db", url)
    status, _, err = run("log", "import", str(archive), "--db", url)
    assert status == 2 and "not-empty" in err and "9 log_records" in err
    assert query(url, "SELECT count(*) FROM log_records") == [(9,)]


def test_the_export_replaces_its_target_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(url)
    archive = tmp_path / "log.jsonl.gz"
    archive.write_text("an older file")
    ok("log", "export", str(archive), "--db", url)
    assert _lines(archive)[-1]["type"] == "end"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("log.sqlite3")] == ["log.jsonl.gz"]


def test_a_backup_taken_while_another_process_appends_verifies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    record_examples(url)
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        writing = pool.apply_async(concurrent_writer, (url, 1, 40))
        heads = []
        for n in range(3):
            copy = tmp_path / f"copy{n}.sqlite3"
            out = ok("log", "backup", str(copy), "--db", url)
            assert f"backup {copy}: " in out
            heads.append(_verified(str(copy)))
        written = writing.get(timeout=600)
    assert written == 40 * 9
    numbers = [int(h.split()[0][1:]) for h in heads]
    assert numbers == sorted(numbers) and numbers[0] >= 9
    # The writer was still appending for at least one copy, or the test proved nothing about concurrency.
    assert numbers[0] < 9 + written, numbers


def test_a_postgresql_backup_is_a_pg_dump_that_restores_to_the_same_head(tmp_path: Path) -> None:
    require_pg()
    with fresh_pg_database() as pg, fresh_pg_database() as restored:
        record_examples(pg)
        head = _verified(pg)
        dump = tmp_path / "log.dump"
        out = ok("log", "backup", str(dump), "--db", pg)
        assert f"pg_restore --list {dump}" in out
        subprocess.run(["pg_restore", "--no-owner", "-d", restored, str(dump)], check=True, capture_output=True)
        assert _verified(restored) == head


def test_without_pg_dump_a_postgresql_backup_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_pg()
    with fresh_pg_database() as pg:
        record_examples(pg)
        monkeypatch.setenv("PATH", str(tmp_path))  # a machine without the PostgreSQL client tools
        status, _, err = run("log", "backup", str(tmp_path / "log.dump"), "--db", pg)
    assert status == 2 and "no-pg-dump" in err and "install the PostgreSQL client tools" in err
    assert not (tmp_path / "log.dump").exists()


def test_the_major_version_of_pg_dump_is_read_from_its_version_line() -> None:
    assert pg_dump_major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n") == 15
    assert pg_dump_major("pg_dump (PostgreSQL) 9.6.24\n") == 9
    assert pg_dump_major("something else") is None
    installed = shutil.which("pg_dump")
    if installed is not None:
        version = subprocess.run([installed, "--version"], capture_output=True, text=True, check=True).stdout
        assert pg_dump_major(version) is not None
