"""``engage evaluate``: the recommendation for each request, with reasons and citations."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from ..batch import Result, evaluate_items
from ..decision import canonical_json
from ..errors import EngageError
from ..inputs import Item, expected_count, read_requests
from ..outputs import DecisionWriter, check_out_path
from ..progress import open_progress
from ..render import render_decision, render_summary
from .common import add_as_of_argument, add_policy_arguments, load_engine

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "evaluate"
HELP = "evaluate requests and print the recommendation for each"
DESCRIPTION = (
    "Evaluate request files against the rules. PATH is a .yaml/.yml/.json request file, a .csv/.xlsx/.jsonl"
    " batch (one request per row or line), a directory (every .yaml/.yml/.json file in it, sorted by name) or"
    " - for standard input. Exit status: 0 when every request was evaluated, 2 when an input was invalid (the"
    " valid ones are still evaluated), 1 on an internal error."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="request files, batches, directories, or - for standard input")
    add_policy_arguments(parser)
    add_as_of_argument(parser)
    parser.add_argument(
        "--format", choices=("text", "json", "jsonl"), default="text", help="text for people (default), json or jsonl for tools"
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the decisions to FILE (.xlsx, .csv or .jsonl) instead of standard output, which gets the summary",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")


def run(args: argparse.Namespace, streams: Streams) -> int:
    out = check_out_path(args.out, args.paths) if args.out else None  # a bad name fails before any work
    engine = load_engine(args, streams)
    if engine is None:
        return 2
    progress = open_progress(
        streams.stderr,
        quiet=args.quiet,
        count=lambda: expected_count(args.paths),
        stdout=streams.stdout if out is None and args.format == "text" else None,
    )
    writer = DecisionWriter(out, engine.policy, args.as_of or date.today()) if out is not None else None
    results: list[Result] = []
    decided: list[Result] = []
    ids: dict[str, str | None] = {}  # where an input is -> its id, to name the inputs that fail in --out

    def noted(items: Iterable[Item]) -> Iterator[Item]:
        for item in items:
            if writer is not None:
                ids[item.where] = item.request_id
            yield item

    try:
        for result in evaluate_items(engine, noted(read_requests(args.paths, streams.stdin)), args.as_of):
            results.append(result)
            for error in result.errors:
                progress.write(str(error))
            progress.advance()
            if writer is not None:
                writer.add(result, ids.pop(result.location.prefix(), None))
            if result.decision is None:
                continue
            decided.append(result)
            if writer is not None:
                continue
            if args.format == "jsonl":
                streams.stdout.write(result.decision.to_json(indent=None) + "\n")
            elif args.format == "text":
                if len(decided) > 1:
                    streams.stdout.write("\n")
                streams.stdout.write(render_decision(result.decision, engine.policy, result.record) + "\n")
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        progress.close()
    invalid = sum(1 for r in results if not r.ok and not r.internal)
    internal = sum(1 for r in results if r.internal)
    if writer is not None:
        try:
            writer.close()
        except EngageError as exc:
            streams.stderr.write(f"{exc}\n")
            return 2
        if not args.quiet:
            summary = render_summary([r.decision for r in decided if r.decision], invalid + internal, engine.policy)
            streams.stdout.write(f"{summary}\nwrote {args.out}\n")
    elif args.format == "json" and decided:
        if len(results) == 1:
            streams.stdout.write(decided[0].decision.to_json() + "\n")  # type: ignore[union-attr]
        else:
            streams.stdout.write(canonical_json([r.decision.to_dict() for r in decided if r.decision]) + "\n")
    elif args.format == "text" and len(results) > 1 and not args.quiet:
        summary = render_summary([r.decision for r in decided if r.decision], invalid + internal, engine.policy)
        streams.stdout.write("\n" + summary + "\n")
    if internal:
        return 1
    return 2 if invalid else 0
