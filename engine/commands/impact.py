"""``engage impact``: how a change of the rules would change the decisions on a corpus of requests."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..authoring.impact import RuleSet, compare, read_items, render_csv, render_json, render_text, resolve
from ..errors import EngageError
from ..evaluation.decision import canonical_json
from ..evaluation.evaluator import Engine
from ..policy.loader import display_path
from .common import add_as_of_argument, announce_policy, ruleset_dict

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "impact"
HELP = "compare two versions of the rules on a corpus of requests"
DESCRIPTION = (
    "Evaluate a corpus of requests with two versions of the rules and report what changes: the number of requests"
    " per (old outcome -> new outcome), the requests whose outcome changed with the rules whose firing changed,"
    " and score changes beyond a threshold. OLD and NEW are each a directory holding rules/ and criteria/, or a git"
    " revision of the repository (HEAD~1, a tag, a commit), read without touching the work tree. CORPUS is request"
    " files, directories of them, or - for standard input. Exit status: 0 when every request was evaluated, 2 when"
    " an input or a rule set is invalid."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", nargs="+", metavar="CORPUS", help="request files, directories, or - for standard input")
    parser.add_argument("--base", required=True, metavar="OLD", help="the rules before the change: a directory or a git revision")
    parser.add_argument(
        "--head",
        metavar="NEW",
        help="the rules after the change: a directory or a git revision (default: the policy the other verbs use)",
    )
    parser.add_argument("--repo", default=".", metavar="DIR", help="the git repository revisions are read from (default: .)")
    add_as_of_argument(parser)
    parser.add_argument(
        "--threshold", type=float, default=0, metavar="N", help="list score changes larger than N points (default: 0, any change)"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "csv"), default="text", help="text for people (default), json or csv for tools"
    )


def _engine(side: RuleSet, what: str, streams: Streams) -> Engine | None:
    try:
        return Engine.load(side.rules_dir, side.criteria_dir)
    except EngageError as exc:
        streams.stderr.write(f"engage impact: the {what} rules ({side.label}) do not load:\n")
        for error in getattr(exc, "errors", [exc]):
            streams.stderr.write(f"{error}\n")
        return None


def run(args: argparse.Namespace, streams: Streams) -> int:
    with tempfile.TemporaryDirectory(prefix="engage-impact-") as scratch:
        repo = Path(args.repo)
        base = resolve(args.base, repo, Path(scratch))
        location = None
        if args.head is None:
            location = announce_policy(args, streams)
            rules, criteria = location.rules, location.criteria
            head = RuleSet(f"{display_path(rules)} and {display_path(criteria)}", rules, criteria)
        else:
            head = resolve(args.head, repo, Path(scratch))
        old = _engine(base, "old", streams)
        new = _engine(head, "new", streams)
        if old is None or new is None:
            return 2
        items = read_items(args.corpus, streams.stdin)
        report = compare(old, new, items, args.as_of, base_label=base.label, head_label=head.label, threshold=args.threshold)
    if args.format == "json" and location is not None:  # NEW was found, not named: say where
        text = canonical_json({**report.to_dict(), "ruleset": ruleset_dict(location, new.policy.hash)})
    else:
        text = {"json": render_json, "csv": render_csv}.get(args.format, render_text)(report)
    streams.stdout.write(text + "\n")
    invalid = [r for r in report.requests if r.old.errors or r.new.errors]
    for text in report.unreadable:
        streams.stderr.write(f"{text}\n")
    return 2 if invalid or report.unreadable else 0
