"""Compile once, evaluate many: each stage's answer kept and reused for the next request like it.

A stage's part depends only on its projection of the request (``Stage.key``), so it is
computed once for each projection and reused for every later request with the same one.
The outcome table's part is found under the fields its decisive line and the lines above
it read, so requests that differ only in fields the table never got to share it.  Each
part keeps the reasons rendered for it, by the values they quote; and the pieces a
decision takes from a combination of parts are kept too.  Only the request's id and its
score are then new for each decision.

Every cache is exact (keyed by everything the answer depends on) and bounded: memory stays
flat however many distinct requests go through.  ``Engine(policy, cache_size=0)`` runs
without this layer, every stage through durable-rules and every reason rendered anew; the
property tests compare the two on every stage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from ..errors import RuleConflict
from ..policy.model import Policy, Rule
from ..policy.schema import FieldCatalog
from .compiler import CompiledPolicy, Projection, Stage
from .could_change import Dates, Trial, Trials, with_value
from .decision import ConditionResult, CouldChange, Reason
from .logic import lookup
from .reasons import Pieces, Reasons
from .stages import Checked, ConditionPart, ExceptionPart, OutcomePart, Stages

DEFAULT_CACHE_SIZE = 50_000
# The caches of the decision's parts and of whole decisions hold larger objects; their
# bounds keep memory flat however many distinct requests go through.
PART_CACHE_SIZE = 8_192
PIECES_PER_PART = 64  # rendered reasons kept per part (more only when reasons quote free text)
PIECES_CACHE_SIZE = 32_768  # combinations of parts; about 10 MB when full (engage bench measures RSS)
ANSWER_CACHE_SIZE = 16_384  # could_change answers, by the decision's stage keys

_Piece = TypeVar("_Piece")  # a condition's result, or reasons: what a part renders
NOTHING_QUOTED: tuple[()] = ()  # the key of a part's rendering when its reasons quote nothing
_NO_LINE = "\0no line"  # kept for a key no line of the table applies to (a gap: nothing reached)


class BoundedCache:
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


class ReusedStages(Stages):
    """:class:`Stages` with each match and each part kept, by projection."""

    def __init__(
        self, compiled: CompiledPolicy, quotes: Mapping[Rule, tuple[str, ...]], order: Mapping[str, int], cache_size: int
    ) -> None:
        super().__init__(compiled, quotes, order)
        self._matches = {stage.name: BoundedCache(cache_size) for stage in compiled.stages()}
        self._parts = {stage.name: BoundedCache(min(cache_size, PART_CACHE_SIZE)) for stage in compiled.stages()}
        # The outcome table's parts, by decisive line, each under the fields read down to that line.
        self._line_keys = compiled.outcome.line_keys()
        self._line_parts = [BoundedCache(min(cache_size, PART_CACHE_SIZE)) for _ in self._line_keys]
        self._outcome_seen = BoundedCache(min(cache_size, PART_CACHE_SIZE))  # exact keys seen before

    def fire(self, stage: Stage, key: tuple[Any, ...]) -> tuple[Rule, ...]:
        cache = self._matches[stage.name]
        rules: tuple[Rule, ...] | None = cache.get(key)
        if rules is None:
            rules = super().fire(stage, key)
            cache.put(key, rules)
        return rules

    def entries(self) -> int:
        """How many matches are kept."""
        return sum(len(c) for c in self._matches.values())

    def condition(
        self, name: str, stage: Stage, key: tuple[Any, ...], record: Mapping[str, Any], as_of: date, checked: Checked
    ) -> ConditionPart:
        cache = self._parts[stage.name]
        part: ConditionPart | None = cache.get(key)
        if part is None:
            part = super().condition(name, stage, key, record, as_of, checked)
            cache.put(key, part)
        return part

    def exception(self, stage: Stage, key: tuple[Any, ...], checked: Checked) -> ExceptionPart:
        cache = self._parts[stage.name]
        part: ExceptionPart | None = cache.get(key)
        if part is None:
            part = super().exception(stage, key, checked)
            cache.put(key, part)
        return part

    def outcome(
        self,
        stage: Stage,
        key: tuple[Any, ...],
        record: Mapping[str, Any],
        overlay: Mapping[str, Any],
        as_of: date,
        checked: Checked,
    ) -> OutcomePart:
        part = self._outcome_lookup(key)
        if part is None:
            part = super().outcome(stage, key, record, overlay, as_of, checked)
            line = stage.rules.index(part.decisive)
            self._line_parts[line].put(self._line_keys[line](key), part)
        return part

    def outcome_part(self, key: tuple[Any, ...]) -> OutcomePart | None:
        """The outcome part kept for ``key``, if one is (without evaluating anything)."""
        return self._outcome_lookup(key)

    def _outcome_lookup(self, key: tuple[Any, ...]) -> OutcomePart | None:
        """The outcome part for ``key``, found under the fields the decisive line and those above it read."""
        part: OutcomePart | None = self._outcome_seen.get(key)
        if part is not None:
            return part
        for narrow, cache in zip(self._line_keys, self._line_parts, strict=True):
            part = cache.get(narrow(key))
            if part is not None:
                self._outcome_seen.put(key, part)
                return part
        return None


class ReusedTrials(Trials):
    """:class:`Trials` with each answer kept under the decision's stage keys, and its pieces too.

    The keys hold everything the rules read of the request (an unknown field is ``None`` in
    them), and a trial changes one unknown field, so equal keys give equal answers.  Beneath
    that, a field only one condition reads (and not the outcome table itself) can only change
    the outcome through that condition's status: the statuses its values reach are kept under
    the condition's key, and the outcome of each under the outcome table's key with that status
    put in.  Most unknown fields cannot move their condition from where it stands (the staffing
    of a presence that is not a country office), and then cost one lookup.
    """

    def __init__(self, policy: Policy, catalog: FieldCatalog, compiled: CompiledPolicy, stages: Stages, cache_size: int) -> None:
        super().__init__(policy, catalog, compiled, stages)
        size = min(cache_size, ANSWER_CACHE_SIZE)
        self._answers = BoundedCache(size)
        self._moves = BoundedCache(size)  # (trial, its condition's key) -> ((status, a value giving it), ...)
        self._codes = BoundedCache(size)  # outcome table key -> outcome
        self._whole = BoundedCache(size)  # (trial, its stages' keys, the table's key) -> outcomes reached
        table = compiled.outcome
        offset = 1 if table.uses_as_of else 0
        where = {p.path: i + offset for i, p in enumerate(table.projections)}
        # Where each condition's status stands in the outcome table's key, and how it is written there.
        self._status_at = {
            name: (where[f"status.{name}"], table.projections[where[f"status.{name}"] - offset])
            for name, _ in compiled.conditions
            if f"status.{name}" in where
        }
        self._single = {
            i: trial.fronts[0]
            for i, trial in enumerate(self.trials)
            if len(trial.fronts) == 1
            and trial.fronts[0] < len(compiled.conditions)
            and not trial.read_by_table
            and not isinstance(trial.values, Dates)
        }
        # A field only the table reads (expertise_available, request.kind): where it stands in its key.
        self._table_only = {
            i: (where[trial.path], table.projections[where[trial.path] - offset])
            for i, trial in enumerate(self.trials)
            if not trial.fronts and trial.read_by_table and not isinstance(trial.values, Dates) and trial.path in where
        }

    def find(
        self,
        record: Mapping[str, Any],
        as_of: date,
        keys: Sequence[tuple[Any, ...]],
        outcome_key: tuple[Any, ...],
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        outcome: str,
        checked: Checked,
    ) -> tuple[CouldChange, ...]:
        # Dates tried for a field compared with as_of depend on it; the keys hold it only where a stage uses it.
        key = (tuple(keys), outcome_key, as_of)
        found: tuple[CouldChange, ...] | None = self._answers.get(key)
        if found is None:
            found = super().find(record, as_of, keys, outcome_key, conditions, exception, outcome, checked)
            self._answers.put(key, found)
        return found

    def reached(
        self,
        index: int,
        trial: Trial,
        record: Mapping[str, Any],
        as_of: date,
        keys: Sequence[tuple[Any, ...]],
        outcome_key: tuple[Any, ...],
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        outcome: str,
        checked: Checked,
    ) -> set[str]:
        only = self._table_only.get(index)
        if only is not None:
            return self._table_reached(trial, only, record, as_of, outcome_key, conditions, exception, outcome, checked)
        front = self._single.get(index)
        if front is None:  # read by the table and a condition, or by several stages: kept under their keys
            whole = (index, tuple(keys[i] for i in trial.fronts), outcome_key, as_of)
            found: set[str] | None = self._whole.get(whole)
            if found is None:
                found = super().reached(index, trial, record, as_of, keys, outcome_key, conditions, exception, outcome, checked)
                self._whole.put(whole, found)
            return found
        name, stage = self.compiled.conditions[front]
        moves: tuple[tuple[str, Any], ...] | None = self._moves.get((index, keys[front]))
        if moves is None:
            try:
                moves = self._statuses(trial, name, stage, record, as_of, conditions[name].status, checked)
            except RuleConflict:  # a gap or conflict for some value: try each value the long way
                return super().reached(index, trial, record, as_of, keys, outcome_key, conditions, exception, outcome, checked)
            self._moves.put((index, keys[front]), moves)
        reached: set[str] = set()
        place = self._status_at.get(name)
        if not moves or place is None:
            return reached  # the condition stays where it is, or the table does not read it
        at, projection = place
        for status, _value in moves:
            written = projection.project({"status": {name: status}}, as_of)
            other = (*outcome_key[:at], written, *outcome_key[at + 1 :])
            code = self._code(other)
            if code is not None and code != outcome:
                reached.add(code)
        return reached

    def _table_reached(
        self,
        trial: Trial,
        place: tuple[int, Projection],
        record: Mapping[str, Any],
        as_of: date,
        outcome_key: tuple[Any, ...],
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        outcome: str,
        checked: Checked,
    ) -> set[str]:
        """A field only the table reads: each value written into the table's key, its outcome kept under it."""
        at, projection = place
        reached: set[str] = set()
        for value in trial.values_on(as_of):
            written = projection.project(with_value({}, trial.path, value), as_of)
            other = (*outcome_key[:at], written, *outcome_key[at + 1 :])
            code = self._code(other)
            if code is not None and code != outcome:
                reached.add(code)
        return reached

    def _code(self, key: tuple[Any, ...]) -> str | None:
        """The outcome the table gives for ``key`` (None: no line applies), from the lines durable-rules fires for it.

        The key is the decision's own with one status or one field written into it: the very
        key the changed request would give the table, so nothing before the table is evaluated again.
        """
        code: str | None = self._codes.get(key)
        if code is None:
            stages = self.stages
            part = stages.outcome_part(key) if isinstance(stages, ReusedStages) else None
            if part is not None:  # a decision made before had this line decide, on what it reads
                code = part.decisive.outcome or ""
            else:
                lines = stages.fire(self.compiled.outcome, key)
                code = (lines[0].outcome or "") if lines else _NO_LINE
            self._codes.put(key, code)
        return None if code == _NO_LINE else code

    def _statuses(
        self, trial: Trial, name: str, stage: Stage, record: Mapping[str, Any], as_of: date, now: str, checked: Checked
    ) -> tuple[tuple[str, Any], ...]:
        """Each other status the condition takes for a value of the field, with the first value that gives it."""
        found: dict[str, Any] = {}
        for value in trial.values_on(as_of):
            changed = with_value(record, trial.path, value)
            status = self.stages.condition(name, stage, stage.key(changed, as_of), changed, as_of, checked).status
            if status != now:
                found.setdefault(status, value)
        return tuple(found.items())


