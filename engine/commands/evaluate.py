"""``engage evaluate``: the recommendation for each request, with reasons and citations.

Results stream: each is printed (or written to ``--out``, or recorded with ``--record``)
as it comes, and only counts are kept, except for ``--format json``, whose array needs
every decision before it can be printed.
"""

from __future__ import annotations

import argparse
import codecs
import os
import signal
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..batches.processes import prestart
from ..errors import EngageError, Location
from .common import (
    add_as_of_argument,
    add_db_argument,
    add_lang_argument,
    add_policy_arguments,
    add_user_argument,
    at_least_one,
    current_user,
    load_engine,
    open_store,
    policy_location,
)

if TYPE_CHECKING:
    from ..batches.batch import Result
    from ..batches.progress import Progress
    from ..cli import Streams
    from ..evaluation.decision import Decision
    from ..evaluation.evaluator import Engine
    from ..log.store import Draft, LogStore

# The engine is imported in run(), after a fork server for --jobs is started (engine/batches/processes.py);
# --out and --record bring in openpyxl and SQLAlchemy: they are imported only when asked for.

NAME = "evaluate"
HELP = "evaluate requests and print the recommendation for each"
DESCRIPTION = (
    "Evaluate request files against the rules. PATH is a .yaml/.yml/.json request file, a .csv/.xlsx/.jsonl"
    " batch (one request per row or line), a directory (every .yaml/.yml/.json file in it, sorted by name) or"
    " - for standard input. Exit status: 0 when every request was evaluated, 2 when an input was invalid (the"
    " valid ones are still evaluated) or --record refused a changed request whose id is recorded (or rules that"
    " are not the release in force, without --unreleased), 1 when the"
    " rules could not decide a request (a conflict or a gap in the rules, which engage lint reports too), 70 on"
    " an internal error, 130 when interrupted (with --record, after saying which requests were recorded)."
)

RECORD_BATCH = 100  # decisions appended to the log per transaction
LONG_IDS = 10_000  # from this many requests the ids used so far are kept on disk, not in memory
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C


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
    add_lang_argument(parser, "the text output and the workbook (--format json is the same in every language)")
    parser.add_argument(
        "--jobs",
        type=at_least_one("processes"),
        metavar="N",
        help="evaluate in N processes (default: all cores for batches of 5,000 requests or more, else 1);"
        " the output is the same, in input order",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="also store each decision in the decision log, with the request as received and the rules that made it"
        " (the release in force on the evaluation date: engage rules);"
        " a request id has one decision in force: the same request (content, date and rules) again is not recorded"
        " again, and a changed one is refused (exit status 2) unless --update; a last line on standard error says"
        " how many were recorded and their numbers",
    )
    parser.add_argument(
        "--unreleased",
        action="store_true",
        help="with --record: record with the rules this run reads even if they are not the release in force on the"
        " evaluation date (the records are marked unreleased); without it, --record decides with the release in force"
        " and refuses --rules/--criteria (or ENGAGE_POLICY) that are not it",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --record: a changed request whose id is recorded supersedes the record in force (a correction)",
    )
    add_db_argument(parser)
    add_user_argument(parser)


def _json(decision: Decision | None) -> str:
    return decision.to_json(indent=None) if decision is not None else ""


