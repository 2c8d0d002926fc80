"""Batches of requests in tables: ``.csv`` and ``.xlsx`` (one request per row) and ``.jsonl``.

Row 1 of a table names the columns (the dotted field paths of ``engage template``); every
later row that is not blank is one request, read cell by cell (:mod:`engine.batches.cells`) into
a request mapping that then goes through the same schema validation as a YAML request.
A problem names the row and the column (``intake.xlsx:row 7: column presence.type: ...``);
a bad row never stops the others.  A problem with row 1 stops the file, since every row
would be misread.  In ``.jsonl`` each non-blank line is one JSON request, and problems
name ``file:line:col``.

Readers yield a :class:`~engine.policy.documents.Document` per request, or the
:class:`~engine.errors.EngageError` that stopped a row or the file.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import EngageError, InputError, Location, ManyErrors
from ..i18n.said import say
from ..policy.documents import MAX_DOCUMENT_BYTES, Document, Path_, decode, dotted, parse, read_text, size_text
from ..policy.schema import did_you_mean, load_schema
from .cells import CellError, cell_value
from .columns import Column, request_columns
from .csvtext import CsvText, read_csv_text
from .unpack import check_workbook, uncalculated_formulas

TABLE_SUFFIXES = (".csv", ".xlsx", ".jsonl")
MAX_CSV_BYTES = 256 << 20  # read whole (for exact positions): about 250,000 rows
MAX_LINE_BYTES = MAX_DOCUMENT_BYTES  # one line of a .jsonl file is one request: the limit of a request file
REQUEST_SHEET = "Requests"  # the sheet read from a workbook (else its first sheet)

Read = Document | EngageError


class TableErrors(ManyErrors):
    """The problems that stopped a whole table (its header, its syntax, its size): no row of it was read.

    A summary counts such a table as one file, not as one of its rows.
    """

    @property
    def no_requests(self) -> bool:
        """The table was read and holds no request (blank, or a header alone)."""
        return all(e.code in ("no-requests", "empty-file") for e in self.errors)


def stopped(error: EngageError) -> TableErrors:
    return error if isinstance(error, TableErrors) else TableErrors(getattr(error, "errors", [error]))


@dataclass
class RowDocument(Document):
    """A request read from one row of a table: its errors name the row and the column."""

    row: int = 0
    columns: Mapping[str, int] = field(default_factory=dict)  # column name -> 1-based position
    # Cells that could not be read (left out of ``data``): reported with the schema's findings.
    problems: tuple[EngageError, ...] = ()

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        probe = tuple(path)
        while probe:
            name = dotted(probe)
            if name in self.columns:
                return Location(self.file, self.row, self.columns[name], name, row=True)
            probe = probe[:-1]
        return Location(self.file, self.row, None, None, row=True)


@dataclass
class LineDocument(Document):
    """A request read from one line of a JSON Lines file: positions are in the whole file."""

    line: int = 1

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        return _shift(super().locate(path, key=key), self.line)

    def origin(self) -> Location:
        return self.locate(()) if not self.positions_pending else _shift(self._first_character(), self.line)


def _shift(location: Location, line: int) -> Location:
    return replace(location, line=line + (location.line or 1) - 1)


@cache
def table_columns() -> tuple[Column, ...]:
    """The columns a table may have under the shipped policy: every field of its request schema.

    A policy with other fields passes its own columns (``request_columns(policy.request_schema)``)
    to :func:`read_table`.
    """
    return request_columns(load_schema("request"))


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA, as spreadsheets name columns."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_table(path: Path, name: str, columns: Sequence[Column] | None = None) -> Iterator[Read]:
    """The requests of the ``.csv``, ``.xlsx`` or ``.jsonl`` file at ``path`` (shown as ``name``).

    A problem with one row or line is its own error; one that stops the file is a :class:`TableErrors`.
    """
    suffix = path.suffix.lower()
    known = table_columns() if columns is None else columns
    if suffix == ".jsonl":
        yield from _jsonl(path, name)
    elif suffix == ".csv":
        yield from (stopped(r) if isinstance(r, EngageError) else r for r in _csv(path, name, known))
    else:
        yield from (stopped(r) if isinstance(r, EngageError) else r for r in _xlsx(path, name, known))


def expected_rows(path: Path) -> int | None:
    """About how many requests the table at ``path`` holds (for a progress bar); None if unknown."""
    try:
        if path.suffix.lower() == ".xlsx":
            if check_workbook(path, str(path)) is not None:
                return None
            workbook = _open_workbook(path)
            try:
                sheet = _request_sheet(workbook)
                return max((sheet.max_row or 1) - 1, 0)
            finally:
                workbook.close()
        count = 0
        with path.open("rb") as handle:  # a block at a time: the file may be large
            while block := handle.read(1 << 20):
                count += block.count(b"\n")
        return count if path.suffix.lower() == ".jsonl" else max(count - 1, 0)
    except Exception:  # noqa: BLE001 - only an estimate: the reader reports the real problem
        return None


# --- rows into requests ------------------------------------------------------------


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _header(name: str, cells: Sequence[Any], columns: Sequence[Column]) -> tuple[list[Column | None], list[EngageError]]:
    known = {c.name: c for c in columns}
    out: list[Column | None] = []
    errors: list[EngageError] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(cells, start=1):
        text = "" if _blank(raw) else str(raw).strip()
        column = known.get(text)
        where = Location(name, 1, index, text or column_letter(index), row=True)
        if not text:
            out.append(None)
            continue
        if column is None:
            hint = did_you_mean(text, known)
            errors.append(
                InputError(
                    "unknown-column", say("not a request field{hint}; row 1 names the fields of the template", hint=hint), where
                )
            )
        elif text in seen:
            first = column_letter(seen[text])
            errors.append(
                InputError(
                    "duplicate-column",
                    say("the column appears twice (columns {first} and {second})", first=first, second=column_letter(index)),
                    where,
                )
            )
        else:
            seen[text] = index
        out.append(column if column is not None and seen.get(text) == index else None)
    if not errors:
        for column in columns:
            if column.required and column.name not in seen:
                errors.append(
                    InputError(
                        "missing-column",
                        say("row 1 has no column '{column}', which every request needs", column=column.name),
                        Location(name, 1, None, None, row=True),
                    )
                )
    return out, errors


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *groups, last = path.split(".")
    node = data
    for group in groups:
        node = node.setdefault(group, {})
    node[last] = value


def _rows(
    name: str,
    rows: Iterable[tuple[int, Sequence[Any]]],
    empty: InputError,
    columns: Sequence[Column],
    uncalculated: frozenset[tuple[int, int]] = frozenset(),
    decimal_comma: bool = False,
) -> Iterator[Read]:
    """Requests from numbered rows; the first row is the header; ``empty`` is the error for a blank table.

    ``uncalculated`` are the (row, column) of formula cells without a value; ``decimal_comma``:
    numbers may have a decimal comma (a CSV file whose separator is not the comma).
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        yield empty
        return
    header, errors = _header(name, first[1], columns)
    if errors:  # the rows are not read: the header alone decides
        blank = all(_blank(raw) for raw in first[1]) and all(_blank(raw) for _, cells in iterator for raw in cells)
        yield empty if blank else TableErrors(errors)
        return
    positions = {column.name: i for i, column in enumerate(header, start=1) if column is not None}
    found = False
    for number, cells in iterator:
        if all(_blank(raw) for raw in cells):
            continue
        found = True
        data: dict[str, Any] = {}
        problems: list[EngageError] = []
        for index, raw in enumerate(cells, start=1):
            column = header[index - 1] if index <= len(header) else None
            if column is None:
                if not _blank(raw):
                    problems.append(
                        InputError(
                            "unnamed-column",
                            say("this cell has a value but row 1 gives its column no name"),
                            Location(name, number, index, column_letter(index), row=True),
                        )
                    )
                continue
            if (number, index) in uncalculated:
                problems.append(
                    InputError(
                        "formula-without-value",
                        say(
                            "the cell holds a formula that was never calculated, so it has no value:"
                            " open and save the file in a spreadsheet program, or type the value"
                        ),
                        Location(name, number, index, column.name, row=True),
                    )
                )
                continue
            try:
                value = cell_value(column, raw, decimal_comma=decimal_comma)
            except CellError as exc:
                problems.append(InputError(exc.code, exc.message, Location(name, number, index, column.name, row=True)))
                continue
            if value is not None:
                _put(data, column.name, value)
        # Even with unreadable cells the row is a document: the schema still checks the cells that were
        # read, so that the row's every problem is reported at once.
        yield RowDocument(data, name, row=number, columns=positions, problems=tuple(problems))
    if not found:
        yield InputError(
            "no-requests",
            say("row 1 names the columns, but no row below it holds a request"),
            Location(name, 1, None, None, row=True),
        )


