"""One cell into one field value: the conventions of the intake sheet."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.batches.cells import CellError, cell_value
from engine.batches.columns import request_columns
from engine.policy.schema import load_schema

COLUMNS = {c.name: c for c in request_columns(load_schema("request"))}


def value(column: str, raw: object) -> object:
    return cell_value(COLUMNS[column], raw)


@pytest.mark.parametrize("raw", [None, "", "   ", "\t"])
@pytest.mark.parametrize("column", ["presence.adequately_staffed", "request.themes", "received", "request.budget_usd", "id"])
def test_a_blank_cell_is_unknown_in_every_kind_of_column(column: str, raw: object) -> None:
    assert value(column, raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("yes", True), ("YES", True), ("Yes", True), ("true", True), ("TRUE", True), (" yes ", True), (True, True)]
    + [("no", False), ("NO", False), ("No", False), ("false", False), ("False", False), (False, False)],
)
def test_booleans_are_yes_no_true_false_in_any_case(raw: object, expected: bool) -> None:
    assert value("presence.adequately_staffed", raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "y", "n", "1", "0", 1, 0, "oui", date(2026, 1, 1)])
def test_anything_else_in_a_boolean_column_is_an_error_not_a_guess(raw: object) -> None:
    with pytest.raises(CellError) as caught:
        value("presence.adequately_staffed", raw)
    assert caught.value.code == "not-yes-no"
    assert "leave the cell blank when unknown" in caught.value.message


def test_lists_are_separated_by_semicolons_and_spaces_around_items_do_not_count() -> None:
    assert value("request.themes", "nhri; elections ;treaty_reporting") == ["nhri", "elections", "treaty_reporting"]
    assert value("request.themes", "nhri;") == ["nhri"]  # a trailing separator adds nothing
    assert value("request.themes", " ; ") is None  # only separators: blank, so unknown
    assert value("partnership.un_partners", "UN-Women") == ["UN-Women"]


def test_recommendations_are_mechanism_colon_reference() -> None:
    cell = "upr:A/HRC/44/5 para 12; treaty_body ; special_procedure: report: annex 2"
    assert value("priority.recommendations", cell) == [
        {"mechanism": "upr", "reference": "A/HRC/44/5 para 12"},
        {"mechanism": "treaty_body"},
        {"mechanism": "special_procedure", "reference": "report: annex 2"},  # only the first ':' separates
    ]
    with pytest.raises(CellError) as caught:
        value("priority.recommendations", "upr; :A/HRC/1")
    assert caught.value.code == "bad-entry"


def test_dates_are_date_cells_or_iso_text() -> None:
    assert value("received", datetime(2026, 11, 3)) == "2026-11-03"  # what openpyxl gives for a date cell
    assert value("received", date(2026, 11, 3)) == "2026-11-03"
    assert value("received", " 2026-11-03 ") == "2026-11-03"
    assert value("received", "03/11/2026") == "03/11/2026"  # not converted: the schema rejects it with its message


def test_a_date_cell_with_a_time_of_day_or_a_bare_number_is_an_error() -> None:
    with pytest.raises(CellError, match="has a time of day"):
        value("received", datetime(2026, 11, 3, 14, 30))
    with pytest.raises(CellError, match="is a number, not a date"):
        value("received", 46329)


def test_numbers() -> None:
    assert value("request.duration_months", 18) == 18
    assert value("request.duration_months", 18.0) == 18  # spreadsheets store whole numbers as decimals
    assert value("request.duration_months", "18") == 18
    assert value("request.budget_usd", "1250.50") == 1250.5
    assert value("request.budget_usd", 1250.5) == 1250.5
    for bad in ("1,000", "twelve", "1e999", True):
        with pytest.raises(CellError) as caught:
            value("request.budget_usd", bad)
        assert caught.value.code == "not-a-number"


def test_text_cells_keep_their_text_and_numbers_in_text_columns_read_as_shown() -> None:
    assert value("requester.name", "  Ministry of Justice ") == "Ministry of Justice"
    assert value("id", 42) == "42"
    assert value("id", 42.0) == "42"
    assert value("presence.type", "Country_Office") == "Country_Office"  # never corrected: the schema says what is allowed
