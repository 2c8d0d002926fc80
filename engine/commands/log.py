"""``engage log``: list, show, verify the decision log; record human decisions and corrections."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..batches.inputs import read_requests
from ..batches.processes import default_jobs, worker_pool
from ..batches.progress import Progress, open_progress
from ..errors import EngageError, Location
from ..evaluation.decision import canonical_json
from ..evaluation.render import render_decision
from ..evaluation.stored_decision import decision_from_dict
from ..log.audit import Anchor, AuditResult, verify
from ..log.logview import Entry, HumanDecision, entries, find_decision, history, human_decisions, superseded
from ..log.review import correct, decide
from ..log.rulesets import load_stored
from ..log.store import DECISION, HUMAN_DECISION, INFORMATION_REQUEST, LogRecord, LogStore
from .common import (
    action_adder,
    add_as_of_argument,
    add_policy_arguments,
    add_user_argument,
    at_least_one,
    current_user,
    day,
    load_engine,
    open_store,
)

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "log"
HELP = "the decision log: list, show and verify recorded decisions; record what people decided"
DESCRIPTION = (
    "The decision log holds every decision recorded with 'engage evaluate --record', the human decisions"
    " taken on them and corrections, in a hash chain that nothing updates or deletes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = action_adder(parser)

    listing = action("list", "list the decisions in force (newest last)", run_list)
    listing.add_argument("--from", dest="date_from", type=day, metavar="YYYY-MM-DD", help="evaluated on or after this day")
    listing.add_argument("--to", dest="date_to", type=day, metavar="YYYY-MM-DD", help="evaluated on or before this day")
    listing.add_argument("--outcome", help="only this outcome of the engine (e.g. engage)")
    listing.add_argument("--country", metavar="ISO3", help="only this country (ISO 3166-1 alpha-3)")
    listing.add_argument("--region", help="only this region")
    listing.add_argument("--all", action="store_true", help="every record in log order, superseded ones and corrections too")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")

    show = action("show", "show one record: the decision with its reasons and citations, the request, the ruleset", run_show)
    show.add_argument("ident", metavar="ID", help="a record number (17 or #17) or a request id (its decision in force)")
    show.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")

    check = action("verify", "walk the hash chain and replay every decision with its stored rules", run_verify)
    check.add_argument("--no-replay", action="store_true", help="check the chain only")
    check.add_argument(
        "--from",
        dest="start",
        type=_record_number,
        default=1,
        metavar="N",
        help="check records N to the head only, joined to record N-1's stored hash (log_in_force is checked by a full verify)",
    )
    check.add_argument("--quiet", action="store_true", help="no progress bar on a terminal")
    check.add_argument(
        "--jobs",
        type=at_least_one("processes"),
        default=None,
        metavar="N",
        help="hash and replay in N worker processes (default: every core for 5,000 records or more)",
    )
    check.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="N:HASH",
        help="a record number and hash kept elsewhere (e.g. from a report): checks the log was not cut or rewritten",
    )

    keep = action("backup", "a checked, consistent copy of the log while it is in use", run_backup)
    keep.add_argument("dest", metavar="DEST", help="the file to write (a SQLite file, or a pg_dump -Fc archive)")

    out = action("export", "write the whole log to a portable archive (not the web accounts)", run_export)
    out.add_argument("file", metavar="FILE", help="the archive to write (replaced atomically)")

    into = action("import", "rebuild a log in an empty database from an archive, verifying its whole chain first", run_import)
    into.add_argument("file", metavar="FILE", help="an archive written by 'engage log export'")

    decide_parser = action("decide", "record the final human decision on a recorded engine decision", run_decide)
    decide_parser.add_argument("ident", metavar="ID", help="the decision's record number or request id")
    decide_parser.add_argument("--decision", required=True, metavar="OUTCOME", help="what was decided (an outcome, e.g. engage)")
    decide_parser.add_argument("--by", required=True, metavar="NAME", help="who decided")
    decide_parser.add_argument(
        "--justification", metavar="TEXT", help="why; required when the decision departs from the engine's recommendation"
    )
    add_user_argument(decide_parser)

    fix = action("correct", "supersede a record with a corrected one (or withdraw it)", run_correct)
    fix.add_argument("ident", metavar="ID", help="the record number (or request id) to correct")
    fix.add_argument("--by", required=True, metavar="NAME", help="who corrects it")
    fix.add_argument("--reason", required=True, metavar="TEXT", help="why it is corrected")
    fix.add_argument("--decision", metavar="OUTCOME", help="for a human decision: the corrected decision")
    fix.add_argument("--justification", metavar="TEXT", help="for a human decision: why (when departing from the engine)")
    fix.add_argument("--request", metavar="FILE", help="for an engine decision: the corrected request, evaluated again")
    add_policy_arguments(fix)
    add_as_of_argument(fix)
    add_user_argument(fix)


def run(args: argparse.Namespace, streams: Streams) -> int:  # pragma: no cover - each action sets its own
    return 2


# -- list -------------------------------------------------------------------------------


def _human_text(human: HumanDecision | None) -> str:
    if human is None:
        return "(awaiting)"
    mark = "" if human.follows else " *departs*"
    return f"{human.outcome} ({human.by}){mark}"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def run_list(args: argparse.Namespace, streams: Streams) -> int:
    with open_store(args, read_only=True) as store:
        if args.all:
            return _list_all(store, args, streams)
        with store.reading() as conn:
            found = entries(
                store,
                conn,
                date_from=args.date_from,
                date_to=args.date_to,
                outcome=args.outcome,
                country=args.country,
                region=args.region,
            )
    if args.format == "json":
        streams.stdout.write(canonical_json([_entry_json(e) for e in found]) + "\n")
        return 0
    if not found:
        streams.stdout.write("no recorded decisions match\n")
        return 0
    rows = [("#", "as of", "request", "country", "region", "outcome", "score", "human decision")]
    for e in found:
        rows.append(
            (
                f"#{e.seq}",
                e.as_of,
                e.request_id,
                e.country or "-",
                (e.region or "-").replace("_", " "),
                e.outcome,
                f"{e.priority_score:g}",
                _human_text(e.human),
            )
        )
    streams.stdout.write("\n".join(_table(rows)) + "\n")
    streams.stdout.write(f"{len(found)} decision{'s' if len(found) != 1 else ''}\n")
    return 0


def _entry_json(e: Entry) -> dict[str, Any]:
    human = e.human
    return {
        "seq": e.seq,
        "request_id": e.request_id,
        "as_of": e.as_of,
        "country": e.country,
        "region": e.region,
        "outcome": e.outcome,
        "priority_score": e.priority_score,
        "recorded_at": e.record.recorded_at,
        "recorded_by": e.record.recorded_by,
        "ruleset_hash": e.record.ruleset_hash,
        "corrects": e.corrects,
        "human_decision": None
        if human is None
        else {
            "seq": human.record.seq,
            "decision": human.outcome,
            "by": human.by,
            "justification": human.justification,
            "follows": human.follows,
        },
    }


def _summary(record: LogRecord) -> str:
    info = record.info
    if record.role == DECISION:
        text = f"engine: {record.outcome}"
    elif record.role == HUMAN_DECISION:
        text = f"decided {record.outcome} by {info.get('by')} on #{record.decides}"
    elif record.role == INFORMATION_REQUEST:
        asked = info.get("fields") or []
        count = f"{len(asked)} question{'s' if len(asked) != 1 else ''}"
        text = f"information requested by {info.get('by')} on #{record.decides} ({count}, {info.get('language')})"
    else:
        text = "withdraws it"
    if record.supersedes is not None:
        text = f"supersedes #{record.supersedes} ({info.get('reason')}); " + text
    return text


def _list_all(store: LogStore, args: argparse.Namespace, streams: Streams) -> int:
    with store.reading() as conn:
        every = list(store.walk(conn))
        gone = superseded(conn)
    if args.format == "json":
        out = [
            {
                "seq": r.seq,
                "kind": r.kind,
                "request_id": r.request_id,
                "recorded_at": r.recorded_at,
                "recorded_by": r.recorded_by,
                "outcome": r.outcome,
                "supersedes": r.supersedes,
                "decides": r.decides,
                "superseded_by": gone.get(r.seq),
                "hash": r.hash,
            }
            for r in every
        ]
        streams.stdout.write(canonical_json(out) + "\n")
        return 0
    rows = [("#", "kind", "request", "recorded at", "by", "what")]
    for r in every:
        what = _summary(r) + (f" [superseded by #{gone[r.seq]}]" if r.seq in gone else "")
        rows.append((f"#{r.seq}", r.kind, r.request_id, r.recorded_at[:19].replace("T", " "), r.recorded_by, what))
    streams.stdout.write("\n".join(_table(rows)) + "\n")
    streams.stdout.write(f"{len(every)} record{'s' if len(every) != 1 else ''}\n")
    return 0


# -- show -------------------------------------------------------------------------------


def run_show(args: argparse.Namespace, streams: Streams) -> int:
    with open_store(args, read_only=True) as store:
        with store.reading() as conn:
            record = find_decision(store, conn, args.ident)
            if record is None:
                raise EngageError("not-found", "no such record or request in the decision log", Location(args.ident))
            gone = superseded(conn)
            related = history(store, conn, record)
            target = record.decides if record.role == HUMAN_DECISION else record.seq
            human = human_decisions(store, conn, [target]).get(target) if target is not None else None
        policy = None
        if record.role == DECISION:
            loaded = load_stored(store, record.ruleset_hash or "", cache_size=0)
            policy = loaded.policy
            if loaded.engine is not None:
                loaded.engine.close()
    status = f"superseded by #{gone[record.seq]}" if record.seq in gone else "in force"
    if args.format == "json":
        out = {
            "record": {k: v for k, v in record.content().items() if k not in ("request", "decision", "details")}
            | {"prev_hash": record.prev_hash, "hash": record.hash, "details": record.info},
            "status": status,
            "request": record.request_data(),
            "decision": record.decision_data() if record.decision else None,
            "human_decision": None
            if human is None
            else {"seq": human.record.seq, **human.record.info, "decision": human.outcome},
            "history": [{"seq": r.seq, "kind": r.kind, "summary": _summary(r)} for r in related],
        }
        streams.stdout.write(canonical_json(out) + "\n")
        return 0
    lines = [f"#{record.seq}: {record.kind.replace('_', ' ')} on {record.request_id} ({status})"]
    lines.append(f"  recorded {record.recorded_at} by {record.recorded_by}")
    source = record.info.get("source")
    if source:
        lines.append(f"  from {source}")
    if record.ruleset_hash:
        lines.append(f"  ruleset {record.ruleset_hash}")
    if record.role == DECISION:
        lines.append(f"  {_release_line(record.info)}")
    lines.append(f"  chain: hash {record.hash}, follows {record.prev_hash}")
    if record.supersedes is not None:
        lines.append(f"  supersedes #{record.supersedes}: {record.info.get('reason')} ({record.info.get('by')})")
    if record.role == HUMAN_DECISION:
        info = record.info
        lines.append(f"  decided {record.outcome} by {info.get('by')} on engine decision #{record.decides}")
        lines.append(f"  the engine recommended {info.get('engine_outcome')}")
        if info.get("justification"):
            lines.append(f"  justification: {info.get('justification')}")
    if record.role == INFORMATION_REQUEST:
        info = record.info
        asker, lang = info.get("by"), info.get("language")
        lines.append(f"  information requested by {asker} on engine decision #{record.decides}, in {lang}")
        lines.append(f"  asked for: {', '.join(str(f) for f in info.get('fields') or []) or 'nothing'}")
    if record.role == DECISION:
        if human is None:
            lines.append("  human decision: none recorded yet")
        else:
            follows = "follows the recommendation" if human.follows else "departs from the recommendation"
            lines.append(f"  human decision: #{human.record.seq}: {human.outcome} by {human.by} ({follows})")
            if human.justification:
                lines.append(f"    justification: {human.justification}")
        lines.append("")
        decision = decision_from_dict(record.decision_data(), policy.criterion_names if policy else ())
        if policy is not None:
            lines.append(render_decision(decision, policy, record.request_data()))
        else:
            lines.append("(the stored ruleset cannot be loaded; the decision as stored:)")
            lines.append(canonical_json(record.decision_data()))
        lines.append("")
        lines.append("Request as received:")
        dumped = yaml.safe_dump(record.request_data(), sort_keys=False, allow_unicode=True, width=96)
        lines.extend("  " + line for line in dumped.rstrip("\n").splitlines())
    if len(related) > 1:
        lines.append("")
        lines.append(f"History of {record.request_id}:")
        for r in related:
            mark = " <-" if r.seq == record.seq else ""
            lines.append(f"  #{r.seq} {r.recorded_at[:10]} {r.kind.replace('_', ' ')}: {_summary(r)}{mark}")
    streams.stdout.write("\n".join(lines) + "\n")
    return 0


def _release_line(info: dict[str, Any]) -> str:
    """Which release made a recorded decision."""
    if info.get("unreleased"):
        return "unreleased rules (recorded with --unreleased: not the release in force)"
    if info.get("release") is not None:
        return f"release {info.get('release')}"
    return "release: not named (recorded before releases were kept)"


# -- verify -----------------------------------------------------------------------------


def run_verify(args: argparse.Namespace, streams: Streams) -> int:
    anchors = []
    for text in args.anchor:
        try:
            anchors.append(Anchor.parse(text))
        except ValueError:
            raise EngageError("bad-anchor", f"'{text}' is not N:sha256:HEX", Location("--anchor")) from None
    if args.jobs is not None and args.jobs > 1:
        from ..batches.processes import prestart

        prestart()  # the fork server imports the engine for the workers while this process opens the log
    with open_store(args, read_only=True) as store:
        bar = _verify_bar(store, args, streams)
        jobs = args.jobs or default_jobs(_count_from(store, args.start))
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            bar.advance(count - done)
            done = count

        try:
            result = verify(
                store,
                replay=not args.no_replay,
                anchors=tuple(anchors),
                progress=advance,
                start=args.start,
                jobs=jobs,
                pool=worker_pool,
            )
        finally:
            bar.close()
        where = store.where
    for problem in result.problems:
        streams.stdout.write(f"{problem}\n")
    summary = _verify_summary(result, where, replay=not args.no_replay)
    if args.start > 1:
        summary = f"checked records #{args.start} to the head, joined to #{args.start - 1} as stored\n" + summary
    streams.stdout.write(summary)
    return 0 if result.ok else 1


def _record_number(text: str) -> int:
    number = text.lstrip("#")
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a record number (1 or more)")
    return int(number)


def _count_from(store: LogStore, start: int) -> int:
    """How many records a verify from ``start`` checks: the head's number less those before (no count of every row)."""
    return max(0, store.head()[0] - start + 1)


