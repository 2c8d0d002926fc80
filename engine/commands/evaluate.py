"""``engage evaluate``: the recommendation for each request, with reasons and citations."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..decision import Decision, canonical_json
from ..errors import EngageError, InputError
from ..evaluator import Checked
from ..inputs import read_requests
from ..render import render_decision, render_summary
from .common import add_as_of_argument, add_policy_arguments, load_engine

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "evaluate"
HELP = "evaluate requests and print the recommendation for each"
DESCRIPTION = (
    "Evaluate request files against the rules. PATH is a .yaml/.yml/.json request file, a directory"
    " (every request file in it, sorted by name) or - for standard input. Exit status: 0 when every"
    " request was evaluated, 2 when an input was invalid (the valid ones are still evaluated), 1 on an"
    " internal error."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="request files, directories, or - for standard input")
    add_policy_arguments(parser)
    add_as_of_argument(parser)
    parser.add_argument(
        "--format", choices=("text", "json", "jsonl"), default="text", help="text for people (default), json or jsonl for tools"
    )


def run(args: argparse.Namespace, streams: Streams) -> int:
    engine = load_engine(args, streams)
    if engine is None:
        return 2
    invalid = 0
    internal = 0
    documents = 0
    seen_ids: dict[str, str] = {}
    results: list[tuple[Decision, dict[str, Any]]] = []
    for item in read_requests(args.paths, streams.stdin):
        if item.doc is None:
            invalid += 1
            assert item.error is not None
            streams.stderr.write(f"{item.error}\n")
            continue
        documents += 1
        try:
            checked: Checked = engine.check(item.doc.data, item.doc)
        except EngageError as exc:
            invalid += 1
            for error in getattr(exc, "errors", [exc]):
                streams.stderr.write(f"{error}\n")
            continue
        first = seen_ids.get(checked.request_id)
        if first is not None:
            invalid += 1
            error = InputError(
                "duplicate-id", f"the id '{checked.request_id}' was already used by {first}", item.doc.locate(("id",))
            )
            streams.stderr.write(f"{error}\n")
            continue
        seen_ids[checked.request_id] = checked.location.prefix()
        try:
            decision = engine.decide(checked, args.as_of)
        except EngageError as exc:  # a defect in the rules (a conflict or a gap), not in the request
            internal += 1
            streams.stderr.write(f"{exc}\n")
            continue
        results.append((decision, checked.record))
        if args.format == "jsonl":
            streams.stdout.write(decision.to_json(indent=None) + "\n")
        elif args.format == "text":
            if len(results) > 1:
                streams.stdout.write("\n")
            streams.stdout.write(render_decision(decision, engine.policy, checked.record) + "\n")
    if args.format == "json" and results:
        if documents == 1 and len(results) == 1 and invalid == 0:
            streams.stdout.write(results[0][0].to_json() + "\n")
        else:
            streams.stdout.write(canonical_json([d.to_dict() for d, _ in results]) + "\n")
    if args.format == "text" and (len(results) + invalid + internal) > 1:
        streams.stdout.write("\n" + render_summary([d for d, _ in results], invalid, engine.policy) + "\n")
    if internal:
        return 1
    return 2 if invalid else 0
