"""Compile a :class:`~engine.policy.model.Policy` into durable-rules rulesets, built as data.

The evaluation runs in stages, each a durable-rules ruleset of its own: one per
criterion (the status rules), one for the exception, one for the outcome table.  A
stage reads only the fields its rules test, so its fact is a small *projection* of the
request, and the projection is also the key under which the stage's result may be
reused (see ``Stage.key``): two requests with the same projection make exactly the same
rules fire.

Conditions are turned into durable-rules patterns in three-valued logic: ``not`` is
pushed down to single tests (:func:`engine.evaluation.logic.nnf`), then each test becomes a pattern
that matches exactly when the test is *true*.  Fields are written into the fact as
follows:

* a field read with a value test (``equals``, ``in``, ``lt``...) carries its value (a date
  as its day number, so that it compares with ``as_of``);
* a list read with ``contains`` carries one flag per value the rules mention, because
  durable-rules' ``$iall`` is false on an empty list and would misread ``not_contains``;
* a field read only with ``is: known/unknown`` carries ``true`` when known, so that free
  text never reaches the engine (nor the cache key);
* an unknown field is left out of the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from ..errors import PolicyError
from ..policy.model import AS_OF, All, Always, AnyOf, Condition, Policy, Rule, Test, tests_in
from ..policy.schema import FieldCatalog, FieldSpec
from .logic import getter, nnf
from .matcher import DurableRuleset, guarded

AS_OF_FIELD = "_asof"
# A field the rules only compare for equality is projected onto the values they name; any
# other value becomes this marker, which equals none of them (nor anything a request holds),
# so the same rules fire and far fewer projections are distinct.
OTHER = "\u0000engage:any-other-value"
_EQUALITY = {"equals", "not_equals", "in", "not_in"}
# durable-rules refuses a fact with 255 properties or more (error 302; measured in
# tests/evaluation/test_matcher.py).  A stage's fact holds its projected fields plus sid, id, the
# marker and as_of; keep well below the limit.
MAX_FACT_FIELDS = 200
# durable-rules refuses a rule whose pattern holds 16 or more $and/$or nodes (error 113;
# measured in tests/evaluation/test_matcher.py).  A rule over the limit is compiled as one durable rule
# per conjunction of its disjunctive normal form, all standing for the same Engage rule.
MAX_COMPOUNDS = 15
MAX_CONJUNCTIONS = 1024
_VALUE_OPS = {"equals", "not_equals", "in", "not_in", "lt", "le", "gt", "ge"}
_COMPARISON = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


@dataclass(frozen=True)
class Projection:
    """How one leaf field is written into a stage's fact."""

    path: str
    mode: str  # "value", "choice", "members", "present" or "versus_as_of"
    is_date: bool = False
    members: tuple[Any, ...] = ()  # modes "members" and "choice": the values the rules ask about

    def __post_init__(self) -> None:
        object.__setattr__(self, "project", _projector(self))

    def project(self, record: Mapping[str, Any], as_of: date) -> Any:  # replaced per instance
        raise NotImplementedError


def _finisher(p: Projection) -> Callable[[Any, date], Any]:
    """What a projection makes of a known value."""
    if p.mode == "members":
        members = p.members
        return lambda value, _as_of: tuple(m in value for m in members)
    if p.mode == "choice":
        named = frozenset(p.members)
        return lambda value, _as_of: value if value in named else OTHER
    if p.mode == "present":
        return lambda _value, _as_of: True
    if p.mode == "value" and not p.is_date:
        return lambda value, _as_of: value

    def day(value: Any, as_of: date) -> Any:
        ordinal = date.fromisoformat(value).toordinal()
        if p.mode == "value":
            return ordinal
        delta = ordinal - as_of.toordinal()  # versus_as_of: only before, on or after the evaluation date counts
        return (delta > 0) - (delta < 0)

    return day


def _projector(p: Projection) -> Callable[[Mapping[str, Any], date], Any]:
    get, finish = getter(p.path), _finisher(p)

    def project(record: Mapping[str, Any], as_of: date) -> Any:
        value = get(record)
        return None if value is None else finish(value, as_of)

    return project


