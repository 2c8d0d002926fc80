"""The in-browser rule editor's working data: each author's draft ruleset, and the messages of its last check.

A draft is the files an author has changed since the ruleset it was started from (the release
in force, or the served files on a log with no release), kept in memory per author: it is
working data, not a record (nothing reaches the log until it is proposed), and it is dropped
when the ruleset in force is no longer the one it was started from, or when it is proposed.
The check is lint's (:func:`engine.authoring.lint.lint`): the loader's problems and the
semantic checks, each with the ``file:line:col`` the author sees at its line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..authoring.lint import lint
from ..errors import Location
from ..i18n.said import replaced

KINDS = ("rules", "criteria")


@dataclass(frozen=True)
class Message:
    """One finding of a check, at its place in a file of the ruleset (``rules/outcome.yaml``)."""

    file: str | None
    line: int | None
    col: int | None
    severity: str  # error or warning
    text: str  # the whole ``file:line:col: severity: message [check]`` line, with no scratch path in it (said: in any language)


@dataclass
class Draft:
    base: str  # the hash of the ruleset it was started from
    files: dict[str, str] = field(default_factory=dict)  # "rules/outcome.yaml" -> the edited text
    messages: list[Message] | None = None  # of the last check (None: not checked since the last change)
    dropped: tuple[str, ...] = ()  # the files of a draft over an earlier ruleset, dropped when this one was started


class EditDrafts:
    """The drafts of every author, by name (one at a time per author)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drafts: dict[str, Draft] = {}

    def of(self, author: str, base: str) -> Draft:
        """A copy of ``author``'s draft over ``base`` (a draft over another ruleset is dropped: its base is gone)."""
        with self._lock:
            found = self._drafts.get(author)
            if found is None or found.base != base:
                # Its texts are whole files over the earlier rules: laid over these they would undo what changed.
                found = self._drafts[author] = Draft(base, dropped=tuple(sorted(found.files)) if found else ())
            messages = None if found.messages is None else list(found.messages)
            return Draft(found.base, dict(found.files), messages, found.dropped)

    def save(self, author: str, draft: Draft) -> None:
        with self._lock:
            self._drafts[author] = draft

    def drop(self, author: str) -> None:
        with self._lock:
            self._drafts.pop(author, None)


def normalized(text: str) -> str:
    """A textarea's text as a file: line ends as ``\\n`` (forms send ``\\r\\n``), ending with one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") or not text else text + "\n"


def write_ruleset(base: Path, files: dict[str, bytes]) -> None:
    """``files`` (``kind/path`` -> bytes) under ``base`` as ``rules/`` and ``criteria/``."""
    for kind in KINDS:
        (base / kind).mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def shown(text: str, folder: Path) -> str:
    """``text`` with ``folder``'s path taken out (the author knows the files by ``rules/...``, not by a scratch path)."""
    for prefix in sorted({str(folder) + "/", str(folder.resolve()) + "/"}, key=len, reverse=True):
        text = replaced(text, prefix, "")  # a message said in English stays one that can be said again
    return text


def _file_of(location: Location, folder: Path) -> str | None:
    if location.file is None:
        return None
    return shown(location.file, folder) if location.file.startswith(("/", str(folder))) else location.file


def check(folder: Path) -> list[Message]:
    """Lint of the ruleset under ``folder`` (its ``rules/`` and ``criteria/``): errors first, then warnings."""
    report = lint(folder / "rules", folder / "criteria")
    return [
        Message(_file_of(f.location, folder), f.location.line, f.location.col, f.severity, shown(f.line(), folder))
        for f in report.findings
    ]