class _Recorder:
    """Appends decisions to the log as they are printed, a batch per transaction, one in force per id."""

    def __init__(self, store: LogStore, user: str, update: bool, release: int | None) -> None:
        self.store = store
        self.user = user
        self.update = update
        self.release = release  # the release whose rules decide; None: unreleased rules, asked for
        self.pending: list[tuple[Draft, str]] = []  # with where the request came from
        # What the summary says, in counts and ends rather than lists, so that recording a
        # million requests keeps memory flat (a record holds its request and decision).
        self.recorded = Tally()
        self.superseded = Tally()
        self.unchanged = Tally()
        self.refused = 0  # their messages are printed as they come
        self.interrupts = _Interrupts()

    def add(self, result: Result) -> None:
        from ..log.store import decision_draft

        assert result.decision is not None
        received = result.item.doc.data if result.item is not None and result.item.doc is not None else result.record
        draft = decision_draft(
            received, result.decision, self.user, result.source, release=self.release, unreleased=self.release is None
        )
        self.pending.append((draft, result.source))

    def full(self) -> bool:
        return len(self.pending) >= RECORD_BATCH

    def flush(self, progress: Progress) -> None:
        from ..log.store import REFUSED, UNCHANGED, UPDATED, already_recorded

        if not self.pending:
            return
        # Held from the commit to the bookkeeping: an interruption in between would leave
        # records in the log that the "interrupted: recorded N" line does not count.
        with self.interrupts.held():
            pending, self.pending = self.pending, []
            outcomes = self.store.record([draft for draft, _ in pending], update=self.update)
            for outcome, (_, source) in zip(outcomes, pending, strict=True):
                if outcome.record is not None:
                    self.recorded.add(outcome.record.seq, outcome.record.request_id)
                if outcome.status == UPDATED and outcome.existing is not None:
                    self.superseded.add(outcome.existing, outcome.draft.request_id)
                elif outcome.status == UNCHANGED and outcome.existing is not None:
                    self.unchanged.add(outcome.existing, outcome.draft.request_id)
                elif outcome.status == REFUSED and outcome.existing is not None:
                    error = already_recorded(outcome.draft.request_id, outcome.existing)
                    self.refused += 1
                    progress.write(f"{source}: {error.code}: {error.message}")

    def summary(self) -> str:
        done = self.recorded
        count = f"{done.count} decision{'' if done.count == 1 else 's'}"
        span = "" if not done.count else f" (#{done.first})" if done.count == 1 else f" (#{done.first} to #{done.last})"
        under = "unreleased rules" if self.release is None else f"release {self.release}"
        line = f"recorded {count} in {self.store.where}{span} under {under}"
        if self.superseded.count:
            n = self.superseded.count
            line += f", superseding #{self.superseded.first}" if n == 1 else f", superseding {n} earlier records"
        if self.unchanged.count == 1:
            line += (
                f"; {self.unchanged.first_id} is already recorded as #{self.unchanged.first}"
                " (same request, date and rules): nothing recorded for it"
            )
        elif self.unchanged.count:
            line += (
                f"; {self.unchanged.count} already recorded as they are (#{self.unchanged.low} to #{self.unchanged.high}):"
                " nothing recorded for them"
            )
        if self.refused:
            line += f"; {self.refused} refused: recorded before with other content, date or rules (--update supersedes)"
        return line

    def interrupted(self) -> str:
        """What an interrupted run recorded, and how to finish it."""
        done = self.recorded
        if not done.count:
            return f"interrupted: nothing recorded in {self.store.where}; run the same command again to record the requests"
        count = f"{done.count} decision{'' if done.count == 1 else 's'}"
        return (
            f"interrupted: recorded {count} in {self.store.where}; the last is #{done.last} ({done.last_id});"
            " run the same command again to record the rest"
        )


class Tally:
    """Record numbers counted as they come: how many, the first and last (with their request ids), the lowest and highest."""

    def __init__(self) -> None:
        self.count = 0
        self.first = self.last = self.low = self.high = 0
        self.first_id = self.last_id = ""

    def add(self, seq: int, request_id: str) -> None:
        if not self.count:
            self.first, self.first_id, self.low, self.high = seq, request_id, seq, seq
        self.count += 1
        self.last, self.last_id = seq, request_id
        self.low, self.high = min(self.low, seq), max(self.high, seq)


