"""What one answer could change: the unknown fields whose value could change the recommendation.

**Definition.**  For a request R whose recommendation is O, a decision's ``could_change``
lists the pair (F, O2) exactly when

* F is a field of the request that some rule of the policy reads (a condition rule, an
  exception rule or a line of the outcome table), and F is unknown in R; a field of a group
  filled in only in some cases (``only_when`` in the fields file: the exception) counts only
  when R has that group, since a request without it is not missing an answer;
* giving F alone some value of its domain, every other field of R as it is (and the same
  evaluation date), makes the engine recommend O2, and O2 is not O.

Each pair is listed once, with who can answer F (``answered_by`` in ``criteria/fields.yaml``),
in the order of the fields file, then of the outcomes in the vocabularies.  ``missing`` keeps
its own meaning (the fields whose unknown status blocked line 2 or line 4 of the table); those
fields are usually in ``could_change`` as well, since answering them lets another line decide.

**Which values are tried.**  A field's domain may be infinite (numbers, dates, text), but the
rules only tell apart finitely many classes of its values, and one value of each class is tried
(:func:`trial_values`): every yes/no value; the values of a choice or text field that the rules
name, and one they do not name; for numbers and dates, each constant the rules compare them with
(the evaluation date included), one value between two consecutive constants, and one beyond each
end (within the field's bounds); for a list read with ``contains``, every subset of the values the
rules ask about.  Any other value of the domain falls into one of these classes, so it makes the
same rules fire and gives the same outcome: the list is exact, not a sample.  A value for which
the rules have a gap or a conflict is not tried further (``engage lint`` reports those).

**Cost.**  A trial recomputes only the stages that read F, through the same (reused) stage parts
as the decision itself; the reuse layer keeps the whole answer per combination of stage keys
(:class:`~engine.evaluation.reuse.ReusedTrials`), so requests alike in everything the rules read
share it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import RuleConflict
from ..policy.model import AS_OF, Policy, Test, tests_in
from ..policy.schema import FieldCatalog, FieldSpec
from .compiler import CompiledPolicy, Stage
from .decision import CouldChange
from .stages import Checked, ConditionPart, ExceptionPart, Stages, outcome_overlay

MAX_MEMBERS = 8  # a list read with contains: every subset of up to this many values, else each alone
TEXT_VALUE = "example"  # a text the rules do not name (made unique against those they do)


@dataclass(frozen=True)
class Dates:
    """The dates to try for a date field: around each date the rules name, and the evaluation date if they compare with it."""

    fixed: tuple[int, ...]  # day numbers
    versus_as_of: bool

    def on(self, as_of: date) -> tuple[str, ...]:
        points = list(self.fixed) + ([as_of.toordinal()] if self.versus_as_of or not self.fixed else [])
        return tuple(date.fromordinal(d).isoformat() for d in _ordered_values(points, True, None, None))


@dataclass(frozen=True)
class Trial:
    """One field to try, the values to try it with, and the stages that read it."""

    path: str
    values: tuple[Any, ...] | Dates
    fronts: tuple[int, ...]  # indexes into the condition stages then the exception stage
    read_by_table: bool  # the outcome table reads it itself
    answered_by: str
    case: str | None = None  # a group filled in only in some cases: tried only once the request has it

    def values_on(self, as_of: date) -> tuple[Any, ...]:
        return self.values.on(as_of) if isinstance(self.values, Dates) else self.values


def _leaves(test: Test, catalog: FieldCatalog) -> tuple[str, ...]:
    spec = catalog.get(test.field)
    if spec is not None and spec.kind == "object":
        return spec.leaves
    return (test.field,)


def _fresh(named: Iterable[Any], candidates: Iterable[Any]) -> list[Any]:
    taken = set(map(repr, named))
    for value in candidates:
        if repr(value) not in taken:
            return [value]
    return []


def _ordered_values(constants: Sequence[Any], integer: bool, low: Any, high: Any) -> list[Any]:
    """Each constant, one value between consecutive constants, one beyond each end; within [low, high]."""
    points = sorted(set(constants))
    if not points:
        return [low if low is not None else 0]
    step = 1 if integer else 0.5
    out: list[Any] = [points[0] - step]
    for a, b in itertools.pairwise(points):
        out.append(a)
        between = a + 1 if integer else (a + b) / 2
        if between < b:
            out.append(between)
    out += [points[-1], points[-1] + step]
    # The bounds themselves stand for the end classes when a step beyond a constant leaves them.
    out += [b for b in (low, high) if b is not None]
    inside = [v for v in out if (low is None or v >= low) and (high is None or v <= high)]
    return list(dict.fromkeys(int(v) if integer else v for v in sorted(inside)))


def trial_values(spec: FieldSpec, tests: Sequence[Test], node: Mapping[str, Any]) -> tuple[Any, ...] | Dates:
    """One value of each class of ``spec``'s values that ``tests`` tell apart (``node``: its schema)."""
    named = [v for t in tests if t.op != "is" for v in (t.value if isinstance(t.value, tuple) else (t.value,)) if v is not None]
    kind = spec.kind
    if kind == "bool":
        return (True, False)
    if kind == "enum":
        domain = list(spec.enum or ())
        return tuple([v for v in domain if v in named] + _fresh(named, domain))
    if kind == "string":
        texts = list(dict.fromkeys(v for v in named if isinstance(v, str)))
        return tuple(texts + _fresh(texts, (f"{TEXT_VALUE}{i or ''}" for i in range(len(texts) + 1))))
    if kind in ("integer", "number"):
        numbers = [v for v in named if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return tuple(_ordered_values(numbers, kind == "integer", node.get("minimum"), node.get("maximum")))
    if kind == "date":
        fixed = tuple(sorted({v.toordinal() for v in named if isinstance(v, date)}))
        return Dates(fixed, AS_OF in named)
    if kind == "list":
        members = sorted({t.value for t in tests if t.op in ("contains", "not_contains")}, key=repr)
        if members:
            if len(members) <= MAX_MEMBERS:
                subsets = [list(c) for n in range(len(members) + 1) for c in itertools.combinations(members, n)]
            else:
                subsets = [[], *([m] for m in members)]
            return tuple(subsets)
        items = node.get("items", {})
        if spec.item_kind == "object":
            first = {
                k: (sub.get("enum") or [TEXT_VALUE])[0]
                for k, sub in items.get("properties", {}).items()
                if k in items["required"]
            }
            return ([first],)
        return ([(items.get("enum") or [TEXT_VALUE])[0]],)
    return ()


def _schema_node(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = schema
    for part in path.split("."):
        node = node.get("properties", {}).get(part, {})
    return node


class Trials:
    """Finds a decision's ``could_change`` by trying each unknown field's values through the stages."""

    def __init__(self, policy: Policy, catalog: FieldCatalog, compiled: CompiledPolicy, stages: Stages) -> None:
        self.compiled = compiled
        self.stages = stages
        self._fronts: list[Stage] = [stage for _, stage in compiled.conditions] + [compiled.exception]
        self._rank = {code: i for i, code in enumerate(policy.vocab.outcomes)}
        tests: dict[str, list[Test]] = {}
        readers: dict[str, set[int]] = {}
        table_reads: set[str] = set()
        for index, stage in enumerate([*self._fronts, compiled.outcome]):
            for rule in stage.rules:
                for test in tests_in(rule.when):
                    for leaf in _leaves(test, catalog):
                        spec = catalog.get(leaf)
                        if spec is None or spec.derived:
                            continue
                        tests.setdefault(leaf, []).append(test)
                        if stage is compiled.outcome:
                            table_reads.add(leaf)
                        else:
                            readers.setdefault(leaf, set()).add(index)
        listed = policy.request_schema.get("required")
        required = set(listed) if isinstance(listed, list) else set()
        trials = []
        for path in catalog.request_paths:  # the order of the fields file
            spec = catalog.fields[path]
            if path not in tests or path in required:
                continue
            declared = policy.fields.get(path)
            group = declared.group if declared is not None else None
            about = policy.fields.group(group) if group is not None else None
            values = trial_values(spec, tests[path], _schema_node(policy.request_schema, path))
            trials.append(
                Trial(
                    path,
                    values,
                    tuple(sorted(readers.get(path, ()))),
                    path in table_reads,
                    declared.answered_by if declared is not None else "",
                    group if about is not None and about.only_when else None,
                )
            )
        self.trials: tuple[Trial, ...] = tuple(trials)
        # Where each field stands in a key the decision already has (a front stage's, or the table's:
        # -1): None there is unknown, so find tells unknown fields without reading the request.
        self._probes = tuple(self._probe(t) for t in self.trials)

    def _probe(self, trial: Trial) -> tuple[int, int]:
        stages = [*((i, self._fronts[i]) for i in trial.fronts), (-1, self.compiled.outcome)]
        for which, stage in stages:
            for position, projection in enumerate(stage.projections):
                if projection.path == trial.path:
                    return which, position + (1 if stage.uses_as_of else 0)
        raise ValueError(f"no stage projects {trial.path}")  # pragma: no cover - trials are the fields rules read

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
        """The decision's could_change (see the module's docstring).

        ``keys`` and ``outcome_key``: the decision's stage keys, which determine the answer (the
        reuse layer keeps it under them; here they are not needed).
        """
        found: list[CouldChange] = []
        for index, (trial, (which, position)) in enumerate(zip(self.trials, self._probes, strict=True)):
            if (outcome_key if which < 0 else keys[which])[position] is not None:
                continue  # known
            if trial.case is not None and not record.get(trial.case):
                continue  # e.g. no exception is asked for: its fields are not questions to ask
            reached = self.reached(index, trial, record, as_of, keys, outcome_key, conditions, exception, outcome, checked)
            for code in sorted(reached, key=lambda c: (self._rank.get(c, len(self._rank)), c)):
                found.append(CouldChange(trial.path, code, trial.answered_by))
        return tuple(found)

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
        """The other outcomes that one value of ``trial``'s field leads to (``index``: its place in ``trials``)."""
        reached: set[str] = set()
        for value in trial.values_on(as_of):
            try:
                got = self._outcome_with(trial, value, record, as_of, conditions, exception, checked)
            except RuleConflict:
                continue
            if got is not None and got != outcome:
                reached.add(got)
        return reached

    def _outcome_with(
        self,
        trial: Trial,
        value: Any,
        record: Mapping[str, Any],
        as_of: date,
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        checked: Checked,
    ) -> str | None:
        """The outcome with ``trial``'s field set to ``value``; None when nothing the table reads moves."""
        changed = with_value(record, trial.path, value)
        stages, compiled = self.stages, self.compiled
        statuses: dict[str, str] | None = None
        state = exception
        last = len(self._fronts) - 1
        for index in trial.fronts:
            stage = self._fronts[index]
            key = stage.key(changed, as_of)
            if index == last:
                new = stages.exception(stage, key, checked)
                if new.state != exception.state or new.covered != exception.covered:
                    state = new
            else:
                name = compiled.conditions[index][0]
                status = stages.condition(name, stage, key, changed, as_of, checked).status
                if status != conditions[name].status:
                    statuses = statuses or {n: part.status for n, part in conditions.items()}
                    statuses[name] = status
        if statuses is None and state is exception and not trial.read_by_table:
            return None  # the usual case: an unknown field that cannot move its condition from here
        overlay = outcome_overlay(statuses or {n: part.status for n, part in conditions.items()}, state)
        table = compiled.outcome
        part = stages.outcome(table, table.key(changed, as_of, overlay), changed, overlay, as_of, checked)
        return part.decisive.outcome or ""


def with_value(record: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A shallow copy of ``record`` with ``path`` set to ``value`` (the request is never changed)."""
    group, _, name = path.rpartition(".")
    out = dict(record)
    if group:
        node = out.get(group)
        out[group] = {**(node if isinstance(node, Mapping) else {}), name: value}
    else:
        out[name] = value
    return out


__all__ = ["Dates", "Trial", "Trials", "trial_values", "with_value"]
