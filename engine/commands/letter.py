"""``engage letter``: the letter asking a requester for what is missing, for a request in the decision log."""

from __future__ import annotations

import argparse
import html
from datetime import date
from typing import TYPE_CHECKING

from ..errors import EXIT_FINDINGS, EXIT_OK, EngageError, Location
from ..evaluation.letter import Letter, NothingToAsk, compose
from ..evaluation.stored_decision import decision_from_dict
from ..log.logview import find_decision, superseded
from ..log.store import DECISION
from ..policy.loader import load_policy
from .common import add_db_argument, add_policy_arguments, announce_policy, as_of_date, open_store

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "letter"
HELP = "the letter asking the requester for what is missing, for a recorded request, in their language"
DESCRIPTION = (
    "Write the letter that asks the requester for the information a recorded decision is missing: who asks (the"
    " office's signature), about which request (reference, title, date received) and the questions the requester"
    " can answer, in plain words, from the template of criteria/letters.yaml. ID is a request id (its decision in"
    " force) or a record number. The language is --lang, else the request's requester.language, else the"
    " policy's first. Nothing is recorded (the web's 'Prepare the request for information' records it)."
    " Exit status: 0 when the letter was written, 1 when the decision asks the requester nothing (no letter),"
    " 2 for an unknown id or language, 70 on an internal error."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ident", metavar="ID", help="a request id (its decision in force) or a record number (17 or #17)")
    parser.add_argument("--lang", metavar="LANG", help="the letter's language: en, fr or es (default: the requester's)")
    parser.add_argument("--format", choices=("text", "html"), default="text", help="text for an e-mail (default), html to print")
    parser.add_argument("--signature", metavar="TEXT", help="who signs (default: the template's signature; \\n for new lines)")
    parser.add_argument("--date", type=as_of_date, metavar="YYYY-MM-DD", help="the letter's date (default: today)")
    parser.add_argument("--quiet", action="store_true", help="do not name the policy read on standard error")
    add_policy_arguments(parser)
    add_db_argument(parser)


def run(args: argparse.Namespace, streams: Streams) -> int:
    location = announce_policy(args, streams)
    policy = load_policy(location.rules, location.criteria)  # its errors are one line each (exit status 2)
    with open_store(args, read_only=True) as store, store.reading() as conn:
        record = find_decision(store, conn, args.ident)
        if record is not None and record.role != DECISION and record.decides is not None:
            record = store.get(record.decides, conn)  # a human decision or request for information: its decision
        if record is None or record.role != DECISION:
            raise EngageError("not-found", "no recorded request or engine decision with this id", Location(args.ident))
        by = superseded(conn).get(record.seq)
        if by is not None:
            message = f"#{record.seq} was superseded by #{by}; the letter is written for the record in force"
            raise EngageError("superseded", message, Location(args.ident))
    decision = decision_from_dict(record.decision_data(), policy.criterion_names)
    signature = args.signature.replace("\\n", "\n") if args.signature else None
    try:
        letter = compose(
            policy, decision, record.request_data(), language=args.lang, today=args.date or date.today(), signature=signature
        )
    except NothingToAsk as exc:
        streams.stderr.write(f"{record.request_id}: {exc.message}\n")
        return EXIT_FINDINGS
    streams.stdout.write(letter.email() if args.format == "text" else html_document(letter))
    return EXIT_OK


def html_document(letter: Letter) -> str:
    """A page of its own for the letter, to print or attach: nothing fetched, A4 margins."""
    style = (
        "@page{size:A4;margin:25mm 22mm}body{font:11pt/1.45 Georgia,'Times New Roman',serif;max-width:42em;margin:2em auto}"
        ".letter p{margin:0 0 1em}.letter-questions{margin:0 0 1em 1.5em}.letter-questions li{margin-bottom:.4em}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(letter.language)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(letter.subject)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f"{letter.html()}\n</body>\n</html>\n"
    )
