"""The engine: load and compile the rules once, then evaluate many requests.

>>> engine = Engine.load()                      # the shipped rules/ and criteria/
>>> decision = engine.evaluate(request, as_of=date(2026, 11, 24))
>>> decision.outcome, decision.priority_score

Each evaluation runs the stages in order (the four conditions, the exception, the
outcome table); durable-rules decides which rules fire in each.  A stage's result
depends only on its projection of the request (``Stage.key``), so it may be reused for
another request with the same projection: the cache is exact, bounded, and can be
switched off (``cache_size=0``) to run every stage through durable-rules.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import __version__
from .compiler import CompiledPolicy, Projection, Stage, compile_policy
from .decision import CitationRef, ConditionResult, Decision, ExceptionResult, Reason
from .documents import Document
from .errors import EngageError, InvalidRequest, Location, RuleConflict
from .fastcheck import compile_checker
from .loader import PLACEHOLDER, load_policy
from .logic import lookup, trace
from .model import Citation, Policy, Rule
from .request import check_request
from .schema import FieldCatalog, validator_for
from .score import priority_score
from .shipped import shipped_dir

DEFAULT_CACHE_SIZE = 50_000
# The two decision-level caches hold larger objects; their bounds keep memory flat.
SKELETON_CACHE_SIZE = 8_192
DECISION_CACHE_SIZE = 4_096


class _BoundedCache:
    """A dict that forgets its oldest entries beyond ``size``; safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        return self._data.get(key)

    def put(self, key: Any, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            if len(self._data) >= self.size:
                self._data.pop(next(iter(self._data)))
            self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


@dataclass(frozen=True)
class Checked:
    """A request that passed validation: its normal form and where it came from."""

    record: dict[str, Any]
    request_id: str
    doc: Document | None = field(default=None, compare=False, repr=False)

    @property
    def location(self) -> Location:
        return self.doc.locate(()) if self.doc is not None else Location("<request>")


@dataclass(frozen=True)
class _Skeleton:
    """Everything a decision says that depends only on what the rules read of the request."""

    statuses: Mapping[str, str]
    by_criterion: Mapping[str, tuple[Rule, ...]]
    exception_rules: tuple[Rule, ...]
    exception_state: str
    covered: frozenset[str]
    decisive: Rule
    reason_rules: tuple[Rule, ...]  # the decision's reasons, decisive line first
    missing_by: Mapping[str, tuple[str, ...]]
    missing: tuple[str, ...]
    rules_fired: tuple[str, ...]
    uncovered: tuple[str, ...]
    quoted: tuple[str, ...]  # fields the decision's reasons quote ({field} placeholders)


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


class Engine:
    """A compiled policy.  Thread-safe: share one engine between threads.

    A decision is assembled in two steps, each reused when it can be: the *skeleton*
    (which rules fire, the statuses, the outcome, what is missing) depends only on the
    projections the stages read (:meth:`_skeleton_key`); the rendered decision depends on
    the skeleton, the evaluation date and the values its reasons quote.  The request id and
    the priority score (cheap to compute, and different for most requests) are then set on
    a copy.
    """

    def __init__(self, policy: Policy, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.policy = policy
        self.compiled: CompiledPolicy = compile_policy(policy)
        self.validator = validator_for(policy.request_schema)
        self.fast_check = compile_checker(policy.request_schema)
        self.catalog = FieldCatalog(policy.request_schema, policy.criterion_names)
        self.cache_size = cache_size
        self._caches = {stage.name: _BoundedCache(cache_size) for stage in self.compiled.stages()}
        self._skeletons = _BoundedCache(min(cache_size, SKELETON_CACHE_SIZE))
        self._decisions = _BoundedCache(min(cache_size, DECISION_CACHE_SIZE))
        self._waivable = tuple(c.name for c in policy.criteria if c.waivable)
        self._order = {path: i for i, path in enumerate(self.catalog.request_paths)}
        self._reasons: dict[Rule, Reason] = {}
        self._quotes = {r: tuple(PLACEHOLDER.findall(r.reason)) for r in policy.all_rules()}
        self._key_parts, self._key_uses_as_of = self._skeleton_key_parts()

    @classmethod
    def load(
        cls, rules_dir: Path | str | None = None, criteria_dir: Path | str | None = None, *, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> Engine:
        """Load, check and compile ``rules_dir`` and ``criteria_dir`` (default: the shipped ones)."""
        policy = load_policy(rules_dir or shipped_dir("rules"), criteria_dir or shipped_dir("criteria"))
        return cls(policy, cache_size=cache_size)

    def close(self) -> None:
        self.compiled.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- validation ------------------------------------------------------------

    def check(self, request: Any, doc: Document | None = None) -> Checked:
        """Validate ``request``; raise :class:`InvalidRequest` listing every problem."""
        doc = doc or Document(request, "<request>")
        record, errors = check_request(request, self.validator, self.policy.criteria, doc, self.fast_check)
        if errors or record is None:
            raise InvalidRequest(errors)
        return Checked(record, record["id"], doc)

    # -- evaluation --------------------------------------------------------------

    def evaluate(self, request: Mapping[str, Any], as_of: date | None = None, *, doc: Document | None = None) -> Decision:
        """The decision for one request.  ``as_of`` defaults to today, and the decision says which."""
        return self.decide(self.check(request, doc), as_of)

    def evaluate_many(self, requests: Iterable[Mapping[str, Any]], as_of: date | None = None) -> list[Decision]:
        when = as_of or date.today()
        source = "given" if as_of else "today"
        return [self.decide(self.check(r), when, source) for r in requests]

    def decide(self, checked: Checked, as_of: date | None = None, as_of_source: str | None = None) -> Decision:
        """The decision for a request that :meth:`check` accepted."""
        source = as_of_source or ("given" if as_of else "today")
        when = as_of or date.today()
        record = checked.record
        key = self._skeleton_key(record, when)
        skeleton: _Skeleton | None = self._skeletons.get(key)
        if skeleton is None:
            skeleton = _Evaluation(self, checked, when).skeleton()
            self._skeletons.put(key, skeleton)
        given = record.get("exception")
        rendered = (key, when, source, tuple(_frozen(lookup(record, f)) for f in skeleton.quoted), _frozen(given))
        decision: Decision | None = self._decisions.get(rendered)
        if decision is None:
            decision = self._render(skeleton, record, when, source)
            self._decisions.put(rendered, decision)
        score, breakdown = priority_score(self.policy.priority, skeleton.statuses, decision.outcome, record)
        return decision.for_request(checked.request_id, score, breakdown)

    def fire(self, stage: Stage, record: Mapping[str, Any], as_of: date) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for ``record``, reusing an earlier identical match."""
        key = stage.key(record, as_of)
        cache = self._caches[stage.name]
        rules: tuple[Rule, ...] | None = cache.get(key)
        if rules is None:
            rules = stage.match(key)
            cache.put(key, rules)
        return rules

    def cache_entries(self) -> int:
        return sum(len(c) for c in self._caches.values())

    # -- what a skeleton depends on -------------------------------------------------

    def _skeleton_key_parts(self) -> tuple[tuple[Callable[[Mapping[str, Any], date], Any], ...], bool]:
        """Every projection the stages read: exactly what a skeleton depends on."""
        parts: list[Callable[[Mapping[str, Any], date], Any]] = []
        seen: set[Projection] = set()
        uses_as_of = False
        for stage in self.compiled.stages():
            uses_as_of = uses_as_of or stage.uses_as_of
            for projection in stage.projections:
                spec = self.catalog.get(projection.path)
                if projection in seen or (spec is not None and spec.derived):
                    continue  # derived fields are functions of the other stages' projections
                seen.add(projection)
                parts.append(projection.project)
        return tuple(parts), uses_as_of

    def _skeleton_key(self, record: Mapping[str, Any], as_of: date) -> tuple[Any, ...]:
        values = tuple(part(record, as_of) for part in self._key_parts)
        return (as_of.toordinal(), *values) if self._key_uses_as_of else values

    # -- rendering ----------------------------------------------------------------

    def _render(self, sk: _Skeleton, record: Mapping[str, Any], as_of: date, source: str) -> Decision:
        policy = self.policy
        criteria = tuple(
            ConditionResult(
                name,
                sk.statuses[name],
                policy.vocab.status_scores.get(sk.statuses[name]),
                tuple(self._reason(r, record, as_of) for r in sk.by_criterion[name]),
                sk.missing_by.get(name, ()),
            )
            for name in policy.criterion_names
        )
        exceptions: tuple[ExceptionResult, ...] = ()
        if sk.exception_state != "absent":
            given = record.get("exception", {})
            exceptions = (
                ExceptionResult(
                    decision=sk.decisive.exception_decision or "not_considered",
                    valid=sk.exception_state == "valid",
                    waives=tuple(given.get("waives", ())),
                    uncovered=sk.uncovered,
                    reasons=tuple(self._reason(r, record, as_of) for r in sk.exception_rules if r.exception != "absent"),
                    justification=given.get("justification"),
                    requested_by=given.get("requested_by"),
                    approved_by=given.get("approved_by"),
                    expires=given.get("expires"),
                    decided_by=sk.decisive.id,
                ),
            )
        return Decision(
            request_id=record["id"],
            outcome=sk.decisive.outcome or "",
            priority_score=0,  # set for each request by decide(): the score is cheap and varies more
            as_of=as_of,
            as_of_source=source,
            criteria=criteria,
            reasons=tuple(self._reason(r, record, as_of) for r in sk.reason_rules),
            missing=sk.missing,
            exceptions=exceptions,
            score_breakdown=(),
            rules_fired=sk.rules_fired,
            ruleset_hash=policy.hash,
            engine_version=__version__,
        )

    def _reason(self, rule: Rule, record: Mapping[str, Any], as_of: date) -> Reason:
        if not self._quotes[rule]:
            cached = self._reasons.get(rule)
            if cached is None:
                cached = self._reasons[rule] = Reason(rule.id, rule.reason, tuple(self._cite(c) for c in rule.cite))
            return cached
        return Reason(rule.id, self._render_text(rule.reason, record, as_of), tuple(self._cite(c) for c in rule.cite))

    def _cite(self, cite: Citation) -> CitationRef:
        source = self.policy.sources.get(cite.source)
        return CitationRef(cite.source, cite.para, cite.text(), source.url if source else None)

    def _render_text(self, text: str, record: Mapping[str, Any], as_of: date) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "as_of":
                return as_of.isoformat()
            found = lookup(record, name)
            spec = self.catalog.get(name)
            if found is None:
                return "(unknown)"
            if isinstance(found, bool):
                return "yes" if found else "no"
            if isinstance(found, list):
                return ", ".join(str(v).replace("_", " ") if spec and spec.item_kind == "enum" else str(v) for v in found)
            if spec is not None and spec.kind == "enum":
                return str(found).replace("_", " ")
            return str(found)

        return PLACEHOLDER.sub(value, text)

    def ordered(self, fields: Iterable[str]) -> tuple[str, ...]:
        """Field paths in the order of the request form."""
        order = self._order
        return tuple(sorted(set(fields), key=lambda f: (order.get(f, len(order)), f)))


class _Evaluation:
    """Runs the stages for one request and works out its skeleton."""

    def __init__(self, engine: Engine, checked: Checked, as_of: date) -> None:
        self.engine = engine
        self.policy = engine.policy
        self.record = checked.record
        self.location = checked.location
        self.as_of = as_of

    def skeleton(self) -> _Skeleton:
        engine, policy, record = self.engine, self.policy, self.record
        fired: list[Rule] = []
        statuses: dict[str, str] = {}
        by_criterion: dict[str, tuple[Rule, ...]] = {}
        for name, stage in engine.compiled.conditions:
            rules = engine.fire(stage, record, self.as_of)
            by_criterion[name] = rules
            statuses[name] = self._one(name, [(r, r.status) for r in rules])
            fired.extend(rules)

        exception_rules = engine.fire(engine.compiled.exception, record, self.as_of)
        fired.extend(exception_rules)
        validity = [r for r in exception_rules if r.exception is not None]
        exception_state = self._one("the exception", [(r, r.exception) for r in validity])
        covered = frozenset(r.covers for r in exception_rules if r.covers is not None)

        derived = dict(record)
        derived["status"] = {**statuses, "exception": exception_state}
        derived["covers"] = {name: name in covered for name in policy.criterion_names}
        outcome_rules = engine.fire(engine.compiled.outcome, derived, self.as_of)
        if not outcome_rules:
            raise RuleConflict("rule-gap", "no line of the outcome table applies to this request", self.location)
        decisive = outcome_rules[0]  # the table's first line that applies; later lines matched too but do not count
        fired.append(decisive)
        path = trace(decisive.when, derived, self.as_of)
        if path.value is not True:
            raise RuleConflict(
                "matcher-disagreement",
                f"durable-rules fired {decisive.id} but its condition is {path.value} here; please report this",
                self.location,
            )
        true_tests = path.true_tests()
        blocking = [t.field.split(".", 1)[1] for t in true_tests if t.field.startswith("status.") and t.value == "unknown"]
        missing_by = {name: self._blocking(by_criterion[name]) for name in statuses if statuses[name] == "unknown"}

        reason_rules: list[Rule] = [decisive]
        for test in true_tests:
            if test.field.startswith("status.") and test.field != "status.exception":
                reason_rules.extend(by_criterion[test.field.split(".", 1)[1]])
            elif test.field == "status.exception" or test.field.startswith("covers."):
                reason_rules.extend(r for r in exception_rules if r.exception != "absent")
        first: dict[str, Rule] = {}
        for rule in reason_rules:
            first.setdefault(rule.id, rule)  # a rule is listed where it is first mentioned
        ordered_reasons = tuple(first.values())

        uncovered = tuple(n for n in engine._waivable if statuses.get(n) != "met" and n not in covered)
        quoted_rules = [*fired, *ordered_reasons]
        quoted = sorted({f for r in quoted_rules for f in engine._quotes[r] if f != "as_of"})
        return _Skeleton(
            statuses=statuses,
            by_criterion=by_criterion,
            exception_rules=exception_rules,
            exception_state=exception_state,
            covered=covered,
            decisive=decisive,
            reason_rules=ordered_reasons,
            missing_by=missing_by,
            missing=engine.ordered(f for name in blocking for f in missing_by.get(name, ())),
            rules_fired=tuple(r.id for r in fired),
            uncovered=uncovered,
            quoted=tuple(quoted),
        )

    def _one(self, what: str, effects: Sequence[tuple[Rule, str | None]]) -> str:
        values = {effect for _, effect in effects}
        if not values:
            raise RuleConflict("rule-gap", f"no rule gives {what} a status for this request", self.location)
        if len(values) > 1:
            listing = ", ".join(f"{r.id} ({effect})" for r, effect in effects)
            raise RuleConflict("rule-conflict", f"rules disagree on {what} for this request: {listing}", self.location)
        (value,) = values
        return value or ""

    def _blocking(self, rules: Sequence[Rule]) -> tuple[str, ...]:
        """The unknown fields that the unknown-status rules name: what to ask the requester for."""
        fields: set[str] = set()
        for rule in rules:
            if rule.status != "unknown":
                continue
            for test in trace(rule.when, self.record, self.as_of).true_tests():
                names_unknown = (test.op == "is" and test.value == "unknown") or (
                    test.op == "in" and None in test.value  # type: ignore[operator]
                )
                if names_unknown and lookup(self.record, test.field) is None:
                    fields.add(test.field)
        return self.engine.ordered(fields)


def errors_of(exc: EngageError) -> list[EngageError]:
    return list(getattr(exc, "errors", [exc]))
