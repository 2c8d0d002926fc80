"""Arguments and steps that several verbs share."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import EngageError
from ..policy.location import PolicyLocation, locate_policy

if TYPE_CHECKING:
    from ..cli import Streams
    from ..evaluation.evaluator import Engine
    from ..log.store import LogStore

_DEFAULT = "$ENGAGE_POLICY/{0}, else {0}/ of the policy checkout you are in, else the shipped {0}/"


def add_policy_arguments(parser: argparse.ArgumentParser, criteria_help: str = "criteria files") -> None:
    parser.add_argument("--rules", metavar="DIR", help=f"rule files (default: {_DEFAULT.format('rules')})")
    parser.add_argument("--criteria", metavar="DIR", help=f"{criteria_help} (default: {_DEFAULT.format('criteria')})")


def policy_location(args: argparse.Namespace) -> PolicyLocation:
    """The rules and criteria this run reads (engine/policy/location.py), found once per run."""
    found: PolicyLocation | None = getattr(args, "policy_location", None)
    if found is None:
        found = locate_policy(getattr(args, "rules", None), getattr(args, "criteria", None))
        args.policy_location = found
    return found


def policy_line(location: PolicyLocation, ruleset_hash: str | None) -> str:
    """``engage: policy /x/co (checkout), ruleset sha256:1a2b3c4d5e6f``: which files a run read."""
    short = f", ruleset {ruleset_hash[:19]}" if ruleset_hash else ""
    return f"engage: policy {location.describe()}{short}"


def announce_policy(args: argparse.Namespace, streams: Streams) -> PolicyLocation:
    """Say on standard error which policy this run reads, and return where it is.

    Standard error, not standard output: ``--format json``/``jsonl`` output stays a document a
    tool can read as it is, and a decision's bytes stay a function of the request, the rules'
    content and the date, whichever directory they were read from.
    """
    from ..policy.loader import ruleset_hash

    location = policy_location(args)
    if not getattr(args, "quiet", False):
        streams.stderr.write(policy_line(location, ruleset_hash(location.rules, location.criteria)) + "\n")
    return location


def ruleset_dict(location: PolicyLocation, ruleset_hash: str | None) -> dict[str, object]:
    """The ``ruleset`` object of a verb's JSON report: the hash, the engine, and where the files were."""
    from .. import __version__

    return {"hash": ruleset_hash, "engine_version": __version__, **location.to_dict()}


def language(text: str) -> str:
    """argparse type for --lang: a language Engage speaks (en, fr, es), else a one-line usage error (exit status 2)."""
    from ..i18n.languages import check_language

    try:
        return check_language(text)
    except EngageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def add_lang_argument(parser: argparse.ArgumentParser, what: str) -> None:
    from ..i18n.languages import LANGUAGES

    parser.add_argument(
        "--lang",
        type=language,
        metavar="|".join(LANGUAGES),
        help=f"the language of {what} (default: the policy's own, en); the policy's words come from its files",
    )


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
    """The engine for the policy of this run (announced first), or None after printing every load error."""
    from ..evaluation.evaluator import Engine  # here: a verb's options are added without loading the engine

    location = announce_policy(args, streams)
    try:
        return Engine.load(location.rules, location.criteria, **kwargs)  # type: ignore[arg-type]
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


def at_least_one(what: str) -> Callable[[str], int]:
    """An argparse type for a whole number of ``what`` (processes, megabytes), 1 or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number of {what} (1 or more)")
        return value

    return parse
