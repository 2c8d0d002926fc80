"""``engage test``: run the policy authors' test cases; a diff per failure and the rules no case made fire."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..authoring.casetest import case_files, default_case_dir, render_text, run_cases
from .common import add_policy_arguments, load_engine, policy_location

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "test"
HELP = "run test cases (default: rules/tests/*.yaml) and report rule coverage"
DESCRIPTION = (
    "Run test cases: YAML files with a request (or a patch over a named base request) and the decision it must"
    " get (outcome, statuses, score, decisive rules, missing fields). PATH is a case file or a directory of them"
    " (default: tests/ under the rules directory). Prints a diff for each failing case and the rules that no case"
    " made fire. Exit status: 0 when every case passes, 1 when one fails, 2 when a case or rule file is invalid."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="case files or directories (default: RULES/tests/)")
    add_policy_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")


def run(args: argparse.Namespace, streams: Streams) -> int:
    engine = load_engine(args, streams, cache_size=0)
    if engine is None:
        return 2
    paths = args.paths or [default_case_dir(policy_location(args).rules)]
    files, errors = case_files(paths)
    for error in errors:
        streams.stderr.write(f"{error}\n")
    if errors:
        return 2
    result = run_cases(engine, files)
    for error in result.errors:
        streams.stderr.write(f"{error}\n")
    streams.stdout.write(render_text(result, verbose=args.verbose) + "\n")
    if result.errors:
        return 2
    return 0 if result.ok else 1
