"""``engage evaluate --out``: decisions as a workbook for people, and as CSV or JSON Lines for tools."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.batches.outputs import OUTCOME_FILLS

from ..helpers.clirun import engage
from ..helpers.support import ROOT
from ..helpers.tables import ROW, write_csv

AS_OF = "2026-11-24"
EXAMPLES = ROOT / "examples"
OUTCOMES = [
    "engage",
    "respond_ad_hoc",
    "assess_needs",
    "consider_in_strategy",
    "exception_review",
    "request_information",
    "decline",
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples (every outcome) plus a CSV with one good row and two bad ones (a cell, a value)."""
    folder = tmp_path_factory.mktemp("out")
    rows = [
        ROW,
        dict(ROW, id="R2", **{"presence.adequately_staffed": "maybe"}),
        dict(ROW, id="R3", **{"presence.type": "office"}),
    ]
    write_csv(folder / "extra.csv", rows)
    return folder


def run_out(batch: Path, name: str, *extra: str) -> tuple[Path, Any]:
    out = batch / name
    run = engage("evaluate", str(EXAMPLES), str(batch / "extra.csv"), "--as-of", AS_OF, "--out", str(out), *extra)
    return out, run


@pytest.fixture(scope="module")
def workbook(batch: Path) -> Any:
    out, run = run_out(batch, "decisions.xlsx")
    assert run.status == 2  # the bad rows
    lines = run.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(
        "extra.csv:row 3: column presence.adequately_staffed: not-yes-no: 'maybe' is not yes or no"
        " (leave the cell blank when unknown)"
    )
    assert lines[1].endswith(
        "extra.csv:row 4: column presence.type: not-in-vocabulary: 'office' is not one of: none,"
        " regional_office, human_rights_adviser, country_office, peace_mission_component (did you mean 'country_office'?)"
    )
    return openpyxl.load_workbook(out)


