"""What a workbook may unpack to, checked before openpyxl opens it; and the formulas it left uncalculated.

An ``.xlsx`` file is a zip archive of XML parts.  A few kilobytes can unpack to gigabytes, and
openpyxl reads some parts (shared strings, styles) whole into memory, so the sizes the archive
declares are checked first.  They can be trusted as bounds: :mod:`zipfile` never delivers more
bytes of a member than its declared size.  The XML itself is parsed through ``defusedxml``
(openpyxl uses it whenever it is installed), which refuses entity tricks.

A formula cell that was never calculated (a file written by a program, not saved by a
spreadsheet) has no cached value; openpyxl reads it as blank, which would mean *unknown*.
:func:`uncalculated_formulas` finds such cells so that they are reported instead.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import IO

from ..errors import InputError, Location
from ..i18n.said import say
from ..policy.documents import size_text

MAX_UNPACKED_BYTES = 256 << 20  # the whole workbook, unpacked: about 250,000 rows of an intake sheet
MAX_PART_BYTES = 32 << 20  # one part other than a sheet: openpyxl holds these whole in memory
MAX_PARTS = 1_000  # members of the archive
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_CHUNK = 1 << 20


def check_workbook(path: Path, name: str) -> InputError | None:
    """The error for a workbook whose archive would unpack beyond the limits, or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return InputError(
            "unreadable-workbook", say("cannot be read as an .xlsx workbook ({detail})", detail=str(exc)), Location(name)
        )
    if len(members) > MAX_PARTS:
        return InputError(
            "workbook-too-large",
            say("the workbook has {parts} parts; the limit is {limit}", parts=len(members), limit=MAX_PARTS),
            Location(name),
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        return InputError(
            "workbook-too-large",
            say(
                "the workbook unpacks to {size} bytes; the limit is {limit}: split the requests into several workbooks",
                size=f"{total:,}",
                limit=size_text(MAX_UNPACKED_BYTES),
            ),
            Location(name),
        )
    for member in members:
        if member.file_size > MAX_PART_BYTES and not _SHEET_PART.fullmatch(member.filename):
            return InputError(
                "workbook-too-large",
                say(
                    "the part {part} unpacks to {size} bytes; the limit for a part other than a sheet is {limit}",
                    part=member.filename,
                    size=f"{member.file_size:,}",
                    limit=size_text(MAX_PART_BYTES),
                ),
                Location(name),
            )
    return None


def uncalculated_formulas(path: Path, part: str) -> set[tuple[int, int]]:
    """(row, column) of every formula cell of the sheet ``part`` that has no cached value."""
    with zipfile.ZipFile(path) as archive:
        if not _has_formula(archive, part):
            return set()  # nearly always: no formula at all, and no second parse
        with archive.open(part) as handle:
            return _formula_cells(handle)


def _has_formula(archive: zipfile.ZipFile, part: str) -> bool:
    with archive.open(part) as handle:
        tail = b""
        while chunk := handle.read(_CHUNK):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def _formula_cells(handle: IO[bytes]) -> set[tuple[int, int]]:
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    found: set[tuple[int, int]] = set()
    row = 0
    column = 0
    for event, element in iterparse(handle, events=("start", "end")):
        tag = element.tag.rpartition("}")[2]
        if tag == "row":
            if event == "start":  # numbered as openpyxl numbers it: its r, else the next row
                row = int(element.get("r") or row + 1)
                column = 0
            else:
                element.clear()
            continue
        if tag != "c" or event != "end":
            continue
        ref = element.get("r")
        if ref:
            letters, row = coordinate_from_string(ref)
            column = column_index_from_string(letters)
        else:  # a cell without a reference follows the one before it
            column += 1
        children = {child.tag.rpartition("}")[2]: child for child in element}
        value = children.get("v")
        if "f" in children and (value is None or not (value.text or "").strip()):
            found.add((row, column))
        element.clear()
    return found
