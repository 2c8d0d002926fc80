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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from . import __version__
from .compiler import CompiledPolicy, Stage, compile_policy
from .decision import CitationRef, ConditionResult, Decision, ExceptionResult, Reason
from .documents import Document
from .errors import EngageError, InvalidRequest, Location, RuleConflict
from .loader import PLACEHOLDER, load_policy
from .logic import lookup, trace
from .model import Citation, Policy, Rule
from .request import check_request
from .schema import FieldCatalog, validator_for
from .score import priority_score
from .shipped import shipped_dir

DEFAULT_CACHE_SIZE = 50_000


class _BoundedCache:
    """A dict that forgets its oldest entries beyond ``size``; safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: dict[tuple[Any, ...], tuple[Rule, ...]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[Rule, ...] | None:
        return self._data.get(key)

    def put(self, key: tuple[Any, ...], value: tuple[Rule, ...]) -> None:
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
    location: Location


class Engine:
    """A compiled policy.  Thread-safe: share one engine between threads."""

    def __init__(self, policy: Policy, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.policy = policy
        self.compiled: CompiledPolicy = compile_policy(policy)
        self.validator = validator_for(policy.request_schema)
        self.catalog = FieldCatalog(policy.request_schema, policy.criterion_names)
        self.cache_size = cache_size
        self._caches = {stage.name: _BoundedCache(cache_size) for stage in self.compiled.stages()}
        self._waivable = tuple(c.name for c in policy.criteria if c.waivable)

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
        record, errors = check_request(request, self.validator, self.policy.criteria, doc)
        if errors or record is None:
            raise InvalidRequest(errors)
        return Checked(record, record["id"], doc.locate(()))

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
        return _Evaluation(self, checked, when, source).run()

    def fire(self, stage: Stage, record: Mapping[str, Any], as_of: date) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for ``record``, reusing an earlier identical match."""
        key = stage.key(record, as_of)
        cache = self._caches[stage.name]
        rules = cache.get(key)
        if rules is None:
            rules = stage.match(key)
            cache.put(key, rules)
        return rules

    def cache_entries(self) -> int:
        return sum(len(c) for c in self._caches.values())


class _Evaluation:
    """One evaluation: runs the stages and assembles the decision with its reasons."""

    def __init__(self, engine: Engine, checked: Checked, as_of: date, source: str) -> None:
        self.engine = engine
        self.policy = engine.policy
        self.record = checked.record
        self.location = checked.location
        self.as_of = as_of
        self.source = source

    def run(self) -> Decision:
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
        covered = {r.covers for r in exception_rules if r.covers is not None}

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

        reasons = [self._reason(decisive)]
        for test in true_tests:
            if test.field.startswith("status.") and test.field != "status.exception":
                reasons.extend(self._reason(r) for r in by_criterion[test.field.split(".", 1)[1]])
            elif test.field == "status.exception" or test.field.startswith("covers."):
                reasons.extend(self._reason(r) for r in exception_rules if r.exception != "absent")
        unique: dict[str, Reason] = {}
        for reason in reasons:
            unique.setdefault(reason.rule, reason)

        score, breakdown = priority_score(policy.priority, statuses, decisive.outcome or "", record)
        criteria = tuple(
            ConditionResult(
                name,
                statuses[name],
                policy.vocab.status_scores.get(statuses[name]),
                tuple(self._reason(r) for r in by_criterion[name]),
                tuple(missing_by.get(name, ())),
            )
            for name in policy.criterion_names
        )
        missing = self._ordered({f for name in blocking for f in missing_by.get(name, ())})
        exceptions = self._exceptions(exception_state, exception_rules, covered, statuses, decisive)
        return Decision(
            request_id=record["id"],
            outcome=decisive.outcome or "",
            priority_score=score,
            as_of=self.as_of,
            as_of_source=self.source,
            criteria=criteria,
            reasons=tuple(unique.values()),
            missing=missing,
            exceptions=exceptions,
            score_breakdown=breakdown,
            rules_fired=tuple(r.id for r in fired),
            ruleset_hash=policy.hash,
            engine_version=__version__,
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
        return self._ordered(fields)

    def _ordered(self, fields: Iterable[str]) -> tuple[str, ...]:
        order = {path: i for i, path in enumerate(self.engine.catalog.request_paths)}
        return tuple(sorted(set(fields), key=lambda f: (order.get(f, len(order)), f)))

    def _exceptions(
        self, state: str, rules: Sequence[Rule], covered: set[str], statuses: Mapping[str, str], decisive: Rule
    ) -> tuple[ExceptionResult, ...]:
        if state == "absent":
            return ()
        given = self.record.get("exception", {})
        uncovered = tuple(name for name in self.engine._waivable if statuses.get(name) != "met" and name not in covered)
        return (
            ExceptionResult(
                decision=decisive.exception_decision or "not_considered",
                valid=state == "valid",
                waives=tuple(given.get("waives", ())),
                uncovered=uncovered,
                reasons=tuple(self._reason(r) for r in rules if r.exception != "absent"),
                justification=given.get("justification"),
                requested_by=given.get("requested_by"),
                approved_by=given.get("approved_by"),
                expires=given.get("expires"),
                decided_by=decisive.id,
            ),
        )

    def _reason(self, rule: Rule) -> Reason:
        return Reason(rule.id, self._render(rule.reason), tuple(self._cite(c) for c in rule.cite))

    def _cite(self, cite: Citation) -> CitationRef:
        source = self.policy.sources.get(cite.source)
        return CitationRef(cite.source, cite.para, cite.text(), source.url if source else None)

    def _render(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "as_of":
                return self.as_of.isoformat()
            found = lookup(self.record, name)
            spec = self.engine.catalog.get(name)
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


def errors_of(exc: EngageError) -> list[EngageError]:
    return list(getattr(exc, "errors", [exc]))
