"""``engage template``: the intake workbook follows the request schema and the vocabularies."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.batches.columns import request_columns
from engine.policy.schema import load_schema

from ..helpers.clirun import engage
from ..helpers.support import ROOT


def schema_leaves(node: dict[str, Any], prefix: str = "") -> list[str]:
    """Every leaf field of the request schema, walked here independently of the engine."""
    out = []
    for name, sub in node["properties"].items():
        types = sub.get("type", [])
        if "object" in ([types] if isinstance(types, str) else types):
            out += schema_leaves(sub, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


REQUEST_SCHEMA = json.loads((ROOT / "engine" / "schemas" / "request.schema.json").read_text(encoding="utf-8"))
LEAVES = schema_leaves(REQUEST_SCHEMA)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("template") / "intake.xlsx"
    run = engage("template", "--out", str(path))
    assert (run.status, run.stderr, run.stdout) == (0, "", f"wrote {path}\n")
    return openpyxl.load_workbook(path)


def header(book: Any) -> list[str]:
    return [c.value for c in book["Requests"][1]]


def vocabulary(book: Any, name: str) -> list[str]:
    """The values a drop-down offers: the cells of the named range on the Vocabularies sheet."""
    defined = book.defined_names[name]
    ((sheet, ref),) = list(defined.destinations)
    return [row[0].value for row in book[sheet][ref.replace("$", "")]]


def validations(book: Any) -> dict[str, Any]:
    out = {}
    names = header(book)
    for dv in book["Requests"].data_validations.dataValidation:
        (cells,) = list(dv.sqref.ranges)
        assert (cells.min_row, cells.max_row) == (2, 1_048_576)  # the whole column below the header
        out[names[cells.min_col - 1]] = dv
    return out


def test_one_column_per_request_field_with_dotted_names(book: Any) -> None:
    assert header(book) == LEAVES
    assert "presence.type" in LEAVES and "priority.recommendations" in LEAVES


def test_every_header_has_a_note_with_the_schema_description_and_how_to_fill_it(book: Any) -> None:
    props = {path: REQUEST_SCHEMA for path in LEAVES}
    for cell in book["Requests"][1]:
        node = props[cell.value]
        for part in cell.value.split("."):
            node = node["properties"][part]
        assert cell.comment is not None, cell.value
        assert node["description"] in cell.comment.text
    notes = {c.value: c.comment.text for c in book["Requests"][1]}
    assert "yes or no. Leave blank when unknown." in notes["presence.adequately_staffed"]
    assert "Required." in notes["id"]
    assert "separated by ';'" in notes["request.themes"]
    assert "'mechanism:reference'" in notes["priority.recommendations"]
    assert "YYYY-MM-DD" in notes["received"]


def test_every_enum_has_a_drop_down_of_exactly_its_values(book: Any) -> None:
    found = validations(book)
    enums = {c.name: c for c in request_columns(load_schema("request")) if c.kind == "enum"}
    assert set(enums) == {
        "country",
        "region",
        "requester.type",
        "requester.language",
        "request.kind",
        "presence.type",
        "strategy.status",
    }
    for name, column in enums.items():
        dv = found[name]
        assert (dv.type, dv.showErrorMessage, dv.allow_blank) == ("list", True, True)
        assert vocabulary(book, dv.formula1) == list(column.values or ())


def test_themes_waivable_criteria_and_mechanisms_come_from_criteria(book: Any) -> None:
    found = validations(book)
    themes = vocabulary(book, found["request.themes"].formula1)
    assert "transitional_justice" in themes and len(themes) == 13
    assert vocabulary(book, found["exception.waives"].formula1) == [
        "country_engagement_strategy",
        "in_country_presence",
        "partnership",
    ]
    assert vocabulary(book, found["priority.recommendations"].formula1) == [
        "upr",
        "treaty_body",
        "special_procedure",
        "board_of_trustees",
    ]
    # Several values are typed with ';': the drop-down helps, and does not refuse "nhri; elections".
    assert found["request.themes"].showErrorMessage is False
    assert found["request.themes"].prompt


def test_messages_fit_the_limits_spreadsheets_set(book: Any) -> None:
    for dv in validations(book).values():
        assert len(dv.errorTitle or "") <= 32 and len(dv.error or "") <= 255
        assert len(dv.promptTitle or "") <= 32 and len(dv.prompt or "") <= 255


def test_booleans_are_yes_no_or_blank(book: Any) -> None:
    found = validations(book)
    booleans = [n for n in LEAVES if n in found and found[n].formula1 == '"yes,no"']
    assert booleans == [c.name for c in request_columns(load_schema("request")) if c.kind == "bool"]
    assert len(booleans) == 16
    assert all(found[n].allow_blank for n in booleans)


def test_dates_and_numbers_are_checked_as_typed(book: Any) -> None:
    found = validations(book)
    assert (found["received"].type, found["exception.expires"].type) == ("date", "date")
    assert (found["request.duration_months"].type, found["request.duration_months"].formula2) == ("whole", "1200")
    assert found["request.budget_usd"].type == "decimal"
    assert book["Requests"].column_dimensions["B"].number_format == "yyyy-mm-dd"


def test_the_vocabularies_sheet_lists_values_with_labels(book: Any) -> None:
    rows = list(book["Vocabularies"].iter_rows(values_only=True))
    assert rows[0] == ("column", "value", "label", "about the column")
    by_value = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert by_value[("region", "latin_america_caribbean")] == "Latin America and the Caribbean"
    assert by_value[("request.themes", "nhri")] == "National human rights institutions"
    assert by_value[("exception.waives", "partnership")].startswith("(d) ")
    assert by_value[("priority.recommendations (mechanism)", "upr")] == "Universal periodic review"
    assert by_value[("(every yes/no column)", "yes")] == "true"
    assert rows[-1][0] == "country"  # the long list of countries comes last


def test_the_header_is_frozen_and_required_columns_stand_out(book: Any) -> None:
    sheet = book["Requests"]
    assert sheet.freeze_panes == "B2"
    fills = {c.value: c.fill.fgColor.rgb for c in sheet[1]}
    assert fills["id"] == fills["received"] != fills["country"]


def test_a_theme_added_in_criteria_appears_in_the_template(tmp_path: Path) -> None:
    criteria = tmp_path / "criteria"
    shutil.copytree(ROOT / "criteria", criteria)
    vocab = criteria / "vocabularies.yaml"
    vocab.write_text(
        vocab.read_text(encoding="utf-8").replace("themes:\n", "themes:\n  water: {label: Water and sanitation}\n"), "utf-8"
    )
    out = tmp_path / "intake.xlsx"
    assert engage("template", "--out", str(out), "--criteria", str(criteria)).status == 0
    book = openpyxl.load_workbook(out)
    assert "water" in vocabulary(book, validations(book)["request.themes"].formula1)


def test_a_field_added_to_the_schema_is_a_column_at_once() -> None:
    schema = copy.deepcopy(dict(load_schema("request")))
    schema["properties"]["presence"]["properties"]["since"] = {
        "type": ["string", "null"],
        "format": "date",
        "description": "Since when.",
    }
    columns = {c.name: c for c in request_columns(schema)}
    assert columns["presence.since"].kind == "date"
    assert columns["presence.since"].description == "Since when."


def test_csv_header(tmp_path: Path) -> None:
    run = engage("template", "--format", "csv")
    assert (run.status, run.stdout) == (0, ",".join(LEAVES) + "\n")
    out = tmp_path / "intake.csv"
    assert engage("template", "--out", str(out)).status == 0
    assert out.read_text(encoding="utf-8") == ",".join(LEAVES) + "\n"


def test_the_template_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    engage("template", "--out", str(one))
    engage("template", "--out", str(two))
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--out", "a.xlsx", "--format", "csv"], "engage template: --format csv does not match --out a.xlsx\n"),
        (["--format", "xlsx"], "engage template: a workbook needs a file name: --out intake.xlsx\n"),
        ([], "engage template: name the file with --out intake.xlsx (or intake.csv), or give --format csv\n"),
        (["--out", "a.ods"], "engage template: name the file with --out intake.xlsx (or intake.csv), or give --format csv\n"),
        (["--out", "no/such/dir/a.xlsx"], "no/such/dir/a.xlsx: cannot-write: the folder no/such/dir does not exist\n"),
    ],
)
def test_bad_template_arguments(argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = engage("template", *argv)
    assert (run.status, run.stderr) == (2, message)
