"""CSV files as Excel saves them in a French or Spanish locale: Windows-1252 or UTF-8 with a
byte-order mark, columns separated by ``;``, decimal commas; and the files that stay refused."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from engine.batches.cells import CellError, cell_value
from engine.batches.columns import Column
from engine.batches.csvtext import decode_csv, find_separator
from engine.batches.inputs import read_requests
from engine.batches.tables import table_columns
from engine.errors import InputError

from ..helpers.clirun import engage
from ..helpers.tables import LOCAL, excel_csv

AS_OF = "2026-11-24"


def decisions(stdout: str) -> dict[str, dict[str, Any]]:
    return {d["request_id"]: d for d in (json.loads(line) for line in stdout.splitlines())}


def test_a_windows_1252_file_with_semicolons_and_decimal_commas_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    raw = excel_csv(tmp_path / "demandes.csv", [LOCAL, dict(LOCAL, id="R2", **{"request.budget_usd": "1.250.000"})], "cp1252")
    assert b"\x80" in raw.read_bytes() and b"\xe8" in raw.read_bytes()  # the euro sign and the è, in Windows-1252
    run = engage("evaluate", "demandes.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.status == 0
    assert run.stderr == "demandes.csv: read as Windows-1252, columns separated by semicolons, decimal commas accepted\n"
    found = decisions(run.stdout)
    assert set(found) == {"R1", "R2"} and found["R1"]["outcome"] == "engage"
    # the requests as read: every character and number as typed
    (first, second) = [item.doc.data for item in read_requests(["demandes.csv"], None, table_columns()) if item.doc]
    assert first["requester"]["name"] == "Ministère de la Justice et des Droits de l'Homme"
    assert first["request"]["title"] == "Formación para niñas y niños, 350 000 € sur 24 mois"
    assert first["request"]["budget_usd"] == 350000.5 and first["request"]["themes"] == ["nhri", "elections"]
    assert second["request"]["budget_usd"] == 1250000


def test_a_utf8_file_with_a_byte_order_mark_and_semicolons_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    excel_csv(tmp_path / "solicitudes.csv", [LOCAL], "utf-8", bom=True)
    run = engage("evaluate", "solicitudes.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert (run.status, run.stderr) == (
        0,
        "solicitudes.csv: read as UTF-8 with BOM, columns separated by semicolons, decimal commas accepted\n",
    )
    assert decisions(run.stdout)["R1"]["outcome"] == "engage"


def test_a_tab_separated_file_and_the_usual_utf8_with_commas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    excel_csv(tmp_path / "tabs.csv", [LOCAL], "utf-8", separator="\t")
    run = engage("evaluate", "tabs.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.stderr == "tabs.csv: read as UTF-8, columns separated by tabs, decimal commas accepted\n"
    excel_csv(tmp_path / "usual.csv", [dict(LOCAL, **{"request.budget_usd": "350000.50"})], "utf-8", separator=",")
    run = engage("evaluate", "usual.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert (run.status, run.stderr) == (0, "")  # nothing worth saying


def test_a_decimal_comma_is_refused_where_the_comma_separates_the_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    excel_csv(tmp_path / "commas.csv", [LOCAL], "utf-8", separator=",")  # the cell is quoted: "350000,50"
    run = engage("evaluate", "commas.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.status == 2
    assert run.stderr == (
        "commas.csv:row 2: column request.budget_usd: not-a-number: '350000,50' is not a number;"
        " write digits only, e.g. 250000 or 1250.50\n"
    )


def test_a_row_1_with_two_separators_is_refused_as_ambiguous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mixed.csv").write_bytes("id;received,country\nR1;2026-01-05,GTM\n".encode("cp1252"))
    run = engage("evaluate", "mixed.csv", "--as-of", AS_OF)
    assert run.status == 2 and run.stdout == ""
    assert run.stderr == (
        "mixed.csv:row 1: ambiguous-separator: row 1 holds 1 comma and 1 semicolon between the column names, so the"
        " columns could be cut either way: save the file again with one separator (or as .xlsx)\n"
    )


def test_a_number_that_could_be_read_two_ways_is_refused_and_the_other_rows_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [dict(LOCAL, **{"request.budget_usd": "1.250"}), dict(LOCAL, id="R2")]
    excel_csv(tmp_path / "b.csv", rows, "cp1252")
    run = engage("evaluate", "b.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.status == 2 and set(decisions(run.stdout)) == {"R2"}
    assert run.stderr == (
        "b.csv:row 2: column request.budget_usd: ambiguous-number: '1.250' could be 1250 (with a thousands dot) or 1.25"
        " (with a decimal point): in a file with decimal commas, write 1250, or 1,250 for the decimal\n"
        "b.csv: read as Windows-1252, columns separated by semicolons, decimal commas accepted\n"
    )


NUMBER = Column("request.budget_usd", "number", "the budget")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("350000,50", 350000.5),
        ("350000,00", 350000),
        ("1,5", 1.5),
        ("-2,25", -2.25),
        ("1.250,50", 1250.5),  # Spanish: a thousands dot and a decimal comma
        ("1.250.000", 1250000),
        ("350 000,50", 350000.5),  # French: a space between thousands
        ("350\u00a0000", 350000),  # ... a no-break space, as Excel writes it
        ("350\u202f000,5", 350000.5),  # ... a narrow no-break space
        ("1250.50", 1250.5),  # a decimal point that cannot be a thousands dot
        ("24", 24),
    ],
)
def test_numbers_with_a_decimal_comma(text: str, value: float) -> None:
    found = cell_value(NUMBER, text, decimal_comma=True)
    assert found == value and type(found) is type(value)


@pytest.mark.parametrize("text", ["1.250", "12,", ",5", "1 25", "1.250 000", "1,250.50", "350 000 €"])
def test_numbers_that_are_refused_with_a_decimal_comma(text: str) -> None:
    with pytest.raises(CellError):
        cell_value(NUMBER, text, decimal_comma=True)


def test_without_decimal_commas_a_comma_is_no_decimal_mark() -> None:
    with pytest.raises(CellError):
        cell_value(NUMBER, "350000,50")
    assert cell_value(NUMBER, "1.250") == 1.25


def test_the_encoding_is_found_for_each_kind_of_file() -> None:
    text = "id;requester.name\r\nR1;Ministère de la Défense, niños, 5 €\r\n"
    assert decode_csv(text.encode("utf-8"), "f") == (text, "UTF-8")
    assert decode_csv(codecs.BOM_UTF8 + text.encode("utf-8"), "f") == (text, "UTF-8 with BOM")
    assert decode_csv(text.encode("cp1252"), "f") == (text, "Windows-1252")
    assert decode_csv(text.encode("utf-16"), "f") == (text, "UTF-16")
    with pytest.raises(InputError) as broken:  # a mark, then bytes that are not UTF-8
        decode_csv(codecs.BOM_UTF8 + text.encode("cp1252"), "f.csv")
    assert broken.value.code == "not-utf8"


@pytest.mark.parametrize(
    ("header", "separator"),
    [("id,received", ","), ("id;received", ";"), ("id\treceived", "\t"), ("id", ","), ('"a;b",c\nx;y', ",")],
)
def test_the_separator_is_the_one_row_1_holds_outside_quotes(header: str, separator: str) -> None:
    assert find_separator(header + "\n", "f") == separator
