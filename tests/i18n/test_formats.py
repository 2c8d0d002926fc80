"""Dates, numbers and plural categories as each language writes them (CLDR through Babel)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import EngageError
from engine.i18n.formats import format_date, format_decimal, format_percent, plural_category

NBSP = "\u00a0"
NNBSP = "\u202f"


def test_a_date_in_each_language() -> None:
    day = dt.date(2026, 11, 24)
    assert format_date(day, "en") == "November 24, 2026"
    assert format_date(day, "fr") == "24 novembre 2026"
    assert format_date(day, "es") == "24 de noviembre de 2026"
    assert format_date(day, "fr", "short") == "24/11/2026"


def test_numbers_with_each_languages_separators() -> None:
    assert format_decimal(12345.5, "en") == "12,345.5"
    assert format_decimal(12345.5, "fr") == f"12{NNBSP}345,5"
    assert format_decimal(12345.5, "es") == "12.345,5"
    assert format_decimal(62, "fr", decimals=1) == "62,0"
    assert format_decimal(62.25, "en", decimals=0) == "62"


def test_percentages_put_the_sign_where_the_language_does() -> None:
    assert format_percent(0.255, "en", 1) == "25.5%"
    assert format_percent(0.255, "fr", 1) == f"25,5{NBSP}%"
    assert format_percent(0.5, "es") == f"50{NBSP}%"


def test_french_counts_zero_as_singular_english_does_not() -> None:
    assert [plural_category(n, "fr") for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [plural_category(n, "en") for n in (0, 1, 2)] == ["other", "one", "other"]
    assert plural_category(1_000_000, "es") == "many"


def test_an_unknown_language_is_refused_not_guessed() -> None:
    with pytest.raises(EngageError, match="unknown-language"):
        format_date(dt.date(2026, 1, 1), "xx")
