"""Workbooks that would unpack too far, understate their extent or hold uncalculated formulas (issue 14)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from engine.batches.unpack import MAX_PART_BYTES, MAX_UNPACKED_BYTES

from ..helpers.clirun import engage
from ..helpers.tables import ROW, rewrite, write_csv, write_xlsx

AS_OF = "2026-11-24"


def stale_dimension(path: Path, ref: str) -> Path:
    """A workbook whose <dimension> says ``ref`` whatever its real extent (as some generators write)."""
    return rewrite(
        path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml)
    )


def jsonl_decisions(stdout: str) -> dict[str, dict[str, object]]:
    return {d["request_id"]: d for d in (json.loads(line) for line in stdout.splitlines())}


def test_rows_and_cells_outside_a_stale_dimension_are_read(tmp_path: Path) -> None:
    rows = [ROW, dict(ROW, id="R2"), dict(ROW, id="R3", **{"mandate.restricts_monitoring": "yes"})]
    book = stale_dimension(write_xlsx(tmp_path / "b.xlsx", rows), "A1:C2")
    with zipfile.ZipFile(book) as archive:
        assert b'<dimension ref="A1:C2"' in archive.read("xl/worksheets/sheet1.xml")
    run = engage("evaluate", str(book), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    reference = engage("evaluate", str(write_csv(tmp_path / "b.csv", rows)), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert (run.status, run.stderr) == (0, "")
    got, want = jsonl_decisions(run.stdout), jsonl_decisions(reference.stdout)
    assert list(got) == ["R1", "R2", "R3"]
    assert got["R3"]["outcome"] == "decline"
    assert [got[k]["criteria"] for k in got] == [want[k]["criteria"] for k in want]


def test_a_formula_cell_without_a_cached_value_is_reported_not_read_as_unknown(tmp_path: Path) -> None:
    rows = [ROW, dict(ROW, id="R2", **{"presence.adequately_staffed": '=IF(1=1,"yes","no")'}), dict(ROW, id="R3")]
    book = write_xlsx(tmp_path / "b.xlsx", rows)
    run = engage("evaluate", str(book), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert list(jsonl_decisions(run.stdout)) == ["R1", "R3"]
    column = list(ROW).index("presence.adequately_staffed") + 1
    assert run.stderr.splitlines() == [
        f"{book}:row 3: column presence.adequately_staffed: formula-without-value: the cell holds a formula that was"
        " never calculated, so it has no value: open and save the file in a spreadsheet program, or type the value"
    ]
    assert column > 1


def test_a_formula_with_its_cached_value_is_read_as_that_value(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "b.xlsx", [dict(ROW, **{"presence.adequately_staffed": "=1"})])
    # What a spreadsheet saves: the formula and, beside it, the value it calculated.
    book = rewrite(
        book,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<c r="(\w+)"><f>1</f><v />', rb'<c r="\1" t="str"><f>1</f><v>yes</v>', xml),
    )
    run = engage("evaluate", str(book), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert (run.status, run.stderr) == (0, "")


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    padding = b" " * (MAX_UNPACKED_BYTES + 1)
    book = rewrite(
        write_xlsx(tmp_path / "bomb.xlsx", [ROW]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding),
    )
    assert book.stat().st_size < 2 << 20  # a small file on disk
    other = write_csv(tmp_path / "ok.csv", [dict(ROW, id="R9")])
    run = engage("evaluate", str(book), str(other), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert list(jsonl_decisions(run.stdout)) == ["R9"]
    (message,) = run.stderr.splitlines()
    assert re.fullmatch(
        rf"{re.escape(str(book))}: workbook-too-large: the workbook unpacks to 268,4\d\d,\d\d\d bytes;"
        r" the limit is 256 MiB: split the requests into several workbooks",
        message,
    ), message


def test_a_shared_strings_part_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "s.xlsx", [ROW])
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * MAX_PART_BYTES + b"</sst>")
    run = engage("evaluate", str(book), "--as-of", AS_OF, "--quiet")
    assert run.status == 2
    assert (
        "workbook-too-large: the part xl/sharedStrings.xml unpacks to 33,554,443 bytes; the limit for a part other" in run.stderr
    )
