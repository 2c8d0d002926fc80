"""The blank intake workbook (and CSV header) that ``engage template`` writes.

Sheet ``Requests`` has one column per request field (:func:`engine.batches.columns.request_columns`
over the request schema that ``criteria/fields.yaml`` makes, so the template follows the
policy's fields and vocabularies), a note on each header explaining the field, and data
validation: a drop-down for every closed list, yes/no for booleans, dates and numbers.
Sheet ``Vocabularies`` lists every allowed value with its label; the drop-downs read it.

``lang`` (``engage template --lang fr``) writes the notes, the labels, the help and the messages in
that language; the headers stay the field paths and the values their codes, which is what a
filled-in workbook is read back by, whatever language it was written in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..evaluation.words import Words
from ..policy.fields import WAIVABLE
from ..policy.model import Policy, Term
from .columns import Column, request_columns
from .tables import REQUEST_SHEET, column_letter

VOCAB_SHEET = "Vocabularies"
LAST_ROW = 1_048_576  # the last row of a sheet: validation covers the whole column
YES_NO = ("yes", "no")
LONG_LIST = 50  # lists longer than this go to the end of the Vocabularies sheet

HEADER_FILL = "1F4E78"  # dark blue, white text
REQUIRED_FILL = "833C0B"  # dark brown, white text: id and received


@dataclass(frozen=True)
class Choice:
    """One allowed value of a column, as listed on the Vocabularies sheet."""

    column: str
    value: str
    label: str


def template_columns(policy: Policy) -> tuple[Column, ...]:
    return request_columns(policy.request_schema)


def csv_header(columns: Sequence[Column]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([c.name for c in columns])
    return out.getvalue()


def _labels(policy: Policy, words: Words | None = None) -> Mapping[str, Mapping[str, str]]:
    """The labels ``criteria/`` gives the values of fields that take them from a vocabulary."""
    shown = words or Words(policy)

    def terms(table: Mapping[str, Term]) -> dict[str, str]:
        return {code: shown.of(term.label) for code, term in table.items()}

    waivable = {c.name: f"({c.letter}) {shown.of(c.title)}" for c in policy.criteria}
    out: dict[str, Mapping[str, str]] = {}
    for f in policy.fields.fields:
        for path, vocabulary in [(f.path, f.vocabulary)] + [(f.path, s.vocabulary) for s in f.fields]:
            if vocabulary == WAIVABLE:
                out[path] = waivable
            elif vocabulary is not None:
                out[path] = terms(getattr(policy.vocab, vocabulary))
    return out


def choices(policy: Policy, columns: Sequence[Column], words: Words | None = None) -> list[Choice]:
    """Every value of every column with a closed list, in column order; long lists (countries) last."""
    labels = _labels(policy, words)
    out: list[Choice] = []
    listed = [c for c in columns if c.values is not None]
    for column in sorted(listed, key=lambda c: len(c.values or ()) > LONG_LIST):
        if column.values is None:  # pragma: no cover - filtered above
            continue
        known = dict(labels.get(column.name, {}))
        declared = policy.fields.get(column.name)
        if words is not None and declared is not None:  # a field's own labels (requester.type), in the language
            known.update({code: words.of(text) for code, text in declared.labels.items() if code not in known})
        for value in column.values:
            out.append(Choice(column.name, value, known.get(value, value.replace("_", " "))))
    return out


def range_name(column: str) -> str:
    """The workbook name of a column's list of values, e.g. ``list_presence.type`` -> ``list_presence_type``."""
    return "list_" + column.replace(".", "_")


def _note(column: Column, words: Words | None = None, policy: Policy | None = None) -> str:
    if words is None or policy is None or words.lang == "en":
        return f"{column.name}\n\n{column.description}\n\n{column.hint}"
    declared = policy.fields.get(column.name)
    label = words.of(declared.label) if declared is not None else column.name
    about = words.of(declared.help) if declared is not None else column.description
    return f"{column.name}\n{label}\n\n{about}\n\n{column_hint(column, words)}"


def _about(column: Column, words: Words, policy: Policy) -> str:
    declared = policy.fields.get(column.name)
    about = words.of(declared.help) if declared is not None and words.lang != "en" else column.description
    return f"{about} {column_hint(column, words)}"


def column_hint(column: Column, words: Words) -> str:
    """:attr:`Column.hint` in the reader's language (the English is the same text)."""
    blank = words("template.required") if column.required else words("template.blank")
    if column.kind == "bool":
        return words("template.hint.bool", blank=blank)
    if column.kind == "enum":
        return words("template.hint.enum", blank=blank)
    if column.kind == "date":
        return words("template.hint.date", blank=blank)
    if column.kind in ("integer", "number"):
        bounds = []
        if column.minimum is not None:
            bounds.append(words("template.at_least", number=_plain(column.minimum, words)))
        if column.maximum is not None:
            bounds.append(words("template.at_most", number=_plain(column.maximum, words)))
        limits = f" ({', '.join(bounds)})" if bounds else ""
        key = "template.hint.integer" if column.kind == "integer" else "template.hint.number"
        return words(key, limits=limits, blank=blank)
    if column.kind == "list":
        if column.values is not None:
            return words("template.hint.list_values", example="; ".join(column.values[:2]), blank=blank)
        return words("template.hint.list", blank=blank)
    if column.kind == "records":
        first = column.values[0] if column.values else column.key
        last = column.values[-1] if column.values else column.key
        return words("template.hint.records", key=column.key, tail=column.tail, first=first, last=last, blank=blank)
    return words("template.hint.text", blank=blank)


