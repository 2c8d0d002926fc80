"""Writing the results of a batch to a file: ``.xlsx`` for people, ``.csv`` and ``.jsonl`` for tools.

One row per input, in input order: the request id, the recommendation and its outcome
code, the priority score, each condition's status, the exception, what is missing and what
one answer could change (as codes, then as the questions to ask, in words), and the decisive
reasons with their citations.  An input that could not be evaluated has a row
too (outcome ``not_evaluated``, its problems in place of the reasons), so that no row of
an intake sheet silently disappears.  ``.jsonl`` holds the decisions themselves, one per
line, exactly as ``engage evaluate --format jsonl`` prints them.

The workbook is formatted for people: a frozen header, set widths, wrapped reasons, one
fill colour per outcome with the outcome's word always in the cell (never colour alone),
and a ``Summary`` sheet with the count of each outcome.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..errors import EngageError, InputError, Location
from ..evaluation.render import could_change_lines, missing_lines, spreadsheet_text
from ..evaluation.words import Words
from ..i18n.problems import error_in_language
from ..i18n.said import say
from ..policy.model import Policy
from .batch import Result
from .workbooks import save_workbook

OUT_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".jsonl": "jsonl"}
NOT_EVALUATED = "not_evaluated"

# Light fills (dark text stays readable); an outcome not listed here has no fill, only its word.
OUTCOME_FILLS = {
    "engage": "C6EFCE",  # green
    "respond_ad_hoc": "BDD7EE",  # blue
    "assess_needs": "D9C3E9",  # purple
    "consider_in_strategy": "B4E5E2",  # teal
    "exception_review": "F8CBAD",  # orange
    "request_information": "FFE699",  # yellow
    "decline": "FFC7CE",  # red
    NOT_EVALUATED: "D0CECE",  # grey
}
HEADER_FILL = "1F4E78"
LINE_HEIGHT = 15  # points per line of 11-point text
CHARS_PER_WIDTH = 1.1  # characters of 11-point text per unit of column width, allowing for word wrap


def _lines(value: Any, width: float) -> int:
    """About how many lines ``value`` takes when wrapped in a column ``width`` wide."""
    if value is None:
        return 1
    per_line = max(int((width - 1) * CHARS_PER_WIDTH), 1)
    return sum(max(-(-len(part) // per_line), 1) for part in str(value).split("\n"))


@dataclass(frozen=True)
class OutColumn:
    key: str  # the CSV header
    title: str  # the workbook header
    width: float
    note: str


# The columns of the decisions file: (key, width); their titles and notes are the catalogue's
# ``out.<key>`` and ``out.<key>.note`` (engine/locale/*/LC_MESSAGES/engage.po), in the workbook's language.
_FIRST = (("id", 18), ("recommendation", 28), ("outcome", 22), ("priority_score", 10))
_LAST = (("exception", 30), ("missing", 34), ("could_change", 34), ("ask", 60), ("reasons", 90), ("as_of", 12), ("source", 26))


def out_columns(policy: Policy, words: Words | None = None) -> list[OutColumn]:
    words = words or Words(policy)
    codes = ", ".join(policy.vocab.outcomes)

    def column(key: str, width: float) -> OutColumn:
        return OutColumn(key, words(f"out.{key}"), width, words(f"out.{key}.note", codes=codes))

    columns = [column(key, width) for key, width in _FIRST]
    for crit in policy.criteria:
        name = words.of(crit.short) if crit.short and words.lang != "en" else crit.label
        columns.append(
            OutColumn(
                f"status.{crit.name}",
                f"({crit.letter}) {name}",
                15,
                words("out.condition.note", letter=crit.letter, title=words.of(crit.title)),
            )
        )
    return columns + [column(key, width) for key, width in _LAST]


def _score(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _problem(error: EngageError, lang: str) -> str:
    """An error without its file and row, which the Source column gives; its message said in ``lang``."""
    text = error_in_language(error, lang)
    prefix = error.location.prefix() + ": "
    return text[len(prefix) :] if text.startswith(prefix) else text


def out_values(result: Result, policy: Policy, request_id: str | None = None, words: Words | None = None) -> list[Any]:
    """The cells of one row, in the order of :func:`out_columns`; ``request_id`` names an input that failed.

    ``words``: the workbook's language (codes, ids and paths stay as they are; the CSV is always English).
    """
    words = words or Words(policy)
    decision = result.decision
    source = result.location.prefix()
    if decision is None:
        problems = [e for error in result.errors for e in getattr(error, "errors", [error])]
        blanks: list[Any] = [None] * (1 + len(policy.criteria) + 4)
        why = "\n".join(_problem(p, words.lang) for p in problems) or words("out.unreadable")
        return [request_id, words("out.not_evaluated"), NOT_EVALUATED, *blanks, why, None, source]
    exception = ""
    for exc in decision.exceptions:
        waives = "\n".join(exc.waives) if exc.waives else words("render.nothing")
        exception = words("out.exception_value", state=words(f"render.exception.{exc.decision}"), waives=waives)
    reasons = "\n".join(
        f"- {words.reason(r, result.record, decision.as_of)} [{'; '.join(words.cite(c) for c in r.citation)}] ({r.rule})"
        for r in decision.reasons
    )
    return [
        decision.request_id,
        words.outcome(decision.outcome),
        decision.outcome,
        _score(decision.priority_score),
        *(words.status(c.status) for c in decision.criteria),
        exception or None,
        "; ".join(decision.missing) or None,
        "; ".join(f"{c.field} -> {c.outcome}" for c in decision.could_change) or None,
        "\n".join(missing_lines(decision, policy, words) + could_change_lines(decision, policy, words)) or None,
        reasons,
        decision.as_of.isoformat() if words.lang == "en" else words.date(decision.as_of),
        source,
    ]


class DecisionWriter:
    """Writes results to ``path`` as they come; :meth:`close` puts the finished file in place."""

    def __init__(self, path: Path, policy: Policy, as_of: date, lang: str | None = None) -> None:
        self.path = path
        self.policy = policy
        self.as_of = as_of
        self.format = OUT_FORMATS[path.suffix.lower()]
        # Only the workbook, which people read, is in the reader's language; a CSV file is for tools too.
        self.words = Words(policy, lang if self.format == "xlsx" else None)
        self.columns = out_columns(policy, self.words)
        self.counts: Counter[str] = Counter()
        self._rows = 0
        if self.format == "xlsx":
            self._start_workbook()
        else:
            self._open_text()

    # -- text formats: written to a temporary file beside the target, renamed at the end

    def _open_text(self) -> None:
        directory = self.path.parent if str(self.path.parent) else Path(".")
        if not directory.is_dir():
            raise InputError(
                "cannot-write", say("the folder {folder} does not exist", folder=str(directory)), Location(str(self.path))
            )
        try:
            fd, self._temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        except OSError as exc:
            raise InputError("cannot-write", exc.strerror or str(exc), Location(str(self.path))) from None
        # CSV is opened by Excel more than by tools: with a BOM, Excel reads it as UTF-8 (and
        # engage reads it back the same); JSON Lines has none (RFC 8259 forbids one).
        encoding = "utf-8-sig" if self.format == "csv" else "utf-8"
        self._text: TextIO = os.fdopen(fd, "w", encoding=encoding, newline="")
        if self.format == "csv":
            self._csv = csv.writer(self._text, lineterminator="\r\n")
            self._write_text(lambda: self._csv.writerow([c.key for c in self.columns]))

    def _write_text(self, write: Any) -> None:
        """Run ``write``; a full disk or another write failure is the user's to fix (exit 2), not a crash."""
        try:
            write()
        except OSError as exc:
            self.abort()
            raise InputError("cannot-write", exc.strerror or str(exc), Location(str(self.path))) from None

    # -- the workbook

    def _start_workbook(self) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Decisions")
        for index, column in enumerate(self.columns, start=1):
            self._sheet.column_dimensions[_letter(index)].width = column.width
        self._sheet.freeze_panes = "C2"
        # Printed: landscape, with the header row and the first two columns on every page.
        self._sheet.page_setup.orientation = "landscape"
        self._sheet.print_title_rows = "1:1"
        self._sheet.print_title_cols = "A:B"
        self._styles = _Styles()
        self._written = 0  # rows appended to the sheet, the header included
        header = []
        for column in self.columns:
            cell = self._cell(column.title, self._styles.header)
            header.append(cell)
        self._comment_header(header)
        self._append(header)

    def _comment_header(self, cells: list[Any]) -> None:
        from openpyxl.comments import Comment

        for cell, column in zip(cells, self.columns, strict=True):
            cell.comment = Comment(f"{column.key}\n\n{column.note}", "Engage", height=110, width=260)

    def _cell(self, value: Any, style: Any, sheet: Any = None) -> Any:
        return self._styles.cell(sheet if sheet is not None else self._sheet, value, style)

    # -- rows

    def add(self, result: Result, request_id: str | None = None) -> None:
        values = out_values(result, self.policy, request_id, self.words)
        outcome = str(values[2])
        self.counts[outcome] += 1
        self._rows += 1
        if self.format == "jsonl":
            if result.decision is not None:
                line = result.decision.to_json(indent=None) + "\n"
                self._write_text(lambda: self._text.write(line))
        elif self.format == "csv":
            cells = ["" if v is None else spreadsheet_text(v) if isinstance(v, str) else v for v in values]
            self._write_text(lambda: self._csv.writerow(cells))
        else:
            styles = self._styles
            cells = []
            for index, value in enumerate(values):
                style = styles.outcome(outcome) if index in (1, 2) else styles.number if index == 3 else styles.body
                cells.append(self._cell(value, style))
            self._append(cells)

    def _append(self, cells: list[Any]) -> None:
        """Append a row tall enough for its wrapped text (spreadsheets do not grow rows a file sets)."""
        lines = max(_lines(cell.value, column.width) for cell, column in zip(cells, self.columns, strict=True))
        self._written += 1
        self._sheet.row_dimensions[self._written].height = LINE_HEIGHT * lines + 3
        self._sheet.append(cells)
        del self._sheet.row_dimensions[self._written]  # already written; keeps memory flat

    def close(self) -> None:
        if self.format == "xlsx":
            self._finish_workbook()
            return
        self._write_text(self._text.close)  # the last buffered bytes are written here
        try:
            os.chmod(self._temp, 0o644)
            os.replace(self._temp, self.path)
        except OSError as exc:
            Path(self._temp).unlink(missing_ok=True)
            raise InputError("cannot-write", exc.strerror or str(exc), Location(str(self.path))) from None

    def abort(self) -> None:
        """Forget the file (an error stopped the batch, or the file could not be written)."""
        if self.format != "xlsx":
            with contextlib.suppress(OSError):  # the disk is full: what is left to write goes with the file
                self._text.close()
            Path(self._temp).unlink(missing_ok=True)

    def _finish_workbook(self) -> None:
        from openpyxl.worksheet.filters import AutoFilter
        from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

        if self._rows:
            # A table gives every column a filter button (e.g. show only one outcome).
            ref = f"A1:{_letter(len(self.columns))}{self._rows + 1}"
            table = Table(displayName="Decisions", ref=ref, autoFilter=AutoFilter(ref=ref))
            table.tableColumns = [TableColumn(id=i, name=c.title) for i, c in enumerate(self.columns, start=1)]
            table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns that write-only tables need columns: they have them
                self._sheet.add_table(table)
        summary = self._book.create_sheet("Summary")
        summary.column_dimensions["A"].width = 34
        summary.column_dimensions["B"].width = 24
        summary.column_dimensions["C"].width = 10
        summary.column_dimensions["D"].width = 70
        styles = self._styles
        summary.append(
            [
                self._summary_cell(summary, self.words(f"out.summary.{t}"), styles.header)
                for t in ("recommendation", "code", "requests", "meaning")
            ]
        )
        outcomes = list(self.policy.vocab.outcomes.items())
        for code, term in outcomes:
            style = styles.outcome(code)
            summary.append(
                [
                    self._summary_cell(summary, self.words.of(term.label), style),
                    self._summary_cell(summary, code, style),
                    self._summary_cell(summary, self.counts.get(code, 0), styles.number),
                    self._summary_cell(summary, self.words.of(term.description), styles.body),
                ]
            )
        if self.counts.get(NOT_EVALUATED):
            style = styles.outcome(NOT_EVALUATED)
            summary.append(
                [
                    self._summary_cell(summary, self.words("out.not_evaluated"), style),
                    self._summary_cell(summary, NOT_EVALUATED, style),
                    self._summary_cell(summary, self.counts[NOT_EVALUATED], styles.number),
                    self._summary_cell(summary, self.words("out.not_evaluated.note"), styles.body),
                ]
            )
        summary.append([])
        for label, value in (
            (self.words("out.summary.rows"), str(self._rows)),
            (self.words("out.summary.as_of"), self.words.date(self.as_of)),
            (self.words("out.summary.ruleset"), self.policy.hash),
            (self.words("out.summary.engine"), f"engage {__version__}"),
        ):
            summary.append([self._summary_cell(summary, label, styles.bold), self._summary_cell(summary, value, styles.line)])
        save_workbook(self._book, self.path, datetime.combine(self.as_of, time(0)))

    def _summary_cell(self, sheet: Any, value: Any, style: Any) -> Any:
        return self._cell(value, style, sheet)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


