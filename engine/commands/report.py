"""``engage report``: the Board's audit report for a period, as self-contained HTML or CSV."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..audit import verify
from ..errors import EngageError, Location
from ..figures import Labels, compute, register_in_period
from ..logview import entries as decisions_in_force
from ..logview import superseded
from ..register import build_register
from ..report import LogInfo, render_csv, render_html
from ..rulesets import load_stored
from ..store import records
from .common import add_db_argument, day, open_store

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "report"
HELP = "the Board's audit report for a period: HTML (self-contained, prints on A4) or CSV"
DESCRIPTION = (
    "Decisions per outcome over time and per region, the exception rate and its trend, the conditions that most"
    " often fail, the priority score distribution, the exception register, how often people follow the engine"
    " (and every departure with its justification), and every decision with its reasons. Dates are evaluation"
    " dates (as_of); the period defaults to the first and last recorded ones."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", type=day, metavar="YYYY-MM-DD", help="first day of the period")
    parser.add_argument("--to", dest="date_to", type=day, metavar="YYYY-MM-DD", help="last day of the period")
    parser.add_argument("--out", metavar="FILE", default="-", help="where to write the report (default: standard output)")
    parser.add_argument("--format", choices=("html", "csv"), default="html", help="html (default) or csv for a spreadsheet")
    add_db_argument(parser)


def run(args: argparse.Namespace, streams: Streams) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise EngageError("bad-period", f"--from {args.date_from} is after --to {args.date_to}", Location("--from"))
    with open_store(args) as store:
        with store.reading() as conn:
            found = decisions_in_force(store, conn, date_from=args.date_from, date_to=args.date_to)
            every_decision = store.select(conn, records.c.decision.isnot(None))
            gone = superseded(conn)
        dates = sorted(e.as_of for e in found)
        date_from = args.date_from or (date.fromisoformat(dates[0]) if dates else date.today())
        date_to = args.date_to or (date.fromisoformat(dates[-1]) if dates else date_from)
        policy = None
        if found:
            newest = max(found, key=lambda e: (e.as_of, e.seq))
            loaded = load_stored(store, newest.record.ruleset_hash or "", cache_size=0)
            policy = loaded.policy
            if loaded.engine is not None:
                loaded.engine.close()
        labels = Labels.of(policy)
        criteria = policy.criterion_names if policy else ()
        if args.format == "csv":
            text = render_csv(found, criteria)
        else:
            chain = verify(store, replay=False)
            info = LogInfo(
                store.where, chain.records, chain.head_seq, chain.head_hash, chain.ok, tuple(str(p) for p in chain.problems)
            )
            figures = compute(
                found,
                date_from,
                date_to,
                outcome_order=tuple(policy.vocab.outcomes) if policy else (),
                criteria_order=criteria,
            )
            register = register_in_period(build_register(every_decision, gone), date_from, date_to)
            text = render_html(figures, found, register, labels, info)
    if args.out == "-":
        streams.stdout.write(text)
    else:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise EngageError("cannot-write", exc.strerror or str(exc), Location(args.out)) from None
        period = f"{date_from.isoformat()} to {date_to.isoformat()}"
        streams.stderr.write(f"wrote {args.out}: {len(found)} decision{'s' if len(found) != 1 else ''} from {period}\n")
    return 0
