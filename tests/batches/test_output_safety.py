"""``engage evaluate --out``: what a spreadsheet opens must stay text, and a full disk is a clean error (issue 14)."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from ..helpers.clirun import engage
from ..helpers.tables import REQUEST

AS_OF = "2026-11-24"
IDS = ["=1+1", '=HYPERLINK("http://example.invalid","click")', "+SUM(A1)", "-2+3", "@cmd", "R-plain"]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Requests whose ids look like formulas, and one that cannot be evaluated (its id is kept too)."""
    lines = [json.dumps(dict(REQUEST, id=i)) for i in IDS]
    lines.append(json.dumps(dict(REQUEST, id="=BAD()", presence={"type": "office"})))
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_xlsx_out_writes_formula_looking_values_as_text_cells(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.xlsx"
    run = engage("evaluate", str(hostile), "--as-of", AS_OF, "--out", str(out), "--quiet")
    assert run.status == 2  # the bad request
    sheet = openpyxl.load_workbook(out)["Decisions"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [*IDS, "=BAD()"]
    assert {c.data_type for c in cells} == {"s"}
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_csv_out_neutralises_formula_looking_values_and_has_a_bom_for_excel(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    engage("evaluate", str(hostile), "--as-of", AS_OF, "--out", str(out), "--quiet")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,")  # UTF-8 with a BOM: Excel reads it as UTF-8
    with out.open(newline="", encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert [r["id"] for r in table] == [f"'{i}" if i[0] in "=+-@" else i for i in [*IDS, "=BAD()"]]
    assert all(not value.startswith(("=", "+", "-", "@")) for row in table for value in row.values())


def test_the_report_csv_and_the_decisions_csv_share_one_neutraliser() -> None:
    from engine.batches import outputs
    from engine.evaluation.render import spreadsheet_text
    from engine.report import document

    assert outputs.spreadsheet_text is spreadsheet_text and document.spreadsheet_text is spreadsheet_text
    assert [spreadsheet_text(t) for t in ("=1", "+1", "-1", "@a", "\tx", "\rx", "a=1")] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1",
    ]  # fmt: skip


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 KiB tmpfs: writing a few hundred decisions to it fails with ENOSPC, as a full disk does."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "xlsx"])
def test_a_full_disk_is_a_clean_error_with_exit_2_and_leaves_no_file(tmp_path: Path, full_disk: Path, suffix: str) -> None:
    batch = tmp_path / "many.jsonl"
    batch.write_text("".join(json.dumps(dict(REQUEST, id=f"R{i}")) + "\n" for i in range(1000)), encoding="utf-8")
    out = full_disk / f"d.{suffix}"
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--out", str(out), "--quiet")
    assert run.status == 2, run.stderr
    assert run.stderr == f"{out}: cannot-write: No space left on device\n"
    assert list(full_disk.iterdir()) == []  # neither the file nor its temporary is left behind
