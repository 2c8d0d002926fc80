"""Releases of the rules: proposed, approved (by someone else), rejected or withdrawn, and in force from a date.

Each step is a row of ``release_records`` (migration 0004): a hash chain of its own beside
the decisions', built the same way (``sha256(canonical JSON of its content + "\\n" +
prev_hash)``), append-only under the same triggers, checked by ``engage log verify``, and
anchored in the decision log (each step holds the number and hash of the decision log's last
record when it was taken).  A release and its state are worked out from these rows
(:func:`read_releases`); ``details`` holds what a step says (note, date, justification,
reason, the checks run on proposal).  Decisions name the release that made them.

The release in force on a date is the approved one with the latest ``effective_from`` on or
before it (the day itself counts); a release adopted at first use is in force from the start.
Steps are built under the decision log's writer lock, from the log as it then stands: of two
approvals of one release at once, the second finds it approved already (and the unique
``closing`` column would refuse it if it did not).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import EngageError, Location
from ..policy.model import Policy
from .database import write_transaction
from .store import GENESIS, LogStore, record_hash, records, release_records, store_json

# The steps of a release's life; a release is opened by one of the first two and closed by one of the last four.
PROPOSED, ADOPTED, APPROVED, REJECTED, WITHDRAWN = "proposed", "adopted", "approved", "rejected", "withdrawn"
OPENING_STEPS = (PROPOSED, ADOPTED)
CLOSING_STEPS = (ADOPTED, APPROVED, REJECTED, WITHDRAWN)
CONTENT = (
    "seq",
    "release",
    "step",
    "closing",
    "recorded_at",
    "recorded_by",
    "ruleset_hash",
    "details",
    "log_seq",
    "log_hash",
)
ADOPTION_NOTE = "adopted at first use"
# What a release is, for people; "approved" is an approved release whose date has not come yet.
IN_FORCE, SUPERSEDED = "in force", "superseded"


class ReleaseError(EngageError):
    """A release step that cannot be taken (exit status 2)."""


@dataclass(frozen=True)
class ReleaseRecord:
    """One row of the release chain, exactly as stored."""

    seq: int
    release: int
    step: str
    closing: int | None
    recorded_at: str
    recorded_by: str
    ruleset_hash: str
    details: str
    log_seq: int
    log_hash: str
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CONTENT}

    def computed_hash(self) -> str:
        return record_hash(self.content(), self.prev_hash)

    @property
    def info(self) -> dict[str, Any]:
        data = json.loads(self.details) if self.details else {}
        return data if isinstance(data, dict) else {}

    @property
    def label(self) -> str:
        return f"release record {self.seq} (release {self.release} {self.step})"

    @classmethod
    def of(cls, row: Any) -> ReleaseRecord:
        values = {name: getattr(row, name) for name in (*CONTENT, "prev_hash", "hash")}
        for name in ("seq", "release", "closing", "log_seq"):
            if values[name] is not None:
                values[name] = int(values[name])
        return cls(**values)


@dataclass(frozen=True)
class StepDraft:
    """A step before it joins the chain."""

    release: int
    step: str
    by: str
    ruleset_hash: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    """One step of a release's life, as recorded."""

    seq: int
    step: str
    by: str
    at: str
    text: str | None  # the note, justification or reason

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.seq, "step": self.step, "by": self.by, "at": self.at, "text": self.text}


@dataclass(frozen=True)
class Release:
    """A release of the rules and where it stands."""

    number: int
    ruleset_hash: str
    author: str
    note: str
    effective_from: date | None  # None: from the start (adopted at first use)
    proposed: Step
    closing: Step | None  # the approval, rejection or withdrawal (the adoption for release 1)
    report: Mapping[str, Any] | None  # the checks run on proposal

    @property
    def approved(self) -> bool:
        return self.closing is not None and self.closing.step in (APPROVED, ADOPTED)

    @property
    def approval(self) -> Step | None:
        return self.closing if self.approved else None

    @property
    def adopted(self) -> bool:
        return self.proposed.step == ADOPTED

    def effective_text(self) -> str:
        return "the start" if self.effective_from is None else self.effective_from.isoformat()

    def to_dict(self, state: str) -> dict[str, Any]:
        return {
            "number": self.number,
            "hash": self.ruleset_hash,
            "state": state,
            "author": self.author,
            "note": self.note,
            "effective_from": None if self.effective_from is None else self.effective_from.isoformat(),
            "proposed": self.proposed.to_dict(),
            "closing": None if self.closing is None else self.closing.to_dict(),
            "approvals": [self.closing.to_dict()] if self.approved and self.closing is not None else [],
            "report": self.report,
        }


