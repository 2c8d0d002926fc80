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
from typing import Any, TypeVar

from . import __version__
from .compiler import CompiledPolicy, Stage, compile_policy
from .decision import CitationRef, ConditionResult, Decision, ExceptionResult, Reason, ScoreItem
from .documents import Document
from .errors import EngageError, InvalidRequest, Location, RuleConflict
from .fastcheck import compile_checker
from .loader import PLACEHOLDER, load_policy
from .logic import lookup, trace
from .model import Citation, Policy, Rule
from .request import check_request
from .schema import FieldCatalog, validator_for
from .score import Scorer
from .shipped import shipped_dir

DEFAULT_CACHE_SIZE = 50_000
# The caches of the decision's parts and of whole decisions hold larger objects; their
# bounds keep memory flat however many distinct requests go through.
PART_CACHE_SIZE = 8_192
PIECES_PER_PART = 64  # rendered reasons kept per part (more only when reasons quote free text)
PIECES_CACHE_SIZE = 32_768  # combinations of parts; about 10 MB when full (engage bench measures RSS)


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


@dataclass(frozen=True, eq=False)
class _ConditionPart:
    """What one condition's rules say for one projection of a request."""

    status: str
    rules: tuple[Rule, ...]
    missing: tuple[str, ...]  # the unknown fields its unknown-status rules name
    quoted: tuple[str, ...]  # the fields its rules' reasons quote
    quotes_as_of: bool
    results: dict[Any, ConditionResult] = field(default_factory=dict)  # rendered, by the quoted values


@dataclass(frozen=True, eq=False)
class _ExceptionPart:
    state: str  # absent, valid or invalid
    rules: tuple[Rule, ...]
    covered: frozenset[str]
    quoted: tuple[str, ...]
    quotes_as_of: bool
    reasons: dict[Any, tuple[Reason, ...]] = field(default_factory=dict)  # rendered, by the quoted values


@dataclass(frozen=True, eq=False)
class _OutcomePart:
    """The outcome table's answer for one combination of statuses, exception and request fields."""

    decisive: Rule
    supports: tuple[str, ...]  # what the decisive line rested on, in order: criterion names, or "exception"
    blocking: tuple[str, ...]  # criteria whose unknown status blocked the decision
    quoted: tuple[str, ...]
    quotes_as_of: bool
    reasons: dict[Any, Reason] = field(default_factory=dict)


_Piece = TypeVar("_Piece")  # a condition's result, or reasons: what a part renders
_NOTHING_QUOTED: tuple[()] = ()  # the key of a part's rendering when its reasons quote nothing


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