class ReusedReasons(Reasons):
    """:class:`Reasons` with each rendering kept: per part by the values quoted, and per combination of parts."""

    def __init__(
        self,
        policy: Policy,
        catalog: FieldCatalog,
        quotes: Mapping[Rule, tuple[str, ...]],
        ordered: Callable[[Iterable[str]], tuple[str, ...]],
        cache_size: int,
    ) -> None:
        super().__init__(policy, catalog, quotes, ordered)
        self._pieces = BoundedCache(min(cache_size, PIECES_CACHE_SIZE))  # what decisions take from their parts
        self._fixed: dict[Rule, Reason] = {}  # the reasons that quote nothing, one per rule

    def pieces_entries(self) -> int:
        return len(self._pieces)

    def pieces(
        self,
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        outcome: OutcomePart,
        record: Mapping[str, Any],
        as_of: date,
    ) -> Pieces:
        parts = (*conditions.values(), exception, outcome)  # parts compare by identity: a cheap key
        key = (parts, _quoted_by(parts, record, as_of))
        pieces: Pieces | None = self._pieces.get(key)
        if pieces is None:
            pieces = super().pieces(conditions, exception, outcome, record, as_of)
            self._pieces.put(key, pieces)
        return pieces

    # Each of the three looks up the rendering that quotes nothing first, itself: it is the
    # usual case, and this way it costs no further call.

    def condition_result(self, name: str, part: ConditionPart, record: Mapping[str, Any], as_of: date) -> ConditionResult:
        fixed: ConditionResult | None = part.rendered.get(NOTHING_QUOTED)
        if fixed is not None:
            return fixed
        build = super().condition_result
        result: ConditionResult = self._piece(
            part.rendered, part.quoted, part.rules, record, as_of, lambda: build(name, part, record, as_of)
        )
        return result

    def exception_reasons(self, part: ExceptionPart, record: Mapping[str, Any], as_of: date) -> tuple[Reason, ...]:
        fixed: tuple[Reason, ...] | None = part.rendered.get(NOTHING_QUOTED)
        if fixed is not None:
            return fixed
        build = super().exception_reasons
        return self._piece(part.rendered, part.quoted, part.rules, record, as_of, lambda: build(part, record, as_of))

    def outcome_reason(self, part: OutcomePart, record: Mapping[str, Any], as_of: date) -> Reason:
        fixed: Reason | None = part.rendered.get(NOTHING_QUOTED)
        if fixed is not None:
            return fixed
        build = super().outcome_reason
        reason: Reason = self._piece(
            part.rendered, part.quoted, (part.decisive,), record, as_of, lambda: build(part, record, as_of)
        )
        return reason

    def reason(self, rule: Rule, record: Mapping[str, Any], as_of: date) -> Reason:
        if self._quotes[rule]:
            return super().reason(rule, record, as_of)
        fixed = self._fixed.get(rule)
        if fixed is None:
            fixed = self._fixed[rule] = super().reason(rule, record, as_of)
        return fixed

    def _piece(
        self,
        pieces: dict[Any, _Piece],
        quoted: tuple[str, ...],
        rules: Iterable[Rule],
        record: Mapping[str, Any],
        as_of: date,
        build: Callable[[], _Piece],
    ) -> _Piece:
        """A part's rendering for the values its reasons quote: built once for each, and kept up to a bound."""
        key = self._quoted(quoted, record, as_of, rules)
        piece = pieces.get(key)
        if piece is None:
            piece = build()
            if len(pieces) < PIECES_PER_PART:
                pieces[key] = piece
        return piece

    def _quoted(self, fields: tuple[str, ...], record: Mapping[str, Any], as_of: date, rules: Iterable[Rule]) -> Any:
        """What the rendered reasons depend on besides the rules: the quoted values (and the date)."""
        if not fields and not any(self._quotes[r] for r in rules):
            return NOTHING_QUOTED  # the usual case
        values = tuple(_frozen(lookup(record, f)) for f in fields)
        return (values, as_of) if any("as_of" in self._quotes[r] for r in rules) else values


def _quoted_by(parts: tuple[Any, ...], record: Mapping[str, Any], as_of: date) -> Any:
    """The values all these parts' reasons quote (and the date if one quotes it): usually nothing."""
    fields = [f for part in parts for f in part.quoted]
    dated = any(p.quotes_as_of for p in parts)
    if not fields and not dated:
        return ()
    values = tuple(_frozen(lookup(record, f)) for f in fields)
    return (values, as_of) if dated else values


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value