@dataclass(frozen=True)
class Releases:
    """Every release in the log, by number."""

    by_number: Mapping[int, Release]

    def __iter__(self) -> Iterator[Release]:
        return iter(self.by_number[n] for n in sorted(self.by_number))

    def __len__(self) -> int:
        return len(self.by_number)

    def get(self, number: int) -> Release:
        found = self.by_number.get(number)
        if found is None:
            known = f"releases are 1 to {max(self.by_number)}" if self.by_number else "the log has no release yet"
            raise ReleaseError("no-such-release", f"there is no release {number} ({known})", Location(f"release {number}"))
        return found

    def in_force(self, on: date) -> Release | None:
        """The approved release with the latest ``effective_from`` on or before ``on`` (the later number on a tie)."""
        best: Release | None = None
        for release in self:
            if not release.approved or (release.effective_from is not None and release.effective_from > on):
                continue
            if best is None or (release.effective_from or date.min) >= (best.effective_from or date.min):
                best = release
        return best

    def state(self, release: Release, today: date) -> str:
        """proposed, rejected, withdrawn, approved (its date has not come), in force or superseded, on ``today``."""
        if release.closing is None:
            return PROPOSED
        if not release.approved:
            return release.closing.step
        if release.effective_from is not None and release.effective_from > today:
            return APPROVED
        current = self.in_force(today)
        return IN_FORCE if current is not None and current.number == release.number else SUPERSEDED

    @property
    def next_number(self) -> int:
        return max(self.by_number, default=0) + 1


def chain(conn: Connection) -> list[ReleaseRecord]:
    """Every release record, in chain order ([] for a log of a schema before releases)."""
    if not sa.inspect(conn).has_table("release_records"):
        return []
    return [ReleaseRecord.of(row) for row in conn.execute(sa.select(release_records).order_by(release_records.c.seq))]


def read_releases(conn: Connection) -> Releases:
    """The releases as the release chain says."""
    return releases_from(chain(conn))


def releases_from(found: Iterable[ReleaseRecord]) -> Releases:
    opened: dict[int, dict[str, Any]] = {}
    for record in found:
        info = record.info
        number, step = record.release, record.step
        taken = Step(record.seq, step, record.recorded_by, record.recorded_at, _text(step, info))
        if step in OPENING_STEPS and number not in opened:
            effective = info.get("effective_from")
            opened[number] = {
                "number": number,
                "ruleset_hash": record.ruleset_hash,
                "author": record.recorded_by,
                "note": str(info.get("note") or ""),
                "effective_from": None if effective is None else date.fromisoformat(str(effective)),
                "proposed": taken,
                "closing": taken if step == ADOPTED else None,
                "report": info.get("report"),
            }
        elif step in CLOSING_STEPS and number in opened and opened[number]["closing"] is None:
            opened[number]["closing"] = taken
    return Releases({n: Release(**fields) for n, fields in opened.items()})


def append_steps(store: LogStore, build: Callable[[Connection], Sequence[StepDraft]]) -> list[ReleaseRecord]:
    """Chain the steps ``build`` makes under the writer lock, from the log as it then stands."""
    with store._guard(), write_transaction(store.engine) as conn:
        held = chain(conn)
        if held and held[-1].computed_hash() != held[-1].hash:
            raise ReleaseError(
                "log-corrupt",
                f"the release chain does not verify: its last {held[-1].label} was changed after it was recorded;"
                f" nothing recorded (see engage log verify --db {store.where})",
                Location(store.where),
            )
        seq, prev = (held[-1].seq, held[-1].hash) if held else (0, GENESIS)
        log_seq, log_hash = store.head(conn)
        added: list[ReleaseRecord] = []
        for draft in build(conn):
            seq += 1
            content: dict[str, Any] = {
                "seq": seq,
                "release": draft.release,
                "step": draft.step,
                "closing": draft.release if draft.step in CLOSING_STEPS else None,
                "recorded_at": store.clock(),
                "recorded_by": draft.by,
                "ruleset_hash": draft.ruleset_hash,
                "details": store_json(dict(draft.details)),
                "log_seq": log_seq,
                "log_hash": log_hash,
            }
            digest = record_hash(content, prev)
            added.append(ReleaseRecord(**content, prev_hash=prev, hash=digest))
            prev = digest
        if added:
            conn.execute(sa.insert(release_records), [asdict(r) for r in added])
        return added


def _text(step: str, info: Mapping[str, Any]) -> str | None:
    value = info.get({PROPOSED: "note", ADOPTED: "note", APPROVED: "justification", REJECTED: "reason"}.get(step, ""))
    return None if value is None else str(value)


def _draft(number: int, step: str, by: str, ruleset_hash: str, **details: Any) -> StepDraft:
    return StepDraft(number, step, by, ruleset_hash, details)


def _who(name: str, what: str) -> str:
    text = name.strip()
    if not text:
        raise ReleaseError("missing-name", f"{what} needs a name (--by NAME)", Location("--by"))
    return text


