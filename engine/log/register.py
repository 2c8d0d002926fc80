"""The exception register: every exception the engine has seen, and the decisions that used it.

An exception (E/CN.4/2006/104 para 23) travels with its request; the same exception seen
in several decisions (a request evaluated again, a corrected request) is one entry of the
register, listing each decision and whether the exception was applied or rejected there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .store import LogRecord


@dataclass(frozen=True)
class Use:
    """One decision that considered the exception."""

    seq: int
    as_of: str
    outcome: str
    decision: str  # applied, rejected or not_considered
    valid: bool
    uncovered: tuple[str, ...]
    superseded_by: int | None = None


@dataclass(frozen=True)
class RegisterEntry:
    request_id: str
    waives: tuple[str, ...]
    justification: str | None
    requested_by: str | None
    approved_by: str | None
    expires: str | None
    uses: tuple[Use, ...]

    @property
    def latest(self) -> Use:
        """The latest decision in force that used it (or the latest at all)."""
        in_force = [u for u in self.uses if u.superseded_by is None]
        return (in_force or list(self.uses))[-1]

    @property
    def status(self) -> str:
        return self.latest.decision

    def expiry(self) -> date | None:
        try:
            return date.fromisoformat(self.expires) if self.expires else None
        except ValueError:
            return None

    def days_left(self, today: date) -> int | None:
        end = self.expiry()
        return None if end is None else (end - today).days

    def to_dict(self, today: date | None = None) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "waives": list(self.waives),
            "justification": self.justification,
            "requested_by": self.requested_by,
            "approved_by": self.approved_by,
            "expires": self.expires,
            "days_left": None if today is None else self.days_left(today),
            "status": self.status,
            "decisions": [
                {
                    "seq": u.seq,
                    "as_of": u.as_of,
                    "outcome": u.outcome,
                    "exception": u.decision,
                    "valid": u.valid,
                    "uncovered": list(u.uncovered),
                    "superseded_by": u.superseded_by,
                }
                for u in self.uses
            ],
        }


def _key(request_id: str, exc: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        request_id,
        tuple(exc.get("waives") or ()),
        exc.get("justification"),
        exc.get("requested_by"),
        exc.get("approved_by"),
        exc.get("expires"),
    )


def build_register(decisions: Iterable[LogRecord], superseded: Mapping[int, int]) -> list[RegisterEntry]:
    """One entry per distinct exception, in the order first seen; ``decisions``: every decision record."""
    found: dict[tuple[Any, ...], list[Use]] = {}
    for record in decisions:
        data = record.decision_data()
        for exc in data.get("exceptions") or ():
            use = Use(
                record.seq,
                str(data.get("as_of", "")),
                str(data.get("outcome", "")),
                str(exc.get("decision", "")),
                bool(exc.get("valid")),
                tuple(exc.get("uncovered") or ()),
                superseded.get(record.seq),
            )
            found.setdefault(_key(record.request_id, exc), []).append(use)
    return [
        RegisterEntry(
            request_id=key[0],
            waives=key[1],
            justification=key[2],
            requested_by=key[3],
            approved_by=key[4],
            expires=key[5],
            uses=tuple(uses),
        )
        for key, uses in found.items()
    ]


def expiring(entries: Iterable[RegisterEntry], today: date, days: int) -> list[RegisterEntry]:
    """The entries whose exception is still in force today and ends within ``days`` days, soonest first."""
    last = today + timedelta(days=days)
    kept = [e for e in entries if (end := e.expiry()) is not None and today <= end <= last]
    return sorted(kept, key=lambda e: (e.expires or "", e.request_id))
