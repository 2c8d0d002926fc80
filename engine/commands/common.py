"""Arguments and steps that several verbs share."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import EngageError

if TYPE_CHECKING:
    from ..cli import Streams
    from ..evaluation.evaluator import Engine
    from ..log.store import LogStore


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", metavar="DIR", help="rule files (default: the shipped rules/)")
    parser.add_argument("--criteria", metavar="DIR", help="criteria files (default: the shipped criteria/)")


def as_of_date(text: str) -> date:
    """argparse type for --as-of."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def add_as_of_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=as_of_date,
        metavar="YYYY-MM-DD",
        help="the evaluation date (default: today); exceptions expire and rules come into force against it",
    )


def load_engine(args: argparse.Namespace, streams: Streams, **kwargs: object) -> Engine | None:
    """The engine for --rules/--criteria, or None after printing every load error."""
    from ..evaluation.evaluator import Engine  # here: a verb's options are added without loading the engine

    try:
        return Engine.load(args.rules, args.criteria, **kwargs)  # type: ignore[arg-type]
    except EngageError as exc:
        for error in getattr(exc, "errors", [exc]):
            streams.stderr.write(f"{error}\n")
        return None


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="the decision log: a file path, sqlite:///PATH or postgresql://USER@HOST/DB"
        " (default: $ENGAGE_DB, else a SQLite file in your data directory)",
    )


def action_adder(parser: argparse.ArgumentParser) -> Callable[[str, str, Any], argparse.ArgumentParser]:
    """For a verb with actions (``engage log list``): adds one action, with ``--db``, running ``run``."""
    streams = getattr(parser, "streams", None)
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))

    def action(name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
        child: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text, streams=streams)
        add_db_argument(child)
        child.set_defaults(run=run)
        return child

    return action


def add_user_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="who records it (default: your login name)")


def current_user(args: argparse.Namespace) -> str:
    """``--user``, else the login name of the process."""
    given = getattr(args, "user", None)
    if given and given.strip():
        return str(given).strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without a passwd entry)
        return f"uid:{os.getuid()}"


def open_store(args: argparse.Namespace, read_only: bool = False) -> LogStore:
    """The decision log named by ``--db`` (or ``ENGAGE_DB``, or the default), created or upgraded on first use.

    ``read_only``: the verb only reads, so a log on read-only media is opened as it is.
    """
    from ..log.store import LogStore  # the database layer loads only for the verbs that need it

    return LogStore.open(getattr(args, "db", None), read_only=read_only)


def day(text: str) -> date:
    """argparse type for --from and --to."""
    return as_of_date(text)
