"""Reading batches from .csv, .xlsx and .jsonl files through ``engage evaluate``."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.batches.inputs import expected_count, read_requests
from engine.batches.tables import RowDocument, table_columns
from engine.errors import InputError, Location

from ..helpers.clirun import engage
from ..helpers.support import shipped_engine
from ..helpers.tables import REQUEST, ROW, write_csv, write_xlsx

AS_OF = "2026-11-24"


def decisions(stdout: str) -> dict[str, dict[str, Any]]:
    return {d["request_id"]: d for d in (json.loads(line) for line in stdout.splitlines())}


def expected(request: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = shipped_engine(50_000).evaluate(request, date.fromisoformat(AS_OF)).to_dict()
    result["as_of_source"] = "given"
    return result


# --- CSV ------------------------------------------------------------------------------


def test_a_csv_row_gives_the_same_decision_as_the_same_request_in_yaml(tmp_path: Path) -> None:
    batch = write_csv(tmp_path / "batch.csv", [ROW])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl")
    assert (run.status, run.stderr) == (0, "")
    assert decisions(run.stdout)["R1"] == expected(REQUEST)


def test_blank_cells_are_unknown_and_the_decision_asks_for_them(tmp_path: Path) -> None:
    row = dict(ROW, **{"presence.adequately_staffed": "", "partnership.civil_society_involved": "   "})
    batch = write_csv(tmp_path / "batch.csv", [row])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl")
    decision = decisions(run.stdout)["R1"]
    assert decision["outcome"] == "request_information"
    assert decision["missing"] == ["presence.adequately_staffed", "partnership.civil_society_involved"]
    request = json.loads(json.dumps(REQUEST))
    del request["presence"]["adequately_staffed"], request["partnership"]["civil_society_involved"]
    assert decision == expected(request)


def test_a_bad_row_is_one_line_naming_file_row_and_column_and_the_other_rows_are_still_evaluated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [
        ROW,
        dict(ROW, id="R2", **{"presence.adequately_staffed": "maybe"}),
        dict(ROW, id="R3", **{"presence.type": "contry_office"}),
        dict(ROW, id="R4"),
    ]
    write_csv(tmp_path / "batch.csv", rows)
    run = engage("evaluate", "batch.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.status == 2
    assert run.stderr == (
        "batch.csv:row 3: column presence.adequately_staffed: not-yes-no: 'maybe' is not yes or no"
        " (leave the cell blank when unknown)\n"
        "batch.csv:row 4: column presence.type: not-in-vocabulary: 'contry_office' is not one of: none, regional_office,"
        " human_rights_adviser, country_office, peace_mission_component (did you mean 'country_office'?)\n"
    )
    assert list(decisions(run.stdout)) == ["R1", "R4"]


def test_every_problem_of_a_row_is_reported_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "b.csv", [dict(ROW, **{"request.budget_usd": "1,000", "presence.long_term_programming": "si"})])
    run = engage("evaluate", "b.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.stderr.splitlines() == [
        "b.csv:row 2: column request.budget_usd: not-a-number: '1,000' is not a number;"
        " write digits only, e.g. 250000 or 1250.50",
        "b.csv:row 2: column presence.long_term_programming: not-yes-no: 'si' is not yes or no"
        " (leave the cell blank when unknown)",
    ]


def test_a_duplicate_id_names_the_row_where_it_was_first_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "b.csv", [ROW, dict(ROW, id="R2"), ROW])
    run = engage("evaluate", "b.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.stderr == "b.csv:row 4: column id: duplicate-id: the id 'R1' was already used by b.csv:row 2\n"


def test_a_row_without_an_id_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "b.csv", [dict(ROW, id="")])
    run = engage("evaluate", "b.csv", "--as-of", AS_OF)
    assert run.stderr == "b.csv:row 2: missing-field: the required field 'id' is missing\n"


def test_blank_rows_are_skipped_and_row_numbers_are_the_sheet_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "b.csv", [ROW, {}, {}, dict(ROW, id="R9", country="XXX")])
    run = engage("evaluate", "b.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.stderr.startswith("b.csv:row 5: column country: not-in-vocabulary: 'XXX' is not an allowed value")
    assert list(decisions(run.stdout)) == ["R1"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            [*ROW, "presense.type"],
            "b.csv:row 1: column presense.type: unknown-column: not a request field (did you mean 'presence.type'?);"
            " row 1 names the fields of the template\n",
        ),
        (
            [*ROW, "country"],
            "b.csv:row 1: column country: duplicate-column: the column appears twice (columns C and T)\n",
        ),
        (
            [n for n in ROW if n != "received"],
            "b.csv:row 1: missing-column: row 1 has no column 'received', which every request needs\n",
        ),
    ],
)
def test_a_bad_header_stops_the_file_with_one_line_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "b.csv", [ROW, dict(ROW, id="R2")], header=header)
    run = engage("evaluate", "b.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert (run.status, run.stderr, run.stdout) == (2, message, "")


def test_a_value_under_a_column_without_a_name_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "b.csv", [{**ROW, "": "note"}], header=[*ROW, ""])
    run = engage("evaluate", "b.csv", "--as-of", AS_OF)
    assert run.stderr == "b.csv:row 2: column T: unnamed-column: this cell has a value but row 1 gives its column no name\n"


def test_a_csv_saved_with_semicolons_is_read_and_the_summary_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.csv").write_text("id;received\nR1;2026-01-05\n", encoding="utf-8")
    run = engage("evaluate", "b.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.status == 0 and decisions(run.stdout)["R1"]["outcome"] == "request_information"
    assert run.stderr == "b.csv: read as UTF-8, columns separated by semicolons, decimal commas accepted\n"


def test_empty_and_non_utf8_csv_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "latin.csv").write_bytes("id,received,requester.name\nR1,2026-01-05,Minist\xe8re\n".encode("latin-1"))
    run = engage("evaluate", "empty.csv", "latin.csv", "--as-of", AS_OF)
    assert run.status == 2  # the empty file
    assert run.stderr == (
        "empty.csv:row 1: empty-file: the file is empty: row 1 must name the columns\n"
        "latin.csv: read as Windows-1252, columns separated by commas\n"
    )
    assert "R1" in run.stdout


def test_a_csv_row_may_hold_a_multi_line_cell(tmp_path: Path) -> None:
    row = dict(ROW, **{"exception.justification": "First line,\nsecond line"})
    batch = write_csv(tmp_path / "b.csv", [row], header=[*ROW, "exception.justification"])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl")
    assert decisions(run.stdout)["R1"]["exceptions"][0]["justification"] == "First line,\nsecond line"


# --- XLSX ------------------------------------------------------------------------------


def test_an_xlsx_row_with_real_date_booleans_and_numbers_gives_the_same_decision(tmp_path: Path) -> None:
    row = dict(
        ROW,
        received=datetime(2026, 1, 5),
        **{"requester.government_endorsed": True, "request.funding_only": False, "request.budget_usd": 1250.5},
    )
    batch = write_xlsx(tmp_path / "b.xlsx", [row])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl")
    assert (run.status, run.stderr) == (0, "")
    assert decisions(run.stdout)["R1"] == expected(REQUEST)


def test_xlsx_errors_name_the_row_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [
        dict(ROW, received=datetime(2026, 1, 5, 9, 30)),
        dict(ROW, id="R2", received=46027),
        dict(ROW, id="R3", received="5 January 2026"),
        dict(ROW, id="R4"),
    ]
    write_xlsx(tmp_path / "b.xlsx", rows)
    run = engage("evaluate", "b.xlsx", "--as-of", AS_OF, "--format", "jsonl")
    assert run.stderr.splitlines() == [
        "b.xlsx:row 2: column received: bad-date: 2026-01-05 09:30:00 has a time of day; enter only the date",
        "b.xlsx:row 3: column received: bad-date: 46027 is a number, not a date: format the cell as a date or write YYYY-MM-DD",
        "b.xlsx:row 4: column received: bad-date: '5 January 2026' is not a date in the form YYYY-MM-DD",
    ]
    assert list(decisions(run.stdout)) == ["R4"]


def test_the_requests_sheet_is_read_or_else_the_first_sheet(tmp_path: Path) -> None:
    named = write_xlsx(tmp_path / "named.xlsx", [ROW], sheet="Requests")
    book = openpyxl.load_workbook(named)
    book.move_sheet("Requests", offset=1)
    book.create_sheet("Notes", 0)["A1"] = "not requests"
    book.save(named)
    other = write_xlsx(tmp_path / "other.xlsx", [ROW], sheet="Sheet1")
    for path in (named, other):
        run = engage("evaluate", str(path), "--as-of", AS_OF, "--format", "jsonl")
        assert (run.status, list(decisions(run.stdout))) == (0, ["R1"])


def test_a_file_that_is_not_a_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fake.xlsx").write_text("id,received\n", encoding="utf-8")
    run = engage("evaluate", "fake.xlsx", "missing.xlsx")
    assert run.status == 2
    lines = run.stderr.splitlines()
    assert lines[0].startswith("fake.xlsx: unreadable-workbook: cannot be read as an .xlsx workbook (")
    assert lines[1] == "missing.xlsx: file-not-found: no such file"


# --- JSON Lines -------------------------------------------------------------------------


def test_jsonl_one_request_per_line_with_errors_at_file_line_col(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = json.loads(json.dumps(REQUEST))
    bad["id"], bad["presence"]["type"] = "R2", "office"
    lines = [
        json.dumps(REQUEST),
        "",  # blank lines are skipped
        json.dumps(bad),
        '{"id": "R3", "received": }',
        json.dumps(dict(REQUEST, id="R4")),
    ]
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = engage("evaluate", "b.jsonl", "--as-of", AS_OF, "--format", "jsonl")
    assert run.status == 2
    col = json.dumps(bad).index('"office"') + 1
    assert run.stderr.splitlines() == [
        f"b.jsonl:3:{col}: not-in-vocabulary: presence.type: 'office' is not one of: none, regional_office, human_rights_adviser,"
        " country_office, peace_mission_component (did you mean 'country_office'?)",
        "b.jsonl:4:26: json-syntax: Expecting value",
    ]
    assert decisions(run.stdout)["R1"] == expected(REQUEST)
    assert list(decisions(run.stdout)) == ["R1", "R4"]


def test_an_empty_jsonl_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.jsonl").write_text("\n\n", encoding="utf-8")
    run = engage("evaluate", "b.jsonl")
    assert run.stderr == "b.jsonl:1:1: empty-file: the file is empty: it holds no request (one JSON object per line)\n"


# --- the pieces ------------------------------------------------------------------------


def test_the_one_line_form_of_a_row_error() -> None:
    error = InputError(
        "not-yes-no", "'maybe' is not yes or no", Location("intake.xlsx", 7, 17, "presence.adequately_staffed", row=True)
    )
    assert str(error) == "intake.xlsx:row 7: column presence.adequately_staffed: not-yes-no: 'maybe' is not yes or no"
    assert str(InputError("missing-field", "m", Location("a.csv", 3, None, None, row=True))) == "a.csv:row 3: missing-field: m"
    # the form of every other error is unchanged
    assert str(InputError("c", "m", Location("a.yaml", 3, 5, "presence.type"))) == "a.yaml:3:5: c: presence.type: m"


def test_a_row_document_locates_nested_paths_at_their_column() -> None:
    doc = RowDocument({}, "b.csv", row=4, columns={"priority.recommendations": 30})
    where = doc.locate(("priority", "recommendations", 1, "mechanism"))
    assert (where.prefix(), where.path, where.col) == ("b.csv:row 4", "priority.recommendations", 30)


def test_directories_do_not_read_tables_and_the_count_is_estimated(tmp_path: Path) -> None:
    write_csv(tmp_path / "b.csv", [ROW, dict(ROW, id="R2")])
    (tmp_path / "one.yaml").write_text("id: Y1\nreceived: 2026-01-05\n", encoding="utf-8")
    items = list(read_requests([str(tmp_path)]))
    assert [i.doc.data["id"] for i in items if i.doc] == ["Y1"]
    assert expected_count([str(tmp_path), str(tmp_path / "b.csv")]) == 3
    assert expected_count(["-"]) is None


def test_every_schema_field_is_a_column() -> None:
    assert [c.name for c in table_columns()][:4] == ["id", "received", "country", "region"]
    assert {c.name for c in table_columns()} >= set(ROW)
