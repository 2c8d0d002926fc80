"""A CSV file as people save it: its encoding and its separator, found rather than assumed.

Excel on Windows in a French or Spanish locale saves "CSV" in Windows-1252, with columns
separated by ``;`` and numbers with a decimal comma; "CSV UTF-8" adds a byte-order mark.
The text is UTF-8 when it decodes as UTF-8 (with or without the mark); otherwise
charset-normalizer chooses among the encodings Excel uses for Western languages
(:data:`CANDIDATES`), and a file that is none of them is refused.  The separator is the one of
``,``, ``;`` and tab that row 1 holds outside quotes: row 1 names the columns, and no column
name holds any of them, so a row 1 that holds two of them is ambiguous and refused.  Where the
separator is not a comma, a comma in a number can only be its decimal comma
(:mod:`engine.batches.cells`).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Location
from ..i18n.said import say, say_n
from ..policy.documents import decode, read_bytes

SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
# charset-normalizer's names -> what people call them; the encodings Excel writes for Western languages
CANDIDATES = {"cp1252": "Windows-1252", "mac_roman": "Mac Roman", "cp850": "DOS Latin-1 (CP850)"}
USUAL_ENCODINGS = ("UTF-8", "UTF-8 with BOM")


@dataclass(frozen=True)
class CsvText:
    """The text of a CSV file, with how it was read."""

    text: str  # empty when the file is read as a stream (``path`` set)
    encoding: str  # as people know it: UTF-8, UTF-8 with BOM, UTF-16, Windows-1252, ...
    separator: str  # ",", ";" or a tab
    path: Path | None = None  # a UTF-8 file read from disk as it is parsed, not held in memory

    def lines(self) -> Iterable[str]:
        """The text for :func:`csv.reader`: the file itself as a stream, or the text held."""
        if self.path is None:
            return io.StringIO(self.text, newline="")
        return self.path.open(encoding="utf-8-sig", newline="")

    @property
    def decimal_comma(self) -> bool:
        """Whether a number may have a decimal comma (it cannot be a separator here)."""
        return self.separator != ","

    @property
    def usual(self) -> bool:
        """UTF-8 and commas: what ``engage template`` writes, nothing worth saying."""
        return self.encoding in USUAL_ENCODINGS and self.separator == ","

    @property
    def separator_name(self) -> str:
        return SEPARATOR_NAMES[self.separator]

    def describe(self) -> str:
        """``read as Windows-1252, columns separated by semicolons, decimal commas accepted``."""
        decimal = say(", decimal commas accepted") if self.decimal_comma else ""
        return say(
            "read as {encoding}, columns separated by {separators}{decimal}",
            encoding=self.encoding,
            separators=_plural(self.separator),
            decimal=decimal,
        )


STREAM_BLOCK = 1 << 20  # bytes decoded at a time when checking that a file is UTF-8
STREAM_FROM = 4 << 20  # a UTF-8 file larger than this is read as a stream, not held as one string


def read_csv_text(path: Path, name: str, limit: int) -> CsvText:
    """The text of the CSV file at ``path`` (shown as ``name``), its encoding and separator found.

    A large UTF-8 file (nearly every large one: ``engage template`` and "CSV UTF-8" write it)
    is checked in blocks and then read as a stream (:meth:`CsvText.lines`), so that a million
    rows do not sit in memory as one string; any other file is read whole, as before.
    """
    streamed = _utf8_stream(path, limit)
    if streamed is not None:
        return streamed
    text, encoding = decode_csv(read_bytes(path, name, limit), name)
    return CsvText(text, encoding, find_separator(text, name))


def _utf8_stream(path: Path, limit: int) -> CsvText | None:
    """The file as a stream if it is large, within ``limit`` and UTF-8 throughout (else None: read it whole)."""
    try:
        size = path.stat().st_size
        if not STREAM_FROM < size <= limit:
            return None
        decoder = codecs.getincrementaldecoder("utf-8")()
        with path.open("rb") as handle:
            first = handle.read(STREAM_BLOCK)
            if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return None
            marked = first.startswith(codecs.BOM_UTF8)
            start = decoder.decode(first[len(codecs.BOM_UTF8) :] if marked else first)
            while block := handle.read(STREAM_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return None  # read whole: the same errors as ever, from the same place
    try:
        separator = find_separator(start, "")
    except InputError:
        return None
    return CsvText("", "UTF-8 with BOM" if marked else "UTF-8", separator, path)


def decode_csv(raw: bytes, name: str) -> tuple[str, str]:
    """(the text, the name of its encoding) of a CSV file's bytes."""
    if raw.startswith(codecs.BOM_UTF8):
        return decode(raw, name), "UTF-8 with BOM"  # a mark and then not UTF-8: refused where it breaks
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise InputError("not-utf16", say("the file starts as UTF-16 but is not UTF-16 text"), _row1(name)) from None
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=list(CANDIDATES)).best()
    if best is None or best.encoding not in CANDIDATES:
        raise InputError(
            "unknown-encoding",
            say(
                "the file is not UTF-8 and not in an encoding Excel uses for Western languages (Windows-1252):"
                " save it as CSV UTF-8"
            ),
            _row1(name),
        )
    return str(best), CANDIDATES[best.encoding]


def find_separator(text: str, name: str) -> str:
    """The separator of row 1 (a comma when row 1 has a single column)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    found = [s for s in SEPARATORS if counts[s]]
    if len(found) > 1:
        shown = _counted(found[0], counts[found[0]])
        for separator in found[1:]:
            shown = say("{first} and {second}", first=shown, second=_counted(separator, counts[separator]))
        raise InputError(
            "ambiguous-separator",
            say(
                "row 1 holds {separators} between the column names, so the columns could be cut either way:"
                " save the file again with one separator (or as .xlsx)",
                separators=shown,
            ),
            _row1(name),
        )
    return found[0] if found else ","


def _plural(separator: str) -> str:
    """``semicolons``: the separator of a file's columns, said in the plural."""
    if separator == ";":
        return say("semicolons")
    if separator == "\t":
        return say("tabs")
    return say("commas")


def _counted(separator: str, count: int) -> str:
    """``2 semicolons``: how many of a separator row 1 holds."""
    if separator == ";":
        return say_n("{count} semicolon", "{count} semicolons", count)
    if separator == "\t":
        return say_n("{count} tab", "{count} tabs", count)
    return say_n("{count} comma", "{count} commas", count)


def _row1(name: str) -> Location:
    return Location(name, 1, None, None, row=True)
