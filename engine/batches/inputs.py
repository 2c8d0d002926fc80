"""Turning the paths given on a command line into request documents, in a stable order.

A path is a request file (``.yaml``, ``.yml``, ``.json``), a batch table (``.csv``,
``.xlsx``, ``.jsonl``: one request per row or line, see :mod:`engine.batches.tables`), a directory
(every request file directly in it, sorted by name; tables are read only when named) or
``-`` for standard input.  A file or row that cannot be read becomes an :class:`Item`
holding the error, so that the others are still evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..errors import EngageError, InputError, Location
from ..i18n.languages import DEFAULT
from ..i18n.said import in_language, say
from ..policy.documents import MAX_DOCUMENT_BYTES, Document, parse, read_text, too_large
from ..policy.loader import display_path
from .columns import Column
from .tables import TABLE_SUFFIXES, csv_note, expected_rows, read_table

REQUEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Item:
    """One request document, or the error that stopped a file from giving any."""

    source: str
    doc: Document | None = None
    error: EngageError | None = None

    @property
    def where(self) -> str:
        """Where the input is (``file:line:col``, ``file:row N``): the prefix of its result's location."""
        if self.doc is not None:
            return self.doc.locate(()).prefix()
        return self.error.location.prefix() if self.error is not None else Location(self.source).prefix()

    @property
    def request_id(self) -> str | None:
        """The id the input gives itself, if it has one: names an input that could not be evaluated."""
        if self.doc is not None:
            value = self.doc.data.get("id") if isinstance(self.doc.data, dict) else None
        else:
            value = getattr(self.error, "request_id", None)
        return value if isinstance(value, str) else None


def request_files(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in REQUEST_SUFFIXES and not p.name.startswith(".")
    )


def read_requests(paths: Sequence[str], stdin: TextIO | None = None, columns: Sequence[Column] | None = None) -> Iterator[Item]:
    """Every request of ``paths``; tables are read by ``columns`` (the policy's fields), by default the shipped ones."""
    for raw in paths:
        if raw == "-":
            yield from _stdin(stdin)
            continue
        path = Path(raw)
        if path.is_dir():
            files = request_files(path)
            if not files:
                yield Item(
                    raw, error=InputError("no-requests", say("the directory holds no .yaml, .yml or .json file"), Location(raw))
                )
            for file in files:
                yield from file_items(file)
        elif path.suffix.lower() in TABLE_SUFFIXES:
            name = display_path(path) if path.exists() else str(path)
            for read in read_table(path, name, columns):
                yield Item(name, doc=read) if isinstance(read, Document) else Item(name, error=read)
        elif path.exists() and path.suffix.lower() not in REQUEST_SUFFIXES:
            yield Item(
                raw,
                error=InputError(
                    "unsupported-format",
                    say("engage reads .yaml, .yml and .json request files and .csv, .xlsx and .jsonl batches"),
                    Location(raw),
                ),
            )
        else:
            yield from file_items(path)


def expected_count(paths: Sequence[str]) -> int | None:
    """About how many requests ``paths`` hold, without reading them all; None when it cannot be known."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if raw == "-":
            return None
        if path.is_dir():
            total += len(request_files(path))
        elif path.suffix.lower() in TABLE_SUFFIXES:
            rows = expected_rows(path)
            if rows is None:
                return None
            total += rows
        else:
            total += 1
    return total


def file_items(path: Path) -> Iterator[Item]:
    """Every request document in one .yaml, .yml or .json file (or the error that stopped it)."""
    name = display_path(path) if path.exists() else str(path)
    try:
        docs = parse(read_text(path, name), name)
    except EngageError as exc:
        yield Item(name, error=exc)
        return
    for doc in docs:
        yield Item(name, doc=doc)


def _stdin(stdin: TextIO | None) -> Iterator[Item]:
    name = "<stdin>"
    if stdin is None:
        yield Item(name, error=InputError("no-input", say("standard input is not available"), Location(name)))
        return
    text = stdin.read(MAX_DOCUMENT_BYTES + 1)
    if len(text) > MAX_DOCUMENT_BYTES:
        size = len(text)
        while chunk := stdin.read(1 << 16):  # counted, not kept
            size += len(chunk)
        yield Item(name, error=too_large(name, size, MAX_DOCUMENT_BYTES, "standard input"))
        return
    fmt = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
    try:
        docs = parse(text, name, fmt=fmt)
    except EngageError as exc:
        yield Item(name, error=exc)
        return
    for doc in docs:
        yield Item(name, doc=doc)


def table_notes(paths: Sequence[str], lang: str = DEFAULT) -> list[str]:
    """One line for each CSV file that is not read as UTF-8 with commas: how it was read (said in ``lang``).

    ``intake.csv: read as Windows-1252, columns separated by semicolons, decimal commas accepted``
    """
    lines = []
    for raw in paths:
        path = Path(raw)
        note = csv_note(path) if raw != "-" else None
        if note is not None:
            lines.append(f"{display_path(path)}: {in_language(note.describe(), lang)}")
    return lines
