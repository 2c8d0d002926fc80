"""``engage explain``: every rule the engine considered for one request, and what would change the outcome."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from ..authoring.explain import BUDGET_SECONDS, explain, render_text
from ..batches.inputs import read_requests
from ..errors import EngageError, InputError, Location
from ..evaluation.decision import canonical_json
from .common import add_as_of_argument, add_lang_argument, add_policy_arguments, load_engine, policy_location, ruleset_dict

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "explain"
HELP = "show every rule considered for one request, and the smallest changes that would alter the outcome"
DESCRIPTION = (
    "Explain the decision for one request: each stage's rules, whether each fired, and the value each field test"
    " saw; the path through the outcome table; and, for each other outcome, the fewest field changes"
    " that would lead to it (found by the z3 solver, each checked by the engine). REQUEST is a request file or -"
    " for standard input. Exit status: 0 on success, 2 when the request or the rules are invalid."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("request", metavar="REQUEST", help="one request file (.yaml, .yml, .json), or - for standard input")
    add_policy_arguments(parser)
    add_as_of_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")
    parser.add_argument(
        "--max-fields",
        type=int,
        default=None,
        choices=range(1, 100),
        metavar="N",
        help="offer only changes of up to N fields (default: no limit; the fewest changes are always found)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=BUDGET_SECONDS,
        metavar="SECONDS",
        help=f"stop the search for changes after SECONDS, naming the outcomes it did not finish (default {BUDGET_SECONDS:g} s)",
    )
    add_lang_argument(parser, "the text (--format json is the same in every language)")


def run(args: argparse.Namespace, streams: Streams) -> int:
    engine = load_engine(args, streams)
    if engine is None:
        return 2
    items = list(read_requests([args.request], streams.stdin))
    if len(items) != 1:
        where = items[1].doc.locate(()) if items[1].doc is not None else Location(args.request)
        raise InputError("several-requests", f"explain takes one request; this input holds {len(items)}", where)
    item = items[0]
    if item.doc is None:
        raise item.error or InputError("unreadable", "could not be read", Location(args.request))
    try:
        checked = engine.check(item.doc.data, item.doc)
    except EngageError as exc:
        for error in getattr(exc, "errors", [exc]):
            streams.stderr.write(f"{error}\n")
        return 2
    as_of = args.as_of or date.today()
    source = "given" if args.as_of else "today"
    result = explain(engine, checked, as_of, source, max_fields=args.max_fields, budget=args.time_limit)
    if args.format == "json":
        data = {**result.to_dict(), "ruleset": ruleset_dict(policy_location(args), engine.policy.hash)}
        streams.stdout.write(canonical_json(data) + "\n")
    else:
        streams.stdout.write(render_text(result, engine.policy, args.lang) + "\n")
    return 0