def _write_encoded(stream: TextIO, data: bytes) -> None:
    """UTF-8 output that worker processes prepared, straight to the bytes under ``stream`` when they fit."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None and os.linesep == "\n" and codecs.lookup(stream.encoding or "ascii").name == "utf-8":
        stream.flush()
        buffer.write(data)
    else:
        stream.write(data.decode())


def run(args: argparse.Namespace, streams: Streams) -> int:
    if args.jobs is not None and args.jobs > 1:
        prestart()  # first: it imports the engine for the workers while this process does
    from ..batches.outputs import check_out_path

    out = check_out_path(args.out, args.paths) if args.out else None  # a bad name fails before any work
    recorder: _Recorder | None = None
    if args.record:
        store = open_store(args)
        try:
            engine, recorder = _recording(args, streams, store)
        except BaseException:
            store.close()
            raise
        if engine is None:
            store.close()
            return 2
    else:
        engine = load_engine(args, streams)
        if engine is None:
            return 2
    previous = _terminate_as_interrupt(recorder.interrupts) if recorder is not None else None
    try:
        return _evaluate(args, streams, engine, out, recorder)
    except KeyboardInterrupt:
        if recorder is None:
            raise
        return EXIT_INTERRUPTED
    finally:
        for signum, handler in (previous or {}).items():
            signal.signal(signum, handler)
        if recorder is not None:
            recorder.store.close()
        scratch = getattr(args, "release_scratch", None)
        if scratch is not None:
            scratch.cleanup()


def _recording(args: argparse.Namespace, streams: Streams, store: LogStore) -> tuple[Engine | None, _Recorder | None]:
    """The engine of the release in force on the evaluation date, and the recorder naming it.

    A log without a release adopts the rules this run reads as release 1.  Rules found (a
    checkout, the shipped copy) give way to the release in force; rules named explicitly that
    are not it are refused, unless --unreleased.
    """
    from ..evaluation.evaluator import Engine
    from ..log.releases import adopt_first, releases, rules_for_recording
    from ..log.rulesets import write_files
    from ..policy.loader import ruleset_hash
    from ..policy.location import ENVIRONMENT, OPTION

    user = current_user(args)
    location = policy_location(args)
    found = releases(store)
    engine: Engine | None = None
    if not len(found):
        engine = load_engine(args, streams)
        if engine is None:
            return None, None
        adopt_first(store, engine.policy, user)
        found = releases(store)
    given = {OPTION: "--rules/--criteria", ENVIRONMENT: "ENGAGE_POLICY"}.get(location.source)
    as_of = args.as_of or date.today()
    plan = rules_for_recording(
        found, as_of, ruleset_hash(location.rules, location.criteria), given=given, unreleased=args.unreleased
    )
    if plan.use_stored and plan.release is not None:
        if engine is not None:
            engine.close()
        # On disk for the whole run: worker processes (--jobs) load the rules from their directories.
        scratch = tempfile.TemporaryDirectory(prefix="engage-release-")
        args.release_scratch = scratch
        rules, criteria = write_files(store.ruleset_files(plan.release.ruleset_hash), Path(scratch.name))
        try:
            engine = Engine.load(rules, criteria)
        except EngageError as exc:
            raise EngageError(
                "not-replayable", f"release {plan.release.number}'s stored rules do not load: {exc}", Location(store.where)
            ) from None
        if not args.quiet:
            streams.stderr.write(
                f"engage: policy release {plan.release.number} of the decision log, in force on {as_of.isoformat()}"
                f" (instead of {location.describe()}), ruleset {plan.release.ruleset_hash[:19]}\n"
            )
    elif engine is None:
        engine = load_engine(args, streams)
        if engine is None:
            return None, None
    if not plan.use_stored:
        store.save_ruleset(engine.policy, user)
    return engine, _Recorder(store, user, args.update, plan.number)


class _Interrupts:
    """SIGTERM and Ctrl-C interrupt a recording run, but wait for a batch being recorded."""

    def __init__(self) -> None:
        self.holding = False
        self.arrived = False

    def handle(self, _signum: int, _frame: object) -> None:
        if self.holding:
            self.arrived = True
            return
        raise KeyboardInterrupt

    @contextmanager
    def held(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        if self.arrived:
            self.arrived = False
            raise KeyboardInterrupt


def _terminate_as_interrupt(interrupts: _Interrupts) -> dict[int, Any] | None:
    """SIGTERM interrupts a recording run as Ctrl-C does, so that it can say what it recorded."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return {signum: signal.signal(signum, interrupts.handle) for signum in (signal.SIGTERM, signal.SIGINT)}


