"""Releases of the rules: proposed, approved (by someone else), rejected or withdrawn, and in force from a date.

Each step is a record of kind ``release`` in the hash-chained log, holding in its ``details``
the release's number, the step and what the step says (note, date, justification, reason,
the checks run on proposal); ``ruleset_hash`` names the rules.  A release and its state are
worked out from those records (:func:`read_releases`); the ``releases`` and ``release_steps``
tables hold the same facts in columns for the queries and the database's own guard against a
second approval (migration 0004).

The release in force on a date is the approved one with the latest ``effective_from`` on or
before it (the day itself counts); a release adopted at first use is in force from the start.
Steps are built under the writer lock (:meth:`LogStore.append_built`), from the log as it then
stands: of two approvals of one release at once, the second finds it approved already.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import EngageError, Location
from ..policy.model import Policy
from .store import (
    ADOPTED,
    APPROVED,
    CLOSING_STEPS,
    OPENING_STEPS,
    PROPOSED,
    REJECTED,
    RELEASE,
    WITHDRAWN,
    Draft,
    LogRecord,
    LogStore,
    record_from_row,
    records,
    store_json,
)

ADOPTION_NOTE = "adopted at first use"
# What a release is, for people; "approved" is an approved release whose date has not come yet.
IN_FORCE, SUPERSEDED = "in force", "superseded"


class ReleaseError(EngageError):
    """A release step that cannot be taken (exit status 2)."""


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


def read_releases(conn: Connection) -> Releases:
    """The releases as the chain's release records say (not the index tables, which verify compares with it)."""
    query = sa.select(records).where(records.c.kind == RELEASE).order_by(records.c.seq)
    return releases_from(record_from_row(row) for row in conn.execute(query))


def releases_from(found: Iterable[LogRecord]) -> Releases:
    opened: dict[int, dict[str, Any]] = {}
    for record in found:
        info = record.info
        number, step = int(info.get("release") or 0), str(info.get("step", ""))
        taken = Step(record.seq, step, record.recorded_by, record.recorded_at, _text(step, info))
        if step in OPENING_STEPS and number not in opened:
            effective = info.get("effective_from")
            opened[number] = {
                "number": number,
                "ruleset_hash": record.ruleset_hash or "",
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


def _text(step: str, info: Mapping[str, Any]) -> str | None:
    value = info.get({PROPOSED: "note", ADOPTED: "note", APPROVED: "justification", REJECTED: "reason"}.get(step, ""))
    return None if value is None else str(value)


def _draft(number: int, step: str, by: str, ruleset_hash: str, **details: Any) -> Draft:
    return Draft(
        kind=RELEASE,
        request_id=f"release {number}",
        recorded_by=by,
        ruleset_hash=ruleset_hash,
        details=store_json({"release": number, "step": step, **details}),
    )


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

    def build(conn: Connection) -> list[Draft]:
        number = read_releases(conn).next_number
        details = {"note": note.strip(), "effective_from": effective_from.isoformat(), "report": dict(report or {})}
        return [_draft(number, PROPOSED, author, policy.hash, **details)]

    (record,) = store.append_built(build)
    with store.reading() as conn:
        return read_releases(conn).get(int(record.info["release"]))


def adopt_first(store: LogStore, policy: Policy, by: str) -> Release:
    """Release 1, in force from the start, for a log that has no release yet: the rules it is first used with.

    If another writer adopted (or proposed) first, nothing is added and the log's releases stand.
    """
    who = _who(by, "adopting the rules")
    store.save_ruleset(policy, who)

    def build(conn: Connection) -> list[Draft]:
        if len(read_releases(conn)):
            return []
        return [_draft(1, ADOPTED, who, policy.hash, note=ADOPTION_NOTE, effective_from=None)]

    store.append_built(build)
    with store.reading() as conn:
        return read_releases(conn).get(1)


def _close(store: LogStore, number: int, step: str, by: str, **details: Any) -> Release:
    who = _who(by, f"{'an approval' if step == APPROVED else 'a rejection' if step == REJECTED else 'a withdrawal'}")

    def build(conn: Connection) -> list[Draft]:
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

    store.append_built(build)
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