# --- CSV ---------------------------------------------------------------------------


class _CSVSyntax(Exception):
    def __init__(self, error: EngageError) -> None:
        super().__init__(str(error))
        self.error = error


def _numbered_csv(lines: Iterable[str], name: str, separator: str = ",") -> Iterator[tuple[int, Sequence[Any]]]:
    reader = csv.reader(lines, delimiter=separator, strict=True)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CSVSyntax(InputError("csv-syntax", str(exc), Location(name, number + 1, None, None, row=True))) from None
        number += 1
        yield number, cells


def _csv(path: Path, name: str, columns: Sequence[Column]) -> Iterator[Read]:
    try:
        read = read_csv_text(path, name, MAX_CSV_BYTES)  # its encoding and separator found (engine/batches/csvtext.py)
        empty = InputError(
            "empty-file", say("the file is empty: row 1 must name the columns"), Location(name, 1, None, None, row=True)
        )
        lines = read.lines()
        try:
            rows = _numbered_csv(lines, name, read.separator)
            yield from _rows(name, rows, empty, columns, decimal_comma=read.decimal_comma)
        finally:
            close = getattr(lines, "close", None)
            if close is not None:
                close()
    except EngageError as exc:
        yield exc
    except _CSVSyntax as exc:
        yield exc.error