def rows(book: Any) -> list[dict[str, Any]]:
    sheet = book["Decisions"]
    titles = [c.value for c in sheet[1]]
    return [dict(zip(titles, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_one_row_per_input_in_input_order_with_the_bad_row_kept(workbook: Any) -> None:
    found = rows(workbook)
    assert len(found) == 9 + 3
    assert [r["Request"].value for r in found][:9] == [f"REQ-2026-010{i}" for i in range(1, 10)]
    assert found[9]["Request"].value == "R1"
    bad, wrong = found[10], found[11]
    assert (bad["Recommendation"].value, bad["Outcome code"].value) == ("Not evaluated: see why", "not_evaluated")
    assert bad["Request"].value == "R2"  # named, though it could not be evaluated
    assert bad["Source"].value.endswith("extra.csv:row 3")
    assert bad["Why (decisive reasons, with citations)"].value == (
        "column presence.adequately_staffed: not-yes-no: 'maybe' is not yes or no (leave the cell blank when unknown)"
    )
    assert (wrong["Request"].value, wrong["Outcome code"].value) == ("R3", "not_evaluated")
    assert wrong["Why (decisive reasons, with citations)"].value.startswith("column presence.type: not-in-vocabulary: 'office'")


def test_the_columns_hold_outcome_score_statuses_missing_and_reasons_with_citations(workbook: Any) -> None:
    found = {r["Request"].value: r for r in rows(workbook)}
    missing = found["REQ-2026-0107"]
    assert missing["Outcome code"].value == "request_information"
    assert missing["Recommendation"].value == "Ask for missing information"
    assert missing["(c) in-country presence"].value == "unknown"
    assert missing["Missing information"].value == "presence.adequately_staffed; partnership.civil_society_involved"
    why = missing["Why (decisive reasons, with citations)"].value.splitlines()
    assert why[0] == (
        "- Information is missing to assess the engagement conditions; ask the requester. [E/CN.4/2006/104 para 23]"
        " (outcome.conditions_unknown)"
    )
    assert found["REQ-2026-0105"]["Exception"].value == "applied; waives:\nin_country_presence"
    assert found["REQ-2026-0106"]["Exception"].value == "rejected; waives:\nin_country_presence"
    assert found["REQ-2026-0101"]["Priority (0-100)"].value == 90
    assert found["REQ-2026-0101"]["As of"].value == AS_OF


def test_each_outcome_has_its_own_colour_and_its_word_is_always_in_the_cell(workbook: Any) -> None:
    colour: dict[str, str] = {}
    for row in rows(workbook):
        code = row["Outcome code"].value
        for cell in (row["Recommendation"], row["Outcome code"]):
            assert cell.value  # the word, never colour alone
            assert cell.fill.fill_type == "solid"
            assert colour.setdefault(code, cell.fill.fgColor.rgb) == cell.fill.fgColor.rgb
    assert set(colour) == {*OUTCOMES, "not_evaluated"}
    assert len(set(colour.values())) == len(colour)  # one colour per outcome
    assert set(OUTCOME_FILLS) == set(colour)


def test_the_sheet_is_laid_out_for_reading(workbook: Any) -> None:
    sheet = workbook["Decisions"]
    assert sheet.freeze_panes == "C2"
    assert all(c.font.bold for c in sheet[1])
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJKLMNO"}
    assert widths["M"] == 90 and min(widths.values()) >= 10
    reasons = [row[12] for row in sheet.iter_rows(min_row=2)]
    assert all(c.alignment.wrap_text and c.alignment.vertical == "top" for c in reasons)
    # rows are tall enough for their reasons: more lines, taller row
    heights = [sheet.row_dimensions[c.row].height for c in reasons]
    lines = [c.value.count("\n") for c in reasons]
    assert heights[lines.index(max(lines))] > heights[lines.index(min(lines))]
    assert sheet.tables["Decisions"].ref == "A1:O13"  # filter buttons on every column
    assert sheet["A1"].value == "Request" and sheet["A1"].comment.text.startswith("id")


def test_the_summary_sheet_counts_each_outcome(workbook: Any) -> None:
    summary = {r[1]: r[2] for r in workbook["Summary"].iter_rows(min_row=2, values_only=True) if r[2] is not None}
    assert summary == {"engage": 3, "respond_ad_hoc": 1, "assess_needs": 1, "consider_in_strategy": 2} | {
        "exception_review": 1,
        "request_information": 1,
        "decline": 1,
        "not_evaluated": 2,
    }


def test_csv_has_the_same_rows_with_machine_headers(batch: Path) -> None:
    out, run = run_out(batch, "decisions.csv")
    assert run.stdout.endswith(f"wrote {out}\n")
    with out.open(newline="", encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == [
        "id",
        "recommendation",
        "outcome",
        "priority_score",
        "status.mandate_integrity",
        "status.country_engagement_strategy",
        "status.in_country_presence",
        "status.partnership",
        "exception",
        "missing",
        "could_change",
        "ask",
        "reasons",
        "as_of",
        "source",
    ]
    assert [r["outcome"] for r in table][-3:] == ["engage", "not_evaluated", "not_evaluated"]
    assert table[6]["missing"] == "presence.adequately_staffed; partnership.civil_society_involved"
    assert table[6]["ask"].splitlines() == [
        "Ask the Office: does the presence have the staff to run the work? (presence.adequately_staffed)",
        "Ask the requester: is civil society consulted or taking part? (partnership.civil_society_involved)",
    ]
    assert table[0]["priority_score"] == "90"


def test_jsonl_out_is_exactly_what_format_jsonl_prints(batch: Path) -> None:
    out, _ = run_out(batch, "decisions.jsonl")
    printed = engage("evaluate", str(EXAMPLES), str(batch / "extra.csv"), "--as-of", AS_OF, "--format", "jsonl")
    assert out.read_text(encoding="utf-8") == printed.stdout


def test_the_same_batch_gives_the_same_bytes(batch: Path) -> None:
    for suffix in ("xlsx", "csv"):
        one, _ = run_out(batch, f"one.{suffix}")
        two, _ = run_out(batch, f"two.{suffix}")
        assert one.read_bytes() == two.read_bytes(), suffix


def test_with_out_standard_output_gets_the_summary_and_quiet_silences_it(batch: Path) -> None:
    out, run = run_out(batch, "s.xlsx")
    assert run.stdout == (
        "10 evaluated: 3 engage, 1 respond_ad_hoc, 1 assess_needs, 2 consider_in_strategy, 1 exception_review,"
        f" 1 request_information, 1 decline; 2 invalid (see the messages above)\nwrote {out}\n"
    )
    _, quiet = run_out(batch, "q.xlsx", "--quiet")
    assert quiet.stdout == ""
    assert quiet.stderr == run.stderr  # errors are never silenced


def test_bad_out_names_fail_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = engage("evaluate", str(EXAMPLES), "--out", "decisions.ods")
    assert (run.status, run.stdout) == (2, "")
    assert run.stderr == (
        "decisions.ods: unsupported-format: decisions are written to a .xlsx, .csv or .jsonl file;"
        " name the file with one of those\n"
    )
    run = engage("evaluate", str(EXAMPLES), "--out", "nowhere/decisions.csv")
    assert run.stderr == "nowhere/decisions.csv: cannot-write: the folder nowhere does not exist\n"
    assert list(tmp_path.iterdir()) == []


def test_out_never_overwrites_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "intake.csv", [ROW])
    before = (tmp_path / "intake.csv").read_bytes()
    run = engage("evaluate", "intake.csv", "--out", "./intake.csv")
    assert (run.status, run.stderr) == (
        2,
        "./intake.csv: would-overwrite-input: this is one of the inputs; write the decisions to another file\n",
    )
    assert (tmp_path / "intake.csv").read_bytes() == before


def test_what_one_answer_could_change_is_in_codes_and_in_words(tmp_path: Path) -> None:
    request = (EXAMPLES / "02-advisory-ad-hoc.yaml").read_text("utf-8").replace("expertise_available: true\n", "")
    assert "expertise_available" not in request
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "advisory.yaml").write_text(request, "utf-8")
    out = tmp_path / "decisions.xlsx"
    run = engage("evaluate", str(tmp_path / "in"), "--as-of", AS_OF, "--out", str(out))
    assert run.status == 0, run.stderr
    (row,) = rows(openpyxl.load_workbook(out))
    assert row["Recommendation"].value == "Assess needs first"
    assert row["Missing information"].value is None
    assert row["Could change it"].value == "expertise_available -> respond_ad_hoc"
    assert row["What to ask"].value == (
        "Ask the Office: can the Office provide the expertise at once? It could lead to: Respond as one-off advice."
        " (expertise_available)"
    )