class _Styles:
    """The few styles of the decisions workbook, made once (openpyxl shares equal styles)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        top = Alignment(vertical="top", wrap_text=True)
        self._plain = PatternFill()
        self.header = (
            Font(bold=True, color="FFFFFF"),
            PatternFill("solid", fgColor=HEADER_FILL),
            Alignment(vertical="top", wrap_text=True),
        )
        self.body = (Font(), self._plain, top)
        self.number = (Font(), self._plain, Alignment(vertical="top", horizontal="center"))  # never glued to the next column
        self.line = (Font(), self._plain, Alignment(vertical="top", horizontal="left"))  # no wrap: may run into empty cells
        self.bold = (Font(bold=True), self._plain, top)
        bold = Font(bold=True)
        self._outcomes = {code: (bold, PatternFill("solid", fgColor=colour), top) for code, colour in OUTCOME_FILLS.items()}
        self._unlisted = (bold, self._plain, top)
        self._arrays: dict[int, Any] = {}

    def outcome(self, code: str) -> tuple[Any, Any, Any]:
        return self._outcomes.get(code, self._unlisted)

    def cell(self, sheet: Any, value: Any, style: tuple[Any, Any, Any]) -> Any:
        """A cell with ``style`` (font, fill, alignment).

        Setting a style on an openpyxl cell looks it up in the workbook's style tables, which
        costs more than the rest of a row; each style is looked up once and its index array
        copied to the next cells that use it.
        """
        from openpyxl.cell import WriteOnlyCell

        cell: Any = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, even when it starts with '=': never a live formula
        array = self._arrays.get(id(style))
        if array is None:
            cell.font, cell.fill, cell.alignment = style
            self._arrays[id(style)] = copy.copy(cell._style)
        else:
            cell._style = copy.copy(array)
        return cell


def check_out_path(text: str, inputs: Sequence[str] = ()) -> Path:
    """The --out path, or an error naming the formats (or the input it would overwrite)."""
    path = Path(text)
    if any(raw != "-" and Path(raw).resolve() == path.resolve() for raw in inputs):
        raise InputError(
            "would-overwrite-input", say("this is one of the inputs; write the decisions to another file"), Location(text)
        )
    if path.suffix.lower() not in OUT_FORMATS:
        raise InputError(
            "unsupported-format",
            say("decisions are written to a .xlsx, .csv or .jsonl file; name the file with one of those"),
            Location(text),
        )
    return path
