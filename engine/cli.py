"""The ``engage`` command.  One verb per module in :mod:`engine.commands`.

``main(argv, stdout, stderr, stdin) -> int`` takes its streams, so tests call it
directly.  Exit status (the table in :mod:`engine.errors` and the README): 0 when everything
was done, 1 for findings (lint errors, failing cases...), 2 for bad input (a request, a rule
file, a command line), 70 for an internal error.  Errors are one line each, never a
traceback (set ``ENGAGE_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from . import __version__
from .commands import COMMANDS
from .errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, EngageError


@dataclass
class Streams:
    stdout: TextIO
    stderr: TextIO
    stdin: TextIO | None = None


class UsageError(Exception):
    def __init__(self, message: str, status: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse writing to the given streams and raising instead of exiting."""

    def __init__(self, *args: Any, streams: Streams, **kwargs: Any) -> None:
        self.streams = streams
        super().__init__(*args, **kwargs)

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            target = self.streams.stderr if file is sys.stderr else self.streams.stdout
            target.write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.streams.stderr.write(message)
        raise UsageError("", status)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def version_text() -> str:
    from .evaluation.matcher import version as durable_version

    return f"engage {__version__} (durable-rules {durable_version()}, Python {platform.python_version()})"


def build_parser(streams: Streams, argv: Sequence[str] = ()) -> _Parser:
    """The parser; only the verb named in ``argv`` (if any) has its module loaded and its options added."""
    parser = _Parser(
        prog="engage",
        description="Triage requests for technical cooperation against the engagement criteria of E/CN.4/2006/104.",
        streams=streams,
    )
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for command in COMMANDS:
        child = sub.add_parser(command.name, help=command.help, streams=streams)
        if command.name == chosen:
            module = command.load()
            child.description = module.DESCRIPTION
            module.add_arguments(child)
            child.set_defaults(run=module.run)
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    streams = Streams(stdout or sys.stdout, stderr or sys.stderr, stdin if stdin is not None else sys.stdin)
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(streams, words)
        args = parser.parse_args(words)
        if not getattr(args, "command", None):
            parser.print_help(streams.stdout)
            return EXIT_INPUT
        status: int = args.run(args, streams)
        return status
    except UsageError as exc:
        if str(exc):
            streams.stderr.write(f"{exc}\n")
        return exc.status
    except EngageError as exc:
        streams.stderr.write(f"{exc}\n")
        return EXIT_INPUT
    except BrokenPipeError:  # pragma: no cover - e.g. `engage evaluate ... | head`
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 70
        if os.environ.get("ENGAGE_DEBUG"):
            traceback.print_exc(file=streams.stderr)
        streams.stderr.write(f"engage: internal error: {type(exc).__name__}: {exc}\n")
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
