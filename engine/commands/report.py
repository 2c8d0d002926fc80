"""``engage report``: the Board's audit report for a period, as self-contained HTML or CSV."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import EngageError, Location
from ..report.document import LIST_SHOWN, gather_counts, report_html, stream_csv
from .common import add_db_argument, add_lang_argument, day, open_store

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
    add_lang_argument(parser, "the HTML report (the CSV keeps its codes and column names)")
    add_db_argument(parser)


def run(args: argparse.Namespace, streams: Streams) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise EngageError("bad-period", f"--from {args.date_from} is after --to {args.date_to}", Location("--from"))
    with open_store(args, read_only=True) as store:
        # The figures from the log's kept counts; the HTML lists the first LIST_SHOWN decisions, the CSV
        # every one, read and written a batch at a time: memory does not grow with the log.
        listed = 0 if args.format == "csv" else LIST_SHOWN
        data = gather_counts(store, args.date_from, args.date_to, shown=LIST_SHOWN, listed=listed, lang=args.lang)
        try:
            out = streams.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise EngageError("cannot-write", exc.strerror or str(exc), Location(args.out)) from None
        try:
            if args.format == "csv":
                stream_csv(store, data, out)
            else:
                out.write(report_html(store, data, args.lang))
        except OSError as exc:
            raise EngageError("cannot-write", exc.strerror or str(exc), Location(args.out)) from None
        finally:
            if out is not streams.stdout:
                out.close()
    if args.out != "-":
        period = f"{data.date_from.isoformat()} to {data.date_to.isoformat()}"
        found = data.entries_total if data.entries_total is not None else len(data.entries)
        streams.stderr.write(f"wrote {args.out}: {found} decision{'s' if found != 1 else ''} from {period}\n")
    return 0