def _verify_bar(store: LogStore, args: argparse.Namespace, streams: Streams) -> Progress:
    """A bar of records checked, on standard error when a person watches it (as for batches)."""
    return open_progress(streams.stderr, quiet=args.quiet, count=lambda: _count_from(store, args.start), unit=" records")


def _problems(n: int) -> str:
    return f"{n} problem{'s' if n != 1 else ''}"


def _verify_summary(result: AuditResult, where: str, *, replay: bool) -> str:
    lines = [f"decision log {where}: {result.records} record{'s' if result.records != 1 else ''}"]
    if result.records:
        lines[0] += f", head #{result.head_seq} {result.head_hash}"
    if result.release_records:
        n = result.release_records
        lines[0] += f"; {n} release record{'s' if n != 1 else ''}"
    lines.append(
        "chain: " + ("intact" if not result.chain else f"BROKEN ({_problems(len(result.chain))}; the first is listed first)")
    )
    if replay:
        n = len(result.rulesets)
        text = (
            f"replay: {result.replayed} decision{'s' if result.replayed != 1 else ''} with {n} ruleset{'s' if n != 1 else ''}: "
        )
        text += "every one identical" if not result.replay else _problems(len(result.replay))
        if result.other_engine:
            text += f" ({result.other_engine} made by another engine version, identical apart from it)"
        lines.append(text)
    if result.guards:
        lines.append(f"guards: {_problems(len(result.guards))} with the append-only triggers or log_in_force (listed above)")
    return "\n".join(lines) + "\n"