def csv_note(path: Path) -> CsvText | None:
    """How the CSV file at ``path`` is read, for a summary, when that is not UTF-8 with commas (else None).

    Found as the reader finds it; None too when the file cannot be read (the reader says why).
    """
    if path.suffix.lower() != ".csv":
        return None
    try:
        read = read_csv_text(path, str(path), MAX_CSV_BYTES)
    except EngageError:
        return None
    return None if read.usual else read


# --- XLSX --------------------------------------------------------------------------


def _open_workbook(path: Path) -> Any:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "Data Validation extension is not supported"
        return openpyxl.load_workbook(path, read_only=True, data_only=True)


def _request_sheet(workbook: Any) -> Any:
    return workbook[REQUEST_SHEET] if REQUEST_SHEET in workbook.sheetnames else workbook.worksheets[0]


def _xlsx(path: Path, name: str, columns: Sequence[Column]) -> Iterator[Read]:
    if not path.is_file():
        yield InputError("file-not-found", say("no such file"), Location(name))
        return
    too_large = check_workbook(path, name)
    if too_large is not None:
        yield too_large
        return
    try:
        workbook = _open_workbook(path)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        yield InputError(
            "unreadable-workbook",
            say("cannot be read as an .xlsx workbook ({kind}: {detail})", kind=type(exc).__name__, detail=str(exc)),
            Location(name),
        )
        return
    try:
        sheet = _request_sheet(workbook)
        # The <dimension> a file declares may understate the used range: read every row and cell there is.
        sheet.reset_dimensions()
        uncalculated = frozenset(uncalculated_formulas(path, sheet._worksheet_path))
        rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
        empty = InputError(
            "no-requests",
            say("the sheet '{sheet}' holds no requests: it is blank", sheet=sheet.title),
            Location(name, 1, None, None, row=True),
        )
        yield from _rows(name, rows, empty, columns, uncalculated)
    except EngageError as exc:
        yield exc
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: report it as the file's problem
        yield InputError(
            "unreadable-workbook",
            say("cannot be read as an .xlsx workbook ({kind}: {detail})", kind=type(exc).__name__, detail=str(exc)),
            Location(name),
        )
    finally:
        workbook.close()


# --- JSON Lines --------------------------------------------------------------------


def _jsonl(path: Path, name: str) -> Iterator[Read]:
    """One request per line, read as a stream: a batch of years of requests need not fit in memory."""
    try:
        handle = path.open("rb")
    except OSError:
        try:
            read_text(path, name)  # the same one-line error as for any other file
        except EngageError as exc:
            yield stopped(exc)
        return
    found = False
    with handle:
        for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                found = True
                yield _line_too_long(name, number, len(raw) + _skip_line(handle))
                continue
            read = jsonl_line(raw, name, number)
            if read is not None:
                found = True
                yield read
    if not found:
        yield stopped(jsonl_empty(name))


def _skip_line(handle: Any) -> int:
    """Read past the rest of an over-long line without keeping it; how many bytes it had."""
    skipped = 0
    while True:
        chunk = handle.readline(1 << 16)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _line_too_long(name: str, number: int, size: int) -> InputError:
    return InputError(
        "line-too-long",
        say("the line holds {size}; one request may hold at most {limit}", size=size_text(size), limit=size_text(MAX_LINE_BYTES)),
        Location(name, number, 1),
    )


def jsonl_line(raw: bytes, name: str, number: int) -> Read | None:
    """The request on line ``number`` of a JSON Lines file, its error, or None for a blank line."""
    data = raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
    # Without its line break: json would report a line that stops short at the next line.
    data = data.rstrip(b"\r\n")
    if len(data) > MAX_LINE_BYTES:
        return _line_too_long(name, number, len(data))
    try:
        line = decode(data, name)
    except InputError as exc:
        return InputError(exc.code, exc.message, _shift(exc.location, number))
    if not line.strip():
        return None
    try:
        (doc,) = parse(line, name, fmt="json")
    except InputError as exc:
        message = exc.message
        if exc.code == "json-syntax" and _ends_early(exc.location, line, message):
            message = say("{message} (the line ends before the request does: was it cut off?)", message=message)
        return InputError(exc.code, message, _shift(exc.location, number))
    return LineDocument(doc.data, name, doc.text, positions_pending=doc.positions_pending, line=number)


def _ends_early(location: Location, line: str, message: str) -> bool:
    return message.startswith("Unterminated string") or (location.col or 0) > len(line.rstrip())


def jsonl_empty(name: str) -> InputError:
    return InputError(
        "empty-file", say("the file is empty: it holds no request (one JSON object per line)"), Location(name, 1, 1)
    )