def propose(
    store: LogStore,
    policy: Policy,
    *,
    by: str,
    note: str,
    effective_from: date,
    report: Mapping[str, Any] | None = None,
) -> Release:
    """A new release of ``policy``'s rules, proposed by ``by``; its files are stored in the log."""
    author = _who(by, "a proposal")
    if not note.strip():
        raise ReleaseError(
            "missing-note", "a proposal needs a note saying what changes and why (--note TEXT)", Location("--note")
        )
    store.save_ruleset(policy, author)

    def build(conn: Connection) -> list[StepDraft]:
        number = read_releases(conn).next_number
        details = {"note": note.strip(), "effective_from": effective_from.isoformat(), "report": dict(report or {})}
        return [_draft(number, PROPOSED, author, policy.hash, **details)]

    (record,) = append_steps(store, build)
    with store.reading() as conn:
        return read_releases(conn).get(record.release)


def adopt_first(store: LogStore, policy: Policy, by: str) -> Release:
    """Release 1, in force from the start, for a log that has no release yet: the rules it is first used with.

    If another writer adopted (or proposed) first, nothing is added and the log's releases stand.
    """
    who = _who(by, "adopting the rules")
    store.save_ruleset(policy, who)

    def build(conn: Connection) -> list[StepDraft]:
        if len(read_releases(conn)):
            return []
        return [_draft(1, ADOPTED, who, policy.hash, note=ADOPTION_NOTE, effective_from=None)]

    append_steps(store, build)
    with store.reading() as conn:
        return read_releases(conn).get(1)


def _close(store: LogStore, number: int, step: str, by: str, **details: Any) -> Release:
    who = _who(by, f"{'an approval' if step == APPROVED else 'a rejection' if step == REJECTED else 'a withdrawal'}")

    def build(conn: Connection) -> list[StepDraft]:
        release = read_releases(conn).get(number)
        where = Location(f"release {number}")
        if release.closing is not None:
            closed = release.closing
            raise ReleaseError(
                "not-proposed",
                f"release {number} is {closed.step} already (by {closed.by}, record #{closed.seq}); nothing recorded",
                where,
            )
        if step == APPROVED and who == release.author:
            raise ReleaseError(
                "four-eyes",
                f"{who} proposed release {number} and cannot approve it too: someone else must (four eyes); nothing recorded",
                where,
            )
        if step == WITHDRAWN and who != release.author:
            raise ReleaseError(
                "not-author",
                f"only its author ({release.author}) may withdraw release {number}; the Board rejects it instead",
                where,
            )
        return [_draft(number, step, who, release.ruleset_hash, **details)]

    append_steps(store, build)
    with store.reading() as conn:
        return read_releases(conn).get(number)


def approve(store: LogStore, number: int, *, by: str, justification: str) -> Release:
    if not justification.strip():
        raise ReleaseError(
            "missing-justification", "an approval needs a justification (--justification TEXT)", Location("--justification")
        )
    return _close(store, number, APPROVED, by, justification=justification.strip())


def reject(store: LogStore, number: int, *, by: str, reason: str) -> Release:
    if not reason.strip():
        raise ReleaseError("missing-reason", "a rejection needs a reason (--reason TEXT)", Location("--reason"))
    return _close(store, number, REJECTED, by, reason=reason.strip())


def withdraw(store: LogStore, number: int, *, by: str) -> Release:
    return _close(store, number, WITHDRAWN, by)


def releases(store: LogStore) -> Releases:
    with store.reading() as conn:
        return read_releases(conn)


@dataclass(frozen=True)
class RecordingRules:
    """Which rules a recording run decides with, and what its records say about them."""

    release: Release | None  # the release in force whose rules decide; None: unreleased rules, asked for
    use_stored: bool  # decide with the release's stored files, not the files this run found

    @property
    def number(self) -> int | None:
        return None if self.release is None else self.release.number


def rules_for_recording(
    found: Releases, as_of: date, ruleset_hash: str | None, *, given: str | None, unreleased: bool
) -> RecordingRules:
    """The release in force on ``as_of`` records, whatever files the run found, unless others were asked for.

    ``given``: how the run's files were named explicitly (``--rules/--criteria``, ``ENGAGE_POLICY``),
    or None when they were found (a checkout, the shipped copy).  Explicit files that are not the
    release in force are refused unless ``unreleased``; then the records say they are unreleased.
    """
    current = found.in_force(as_of)
    same = current is not None and current.ruleset_hash == ruleset_hash
    if same:
        return RecordingRules(current, use_stored=False)
    if unreleased:
        return RecordingRules(None, use_stored=False)
    if current is None:
        raise ReleaseError(
            "no-release-in-force",
            f"no release of the rules is in force on {as_of.isoformat()}, so nothing can be recorded as released;"
            " approve one (engage rules approve) or record with --unreleased",
            Location("--record"),
        )
    if given is None:
        return RecordingRules(current, use_stored=True)
    raise ReleaseError(
        "not-released",
        f"the rules given (ruleset {ruleset_hash}) are not release {current.number}, in force on"
        f" {as_of.isoformat()} (ruleset {current.ruleset_hash}); nothing recorded. Record with the release"
        " (without them), propose them (engage rules propose), or add --unreleased to record them marked unreleased",
        Location(given),
    )


