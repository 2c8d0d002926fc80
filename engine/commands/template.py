"""``engage template``: a blank intake workbook (or CSV header) with one column per request field."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..batches.template import csv_header, template_columns, write_template
from ..batches.workbooks import save_workbook, write_atomically
from ..errors import EngageError
from ..policy.loader import load_policy
from .common import add_lang_argument, add_policy_arguments, announce_policy

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "template"
HELP = "write a blank intake workbook (.xlsx) or CSV header for a batch of requests"
DESCRIPTION = (
    "Write the intake template: one column per request field (dotted names such as presence.type), a note on"
    " each header explaining the field, drop-down lists for every closed list and yes/no for booleans, and a"
    " second sheet listing the vocabularies. The format comes from --format or the suffix of --out;"
    " --format csv without --out prints the CSV header."
)

FORMATS = ("xlsx", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help="the file to write (.xlsx or .csv)")
    parser.add_argument("--format", choices=FORMATS, help="xlsx (default) or csv; by default from the suffix of --out")
    add_policy_arguments(parser, criteria_help="criteria files, whose vocabularies fill the lists")
    add_lang_argument(parser, "the notes, labels, help and messages (the headers stay the field paths, the values their codes)")


def _format(args: argparse.Namespace, streams: Streams) -> str | None:
    suffix = Path(args.out).suffix.lower().lstrip(".") if args.out else None
    if args.format and suffix and suffix != args.format:
        streams.stderr.write(f"engage template: --format {args.format} does not match --out {args.out}\n")
        return None
    fmt: str = args.format or suffix or ""
    if fmt not in FORMATS:
        streams.stderr.write("engage template: name the file with --out intake.xlsx (or intake.csv), or give --format csv\n")
        return None
    if fmt == "xlsx" and not args.out:
        streams.stderr.write("engage template: a workbook needs a file name: --out intake.xlsx\n")
        return None
    return fmt


def run(args: argparse.Namespace, streams: Streams) -> int:
    fmt = _format(args, streams)
    if fmt is None:
        return 2
    try:
        location = announce_policy(args, streams)
        policy = load_policy(location.rules, location.criteria)
        if fmt == "csv":
            header = csv_header(template_columns(policy))
            if not args.out:
                streams.stdout.write(header)
                return 0
            write_atomically(Path(args.out), header.encode("utf-8"))
        else:
            save_workbook(write_template(policy, args.lang), Path(args.out))
    except EngageError as exc:
        for error in getattr(exc, "errors", [exc]):
            streams.stderr.write(f"{error}\n")
        return 2
    streams.stdout.write(f"wrote {args.out}\n")
    return 0
