"""``engage lint``: check rule and criteria files; every problem at once, with a request that shows it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..authoring.lint import lint, render_json, render_text
from ..policy.shipped import shipped_dir
from .common import add_policy_arguments

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
    " Exit status: 1 when there is an error-level finding, 0 otherwise."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_policy_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")


def run(args: argparse.Namespace, streams: Streams) -> int:
    report = lint(args.rules or shipped_dir("rules"), args.criteria or shipped_dir("criteria"))
    streams.stdout.write((render_json(report) if args.format == "json" else render_text(report)) + "\n")
    return 1 if report.errors else 0
