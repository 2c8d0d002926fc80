"""Dates, numbers and plural categories as each language writes them (Babel, from CLDR).

One place, so that every part writes ``24 novembre 2026`` and ``12,5`` the same way, and a
language added to ``LANGUAGES`` needs no change here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from .languages import check_language


def format_date(day: dt.date, lang: str, style: str = "long") -> str:
    """``November 24, 2026`` / ``24 novembre 2026`` / ``24 de noviembre de 2026`` (``style``: short, medium, long, full)."""
    return babel_dates.format_date(day, format=style, locale=check_language(lang))


def format_datetime(moment: dt.datetime, lang: str, style: str = "medium") -> str:
    """A moment with its time, e.g. ``24 nov. 2026, 14:05:00``."""
    return babel_dates.format_datetime(moment, format=style, locale=check_language(lang))


def format_decimal(number: float | int | Decimal, lang: str, decimals: int | None = None) -> str:
    """``1,234.5`` / ``1 234,5`` / ``1234,5``; ``decimals`` fixes the digits after the separator."""
    if decimals is None:
        return babel_numbers.format_decimal(number, locale=check_language(lang))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_decimal(number, format=pattern, locale=check_language(lang))


def format_percent(fraction: float | int | Decimal, lang: str, decimals: int = 0) -> str:
    """``0.25`` as ``25%`` / ``25 %`` (with the non-breaking space French and Spanish put before it)."""
    locale = Locale(check_language(lang))
    pattern = locale.percent_formats[None].pattern  # the language's own: where the sign goes, and the space before it
    if decimals:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return babel_numbers.format_percent(fraction, format=pattern, locale=locale)


def plural_category(count: int, lang: str) -> str:
    """CLDR's category of ``count`` in ``lang``: ``one``, ``many`` or ``other`` (French: 0 and 1 are ``one``)."""
    category: str = Locale(check_language(lang)).plural_form(count)
    return category