# How keys are computed without a call per field: the common modes inline, others through the
# finisher.  This runs for every field of every request.
_VALUE, _PRESENT, _CHOICE, _OTHERWISE = range(4)
Run = tuple[str | None, tuple[tuple[str, int, Any], ...]]
Step = tuple[str, int, Any]


def _step(p: Projection, name: str) -> Step:
    if p.mode == "value" and not p.is_date:
        return (name, _VALUE, None)
    if p.mode == "present":
        return (name, _PRESENT, None)
    if p.mode == "choice":
        return (name, _CHOICE, frozenset(p.members))
    return (name, _OTHERWISE, _finisher(p))


def _split(path: str) -> tuple[str | None, str] | None:
    parts = path.split(".")
    if len(parts) > 2:
        return None
    return (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def _key_plan(projections: Sequence[Projection]) -> tuple[Run, ...] | None:
    """The projections as runs of fields of one group (paths are sorted, so a group's fields are together)."""
    runs: list[tuple[str | None, list[tuple[str, int, Any]]]] = []
    for p in projections:
        where = _split(p.path)
        if where is None:
            return None  # deeper paths than the request schema has: use the projectors
        group, name = where
        step = _step(p, name)
        if runs and runs[-1][0] == group:
            runs[-1][1].append(step)
        else:
            runs.append((group, [step]))
    return tuple((group, tuple(steps)) for group, steps in runs)


def _projections(rules: Sequence[Rule], catalog: FieldCatalog) -> tuple[Projection, ...]:
    modes: dict[str, set[str]] = {}
    members: dict[str, set[Any]] = {}
    named: dict[str, set[Any]] = {}
    for rule in rules:
        for test in tests_in(rule.when):
            spec = catalog.get(test.field)
            leaves = spec.leaves if spec is not None and spec.kind == "object" else (test.field,)
            for leaf in leaves:
                kind = "present"
                if test.op in _COMPARISON and test.value == AS_OF:
                    kind = "versus_as_of"
                elif test.op in _EQUALITY and not (spec is not None and spec.kind == "date"):
                    kind = "choice"
                    values = test.value if isinstance(test.value, tuple) else (test.value,)
                    named.setdefault(leaf, set()).update(v for v in values if v is not None)
                elif test.op in _VALUE_OPS:
                    kind = "value"
                elif test.op in ("contains", "not_contains"):
                    kind = "members"
                    members.setdefault(leaf, set()).add(test.value)
                modes.setdefault(leaf, set()).add(kind)
    out = []
    for path in sorted(modes):
        spec = catalog.get(path)
        is_date = spec is not None and spec.kind == "date"
        found = modes[path]
        if "value" in found:
            out.append(Projection(path, "value", is_date))
        elif "choice" in found:
            out.append(Projection(path, "choice", members=tuple(sorted(named[path], key=repr))))
        elif "versus_as_of" in found:
            out.append(Projection(path, "versus_as_of", is_date))
        elif "members" in found:
            out.append(Projection(path, "members", members=tuple(sorted(members[path], key=repr))))
        else:
            out.append(Projection(path, "present"))
    return tuple(out)


class Stage:
    """One durable-rules ruleset and the projection of a record that it reads."""

    def __init__(self, name: str, rules: Sequence[Rule], catalog: FieldCatalog, ruleset_prefix: str) -> None:
        self.name = name
        self.rules = tuple(rules)
        self.catalog = catalog
        self.projections = _projections(self.rules, catalog)
        width = sum(max(1, len(p.members)) for p in self.projections)
        if width > MAX_FACT_FIELDS:
            raise PolicyError(
                "stage-too-wide",
                f"the rules of {name} read {width} fields; durable-rules takes at most {MAX_FACT_FIELDS} per fact",
                self.rules[0].location,
            )
        self._by_path = {p.path: p for p in self.projections}
        self._projectors = tuple(p.project for p in self.projections)
        self._plan = _key_plan(self.projections)
        # Facts hold floats only through numbers read as values; without those, plain JSON is safe.
        numeric = ("integer", "number")
        self._plain = not any(
            p.mode in ("value", "choice") and (catalog.get(p.path) or FieldSpec(p.path, "")).kind in numeric
            for p in self.projections
        )
        # A date compared only with as_of is projected as before/on/after it; as_of itself
        # matters then only when a rule has effective dates or compares another date with it.
        sign_only = {p.path for p in self.projections if p.mode == "versus_as_of"}
        self.uses_as_of = any(
            r.effective_from or r.effective_until or any(t.value == AS_OF and t.field not in sign_only for t in tests_in(r.when))
            for r in self.rules
        )
        self.rule_names: dict[str, Rule] = {}
        self.definition: dict[str, Any] = {}
        for i, rule in enumerate(self.rules):
            patterns = self._rule(rule)
            for j, pattern in enumerate(patterns):
                durable_name = f"r{i}" if len(patterns) == 1 else f"r{i}.{j}"
                self.rule_names[durable_name] = rule
                self.definition[durable_name] = pattern
        self.ruleset = DurableRuleset(f"{ruleset_prefix}.{name}", self.definition)

    # -- the fact -----------------------------------------------------------

    def key(self, record: Mapping[str, Any], as_of: date, overlay: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """Everything the stage's rules can see of ``record`` on ``as_of``; equal keys fire equal rules."""
        plan = self._plan
        if plan is None:
            merged = {**record, **overlay} if overlay else record
            values = [project(merged, as_of) for project in self._projectors]
        else:
            values = [as_of.toordinal()] if self.uses_as_of else []
            append = values.append
            for group, steps in plan:
                if overlay is not None and group is not None and group in overlay:
                    node = overlay[group]  # groups computed by earlier stages (status, covers)
                else:
                    node = record.get(group) if group is not None else record
                if node is None:
                    values.extend([None] * len(steps))
                    continue
                for name, how, arg in steps:
                    value = node.get(name)
                    if value is None:
                        append(None)
                    elif how == _VALUE:
                        append(value)
                    elif how == _CHOICE:
                        append(value if value in arg else OTHER)
                    elif how == _PRESENT:
                        append(True)
                    else:
                        append(arg(value, as_of))
            return tuple(values)
        return (as_of.toordinal(), *values) if self.uses_as_of else tuple(values)

    def fact(self, key: tuple[Any, ...]) -> dict[str, Any]:
        values = key[1:] if self.uses_as_of else key
        record: dict[str, Any] = {}
        for projection, value in zip(self.projections, values, strict=True):
            if value is None:
                continue
            node = record
            *parents, last = projection.path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = {f"c{i}": flag for i, flag in enumerate(value)} if projection.mode == "members" else value
        fact: dict[str, Any] = {"r": record}
        if self.uses_as_of:
            fact[AS_OF_FIELD] = key[0]
        return fact

    def line_keys(self) -> list[Callable[[tuple[Any, ...]], Any]]:
        """For each rule in order, a function taking a full key to the part of it read by this rule and
        every earlier one.  In a first-match table, when line k decides, its result depends on that part only.
        """
        index = {p.path: i for i, p in enumerate(self.projections)}
        offset = 1 if self.uses_as_of else 0
        seen: list[int] = [0] if self.uses_as_of else []
        getters: list[Callable[[tuple[Any, ...]], Any]] = []
        for rule in self.rules:
            for test in tests_in(rule.when):
                spec = self.catalog.get(test.field)
                leaves = spec.leaves if spec is not None and spec.kind == "object" else (test.field,)
                for leaf in leaves:
                    position = index[leaf] + offset
                    if position not in seen:
                        seen.append(position)
            getters.append(_picker(tuple(seen)))
        return getters

    def match(self, key: tuple[Any, ...]) -> tuple[Rule, ...]:
        """The rules that fire for ``key``, in policy order, as durable-rules decides."""
        names = self.ruleset.match(self.fact(key), plain=self._plain)
        return tuple(sorted({self.rule_names[n] for n in names}, key=lambda r: r.order))

    def close(self) -> None:
        self.ruleset.close()

    # -- the patterns ----------------------------------------------------------

    def _rule(self, rule: Rule) -> list[dict[str, Any]]:
        """The durable-rules rule(s) for ``rule``: one, or one per conjunction if it is too nested."""
        parts: list[Any] = []
        if not isinstance(rule.when, Always):
            parts.append(self._pattern(nnf(rule.when)))
        if rule.effective_from is not None:
            parts.append({"$gte": {AS_OF_FIELD: rule.effective_from.toordinal()}})
        if rule.effective_until is not None:
            parts.append({"$lte": {AS_OF_FIELD: rule.effective_until.toordinal()}})
        if not parts:
            return [guarded(None)]
        pattern = _flat({"$and": parts})
        if _compounds(pattern) + 1 <= MAX_COMPOUNDS:  # +1: the guard's own $and
            return [guarded(pattern)]
        conjunctions = _dnf(pattern, rule)
        return [guarded(_flat({"$and": terms})) for terms in conjunctions]

    def _pattern(self, cond: Condition) -> Any:
        if isinstance(cond, Test):
            return self._test(cond)
        if isinstance(cond, (All, AnyOf)):
            parts = [self._pattern(c) for c in cond.items]
            if len(parts) == 1:
                return parts[0]
            return {"$and" if isinstance(cond, All) else "$or": parts}
        raise ValueError(f"not in negation normal form: {cond!r}")  # pragma: no cover

    def _test(self, test: Test) -> Any:
        spec = self.catalog.get(test.field)
        if spec is not None and spec.kind == "object":
            leaves = [f"r.{leaf}" for leaf in spec.leaves]
            if test.value == "known":
                return _either([{"$ex": {leaf: 1}} for leaf in leaves])
            return _both([{"$nex": {leaf: 1}} for leaf in leaves])
        path = f"r.{test.field}"
        op, value = test.op, test.value
        if op == "is":
            return {"$ex" if value == "known" else "$nex": {path: 1}}
        if op in ("contains", "not_contains"):
            projection = self._by_path[test.field]
            flag = f"{path}.c{projection.members.index(value)}"
            return {flag: op == "contains"}
        exists = {"$ex": {path: 1}}
        if op == "equals":
            return {path: _scalar(value)}
        if op == "not_equals":
            return _both([exists, {"$neq": {path: _scalar(value)}}])
        if op == "in":
            options: list[Any] = [{path: _scalar(v)} for v in value if v is not None]  # type: ignore[attr-defined]
            if None in value:  # type: ignore[operator]
                options.append({"$nex": {path: 1}})
            return _either(options)
        if op == "not_in":
            return _both([exists] + [{"$neq": {path: _scalar(v)}} for v in value if v is not None])  # type: ignore[attr-defined]
        if value == AS_OF and self._by_path[test.field].mode == "versus_as_of":
            bound: Any = 0  # the fact holds the sign of (date - as_of)
        elif value == AS_OF:
            bound = {"$m": AS_OF_FIELD}
        else:
            bound = _scalar(value)
        return _both([exists, {_COMPARISON[op]: {path: bound}}])


def _flat(node: Any) -> Any:
    """Merge an $and inside an $and (an $or inside an $or) and drop one-child nodes."""
    for op in ("$and", "$or"):
        if isinstance(node, dict) and set(node) == {op}:
            items: list[Any] = []
            for child in node[op]:
                flat = _flat(child)
                if isinstance(flat, dict) and set(flat) == {op}:
                    items.extend(flat[op])
                else:
                    items.append(flat)
            return items[0] if len(items) == 1 else {op: items}
    return node


def _compounds(node: Any) -> int:
    if isinstance(node, dict) and len(node) == 1:
        (op,) = node
        if op in ("$and", "$or"):
            return 1 + sum(_compounds(child) for child in node[op])
    return 0


def _dnf(node: Any, rule: Rule) -> list[list[Any]]:
    """``node`` as a list of conjunctions of single comparisons (an $or of $ands)."""
    if isinstance(node, dict) and set(node) == {"$or"}:
        return [terms for child in node["$or"] for terms in _dnf(child, rule)]
    if isinstance(node, dict) and set(node) == {"$and"}:
        out: list[list[Any]] = [[]]
        for child in node["$and"]:
            out = [left + right for left in out for right in _dnf(child, rule)]
            if len(out) > MAX_CONJUNCTIONS:
                raise PolicyError(
                    "rule-too-complex",
                    f"the rule {rule.id} nests any/all too deeply for durable-rules"
                    f" (more than {MAX_CONJUNCTIONS} combinations); split it into simpler rules",
                    rule.location,
                )
        return out
    return [[node]]


def _picker(positions: tuple[int, ...]) -> Callable[[tuple[Any, ...]], Any]:
    if len(positions) > 1:
        return itemgetter(*positions)

    def pick(key: tuple[Any, ...]) -> Any:
        return tuple(key[i] for i in positions)

    return pick


def _scalar(value: Any) -> Any:
    return value.toordinal() if isinstance(value, date) else value


def _either(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _both(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else {"$and": parts}


@dataclass
class CompiledPolicy:
    policy: Policy
    conditions: tuple[tuple[str, Stage], ...]  # (criterion, stage) in letter order
    exception: Stage
    outcome: Stage

    def __post_init__(self) -> None:
        self._front = [stage for _, stage in self.conditions] + [self.exception]
        self._plan = _merged_plan(self._front)

    def stages(self) -> Iterable[Stage]:
        yield from (stage for _, stage in self.conditions)
        yield self.exception
        yield self.outcome

    def front_keys(self, record: Mapping[str, Any], as_of: date) -> list[tuple[Any, ...]]:
        """The keys of the condition stages and the exception stage (in that order), in one pass.

        Equal to ``[stage.key(record, as_of) for stage in ...]``: each stage's fields are a
        subsequence of all of them in path order, so one walk in path order fills every key.
        """
        plan = self._plan
        if plan is None:
            return [stage.key(record, as_of) for stage in self._front]
        ordinal = as_of.toordinal()
        values: list[list[Any]] = [[ordinal] if stage.uses_as_of else [] for stage in self._front]
        for group, steps in plan:
            node = record.get(group) if group is not None else record
            for target, name, how, arg in steps:
                value = node.get(name) if node is not None else None
                if value is None:
                    values[target].append(None)
                elif how == _VALUE:
                    values[target].append(value)
                elif how == _CHOICE:
                    values[target].append(value if value in arg else OTHER)
                elif how == _PRESENT:
                    values[target].append(True)
                else:
                    values[target].append(arg(value, as_of))
        return [tuple(v) for v in values]

    def close(self) -> None:
        for stage in self.stages():
            stage.close()


def _merged_plan(stages: Sequence[Stage]) -> tuple[tuple[str | None, tuple[tuple[int, str, int, Any], ...]], ...] | None:
    entries: list[tuple[str, int, Projection]] = []
    for target, stage in enumerate(stages):
        entries.extend((p.path, target, p) for p in stage.projections)
    entries.sort(key=lambda e: (e[0], e[1]))
    runs: list[tuple[str | None, list[tuple[int, str, int, Any]]]] = []
    for path, target, p in entries:
        where = _split(path)
        if where is None:
            return None
        group, name = where
        step = (target, *_step(p, name))
        if runs and runs[-1][0] == group:
            runs[-1][1].append(step)
        else:
            runs.append((group, [step]))
    return tuple((group, tuple(steps)) for group, steps in runs)


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Build every stage's durable-rules ruleset; named by the policy hash, so never clashing."""
    catalog = FieldCatalog(policy.request_schema, policy.criterion_names)
    prefix = f"engage.{policy.hash.removeprefix('sha256:')[:16]}"
    conditions = tuple(
        (crit.name, Stage(f"condition.{crit.name}", policy.condition_rules[crit.name], catalog, prefix))
        for crit in policy.criteria
    )
    return CompiledPolicy(
        policy,
        conditions,
        Stage("exception", policy.exception_rules, catalog, prefix),
        Stage("outcome", policy.outcome_rules, catalog, prefix),
    )