def _evaluate(args: argparse.Namespace, streams: Streams, engine: Engine, out: Path | None, recorder: _Recorder | None) -> int:
    from ..batches.batch import Decided, evaluate_items
    from ..batches.columns import request_columns
    from ..batches.inputs import expected_count, read_requests
    from ..batches.parallel import evaluate_parallel
    from ..batches.processes import default_jobs
    from ..batches.progress import open_progress
    from ..batches.seen import SeenIds
    from ..evaluation.decision import canonical_json
    from ..evaluation.render import render_decision, render_summary
    from ..i18n.languages import DEFAULT
    from ..i18n.problems import error_in_language

    # The problems on standard error are said in --lang with the text format; tools reading json keep English.
    problems_lang = args.lang if args.format == "text" and args.lang not in (None, DEFAULT) else None
    progress = open_progress(
        streams.stderr,
        quiet=args.quiet,
        count=lambda: expected_count(args.paths),
        stdout=streams.stdout if out is None and args.format == "text" else None,
    )
    writer = None
    if out is not None:
        from ..batches.outputs import DecisionWriter

        writer = DecisionWriter(out, engine.policy, args.as_of or date.today(), args.lang)
    from ..batches.tables import TableErrors

    outcomes: Counter[str] = Counter()
    inputs = invalid = internal = unread = empty = 0
    collected: list[Decision] = []  # --format json only
    expected = expected_count(args.paths)
    jobs = args.jobs or default_jobs(expected)
    # The ids used so far, to refuse a second use: on disk for a long batch (or a recorded one, whose
    # length is not known from stdin), so that memory does not grow with it (engine/batches/seen.py).
    scratch = tempfile.TemporaryDirectory(prefix="engage-ids-") if recorder is not None or (expected or 0) >= LONG_IDS else None
    seen = SeenIds(Path(scratch.name) / "ids.sqlite3") if scratch is not None else None
    results: Iterable[Result | Decided]
    if jobs > 1:
        render = "none" if writer is not None else args.format if args.format in ("jsonl", "text") else "none"
        keep = writer is not None or recorder is not None
        results = evaluate_parallel(
            engine, args.paths, streams.stdin, args.as_of, jobs, render=render, keep_documents=keep, lang=args.lang, seen=seen
        )
    else:
        columns = request_columns(engine.policy.request_schema)  # tables have the policy's fields
        results = evaluate_items(engine, read_requests(args.paths, streams.stdin, columns), args.as_of, seen)
    try:
        for result in results:
            if isinstance(result, Decided):  # from worker processes: only their output
                inputs += len(result)
                progress.advance(len(result))
                if args.format == "text":
                    before = b"\n" if outcomes.total() else b""
                    _write_encoded(streams.stdout, before + b"\n\n".join(result.texts) + b"\n")
                else:
                    _write_encoded(streams.stdout, b"".join(result.texts))
                outcomes.update(result.outcomes)
                continue
            inputs += 1
            for error in result.errors:
                progress.write(error_in_language(error, problems_lang) if problems_lang else str(error))
            progress.advance()
            if writer is not None:
                writer.add(result, result.item.request_id if result.item is not None else None)
            if not result.ok:
                stop = result.errors[0] if len(result.errors) == 1 else None
                if isinstance(stop, TableErrors):  # a whole table, not one of its rows
                    empty += stop.no_requests
                    unread += not stop.no_requests
                    continue
                internal += result.internal
                invalid += not result.internal
                continue
            outcomes[result.outcome or ""] += 1
            decision = result.decision  # None when a worker process kept it and sent its output
            if recorder is not None:
                recorder.add(result)
                if recorder.full():
                    recorder.flush(progress)
            if writer is not None:
                continue
            if args.format == "jsonl":  # a worker's output ends with its newline already
                streams.stdout.write(result.rendered or _json(decision) + "\n")
            elif args.format == "text":
                if sum(outcomes.values()) > 1:
                    streams.stdout.write("\n")
                text = result.rendered or (render_decision(decision, engine.policy, result.record, args.lang) if decision else "")
                streams.stdout.write(text + "\n")
            elif decision is not None:
                collected.append(decision)
    except BaseException:
        if writer is not None:
            writer.abort()
        if recorder is not None:
            _keep_what_was_printed(recorder, progress, streams)
        raise
    finally:
        progress.close()
        if seen is not None:
            seen.close()
        if scratch is not None:
            scratch.cleanup()
    summary = render_summary(outcomes, invalid + internal, engine.policy, unread, empty, args.lang)
    from ..batches.inputs import table_notes

    for note in table_notes(args.paths, problems_lang or DEFAULT):  # a CSV file not in UTF-8 with commas: say how it was read
        streams.stderr.write(note + "\n")
    if writer is not None:
        try:
            writer.close()
        except EngageError as exc:
            streams.stderr.write(f"{exc}\n")
            return 2
        if not args.quiet:
            streams.stdout.write(f"{summary}\nwrote {args.out}\n")
    elif args.format == "json" and collected:
        if inputs == 1:
            streams.stdout.write(collected[0].to_json() + "\n")
        else:
            streams.stdout.write(canonical_json([d.to_dict() for d in collected]) + "\n")
    elif args.format == "text" and inputs > 1 and not args.quiet:
        streams.stdout.write("\n" + summary + "\n")
    if recorder is not None:
        recorder.flush(progress)
        streams.stderr.write(recorder.summary() + "\n")
    if internal:
        return 1
    return 2 if invalid or unread or empty or (recorder is not None and recorder.refused) else 0


def _keep_what_was_printed(recorder: _Recorder, progress: Progress, streams: Streams) -> None:
    """On an interruption: record the decisions already evaluated (and printed), then say what is recorded."""
    try:
        recorder.flush(progress)
    except (EngageError, KeyboardInterrupt):  # the log itself failed, or a second Ctrl-C: keep what is there
        recorder.pending = []
    progress.close()
    streams.stderr.write(recorder.interrupted() + "\n")