@dataclass(frozen=True)
class ChainProblem:
    """Something verify names about the release chain: the record (or None), a code and what is wrong."""

    record: ReleaseRecord | None
    code: str
    message: str


def chain_problems(conn: Connection) -> list[ChainProblem]:
    """Every release record not as it was written, every step that does not make a life, every broken anchor."""
    problems: list[ChainProblem] = []
    prev_seq, prev_hash = 0, GENESIS
    opened: dict[int, ReleaseRecord] = {}
    closed: dict[int, ReleaseRecord] = {}
    log_seq = 0
    for record in chain(conn):

        def bad(code: str, message: str, record: ReleaseRecord = record) -> None:
            problems.append(ChainProblem(record, code, message))

        gap = record.seq != prev_seq + 1
        if gap:
            lost = "release record " + (
                f"{prev_seq + 1} is" if record.seq == prev_seq + 2 else f"s {prev_seq + 1} to {record.seq - 1} are"
            )
            bad("missing", f"{lost} missing: the rows were deleted")
        if record.computed_hash() != record.hash or gap:
            if not gap:
                bad("edited", "its content does not give its hash: the row was changed after it was recorded")
            _life_step(record, opened, closed, lambda _code, _message: None)  # named already; the steps after it still count
        elif record.prev_hash != prev_hash:
            bad("broken-link", f"does not follow release record {prev_seq}: that one was replaced after this was recorded")
        else:
            _life_step(record, opened, closed, bad)
            if record.log_seq < log_seq:
                bad("release-anchor", f"is anchored at decision #{record.log_seq}, before the step ahead of it (#{log_seq})")
            anchored = None
            if record.log_seq > 0:
                anchored = conn.execute(sa.select(records.c.hash).where(records.c.seq == record.log_seq)).scalar()
            if record.log_seq > 0 and anchored != record.log_hash:
                bad(
                    "release-anchor",
                    f"was taken when the decision log's last record was #{record.log_seq} {record.log_hash}, but"
                    f" #{record.log_seq} is {'gone' if anchored is None else anchored}: the decision log was rewritten",
                )
            log_seq = max(log_seq, record.log_seq)
        prev_seq, prev_hash = record.seq, record.hash
    return problems


def _life_step(
    record: ReleaseRecord,
    opened: dict[int, ReleaseRecord],
    closed: dict[int, ReleaseRecord],
    bad: Callable[[str, str], None],
) -> None:
    number, step = record.release, record.step
    if step in OPENING_STEPS:
        if number != len(opened) + 1:
            bad("bad-release-step", f"opens release {number}, but the next release was {len(opened) + 1}")
            return
        opened[number] = record
    if step not in CLOSING_STEPS:
        if step not in OPENING_STEPS:
            bad("bad-release-step", f"an unknown step {step!r} of release {number}")
        return
    first = opened.get(number)
    if first is None:
        bad("bad-release-step", f"{step} release {number}, which was never proposed")
    elif number in closed:
        bad("bad-release-step", f"{step} release {number}, which release record {closed[number].seq} closed already")
    else:
        closed[number] = record
        if step == APPROVED and record.recorded_by == first.recorded_by:
            bad("four-eyes", f"release {number} is approved by its own author, {record.recorded_by}")
        if step == WITHDRAWN and record.recorded_by != first.recorded_by:
            bad("bad-release-step", f"release {number} is withdrawn by {record.recorded_by}, not its author")
        if record.ruleset_hash != first.ruleset_hash:
            bad("bad-release-step", f"{step} ruleset {record.ruleset_hash}, not release {number}'s {first.ruleset_hash}")


def decision_release_problem(found: Releases, info: Mapping[str, Any], ruleset_hash: str | None) -> str | None:
    """Why a decision's record does not match the release it names (None when it does, or names none)."""
    number = info.get("release")
    if number is None:
        return None
    release = found.by_number.get(int(number))
    if release is None or not release.approved:
        return f"names release {number}, which {'does not exist' if release is None else 'is not approved'}"
    if release.ruleset_hash != ruleset_hash:
        return f"names release {number} (ruleset {release.ruleset_hash}) but was made by ruleset {ruleset_hash}"
    return None