class Engine:
    """A compiled policy.  Thread-safe: share one engine between threads.

    A decision is assembled from parts, each reused when it can be: each condition's result
    depends only on its stage's projection of the request; the exception's likewise; the
    outcome table's on the statuses, the exception and the few request fields it reads.
    Each part keeps the reasons it rendered, by the values they quote; a decision is then
    put together from these pieces, with its own id and priority score.
    """

    def __init__(self, policy: Policy, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.policy = policy
        self.compiled: CompiledPolicy = compile_policy(policy)
        self.validator = validator_for(policy.request_schema)
        self.fast_check = compile_checker(policy.request_schema)
        self.catalog = FieldCatalog(policy.request_schema, policy.criterion_names)
        self.cache_size = cache_size
        self._caches = {stage.name: _BoundedCache(cache_size) for stage in self.compiled.stages()}
        self._score = Scorer(policy.priority)
        self._parts = {stage.name: _BoundedCache(min(cache_size, PART_CACHE_SIZE)) for stage in self.compiled.stages()}
        # The outcome table's parts, by decisive line, each under the fields read down to that line.
        self._line_keys = self.compiled.outcome.line_keys()
        self._line_parts = [_BoundedCache(min(cache_size, PART_CACHE_SIZE)) for _ in self._line_keys]
        self._outcome_seen = _BoundedCache(min(cache_size, PART_CACHE_SIZE))  # exact keys seen before
        self._pieces = _BoundedCache(min(cache_size, PIECES_CACHE_SIZE))  # what decisions take from their parts
        self._waivable = tuple(c.name for c in policy.criteria if c.waivable)
        self._order = {path: i for i, path in enumerate(self.catalog.request_paths)}
        self._reasons: dict[Rule, Reason] = {}
        self._quotes = {r: tuple(PLACEHOLDER.findall(r.reason)) for r in policy.all_rules()}

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
        if self.fast_check is not None:
            record = self.fast_check(request)
            if record is not None:  # valid: no document needed, positions are for errors
                return Checked(record, record["id"], doc)
        doc = doc or Document(request, "<request>")
        record, errors = check_request(request, self.validator, self.policy.criteria, doc)
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
        conditions: dict[str, _ConditionPart] = {}
        front = self.compiled.front_keys(record, when)
        for (name, stage), key in zip(self.compiled.conditions, front, strict=False):
            part: _ConditionPart | None = self._parts[stage.name].get(key)
            if part is None:
                part = self._condition_part(name, stage, key, record, when, checked)
                self._parts[stage.name].put(key, part)
            conditions[name] = part
        stage = self.compiled.exception
        key = front[-1]
        exception: _ExceptionPart | None = self._parts[stage.name].get(key)
        if exception is None:
            exception = self._exception_part(stage, key, checked)
            self._parts[stage.name].put(key, exception)
        statuses = {name: part.status for name, part in conditions.items()}
        overlay = {
            "status": {**statuses, "exception": exception.state},
            "covers": {name: name in exception.covered for name in statuses},
        }
        stage = self.compiled.outcome
        key = stage.key(record, when, overlay)
        outcome = self._outcome_lookup(key)
        if outcome is None:
            outcome = self._outcome_part(stage, key, {**record, **overlay}, when, checked)
        score, breakdown = self._score(statuses, outcome.decisive.outcome or "", record)
        uncovered = tuple(n for n in self._waivable if statuses[n] != "met" and n not in exception.covered)
        return self._assemble(
            checked.request_id, conditions, exception, outcome, uncovered, record, when, source, score, breakdown
        )

    def _outcome_lookup(self, key: tuple[Any, ...]) -> _OutcomePart | None:
        """The outcome part for ``key``, found under the fields the decisive line and those above it read."""
        part: _OutcomePart | None = self._outcome_seen.get(key)
        if part is not None:
            return part
        for narrow, cache in zip(self._line_keys, self._line_parts, strict=True):
            part = cache.get(narrow(key))
            if part is not None:
                self._outcome_seen.put(key, part)
                return part
        return None

    def fire(self, stage: Stage, record: Mapping[str, Any], as_of: date) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for ``record``, reusing an earlier identical match."""
        return self.fire_key(stage, stage.key(record, as_of))

    def fire_key(self, stage: Stage, key: tuple[Any, ...]) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for the projection ``key``."""
        cache = self._caches[stage.name]
        rules: tuple[Rule, ...] | None = cache.get(key)
        if rules is None:
            rules = stage.match(key)
            cache.put(key, rules)
        return rules

    def cache_entries(self) -> int:
        return sum(len(c) for c in self._caches.values())

    # -- the parts ------------------------------------------------------------------

    def _quoted_fields(self, rules: Iterable[Rule]) -> tuple[str, ...]:
        return tuple(f for r in rules for f in self._quotes[r] if f != "as_of")

    def _dated(self, rules: Iterable[Rule]) -> bool:
        return any("as_of" in self._quotes[r] for r in rules)

    # -- the parts ------------------------------------------------------------------

    def _condition_part(
        self, name: str, stage: Stage, key: tuple[Any, ...], record: Mapping[str, Any], as_of: date, checked: Checked
    ) -> _ConditionPart:
        rules = self.fire_key(stage, key)
        status = _one(name, [(r, r.status) for r in rules], checked)
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
        return _ConditionPart(status, rules, self.ordered(blocking), self._quoted_fields(rules), self._dated(rules))

    def _exception_part(self, stage: Stage, key: tuple[Any, ...], checked: Checked) -> _ExceptionPart:
        rules = self.fire_key(stage, key)
        state = _one("the exception", [(r, r.exception) for r in rules if r.exception is not None], checked)
        covered = frozenset(r.covers for r in rules if r.covers is not None)
        return _ExceptionPart(state, rules, covered, self._quoted_fields(rules), self._dated(rules))

    def _outcome_part(
        self,
        stage: Stage,
        key: tuple[Any, ...],
        derived: Mapping[str, Any],
        as_of: date,
        checked: Checked,
    ) -> _OutcomePart:
        lines = self.fire_key(stage, key)
        if not lines:
            raise RuleConflict("rule-gap", "no line of the outcome table applies to this request", checked.location)
        decisive = lines[0]  # the table's first line that applies; later lines matched too but do not count
        path = trace(decisive.when, derived, as_of)
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
        part = _OutcomePart(
            decisive, tuple(dict.fromkeys(supports)), tuple(blocking), self._quoted_fields([decisive]), self._dated([decisive])
        )
        line = stage.rules.index(decisive)
        self._line_parts[line].put(self._line_keys[line](key), part)
        return part

    # -- rendering ----------------------------------------------------------------

    def _assemble(
        self,
        request_id: str,
        conditions: Mapping[str, _ConditionPart],
        exception: _ExceptionPart,
        outcome: _OutcomePart,
        uncovered: tuple[str, ...],
        record: Mapping[str, Any],
        as_of: date,
        source: str,
        score: float,
        breakdown: tuple[ScoreItem, ...],
    ) -> Decision:
        """The decision from its parts, whose rendered pieces are reused while they quote the same values."""
        decisive = outcome.decisive
        parts = (*conditions.values(), exception, outcome)  # parts compare by identity: a cheap key
        quoted = self._quoted_by(parts, record, as_of)
        pieces = self._pieces.get((parts, quoted))
        if pieces is None:
            pieces = self._make_pieces(conditions, exception, outcome, record, as_of)
            self._pieces.put((parts, quoted), pieces)
        criteria, reasons, fired, missing, exception_reasons = pieces
        exceptions: tuple[ExceptionResult, ...] = ()
        if exception.state != "absent":
            given = record.get("exception", {})
            exceptions = (
                ExceptionResult(
                    decision=decisive.exception_decision or "not_considered",
                    valid=exception.state == "valid",
                    waives=tuple(given.get("waives", ())),
                    uncovered=uncovered,
                    reasons=exception_reasons,
                    justification=given.get("justification"),
                    requested_by=given.get("requested_by"),
                    approved_by=given.get("approved_by"),
                    expires=given.get("expires"),
                    decided_by=decisive.id,
                ),
            )
        return Decision.build(
            request_id=request_id,
            outcome=decisive.outcome or "",
            priority_score=score,
            as_of=as_of,
            as_of_source=source,
            criteria=criteria,
            reasons=reasons,
            missing=missing,
            exceptions=exceptions,
            score_breakdown=breakdown,
            rules_fired=fired,
            ruleset_hash=self.policy.hash,
            engine_version=__version__,
        )

    def _quoted_by(self, parts: tuple[Any, ...], record: Mapping[str, Any], as_of: date) -> Any:
        """The values all these parts' reasons quote (and the date if one quotes it): usually nothing."""
        fields = [f for part in parts for f in part.quoted]
        dated = any(p.quotes_as_of for p in parts)
        if not fields and not dated:
            return ()
        values = tuple(_frozen(lookup(record, f)) for f in fields)
        return (values, as_of) if dated else values

    def _make_pieces(
        self,
        conditions: Mapping[str, _ConditionPart],
        exception: _ExceptionPart,
        outcome: _OutcomePart,
        record: Mapping[str, Any],
        as_of: date,
    ) -> tuple[tuple[ConditionResult, ...], tuple[Reason, ...], tuple[str, ...], tuple[str, ...], tuple[Reason, ...]]:
        """What a decision takes from its parts: condition results, reasons, rules fired, what is missing."""
        criteria = tuple(self._condition_result(name, part, record, as_of) for name, part in conditions.items())
        decisive = outcome.decisive
        exception_reasons = self._exception_reasons(exception, record, as_of)
        reasons: dict[str, Reason] = {decisive.id: self._outcome_reason(outcome, record, as_of)}
        by_name = {c.name: c for c in criteria}
        for support in outcome.supports:
            for reason in exception_reasons if support == "exception" else by_name[support].reasons:
                reasons.setdefault(reason.rule, reason)  # a rule is listed where it is first mentioned
        ids = [r.id for part in conditions.values() for r in part.rules]
        ids += [r.id for r in exception.rules]
        ids.append(decisive.id)
        missing: tuple[str, ...] = ()
        if outcome.blocking:
            missing = self.ordered(f for name in outcome.blocking for f in conditions[name].missing)
        return criteria, tuple(reasons.values()), tuple(ids), missing, exception_reasons

    def _quoted(self, fields: tuple[str, ...], record: Mapping[str, Any], as_of: date, rules: Iterable[Rule]) -> Any:
        """What the rendered reasons depend on besides the rules: the quoted values (and the date)."""
        if not fields and not any(self._quotes[r] for r in rules):
            return ()  # nothing quoted: the usual case
        values = tuple(_frozen(lookup(record, f)) for f in fields)
        return (values, as_of) if any("as_of" in self._quotes[r] for r in rules) else values

    def _condition_result(self, name: str, part: _ConditionPart, record: Mapping[str, Any], as_of: date) -> ConditionResult:
        fixed = part.results.get(_NOTHING_QUOTED)
        if fixed is not None:
            return fixed

        def build() -> ConditionResult:
            reasons = tuple(self._reason(r, record, as_of) for r in part.rules)
            return ConditionResult(name, part.status, self.policy.vocab.status_scores.get(part.status), reasons, part.missing)

        return self._piece(part.results, part.quoted, part.rules, record, as_of, build)

    def _exception_reasons(self, part: _ExceptionPart, record: Mapping[str, Any], as_of: date) -> tuple[Reason, ...]:
        fixed = part.reasons.get(_NOTHING_QUOTED)
        if fixed is not None:
            return fixed
        return self._piece(
            part.reasons,
            part.quoted,
            part.rules,
            record,
            as_of,
            lambda: tuple(self._reason(r, record, as_of) for r in part.rules if r.exception != "absent"),
        )

    def _outcome_reason(self, part: _OutcomePart, record: Mapping[str, Any], as_of: date) -> Reason:
        fixed = part.reasons.get(_NOTHING_QUOTED)
        if fixed is not None:
            return fixed
        return self._piece(
            part.reasons, part.quoted, (part.decisive,), record, as_of, lambda: self._reason(part.decisive, record, as_of)
        )

    def _piece(
        self,
        pieces: dict[Any, _Piece],
        quoted: tuple[str, ...],
        rules: Iterable[Rule],
        record: Mapping[str, Any],
        as_of: date,
        build: Callable[[], _Piece],
    ) -> _Piece:
        """A part's rendering for the values its reasons quote: built once for each, and kept up to a bound.

        The callers look up the rendering that quotes nothing first, themselves: it is the usual
        case, and this way it costs no call.
        """
        key = self._quoted(quoted, record, as_of, rules)
        piece = pieces.get(key)
        if piece is None:
            piece = build()
            if len(pieces) < PIECES_PER_PART:
                pieces[key] = piece
        return piece

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


def _one(what: str, effects: Sequence[tuple[Rule, str | None]], checked: Checked) -> str:
    """The one effect the rules agree on; a gap or a disagreement is a defect of the rules."""
    values = {effect for _, effect in effects}
    if not values:
        raise RuleConflict("rule-gap", f"no rule gives {what} a status for this request", checked.location)
    if len(values) > 1:
        listing = ", ".join(f"{r.id} ({effect})" for r, effect in effects)
        raise RuleConflict("rule-conflict", f"rules disagree on {what} for this request: {listing}", checked.location)
    (value,) = values
    return value or ""


def errors_of(exc: EngageError) -> list[EngageError]:
    return list(getattr(exc, "errors", [exc]))
