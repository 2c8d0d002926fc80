"""``engage lint``: check rule and criteria files; every problem at once, with a request that shows it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..authoring.lint import lint, render_text
from ..errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK
from ..evaluation.decision import canonical_json
from ..policy.loader import ruleset_hash
from .common import add_policy_arguments, announce_policy, ruleset_dict

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "lint"
HELP = "check rule and criteria files: load errors, conflicts, gaps, rules that never fire"
DESCRIPTION = (
    "Check the rule and criteria files. Reports every load error, and, by asking the z3 solver over the values"
    " the rules read: two status rules that can disagree, requests that get no status or no outcome, rules that"
    " never fire, exceptions that could set aside the integrity of the mandate, and gaps between versions of a"
    " rule. Each finding is one line, file:line:col: severity: message [check-id], with a request that shows it"
    " (evaluated by the engine before it is shown)."
    " Exit status: 0 when there is no error-level finding, 1 when there is one, 2 when a directory is missing or"
    " holds no YAML file, 70 on an internal error."
)
# A directory that is not there (or empty) was mistyped on the command line: nothing was checked.
NOTHING_TO_CHECK = frozenset({"not-a-directory", "no-files"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_policy_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")


def run(args: argparse.Namespace, streams: Streams) -> int:
    location = announce_policy(args, streams)
    report = lint(location.rules, location.criteria)
    if args.format == "json":
        data = {**report.to_dict(), "ruleset": ruleset_dict(location, ruleset_hash(location.rules, location.criteria))}
        streams.stdout.write(canonical_json(data) + "\n")
    else:
        streams.stdout.write(render_text(report) + "\n")
    if any(f.check in NOTHING_TO_CHECK for f in report.findings):
        return EXIT_INPUT
    return EXIT_FINDINGS if report.errors else EXIT_OK