# -- backup, export, import ---------------------------------------------------------------


def run_backup(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.backup import backup

    with open_store(args) as store:
        done = backup(store, Path(args.dest))
    streams.stdout.write(
        f"backup {done.target}: {done.records} record{'s' if done.records != 1 else ''},"
        f" head #{done.head_seq} {done.head_hash}\n{done.how_to_restore}\n"
    )
    return 0


def run_export(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.archive import NOT_EXPORTED, export_archive

    with open_store(args, read_only=True) as store:
        done = export_archive(store, Path(args.file))
    streams.stdout.write(
        f"exported {done.records} record{'s' if done.records != 1 else ''}, {done.release_records} release records,"
        f" {done.rulesets} rulesets to {args.file}: head #{done.head_seq} {done.head_hash}\n"
        f"not exported: {', '.join(NOT_EXPORTED)}\n"
    )
    return 0


def run_import(args: argparse.Namespace, streams: Streams) -> int:
    from ..log.archive import import_archive

    with open_store(args) as store:
        done = import_archive(store, Path(args.file))
        where = store.where
    streams.stdout.write(
        f"imported {done.records} record{'s' if done.records != 1 else ''}, {done.release_records} release records,"
        f" {done.rulesets} rulesets into {where}: head #{done.head_seq} {done.head_hash}\n"
    )
    return 0


# -- decide and correct -------------------------------------------------------------------


def run_decide(args: argparse.Namespace, streams: Streams) -> int:
    with open_store(args) as store:
        record = decide(store, args.ident, args.decision, args.by, args.justification, current_user(args))
    info = record.info
    follows = record.outcome == info.get("engine_outcome")
    how = (
        "follows the engine's recommendation"
        if follows
        else f"departs from the engine's recommendation '{info.get('engine_outcome')}'"
    )
    streams.stdout.write(
        f"#{record.seq}: {record.request_id}: decided {record.outcome} by {info.get('by')} on #{record.decides} ({how})\n"
    )
    return 0


def run_correct(args: argparse.Namespace, streams: Streams) -> int:
    replacement = None
    if args.request:
        if args.decision:
            raise EngageError("wrong-correction", "give --decision or --request, not both", Location(args.ident))
        replacement = _evaluate_one(args, streams)
        if replacement is None:
            return 2
    with open_store(args) as store:
        if replacement is not None:
            assert replacement[1] is not None
            engine = replacement[2]
            store.save_ruleset(engine.policy, current_user(args))
        record = correct(
            store,
            args.ident,
            by=args.by,
            reason=args.reason,
            recorded_by=current_user(args),
            outcome=args.decision,
            justification=args.justification,
            replacement=None if replacement is None else (replacement[0], replacement[1]),
        )
    what = _summary(record)
    streams.stdout.write(f"#{record.seq}: {record.request_id}: {what}\n")
    return 0


def _evaluate_one(args: argparse.Namespace, streams: Streams) -> Any:
    from ..batches.batch import evaluate_items

    engine = load_engine(args, streams)
    if engine is None:
        return None
    items = list(read_requests([args.request], sys.stdin))
    results = list(evaluate_items(engine, items, args.as_of))
    if len(results) != 1:
        raise EngageError("one-request", "the corrected request must be one document", Location(args.request))
    result = results[0]
    for error in result.errors:
        streams.stderr.write(f"{error}\n")
    if result.decision is None:
        return None
    data = items[0].doc.data if items[0].doc is not None else result.record
    return (data, result.decision, engine)
