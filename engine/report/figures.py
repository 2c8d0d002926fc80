"""The Board's figures for a period, computed from the decisions in force (no rendering here).

Decisions are counted on their evaluation date (``as_of``).  Periods of up to 62 days
are shown week by week (weeks start on Monday), longer ones month by month.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..log.logview import Entry, HumanDecision
from ..log.register import RegisterEntry
from ..policy.model import Policy
from ..policy.texts import in_language

WEEKLY_UP_TO_DAYS = 62
SCORE_BINS = tuple((low, low + 9 if low < 90 else 100) for low in range(0, 100, 10))  # 0-9, ..., 90-100
FAILING = ("unmet", "partial", "unknown")


@dataclass(frozen=True)
class Labels:
    """Words for codes, from the ruleset in force at the end of the period."""

    outcomes: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)
    criteria: Mapping[str, str] = field(default_factory=dict)  # name -> "(a) Integrity of the mandate ..."
    short: Mapping[str, str] = field(default_factory=dict)  # name -> "(a) mandate integrity"

    @classmethod
    def of(cls, policy: Policy | None, lang: str | None = None) -> Labels:
        """The policy's words for its codes, in ``lang`` where the policy has them (None: its first language)."""
        if policy is None:
            return cls()
        vocab = policy.vocab

        def of(text: str) -> str:
            return in_language(text, lang)

        return cls(
            {k: of(t.label) for k, t in vocab.outcomes.items()},
            {k: of(t.label) for k, t in vocab.regions.items()},
            {k: of(v) for k, v in vocab.status_labels.items()},
            {c.name: f"({c.letter}) {of(c.title)}" for c in policy.criteria},
            {c.name: f"({c.letter}) {of(c.short) if c.short and lang else c.label}" for c in policy.criteria},
        )

    def outcome(self, code: str) -> str:
        return self.outcomes.get(code, code.replace("_", " "))

    def region(self, code: str | None) -> str:
        if code is None:
            return "(none given)"
        return self.regions.get(code, code.replace("_", " "))

    def criterion(self, name: str) -> str:
        return self.criteria.get(name, name.replace("_", " "))

    def criterion_short(self, name: str) -> str:
        return self.short.get(name, name.replace("_", " "))


@dataclass(frozen=True)
class Bucket:
    label: str
    start: date
    end: date
    by_outcome: Mapping[str, int]
    total: int
    with_exception: int
    applied: int

    @property
    def exception_rate(self) -> float | None:
        return None if not self.total else self.with_exception / self.total


@dataclass(frozen=True)
class ConditionFailures:
    name: str
    unmet: int
    partial: int
    unknown: int

    @property
    def not_met(self) -> int:
        return self.unmet + self.partial + self.unknown


@dataclass(frozen=True)
class Departure:
    entry: Entry
    human: HumanDecision


@dataclass(frozen=True)
class Figures:
    date_from: date
    date_to: date
    granularity: str  # "week" or "month"
    total: int
    outcomes: tuple[str, ...]  # every outcome shown, in table order
    by_outcome: Mapping[str, int]
    buckets: tuple[Bucket, ...]
    regions: tuple[str | None, ...]
    by_region: Mapping[str | None, Mapping[str, int]]
    with_exception: int
    exceptions_applied: int
    exceptions_rejected: int
    conditions: tuple[ConditionFailures, ...]  # most often failing first
    score_bins: tuple[tuple[str, int], ...]
    score_mean: float | None
    score_median: float | None
    human_decided: int
    human_followed: int
    departures: tuple[Departure, ...]
    corrections: int

    @property
    def exception_rate(self) -> float | None:
        return None if not self.total else self.with_exception / self.total

    @property
    def follow_rate(self) -> float | None:
        return None if not self.human_decided else self.human_followed / self.human_decided

    @property
    def awaiting(self) -> int:
        return self.total - self.human_decided


def _plus_days(day: date, days: int) -> date:
    """``day`` plus ``days``, stopping at the last date there is (9999-12-31) rather than failing."""
    return date.max if (date.max - day).days < days else day + timedelta(days=days)


