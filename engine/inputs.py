"""Turning the paths given on a command line into request documents, in a stable order.

A path is a request file (``.yaml``, ``.yml``, ``.json``), a directory (every request file
directly in it, sorted by name) or ``-`` for standard input.  A file that cannot be read
becomes an :class:`Item` holding the error, so that the other files are still evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .documents import Document, parse, read_text
from .errors import EngageError, InputError, Location
from .loader import display_path

REQUEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Item:
    """One request document, or the error that stopped a file from giving any."""

    source: str
    doc: Document | None = None
    error: EngageError | None = None


def request_files(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in REQUEST_SUFFIXES and not p.name.startswith(".")
    )


def read_requests(paths: Sequence[str], stdin: TextIO | None = None) -> Iterator[Item]:
    for raw in paths:
        if raw == "-":
            yield from _stdin(stdin)
            continue
        path = Path(raw)
        if path.is_dir():
            files = request_files(path)
            if not files:
                yield Item(
                    raw, error=InputError("no-requests", "the directory holds no .yaml, .yml or .json file", Location(raw))
                )
            for file in files:
                yield from _file(file)
        elif path.exists() and path.suffix.lower() not in REQUEST_SUFFIXES:
            yield Item(
                raw, error=InputError("unsupported-format", "engage reads .yaml, .yml and .json request files", Location(raw))
            )
        else:
            yield from _file(path)


def _file(path: Path) -> Iterator[Item]:
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
        yield Item(name, error=InputError("no-input", "standard input is not available", Location(name)))
        return
    text = stdin.read()
    fmt = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
    try:
        docs = parse(text, name, fmt=fmt)
    except EngageError as exc:
        yield Item(name, error=exc)
        return
    for doc in docs:
        yield Item(name, doc=doc)
