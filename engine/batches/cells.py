"""One cell of an intake table into the value of its request field.

The conventions (README, "Spreadsheets"): a blank cell is unknown and is never guessed;
spaces around a value are ignored; booleans are yes/no/true/false in any case; lists are
``;``-separated; recommendations are ``mechanism:reference``; dates are date cells or
``YYYY-MM-DD``; numbers are digits, with a decimal point, or a decimal comma in a CSV file
whose columns are not separated by commas (Excel in a French or Spanish locale); there,
``1.250`` could be 1250 or 1.25, and is refused.  Anything else that the schema decides (is this value
in the vocabulary, is this text a real date) is left to the schema, so that the messages
are the same as for a YAML request.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

from ..i18n.said import say
from ..policy.documents import refused_character
from ..policy.schema import describe
from .columns import LIST_SEPARATOR, RECORD_SEPARATOR, Column

_TRUE = {"yes", "true"}
_FALSE = {"no", "false"}
_INTEGER = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# Where the decimal mark is a comma: 1250,50, and groups of thousands by dots (Spanish) or spaces
# (French: a space, a no-break space or a narrow one), so long as the groups cannot be a decimal.
_DECIMAL_COMMA = re.compile(r"[-+]?[0-9]+,[0-9]+")
_GROUPED = re.compile(r"[-+]?[0-9]{1,3}(?:(?P<mark>[. \u00a0\u202f])[0-9]{3})(?:(?P=mark)[0-9]{3})*(?:,[0-9]+)?")
_ONE_DOT = re.compile(r"[-+]?[0-9]{1,3}\.[0-9]{3}")  # 1.250: a thousands dot, or a decimal point?


class CellError(ValueError):
    """A cell that cannot be read as its column's kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(raw: Any) -> str:
    """What a spreadsheet shows for a non-text cell, as text."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time(0) else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw)


def cell_value(column: Column, raw: Any, *, decimal_comma: bool = False) -> Any:
    """The field value of a cell; None when the cell is blank (unknown).

    ``decimal_comma``: a number may be written with a decimal comma (and then not with a thousands dot).
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw:
            return None
        refused = refused_character(raw)
        if refused is not None:
            raise CellError(*refused)
    kind = column.kind
    if kind == "bool":
        return _bool(raw)
    if kind in ("integer", "number"):
        return _number(raw, decimal_comma)
    if kind == "date":
        return _date(raw)
    if kind == "list":
        return _list(raw)
    if kind == "records":
        return _records(column, raw)
    return _text(raw)  # enum and string: the schema checks the value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise CellError("not-yes-no", say("{value} is not yes or no (leave the cell blank when unknown)", value=describe(_text(raw))))


def _number(raw: Any, decimal_comma: bool = False) -> int | float:
    if isinstance(raw, (bool, date, time)):
        raise CellError("not-a-number", say("{value} is not a number", value=describe(_text(raw))))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else raw
    text = str(raw)
    if _INTEGER.fullmatch(text):
        return int(text)
    if decimal_comma:
        found = _decimal_comma(text)
        if found is not None:
            return found
    if _DECIMAL.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    raise CellError(
        "not-a-number", say("{value} is not a number; write digits only, e.g. 250000 or 1250.50", value=describe(text))
    )


def _decimal_comma(text: str) -> int | float | None:
    """The number ``text`` holds with a decimal comma (None when it is not written so)."""
    if _ONE_DOT.fullmatch(text):
        point = text.replace(".", ",")
        raise CellError(
            "ambiguous-number",
            say(
                "{value} could be {thousands} (with a thousands dot) or {decimal} (with a decimal point):"
                " in a file with decimal commas, write {thousands}, or {point} for the decimal",
                value=describe(text),
                thousands=text.replace(".", ""),
                decimal=f"{float(text):g}",
                point=point,
            ),
        )
    if not (_DECIMAL_COMMA.fullmatch(text) or _GROUPED.fullmatch(text)):
        return None
    value = float(re.sub(r"[. \u00a0\u202f]", "", text).replace(",", "."))
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        if raw.time() != time(0):
            raise CellError("bad-date", say("{value} has a time of day; enter only the date", value=raw.isoformat(sep=" ")))
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, (int, float)):
        raise CellError(
            "bad-date", say("{value} is a number, not a date: format the cell as a date or write YYYY-MM-DD", value=_text(raw))
        )
    return str(raw)  # the schema checks the form YYYY-MM-DD


def _items(raw: Any) -> list[str]:
    return [part.strip() for part in _text(raw).split(LIST_SEPARATOR) if part.strip()]


def _list(raw: Any) -> list[str] | None:
    items = _items(raw)
    for item in items:
        if "," in item:  # the values of a list are codes or names, never with a comma
            joined = "; ".join(
                part.strip() for part in _text(raw).replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR) if part.strip()
            )
            raise CellError(
                "list-separator",
                say(
                    "{value} holds a comma: the entries of a list are separated by '{separator}' (write {joined})",
                    value=describe(_text(raw)),
                    separator=LIST_SEPARATOR,
                    joined=describe(joined),
                ),
            )
    return items or None


def _records(column: Column, raw: Any) -> list[dict[str, str]] | None:
    out: list[dict[str, str]] = []
    for item in _items(raw):
        head, _, tail = item.partition(RECORD_SEPARATOR)
        head, tail = head.strip(), tail.strip()
        if not head:
            raise CellError("bad-entry", say("the entry {value} has no {key} before ':'", value=describe(item), key=column.key))
        entry = {str(column.key): head}
        if tail:
            entry[str(column.tail)] = tail
        out.append(entry)
    return out or None