def _buckets(date_from: date, date_to: date) -> tuple[str, list[tuple[str, date, date]]]:
    out: list[tuple[str, date, date]] = []
    if (date_to - date_from).days < WEEKLY_UP_TO_DAYS:
        start = date_from - timedelta(days=date_from.weekday())
        while start <= date_to:
            end = _plus_days(start, 6)
            iso = start.isocalendar()
            out.append((f"{iso.year}-W{iso.week:02d}", start, end))
            if end == date.max:
                break
            start = end + timedelta(days=1)
        return "week", out
    start = date(date_from.year, date_from.month, 1)
    while start <= date_to:
        end = date.max if start.year == date.max.year and start.month == 12 else _next_month(start) - timedelta(days=1)
        out.append((f"{start:%Y-%m}", start, end))
        if end == date.max:
            break
        start = end + timedelta(days=1)
    return "month", out


def _next_month(start: date) -> date:
    return date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)


def _outcome_order(known: Sequence[str], seen: set[str]) -> tuple[str, ...]:
    return tuple(known) + tuple(sorted(seen - set(known)))


def compute(
    entries: Sequence[Entry],
    date_from: date,
    date_to: date,
    *,
    outcome_order: Sequence[str] = (),
    criteria_order: Sequence[str] = (),
) -> Figures:
    """The figures for ``entries`` (the decisions in force evaluated between the two dates)."""
    outcomes = _outcome_order(outcome_order, {e.outcome for e in entries})
    by_outcome = {o: 0 for o in outcomes}
    for e in entries:
        by_outcome[e.outcome] += 1

    granularity, spans = _buckets(date_from, date_to)
    buckets = []
    for label, start, end in spans:
        inside = [e for e in entries if start.isoformat() <= e.as_of <= end.isoformat()]
        counts = {o: sum(1 for e in inside if e.outcome == o) for o in outcomes}
        buckets.append(
            Bucket(
                label,
                start,
                end,
                counts,
                len(inside),
                sum(1 for e in inside if e.exceptions),
                sum(1 for e in inside if any(x.get("decision") == "applied" for x in e.exceptions)),
            )
        )

    regions = tuple(sorted({e.region for e in entries}, key=lambda r: (r is None, r or "")))
    by_region = {r: {o: sum(1 for e in entries if e.region == r and e.outcome == o) for o in outcomes} for r in regions}

    names = list(criteria_order) + sorted({n for e in entries for n in e.decision.get("criteria", {})} - set(criteria_order))
    failures = []
    for name in names:
        statuses = [str(e.decision.get("criteria", {}).get(name, {}).get("status", "")) for e in entries]
        failures.append(ConditionFailures(name, statuses.count("unmet"), statuses.count("partial"), statuses.count("unknown")))
    rank = {n: i for i, n in enumerate(names)}
    failures.sort(key=lambda f: (-f.unmet, -f.not_met, rank[f.name]))

    scores = [e.priority_score for e in entries]
    bins = tuple((f"{low}-{high}", sum(1 for s in scores if low <= s < high + 1)) for low, high in SCORE_BINS)

    decided = [e for e in entries if e.human is not None]
    departures = tuple(Departure(e, e.human) for e in decided if e.human is not None and not e.human.follows)
    return Figures(
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
        total=len(entries),
        outcomes=outcomes,
        by_outcome=by_outcome,
        buckets=tuple(buckets),
        regions=regions,
        by_region=by_region,
        with_exception=sum(1 for e in entries if e.exceptions),
        exceptions_applied=sum(1 for e in entries if any(x.get("decision") == "applied" for x in e.exceptions)),
        exceptions_rejected=sum(1 for e in entries if any(x.get("decision") == "rejected" for x in e.exceptions)),
        conditions=tuple(failures),
        score_bins=bins,
        score_mean=round(statistics.fmean(scores), 1) if scores else None,
        score_median=statistics.median(scores) if scores else None,
        human_decided=len(decided),
        human_followed=sum(1 for e in decided if e.human is not None and e.human.follows),
        departures=departures,
        corrections=sum(1 for e in entries if e.corrects is not None),
    )


def register_in_period(register: Sequence[RegisterEntry], date_from: date, date_to: date) -> list[RegisterEntry]:
    """The register entries used by a decision evaluated in the period."""
    low, high = date_from.isoformat(), date_to.isoformat()
    return [r for r in register if any(low <= u.as_of <= high for u in r.uses)]
