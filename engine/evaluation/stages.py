"""The stages of one evaluation, as a policy author reads them (policy-v1 section 6).

Each of the four conditions gets a status from the rules that fire for the request; the
exception gets a state (absent, valid or invalid) and the conditions it covers; the
outcome table's first line that applies decides the recommendation.  Each stage's answer
is a *part*: what that stage's rules say for the request's projection (``Stage.key``),
with what the later stages and the reasons need from it.

:class:`Stages` computes every part from the rules durable-rules fires, for every
request; :class:`~engine.evaluation.reuse.ReusedStages` is the same with each part kept
and reused for the next request with the same projection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import Location, RuleConflict
from ..policy.documents import Document
from ..policy.model import Rule
from .compiler import CompiledPolicy, Stage
from .logic import lookup, trace


@dataclass(frozen=True)
class Checked:
    """A request that passed validation: its normal form and where it came from."""

    record: dict[str, Any]
    request_id: str
    doc: Document | None = field(default=None, compare=False, repr=False)

    @property
    def location(self) -> Location:
        return self.doc.locate(()) if self.doc is not None else Location("<request>")


# Parts compare by identity (eq=False): the reuse layer keys rendered pieces by the parts a
# decision is made of, and identity is the cheap, exact key for that.  Each part carries a
# dict where its renderings are kept (see reuse.ReusedReasons); it stays empty without reuse.


@dataclass(frozen=True, eq=False)
class ConditionPart:
    """What one condition's rules say for one projection of a request."""

    status: str
    rules: tuple[Rule, ...]
    missing: tuple[str, ...]  # the unknown fields its unknown-status rules name
    quoted: tuple[str, ...]  # the fields its rules' reasons quote
    quotes_as_of: bool
    rendered: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ExceptionPart:
    """What the exception rules say: its state, and the conditions it covers."""

    state: str  # absent, valid or invalid
    rules: tuple[Rule, ...]
    covered: frozenset[str]
    quoted: tuple[str, ...]
    quotes_as_of: bool
    rendered: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class OutcomePart:
    """The outcome table's answer for one combination of statuses, exception and request fields."""

    decisive: Rule
    supports: tuple[str, ...]  # what the decisive line rested on, in order: criterion names, or "exception"
    blocking: tuple[str, ...]  # criteria whose unknown status blocked the decision
    quoted: tuple[str, ...]
    quotes_as_of: bool
    rendered: dict[Any, Any] = field(default_factory=dict)


def outcome_overlay(statuses: Mapping[str, str], exception: ExceptionPart) -> dict[str, Any]:
    """What the outcome table reads besides the request: each status, and what the exception covers."""
    return {
        "status": {**statuses, "exception": exception.state},
        "covers": {name: name in exception.covered for name in statuses},
    }


class Stages:
    """Computes each stage's part from the rules that fire for it, every time."""

    def __init__(self, compiled: CompiledPolicy, quotes: Mapping[Rule, tuple[str, ...]], order: Mapping[str, int]) -> None:
        self.compiled = compiled
        self._quotes = quotes  # the placeholders each rule's reason quotes
        self._order = order  # field paths in the order of the request form

    def fire(self, stage: Stage, key: tuple[Any, ...]) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for the projection ``key`` (durable-rules decides)."""
        return stage.match(key)

    def condition(
        self, name: str, stage: Stage, key: tuple[Any, ...], record: Mapping[str, Any], as_of: date, checked: Checked
    ) -> ConditionPart:
        rules = self.fire(stage, key)
        status = one(name, [(r, r.status) for r in rules], checked)
        blocking: set[str] = set()
        for rule in rules:
            if rule.status != "unknown":
                continue
            for test in trace(rule.when, record, as_of).true_tests():
                names_unknown = (test.op == "is" and test.value == "unknown") or (
                    test.op == "in" and None in test.value  # type: ignore[operator]
                )
                if names_unknown and lookup(record, test.field) is None:
                    blocking.add(test.field)
        return ConditionPart(status, rules, self.ordered(blocking), self._quoted_fields(rules), self._dated(rules))

    def exception(self, stage: Stage, key: tuple[Any, ...], checked: Checked) -> ExceptionPart:
        rules = self.fire(stage, key)
        state = one("the exception", [(r, r.exception) for r in rules if r.exception is not None], checked)
        covered = frozenset(r.covers for r in rules if r.covers is not None)
        return ExceptionPart(state, rules, covered, self._quoted_fields(rules), self._dated(rules))

    def outcome(
        self,
        stage: Stage,
        key: tuple[Any, ...],
        record: Mapping[str, Any],
        overlay: Mapping[str, Any],
        as_of: date,
        checked: Checked,
    ) -> OutcomePart:
        lines = self.fire(stage, key)
        if not lines:
            raise RuleConflict("rule-gap", "no line of the outcome table applies to this request", checked.location)
        decisive = lines[0]  # the table's first line that applies; later lines matched too but do not count
        path = trace(decisive.when, {**record, **overlay}, as_of)
        if path.value is not True:
            raise RuleConflict(
                "matcher-disagreement",
                f"durable-rules fired {decisive.id} but its condition is {path.value} here; please report this",
                checked.location,
            )
        supports: list[str] = []
        blocking: list[str] = []
        for test in path.true_tests():
            if test.field == "status.exception" or test.field.startswith("covers."):
                supports.append("exception")
            elif test.field.startswith("status."):
                name = test.field.split(".", 1)[1]
                supports.append(name)
                if test.value == "unknown":
                    blocking.append(name)
        return OutcomePart(
            decisive, tuple(dict.fromkeys(supports)), tuple(blocking), self._quoted_fields([decisive]), self._dated([decisive])
        )

    def ordered(self, fields: Iterable[str]) -> tuple[str, ...]:
        """Field paths in the order of the request form."""
        order = self._order
        return tuple(sorted(set(fields), key=lambda f: (order.get(f, len(order)), f)))

    def _quoted_fields(self, rules: Iterable[Rule]) -> tuple[str, ...]:
        return tuple(f for r in rules for f in self._quotes[r] if f != "as_of")

    def _dated(self, rules: Iterable[Rule]) -> bool:
        return any("as_of" in self._quotes[r] for r in rules)


def one(what: str, effects: Sequence[tuple[Rule, str | None]], checked: Checked) -> str:
    """The one effect the rules agree on; a gap or a disagreement is a defect of the rules."""
    values = {effect for _, effect in effects}
    if not values:
        raise RuleConflict("rule-gap", f"no rule gives {what} a status for this request", checked.location)
    if len(values) > 1:
        listing = ", ".join(f"{r.id} ({effect})" for r, effect in effects)
        raise RuleConflict("rule-conflict", f"rules disagree on {what} for this request: {listing}", checked.location)
    (value,) = values
    return value or ""
