"""``engage evaluate``: the recommendation for each request, with reasons and citations."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..batch import Result, evaluate_items
from ..decision import canonical_json
from ..errors import Location
from ..inputs import Item, read_requests
from ..render import render_decision, render_summary
from ..store import Draft, LogStore, decision_draft
from .common import (
    add_as_of_argument,
    add_db_argument,
    add_policy_arguments,
    add_user_argument,
    current_user,
    load_engine,
    open_store,
)

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
    parser.add_argument(
        "--record",
        action="store_true",
        help="also store each decision in the decision log, with the request as received and the rules that made it",
    )
    add_db_argument(parser)
    add_user_argument(parser)


RECORD_BATCH = 100  # decisions appended to the log per transaction


class _Recorder:
    """Appends decisions to the log as they are printed, a batch per transaction."""

    def __init__(self, store: LogStore, user: str) -> None:
        self.store = store
        self.user = user
        self.pending: list[Draft] = []
        self.recorded: list[int] = []
        self.received: dict[Location, Any] = {}  # the document as received, by its location

    def tap(self, items: Iterable[Item]) -> Iterator[Item]:
        for item in items:
            if item.doc is not None:
                self.received[item.doc.locate(())] = item.doc.data
            yield item

    def add(self, result: Result) -> None:
        assert result.decision is not None
        request = self.received.pop(result.location, result.record)
        self.pending.append(decision_draft(request, result.decision, self.user, result.source))
        if len(self.pending) >= RECORD_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.recorded.extend(r.seq for r in self.store.append(self.pending))
            self.pending = []


def run(args: argparse.Namespace, streams: Streams) -> int:
    engine = load_engine(args, streams)
    if engine is None:
        return 2
    recorder: _Recorder | None = None
    items: Iterable[Item] = read_requests(args.paths, streams.stdin)
    if args.record:
        store = open_store(args)
        user = current_user(args)
        store.save_ruleset(engine.policy, user)
        recorder = _Recorder(store, user)
        items = recorder.tap(items)
    try:
        return _evaluate(args, streams, engine, items, recorder)
    finally:
        if recorder is not None:
            recorder.store.close()


def _evaluate(args: argparse.Namespace, streams: Streams, engine: Any, items: Iterable[Item], recorder: _Recorder | None) -> int:
    results: list[Result] = []
    decided: list[Result] = []
    for result in evaluate_items(engine, items, args.as_of):
        results.append(result)
        for error in result.errors:
            streams.stderr.write(f"{error}\n")
        if result.decision is None:
            continue
        decided.append(result)
        if args.format == "jsonl":
            streams.stdout.write(result.decision.to_json(indent=None) + "\n")
        elif args.format == "text":
            if len(decided) > 1:
                streams.stdout.write("\n")
            streams.stdout.write(render_decision(result.decision, engine.policy, result.record) + "\n")
        if recorder is not None:
            recorder.add(result)
    invalid = sum(1 for r in results if not r.ok and not r.internal)
    internal = sum(1 for r in results if r.internal)
    if args.format == "json" and decided:
        if len(results) == 1:
            streams.stdout.write(decided[0].decision.to_json() + "\n")  # type: ignore[union-attr]
        else:
            streams.stdout.write(canonical_json([r.decision.to_dict() for r in decided if r.decision]) + "\n")
    if args.format == "text" and len(results) > 1:
        summary = render_summary([r.decision for r in decided if r.decision], invalid + internal, engine.policy)
        streams.stdout.write("\n" + summary + "\n")
    if recorder is not None:
        recorder.flush()
        done = recorder.recorded
        span = "" if not done else f" (#{done[0]})" if len(done) == 1 else f" (#{done[0]} to #{done[-1]})"
        streams.stderr.write(f"recorded {len(done)} decision{'' if len(done) == 1 else 's'} in {recorder.store.where}{span}\n")
    if internal:
        return 1
    return 2 if invalid else 0
