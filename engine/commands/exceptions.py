"""``engage exceptions``: the exception register, from the decision log."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from ..evaluation.decision import canonical_json
from ..log.register import RegisterEntry, expiring
from .common import add_as_of_argument, add_db_argument, open_store

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "exceptions"
HELP = "the exception register: every exception seen, applied or rejected, and the decisions that used it"
DESCRIPTION = (
    "Every exception (E/CN.4/2006/104 para 23) in the recorded decisions: what it waives, its justification,"
    " who requested and approved it, when it expires, and each decision that considered it (applied,"
    " rejected or not considered)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--expiring-within",
        type=int,
        metavar="DAYS",
        help="only exceptions still in force that expire within DAYS days of today (or --as-of)",
    )
    add_as_of_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")
    add_db_argument(parser)


def run(args: argparse.Namespace, streams: Streams) -> int:
    today = args.as_of or date.today()
    from ..log.kept import whole_register

    with open_store(args, read_only=True) as store, store.reading() as conn:
        register = whole_register(conn)  # from the kept table of exceptions, not every decision
    if args.expiring_within is not None:
        if args.expiring_within < 0:
            streams.stderr.write("--expiring-within: DAYS must be 0 or more\n")
            return 2
        # No date is after date.max: a window past it is the same as one that ends there.
        register = expiring(register, today, min(args.expiring_within, (date.max - today).days))
    if args.format == "json":
        streams.stdout.write(canonical_json([e.to_dict(today) for e in register]) + "\n")
        return 0
    if not register:
        streams.stdout.write("no exceptions" + (" expiring in that period" if args.expiring_within is not None else "") + "\n")
        return 0
    blocks = [_entry_text(e, today) for e in register]
    streams.stdout.write("\n\n".join(blocks) + "\n")
    applied = sum(1 for e in register if e.status == "applied")
    streams.stdout.write(
        f"\n{len(register)} exception{'s' if len(register) != 1 else ''}: {applied} applied in the decision in force\n"
    )
    return 0


def _entry_text(entry: RegisterEntry, today: date) -> str:
    left = entry.days_left(today)
    if entry.expires is None:
        expiry = "no expiry date"
    elif left is None:
        expiry = f"expires {entry.expires}"
    elif left < 0:
        expiry = f"expired {entry.expires} ({-left} days ago)"
    else:
        expiry = f"expires {entry.expires} (in {left} day{'s' if left != 1 else ''})"
    lines = [
        f"{entry.request_id}: {entry.status.replace('_', ' ')}; waives {', '.join(entry.waives) or 'nothing'}",
        f"  justification: {entry.justification or '(none given)'}",
        f"  requested by {entry.requested_by or '(nobody named)'}; approved by {entry.approved_by or '(not approved)'}; {expiry}",
        "  decisions:",
    ]
    for use in entry.uses:
        note = f" [superseded by #{use.superseded_by}]" if use.superseded_by else ""
        uncovered = f"; does not cover {', '.join(use.uncovered)}" if use.uncovered and use.decision != "applied" else ""
        lines.append(f"    #{use.seq} as of {use.as_of}: {use.decision.replace('_', ' ')} -> {use.outcome}{uncovered}{note}")
    return "\n".join(lines)