def _plain(number: float, words: Words) -> str:
    """A bound as it is typed in the cell: digits only, no thousands separator (a decimal comma outside English)."""
    text = str(int(number)) if number.is_integer() else str(number)
    return text if words.lang == "en" else text.replace(".", words("template.decimal_mark"))


def write_template(policy: Policy, lang: str | None = None) -> Any:
    """The intake workbook (an openpyxl ``Workbook``; save it with :func:`engine.batches.workbooks.save_workbook`)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    words = Words(policy, lang)
    columns = template_columns(policy)
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = REQUEST_SHEET
    vocab = workbook.create_sheet(VOCAB_SHEET)

    # The Vocabularies sheet: one block of rows per column with a closed list.
    vocab.append([words(f"template.sheet.{k}") for k in ("column", "value", "label", "about")])
    every_yes_no = words("template.sheet.every_yes_no")
    vocab.append([every_yes_no, "yes", words("template.sheet.yes"), words("template.sheet.yes_about")])
    vocab.append([every_yes_no, "no", words("template.sheet.no"), None])
    vocab.append([words(f"template.sheet.{k}") for k in ("every", "blank", "unknown", "unknown_about")])
    first_row: dict[str, int] = {}
    last_row: dict[str, int] = {}
    by_name = {c.name: c for c in columns}
    for choice in choices(policy, columns, words if words.lang != "en" else None):
        column = by_name[choice.column]
        shown = f"{column.name} ({column.key})" if column.kind == "records" else column.name
        about = _about(column, words, policy) if choice.column not in first_row else None
        vocab.append([shown, choice.value, choice.label, about])
        first_row.setdefault(choice.column, vocab.max_row)
        last_row[choice.column] = vocab.max_row
    for name, start in first_row.items():
        ref = f"'{VOCAB_SHEET}'!$B${start}:$B${last_row[name]}"
        workbook.defined_names[range_name(name)] = DefinedName(range_name(name), attr_text=ref)
    bold = Font(bold=True, color="FFFFFF")
    for cell in vocab[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    vocab.freeze_panes = "A2"
    for letter, width in (("A", 36), ("B", 28), ("C", 50), ("D", 100)):
        vocab.column_dimensions[letter].width = width

    # The Requests sheet.
    sheet.append([c.name for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor=REQUIRED_FILL if column.required else HEADER_FILL)
        cell.alignment = Alignment(vertical="center")
        cell.comment = Comment(_note(column, words, policy), "Engage", height=180, width=360)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(len(column.name) + 4, 28 if column.kind in ("string", "records") else 14)
        dimension.number_format = (
            "yyyy-mm-dd" if column.kind == "date" else "General" if column.kind in ("integer", "number") else "@"
        )
        validation = _validation(DataValidation, column, words)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 22
    return workbook


def _strict(factory: Any, title: str, error: str, words: Words, **rule: Any) -> Any:
    """A validation that refuses other input with ``error``; a blank cell is always allowed."""
    return factory(
        allow_blank=True, showErrorMessage=True, errorTitle=title, error=words("template.or_blank", error=error), **rule
    )


def _validation(factory: Any, column: Column, words: Words) -> Any:
    if column.kind == "bool":
        return _strict(
            factory, words("template.yes_no"), words("template.choose_yes_no"), words, type="list", formula1='"yes,no"'
        )
    if column.kind == "enum" and column.values:
        message = words("template.choose", sheet=VOCAB_SHEET)
        return _strict(factory, words("template.not_listed"), message, words, type="list", formula1=range_name(column.name))
    if column.kind in ("list", "records") and column.values:
        # The drop-down picks one value; several are typed with ';' between them, so any text is accepted.
        return factory(
            type="list",
            formula1=range_name(column.name),
            allow_blank=True,
            showErrorMessage=False,
            showInputMessage=True,
            promptTitle=words("template.several_title"),
            prompt=_several(column, words),
        )
    if column.kind == "date":
        # Dates are day numbers: 1 is 1900-01-01, 2958465 is 9999-12-31.
        return _strict(
            factory,
            words("template.a_date"),
            words("template.enter_date"),
            words,
            type="date",
            operator="between",
            formula1="1",
            formula2="2958465",
        )
    if column.kind in ("integer", "number"):
        low = column.minimum if column.minimum is not None else -1e15
        high = column.maximum if column.maximum is not None else 1e15
        kind = "whole" if column.kind == "integer" else "decimal"
        message = column_hint(column, words).split(".")[0]
        return _strict(
            factory,
            words("template.a_number"),
            message,
            words,
            type=kind,
            operator="between",
            formula1=_number(low),
            formula2=_number(high),
        )
    return None


def _several(column: Column, words: Words) -> str:
    """The prompt of a list column (spreadsheets show at most 255 characters)."""
    first, last = (column.values or ("a", "b"))[0], (column.values or ("a", "b"))[-1]
    if column.kind == "records":
        example = f"{first}:A/HRC/99/1 para 12; {last}"
        each = words("template.each", key=column.key, tail=column.tail)
        return words("template.pick_records", each=each, example=example)
    return words("template.pick", first=first, last=last)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
