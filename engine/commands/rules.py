"""``engage rules``: releases of the rules, proposed with their checks, approved by the Board, in force from a date."""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, EngageError, Location
from ..evaluation.decision import canonical_json
from .common import action_adder, as_of_date, open_store

if TYPE_CHECKING:
    from ..cli import Streams
    from ..log.releases import Release, Releases

NAME = "rules"
HELP = "releases of the rules: propose (with lint, test cases and impact), approve, reject, withdraw, list, show, diff"
DESCRIPTION = (
    "A release is a version of the rule and criteria files with a number, a note, its author and the date from"
    " which it is in force. Proposing runs lint, the authors' test cases and the impact over the requests in the"
    " decision log, and keeps that report; a proposal with lint errors or failing cases is refused. Someone other"
    " than the author approves it (or rejects it); the author may withdraw it. Every step is a record in the"
    " decision log's release chain, checked by 'engage log verify'. The release in force on a date is the approved"
    " one with the latest effective date on or before it; 'engage evaluate --record' decides with it. Rolling back"
    " is proposing an earlier release's rules again. Exit status: 0 when done, 2 when refused or given something"
    " unusable (a step that cannot be taken, rules that do not pass their checks), 70 on an internal error."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = action_adder(parser)

    offer = action("propose", "propose a release from directories or a git revision; prints its number", run_propose)
    offer.add_argument("--rules", metavar="DIR", help="the rule files of the proposal (with --criteria)")
    offer.add_argument("--criteria", metavar="DIR", help="the criteria files of the proposal (with --rules)")
    offer.add_argument("--revision", metavar="REV", help="a git revision of the policy repository (instead of directories)")
    offer.add_argument("--repo", default=".", metavar="DIR", help="the git repository --revision is read from (default: .)")
    offer.add_argument("--release", type=int, metavar="N", help="propose release N's rules again (a rollback)")
    offer.add_argument("--effective", required=True, type=as_of_date, metavar="YYYY-MM-DD", help="in force from this day")
    offer.add_argument("--by", required=True, metavar="NAME", help="who proposes it (its author)")
    offer.add_argument("--note", required=True, metavar="TEXT", help="what changes and why")

    yes = action("approve", "approve a proposed release (not by its author)", run_approve)
    yes.add_argument("number", type=int, metavar="N")
    yes.add_argument("--by", required=True, metavar="NAME", help="who approves it (a Board member, not the author)")
    yes.add_argument("--justification", required=True, metavar="TEXT", help="why it is approved")

    no = action("reject", "reject a proposed release", run_reject)
    no.add_argument("number", type=int, metavar="N")
    no.add_argument("--by", required=True, metavar="NAME", help="who rejects it")
    no.add_argument("--reason", required=True, metavar="TEXT", help="why it is rejected")

    back = action("withdraw", "withdraw a proposed release (its author only)", run_withdraw)
    back.add_argument("number", type=int, metavar="N")
    back.add_argument("--by", required=True, metavar="NAME", help="its author")

    listing = action("list", "every release with its state, author, approver, date and note", run_list)
    listing.add_argument("--on", type=as_of_date, metavar="YYYY-MM-DD", help="states as on this day (default: today)")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")

    show = action("show", "one release: its hash, state, approvals and the report of its checks", run_show)
    show.add_argument("number", type=int, metavar="N")
    show.add_argument("--on", type=as_of_date, metavar="YYYY-MM-DD", help="its state as on this day (default: today)")
    show.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")

    compare = action("diff", "what changed from release A to release B, rule by rule, with the YAML lines", run_diff)
    compare.add_argument("a", type=int, metavar="A")
    compare.add_argument("b", type=int, metavar="B")


def run(args: argparse.Namespace, streams: Streams) -> int:  # pragma: no cover - each action sets its own
    return 2


def run_propose(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.rulesets import write_files
    from ..releases.checks import Candidate, from_directories, from_revision, propose_checked

    given = [bool(args.rules or args.criteria), bool(args.revision), args.release is not None]
    if sum(given) != 1 or (given[0] and not (args.rules and args.criteria)):
        raise EngageError(
            "bad-arguments",
            "give the proposal's files as --rules DIR --criteria DIR, or --revision REV, or --release N (one of them)",
            Location("rules propose"),
        )
    with open_store(args) as store, tempfile.TemporaryDirectory(prefix="engage-propose-") as scratch:
        if args.revision:
            candidate = from_revision(args.revision, Path(args.repo), Path(scratch))
        elif args.release is not None:
            from ..log.releases import releases

            earlier = releases(store).get(args.release)
            rules, criteria = write_files(store.ruleset_files(earlier.ruleset_hash), Path(scratch))
            candidate = Candidate(f"release {earlier.number}'s rules", rules, criteria, Path(scratch))
        else:
            candidate = from_directories(args.rules, args.criteria)
        release = propose_checked(store, candidate, by=args.by, note=args.note, effective_from=args.effective)
    streams.stdout.write(f"{release.number}\n")
    streams.stderr.write(
        f"proposed release {release.number} ({release.ruleset_hash[:19]}), in force from {release.effective_text()}"
        f" once approved by someone other than {release.author}\n"
    )
    return EXIT_OK


def run_approve(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.releases import approve

    with open_store(args) as store:
        release = approve(store, args.number, by=args.by, justification=args.justification)
    streams.stdout.write(f"approved release {release.number}: in force from {release.effective_text()}\n")
    return EXIT_OK


def run_reject(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.releases import reject

    with open_store(args) as store:
        release = reject(store, args.number, by=args.by, reason=args.reason)
    streams.stdout.write(f"rejected release {release.number}\n")
    return EXIT_OK


def run_withdraw(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.releases import withdraw

    with open_store(args) as store:
        release = withdraw(store, args.number, by=args.by)
    streams.stdout.write(f"withdrew release {release.number}\n")
    return EXIT_OK


def _all(args: argparse.Namespace) -> Releases:
    from ..log.releases import releases

    with open_store(args, read_only=True) as store:
        return releases(store)


def _row(found: Releases, release: Release, on: date) -> list[str]:
    approval = release.approval
    return [
        str(release.number),
        found.state(release, on),
        release.effective_text(),
        release.author,
        "" if approval is None else approval.by,
        release.note,
    ]


def run_list(args: argparse.Namespace, streams: Streams) -> int:
    from .log import _table

    found = _all(args)
    on = args.on or date.today()
    if args.format == "json":
        streams.stdout.write(canonical_json([r.to_dict(found.state(r, on)) | {"report": None} for r in found]) + "\n")
        return EXIT_OK
    rows = [["#", "state", "in force from", "author", "approved by", "note"], *(_row(found, r, on) for r in found)]
    streams.stdout.write("\n".join(_table(rows)) + "\n")
    streams.stdout.write(f"{len(found)} release{'' if len(found) == 1 else 's'}\n")
    return EXIT_OK


def run_show(args: argparse.Namespace, streams: Streams) -> int:
    from ..releases.checks import summary_lines

    found = _all(args)
    release = found.get(args.number)
    on = args.on or date.today()
    state = found.state(release, on)
    if args.format == "json":
        streams.stdout.write(canonical_json(release.to_dict(state)) + "\n")
        return EXIT_OK
    lines = [
        f"release {release.number}: {state} (as on {on.isoformat()})",
        f"  hash {release.ruleset_hash}",
        f"  in force from {release.effective_text()}",
        f"  proposed {release.proposed.at} by {release.author}: {release.note}",
    ]
    closing = release.closing
    if closing is not None and closing.step != "adopted":
        text = f": {closing.text}" if closing.text else ""
        lines.append(f"  {closing.step} {closing.at} by {closing.by}{text}")
    lines.extend(f"  {line}" for line in summary_lines(release))
    streams.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def run_diff(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.releases import releases
    from ..releases.diff import diff

    with open_store(args, read_only=True) as store:
        found = releases(store)
        a, b = found.get(args.a), found.get(args.b)
        changes = diff(store.ruleset_files(a.ruleset_hash), store.ruleset_files(b.ruleset_hash))
    lines = [f"release {a.number} -> release {b.number}: {len(changes)} change{'' if len(changes) == 1 else 's'}"]
    for change in changes:
        lines.append(f"{change.change} {change.what} {change.name}")
        lines.extend(f"  {line}" for line in change.lines)
    streams.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
