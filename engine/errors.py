"""One root exception for everything Engage reports to a user.

Every error carries a stable ``code`` (tools and tests match on it, never on the
wording) and a :class:`Location` that names the file and, where we know them, the
line, the column and the field path.  ``str(error)`` is the one-line form
``file:line:col: code: message`` used by every command; a row of a spreadsheet reads
``file:row N: column X: code: message``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# The exit status of every verb (the README's table).  70 is EX_SOFTWARE of sysexits.h: a failure
# of Engage itself, which a script must never mistake for a finding about its input.
EXIT_OK = 0  # the verb did all it was asked, and found nothing wrong
EXIT_FINDINGS = 1  # it ran, and found something wrong: lint errors, failing cases, a log that does not verify
EXIT_INPUT = 2  # it was given something it cannot use: a command line, a request, a rule file, a directory
EXIT_INTERNAL = 70  # a defect of Engage: an unexpected exception, reported on one line

# Characters a terminal or a browser would obey rather than show: control characters, and those
# that reorder or hide text (bidirectional overrides and isolates, zero-width characters, the soft
# hyphen, the BOM).  Wherever Engage shows text they are written as <U+XXXX> (Trojan Source, CVE-2021-42574).
HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_HIDDEN_IN_LINES = re.compile(f"[{HIDDEN}]")  # tab and newline are kept
_HIDDEN_IN_A_LINE = re.compile(f"[\t\n{HIDDEN}]")


def _code_point(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with every hidden character as ``<U+XXXX>``; ``lines`` keeps tabs and line breaks."""
    return (_HIDDEN_IN_LINES if lines else _HIDDEN_IN_A_LINE).sub(_code_point, text)


def hidden_character(text: str) -> str | None:
    """The first character of ``text`` that :func:`visible` would show by its code point, if any."""
    found = _HIDDEN_IN_A_LINE.search(text)
    return found.group() if found is not None else None


@dataclass(frozen=True, order=True)
class Location:
    """Where an error is.  ``line`` and ``col`` are 1-based, as editors show them."""

    file: str | None = None
    line: int | None = None
    col: int | None = None
    path: str | None = None  # dotted field path, e.g. ``presence.type`` or ``rules[2].when``
    source_line: str | None = None  # the text of ``line``, for a caret display
    row: bool = False  # a row of a table: ``line`` is the row number, ``path`` the column
    # what people are shown instead of ``path``, e.g. ``rule 'partnership.full': when.all[0]`` for
    # ``rules[0].when.all[0]``: a rule is known by its id; ``path`` stays for tools
    label: str | None = field(default=None, compare=False)

    @property
    def shown_path(self) -> str | None:
        return self.label or self.path

    def prefix(self) -> str:
        if self.row:
            return f"{self.file or '<input>'}:row {self.line}"
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def caret(self) -> str | None:
        """The source line with a caret under the column, or None when unknown."""
        if self.source_line is None or self.col is None:
            return None
        text = self.source_line.rstrip("\n")
        pad = "".join("\t" if ch == "\t" else " " for ch in text[: self.col - 1])
        return f"{text}\n{pad}^"


class EngageError(Exception):
    """The root of every error Engage reports; never shown as a traceback."""

    def __init__(
        self,
        code: str,
        message: str,
        location: Location | None = None,
        *,
        severity: str = "error",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.location = location or Location()
        self.severity = severity

    def __str__(self) -> str:
        loc = self.location
        if loc.row:  # file:row N: column X: code: message
            column = f" column {loc.path}:" if loc.path else ""
            return visible(f"{loc.prefix()}:{column} {self.code}: {self.message}")
        where = f" {loc.shown_path}:" if loc.shown_path else ""
        return visible(f"{loc.prefix()}: {self.code}:{where} {self.message}")

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (engage evaluate --jobs): rebuild them field by field,
        # since the constructor takes more than the single message Exception pickles.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file,
            "line": loc.line,
            "col": loc.col,
            "path": loc.path,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.col or 0, self.code)


def _rebuild(cls: type[EngageError], args: tuple[object, ...], state: dict[str, object]) -> EngageError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InputError(EngageError):
    """A request the engine cannot evaluate as given (exit status 2)."""


class PolicyError(EngageError):
    """A rule or criteria file the engine cannot load (exit status 2)."""


class ManyErrors(EngageError):
    """Several errors found in one pass; ``errors`` holds them, best first."""

    def __init__(self, errors: Sequence[EngageError]) -> None:
        if not errors:
            raise ValueError(f"{type(self).__name__} needs at least one error")
        first = errors[0]
        super().__init__(first.code, first.message, first.location)
        self.errors: list[EngageError] = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class LoadFailed(ManyErrors):
    """The rule or criteria files have problems; ``errors`` lists them all."""


class InvalidRequest(ManyErrors):
    """A request failed validation; ``errors`` lists every problem, best first."""


class RuleConflict(EngageError):
    """The rules gave one request two statuses, or none: a defect in the rules, not the request."""


def raise_all(errors: Iterable[EngageError]) -> None:
    """Raise :class:`LoadFailed` with ``errors`` if there are any."""
    found = list(errors)
    if found:
        raise LoadFailed(found)
