"""The finite domains of the fields the rules read, and every point of each stage.

A rule can only tell apart what its tests mention.  ``presence.type`` tested against
``country_office`` and ``none`` behaves the same for every other value, so one "any other
value" stands for all of them; a date compared with ``as_of`` matters only as before, on
or after it; a number compared with 10 only as below, at or above it.  The domain of a
field is therefore finite and small:

* yes/no fields: true, false;
* choices and text: the values the rules mention, plus one value they do not mention;
* numbers and dates: each constant a rule compares with, and the values just around it
  (dates compared with ``as_of``: the day before, the day itself and the day after);
* lists read with ``contains``: every subset of the values the rules ask about;
* every field can also be unknown (except the request's required fields).

The evaluation date matters where rules have effective dates or compare with ``as_of``;
its domain is the days around every date the rules name (:attr:`Space.as_of_dates`).

Enumeration runs stage by stage, as the engine does: each condition stage over its own
fields (a few dozen points), the exception stage over its own, and the outcome table over
the combinations the earlier stages can actually produce, joined on the fields they share
(:meth:`Space.outcome_rows`).  The full product of every field would be about a billion
points; the factored enumeration is a few hundred thousand at most.  Truth is decided by
:mod:`engine.evaluation.logic`, the semantics the compiler encodes for durable-rules.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..evaluation.logic import evaluate, lookup
from ..policy.model import AS_OF, EXCEPTION_STATES, STATUSES, Policy, Rule, Test, tests_in
from ..policy.schema import FieldCatalog

# The evaluation date used when no rule names a date: any day gives the same results then.
REFERENCE_DAY = date(2026, 1, 1)
AS_OF_COLUMN = "@as_of"  # the evaluation date, as a column of the joined relations
TEXT_EXAMPLE = "example"  # the known value of a text field that rules only test with is: known
WITNESS_ID = "LINT-WITNESS"

_VALUE_OPS = {"equals", "not_equals", "in", "not_in"}
_ORDER_OPS = {"lt", "le", "gt", "ge"}


@dataclass(frozen=True)
class Relative:
    """A date ``days`` after the evaluation date (negative: before it)."""

    days: int


@dataclass(frozen=True)
class Domain:
    """The values of one field that the rules can tell apart."""

    path: str
    kind: str
    values: tuple[Any, ...]  # known values in request form; Relative dates are resolved by values_on
    required: bool = False  # a required field is never unknown

    @property
    def relative(self) -> bool:
        return any(isinstance(v, Relative) for v in self.values)

    def known(self, as_of: date) -> tuple[Any, ...]:
        out: list[Any] = []
        for raw in self.values:
            value = (as_of + timedelta(days=raw.days)).isoformat() if isinstance(raw, Relative) else raw
            if value not in out:
                out.append(value)
        return tuple(out)

    def values_on(self, as_of: date) -> tuple[Any, ...]:
        """Every value of the domain on ``as_of``, ``None`` (unknown) last."""
        known = self.known(as_of)
        return known if self.required else (*known, None)


@dataclass(frozen=True)
class StageSpace:
    """The rules of one stage and the fields they read."""

    name: str  # condition.<criterion>, exception, outcome
    rules: tuple[Rule, ...]
    fields: tuple[str, ...]  # leaf paths (outcome: derived fields and request fields)
    dated: bool  # its results can depend on the evaluation date
    criterion: str | None = None

    @property
    def title(self) -> str:
        return self.criterion if self.criterion is not None else self.name


@dataclass(frozen=True)
class Point:
    """One point of a stage: a value for each of its fields, and the evaluation date."""

    as_of: date
    values: tuple[Any, ...]

    def flat(self, fields: Sequence[str]) -> dict[str, Any]:
        return dict(zip(fields, self.values, strict=True))


@dataclass(frozen=True)
class Fired:
    """What one stage did at one point."""

    point: Point
    rules: tuple[Rule, ...]


@dataclass
class Relation:
    """Rows over ``columns``; each row remembers the first stage point that produced it."""

    columns: tuple[str, ...]
    rows: dict[tuple[Any, ...], tuple[int, ...]] = field(default_factory=dict)


# For each relation joined into the outcome rows, the stage points its rows came from.
Sources = list[list[tuple[Point, StageSpace]]]


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """A nested record from dotted paths; unknown (None) values are left out."""
    record: dict[str, Any] = {}
    for path, value in flat.items():
        if value is None or path.startswith("@"):
            continue
        node = record
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = list(value) if isinstance(value, tuple) else value
    return record


def freeze(value: Any) -> Any:
    """``value`` in hashable form: lists as tuples (domains hold list values this way)."""
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    return value


def witness_request(flat: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """A complete, valid request with the values of ``flat`` (dotted paths) and nothing else known."""
    request: dict[str, Any] = {"id": WITNESS_ID, "received": as_of.isoformat()}
    request.update(nest(flat))
    return request


def fires(rule: Rule, record: Mapping[str, Any], as_of: date) -> bool:
    """The rule is in force on ``as_of`` and its condition is certainly true."""
    return rule.in_force(as_of) and evaluate(rule.when, record, as_of) is True


def _schema_node(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = schema
    for part in path.split("."):
        node = node.get("properties", {}).get(part, {})
    return node


def _numbers(consts: Iterable[float], integer: bool) -> list[float]:
    points = sorted(set(consts))
    if integer:
        out: set[float] = set()
        for c in points:
            low, high = math.floor(c), math.ceil(c)
            out.update({low - 1, low, high, high + 1})
        return sorted(out)
    candidates = {points[0] - 1, points[-1] + 1, *points}
    candidates.update((a + b) / 2 for a, b in itertools.pairwise(points))
    return sorted(candidates)


def _example(kind: str, options: Sequence[Any] | None, node: Mapping[str, Any]) -> Any:
    """One known value of a field that no rule tests (it only makes its group known)."""
    if kind == "bool":
        return True
    if kind == "enum":
        return (options or [TEXT_EXAMPLE])[0]
    if kind in ("integer", "number"):
        return node.get("minimum", 0)
    if kind == "date":
        return Relative(0)
    if kind == "list":
        return ()
    return TEXT_EXAMPLE


def _subsets(members: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(combo) for size in range(len(members) + 1) for combo in itertools.combinations(members, size)]


class Space:
    """The finite domains of a policy's fields, its stages, and their points."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.catalog = FieldCatalog(policy.request_schema, policy.criterion_names)
        rules = policy.all_rules()
        self._tests: dict[str, list[Test]] = {}
        for rule in rules:
            for test in tests_in(rule.when):
                self._tests.setdefault(test.field, []).append(test)
        self.as_of_dates = self._as_of_dates(rules)
        self.domains: dict[str, Domain] = {}
        read = {p for p in self._tests if self._is_request_leaf(p)}
        self._read = frozenset(read)
        # A group tested as a whole (``exception: is known``) whose other leaves no rule reads:
        # one of those leaves stands in for all of them.
        self.stand_ins: dict[str, tuple[str, ...]] = {}
        for path in sorted(read):
            self.domains[path] = self._domain(path)
        self.conditions = tuple(
            self._stage(f"condition.{c.name}", policy.condition_rules.get(c.name, ()), c.name) for c in policy.criteria
        )
        self.exception = self._stage("exception", policy.exception_rules)
        self.outcome = self._stage("outcome", policy.outcome_rules)

    # -- domains ----------------------------------------------------------------

    def _is_request_leaf(self, path: str) -> bool:
        spec = self.catalog.get(path)
        return spec is not None and not spec.derived and spec.kind != "object"

    def _as_of_dates(self, rules: Sequence[Rule]) -> tuple[date, ...]:
        marks: set[date] = set()
        for rule in rules:
            if rule.effective_from is not None:
                marks.add(rule.effective_from)
            if rule.effective_until is not None:
                marks.add(rule.effective_until)
            for test in tests_in(rule.when):
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                marks.update(v for v in values if isinstance(v, date))
        if not marks:
            return (REFERENCE_DAY,)
        days = {d + timedelta(days=k) for d in marks for k in (-1, 0, 1)}
        return tuple(sorted(days))

    def _domain(self, path: str) -> Domain:
        spec = self.catalog.get(path)
        assert spec is not None
        tests = self._tests.get(path, [])
        required = "." not in path and path in self.policy.request_schema.get("required", ())  # type: ignore[operator]
        mentioned: list[Any] = []
        ordered: list[Any] = []
        members: list[Any] = []
        relative = False
        for test in tests:
            given = test.value if isinstance(test.value, tuple) else (test.value,)
            if test.op in _VALUE_OPS:
                for v in given:
                    if v == AS_OF:
                        relative = True
                    elif v is not None and v not in mentioned:
                        mentioned.append(v)
            elif test.op in _ORDER_OPS:
                if test.value == AS_OF:
                    relative = True
                else:
                    ordered.append(test.value)
            elif test.op in ("contains", "not_contains") and test.value not in members:
                members.append(test.value)
        kind = spec.kind
        values: list[Any]
        if not tests:
            values = [_example(spec.kind, spec.enum, _schema_node(self.policy.request_schema, path))]
        elif kind == "bool":
            values = [True, False]
        elif kind == "enum":
            options = list(spec.enum or ())
            values = [v for v in options if v in mentioned]
            values += [v for v in options if v not in mentioned][:1]
        elif kind == "string":
            values = list(mentioned)
            other = TEXT_EXAMPLE
            while other in values:
                other += "-other"
            values.append(other)
        elif kind in ("integer", "number"):
            node = _schema_node(self.policy.request_schema, path)
            low, high = node.get("minimum"), node.get("maximum")
            consts = [float(v) for v in mentioned + ordered]
            candidates = _numbers(consts, kind == "integer") if consts else [float(low if low is not None else 0)]
            values = [
                int(v) if float(v).is_integer() else v
                for v in candidates
                if (low is None or v >= low) and (high is None or v <= high)
            ]
        elif kind == "date":
            fixed = sorted({d for d in mentioned + ordered if isinstance(d, date)})
            days = sorted({d + timedelta(days=k) for d in fixed for k in (-1, 0, 1)})
            values = [d.isoformat() for d in days]
            if relative or not values:
                values += [Relative(-1), Relative(0), Relative(1)] if relative else [Relative(0)]
        elif kind == "list":
            values = list(_subsets(members)) if members else [()]
        else:  # pragma: no cover - the catalog has no other leaf kinds
            values = [TEXT_EXAMPLE]
        return Domain(path, kind, tuple(values), required)

    def domain(self, path: str) -> Domain:
        """The domain of ``path``; a field no rule tests gets a single known value."""
        if path not in self.domains:
            self.domains[path] = self._domain(path)
        return self.domains[path]

    # -- stages -----------------------------------------------------------------

    def rule_fields(self, rule: Rule) -> list[str]:
        """The leaf paths ``rule`` reads; a group tested as a whole is read through its leaves."""
        out: list[str] = []
        for test in tests_in(rule.when):
            spec = self.catalog.get(test.field)
            if spec is not None and spec.kind == "object":
                read = [leaf for leaf in spec.leaves if leaf in self._read]
                unread = [leaf for leaf in spec.leaves if leaf not in self._read]
                if unread:
                    self.stand_ins[unread[0]] = tuple(unread)
                paths = read + unread[:1]
            else:
                paths = [test.field]
            out.extend(p for p in paths if p not in out)
        return out

    def _stage(self, name: str, rules: Sequence[Rule], criterion: str | None = None) -> StageSpace:
        fields: list[str] = []
        for rule in rules:
            fields.extend(f for f in self.rule_fields(rule) if f not in fields)
        order = {p: i for i, p in enumerate(self.catalog.fields)}
        fields.sort(key=lambda p: (order.get(p, len(order)), p))
        dated = any(r.effective_from or r.effective_until for r in rules) or any(
            self.domain(f).relative for f in fields if self._is_request_leaf(f)
        )
        return StageSpace(name, tuple(rules), tuple(fields), dated, criterion)

    def stage_dates(self, stage: StageSpace) -> tuple[date, ...]:
        return self.as_of_dates if stage.dated else self.as_of_dates[:1]

    def points(self, stage: StageSpace) -> Iterator[Point]:
        """Every point of a condition or exception stage, on every evaluation date that matters."""
        for as_of in self.stage_dates(stage):
            axes = [self.domain(f).values_on(as_of) for f in stage.fields]
            for values in itertools.product(*axes):
                yield Point(as_of, values)

    def fired(self, stage: StageSpace) -> Iterator[Fired]:
        """Each point of ``stage`` with the rules that fire there, in policy order."""
        for point in self.points(stage):
            record = nest(point.flat(stage.fields))
            yield Fired(point, tuple(r for r in stage.rules if fires(r, record, point.as_of)))

    # -- the outcome stage: the combinations the earlier stages can produce ----------

    def outputs(self, stage: StageSpace, rules: Sequence[Rule]) -> list[dict[str, Any]]:
        """The derived fields a stage can set from the rules that fired.

        None on a gap; on a conflict, one result per competing effect, so that the outcome
        table is checked as it will be once the conflict (reported on its own) is resolved.
        """
        if stage.criterion is not None:
            statuses = sorted({r.status for r in rules if r.status is not None})
            return [{f"status.{stage.criterion}": s} for s in statuses]
        states = sorted({r.exception for r in rules if r.exception is not None})
        covered = {r.covers for r in rules if r.covers is not None}
        covers = {f"covers.{name}": name in covered for name in self.policy.criterion_names}
        return [{"status.exception": s, **covers} for s in states]

    def output_columns(self, stage: StageSpace) -> list[str]:
        if stage.criterion is not None:
            return [f"status.{stage.criterion}"]
        return ["status.exception"] + [f"covers.{n}" for n in self.policy.criterion_names]

    def outcome_rows(self) -> tuple[Relation, Sources]:
        """Every combination of what the outcome table reads that some request can produce.

        Returns the joined relation (columns: the outcome table's fields, and the evaluation
        date when the table depends on it) and, for each joined source, its stage points, so
        that :meth:`witness` can rebuild a request for any row.
        """
        needed_by_outcome = set(self.outcome.fields)
        if self.outcome.dated:
            needed_by_outcome.add(AS_OF_COLUMN)
        sources: list[tuple[Relation, list[tuple[Point, StageSpace]]]] = []
        for stage in (*self.conditions, self.exception):
            columns = list(stage.fields)
            if stage.dated:
                columns.append(AS_OF_COLUMN)
            rel_rows: list[tuple[dict[str, Any], Point]] = []
            for fired in self.fired(stage):
                # A gap gives no row: the stage's own check reports it.
                for outputs in self.outputs(stage, fired.rules):
                    row = fired.point.flat(stage.fields)
                    if stage.dated:
                        row[AS_OF_COLUMN] = fired.point.as_of
                    row.update(outputs)
                    rel_rows.append((row, fired.point))
            out_columns = list(columns) + self.output_columns(stage)
            relation = Relation(tuple(out_columns))
            points: list[tuple[Point, StageSpace]] = []
            for row, point in rel_rows:
                key = tuple(row[c] for c in out_columns)
                if key not in relation.rows:
                    relation.rows[key] = (len(points),)
                points.append((point, stage))
            sources.append((relation, points))
        # The outcome table's own request fields that no earlier stage reads.
        produced = {c for rel, _ in sources for c in rel.columns}
        own = [f for f in self.outcome.fields if f not in produced and self._is_request_leaf(f)]
        own_columns = own + ([AS_OF_COLUMN] if self.outcome.dated else [])
        own_rel = Relation(tuple(own_columns))
        own_points: list[tuple[Point, StageSpace]] = []
        own_stage = StageSpace("outcome.fields", (), tuple(own), self.outcome.dated)
        for as_of in self.stage_dates(own_stage):
            for values in itertools.product(*[self.domain(f).values_on(as_of) for f in own]):
                key = values + ((as_of,) if self.outcome.dated else ())
                if key not in own_rel.rows:
                    own_rel.rows[key] = (len(own_points),)
                    own_points.append((Point(as_of, values), own_stage))
        sources.append((own_rel, own_points))

        # Relations that depend on the evaluation date are joined first, so that the date
        # column can be dropped early when the outcome table does not read it.
        sources.sort(key=lambda source: AS_OF_COLUMN not in source[0].columns)
        relations = [rel for rel, _ in sources]
        joined = relations[0]
        joined = _project(joined, _keep(joined.columns, relations[1:], needed_by_outcome))
        for i, rel in enumerate(relations[1:], start=1):
            joined = _join(joined, rel)
            joined = _project(joined, _keep(joined.columns, relations[i + 1 :], needed_by_outcome))
        return joined, [pts for _, pts in sources]

    def witness(self, sources: Sources, refs: tuple[int, ...]) -> tuple[dict[str, Any], date]:
        """The flat assignment and evaluation date of the request behind a joined row."""
        flat: dict[str, Any] = {}
        as_of = self.as_of_dates[0]
        for pts, ref in zip(sources, refs, strict=True):
            point, stage = pts[ref]
            flat.update(point.flat(stage.fields))
            if stage.dated:
                as_of = point.as_of  # dated stages were joined on the date: they agree
        return flat, as_of


def _keep(columns: Sequence[str], later: Sequence[Relation], needed: set[str]) -> tuple[str, ...]:
    wanted = set(needed)
    for rel in later:
        wanted.update(rel.columns)
    return tuple(c for c in columns if c in wanted)


def _project(rel: Relation, columns: tuple[str, ...]) -> Relation:
    if columns == rel.columns:
        return rel
    index = [rel.columns.index(c) for c in columns]
    out = Relation(columns)
    for row, refs in rel.rows.items():
        key = tuple(row[i] for i in index)
        if key not in out.rows:
            out.rows[key] = refs
    return out


def _join(left: Relation, right: Relation) -> Relation:
    """The natural join of two relations; each row keeps the first refs of both sides."""
    shared = [c for c in left.columns if c in right.columns]
    extra = [c for c in right.columns if c not in shared]
    l_idx = [left.columns.index(c) for c in shared]
    r_idx = [right.columns.index(c) for c in shared]
    e_idx = [right.columns.index(c) for c in extra]
    by_key: dict[tuple[Any, ...], list[tuple[tuple[Any, ...], tuple[int, ...]]]] = {}
    for row, refs in right.rows.items():
        by_key.setdefault(tuple(row[i] for i in r_idx), []).append((tuple(row[i] for i in e_idx), refs))
    out = Relation(tuple(left.columns) + tuple(extra))
    for row, refs in left.rows.items():
        for tail, r_refs in by_key.get(tuple(row[i] for i in l_idx), ()):
            key = row + tail
            if key not in out.rows:
                out.rows[key] = refs + r_refs
    return out


class RuleTable:
    """The truth of each rule of a stage, remembered by the values of the fields it reads."""

    def __init__(self, space: Space, rules: Sequence[Rule], columns: Sequence[str]) -> None:
        self.rules = tuple(rules)
        self._index: list[list[int]] = []
        self._fields: list[list[str]] = []
        self._dated: list[bool] = []
        self._memo: list[dict[tuple[Any, ...], bool]] = []
        position = {c: i for i, c in enumerate(columns)}
        for rule in self.rules:
            names = [f for f in space.rule_fields(rule) if f in position]
            for test in tests_in(rule.when):
                if test.field in position and test.field not in names:
                    names.append(test.field)
            self._fields.append(names)
            self._index.append([position[f] for f in names])
            self._dated.append(
                bool(rule.effective_from or rule.effective_until) or any(t.value == AS_OF for t in tests_in(rule.when))
            )
            self._memo.append({})

    def true(self, i: int, row: tuple[Any, ...], as_of: date) -> bool:
        key = tuple(row[j] for j in self._index[i])
        if self._dated[i]:
            key += (as_of,)
        memo = self._memo[i]
        value = memo.get(key)
        if value is None:
            record = nest(dict(zip(self._fields[i], key, strict=False)))
            value = fires(self.rules[i], record, as_of)
            memo[key] = value
        return value


def derived_domains(policy: Policy) -> dict[str, tuple[Any, ...]]:
    """The values of the derived fields of the outcome stage."""
    out: dict[str, tuple[Any, ...]] = {f"status.{n}": STATUSES for n in policy.criterion_names}
    out["status.exception"] = EXCEPTION_STATES
    out.update({f"covers.{n}": (True, False) for n in policy.criterion_names})
    return out


def flat_record(record: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The values of ``paths`` in ``record`` (None when unknown)."""
    return {p: freeze(lookup(record, p)) for p in paths}


class Evaluator:
    """Outcomes by :mod:`engine.evaluation.logic`, stage by stage, each stage remembered by the values it reads.

    The semantics of the compiled durable-rules stages (the tests check that they agree on
    every enumerated point), fast enough to try thousands of variations of one request.
    """

    def __init__(self, space: Space) -> None:
        self.space = space
        self.stages = (*space.conditions, space.exception)
        self.fields: tuple[str, ...] = tuple(
            dict.fromkeys(f for st in (*self.stages, space.outcome) for f in st.fields if space._is_request_leaf(f))
        )
        self._memo: dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]] = {st.name: {} for st in self.stages}
        self._lines: dict[tuple[Any, ...], str | None] = {}

    def flat(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The values the rules read in ``record`` (hashable; None when unknown)."""
        out = flat_record(record, self.fields)
        for path, group in self.space.stand_ins.items():
            if path in out and out[path] is None and any(lookup(record, leaf) is not None for leaf in group):
                out[path] = freeze(self.space.domain(path).values[0])
        return out

    def stage_outputs(self, stage: StageSpace, flat: Mapping[str, Any], as_of: date) -> list[dict[str, Any]]:
        key = tuple(flat.get(f) for f in stage.fields) + ((as_of,) if stage.dated else ())
        memo = self._memo[stage.name]
        found = memo.get(key)
        if found is None:
            record = nest({f: flat.get(f) for f in stage.fields})
            found = self.space.outputs(stage, [r for r in stage.rules if fires(r, record, as_of)])
            memo[key] = found
        return found

    def outcome(self, flat: Mapping[str, Any], as_of: date) -> str | None:
        """The outcome, or None when a stage has a gap or a conflict (the engine would refuse)."""
        row: dict[str, Any] = {}
        for stage in self.stages:
            outputs = self.stage_outputs(stage, flat, as_of)
            if len(outputs) != 1:
                return None
            row.update(outputs[0])
        outcome = self.space.outcome
        values = tuple(row.get(f, flat.get(f)) for f in outcome.fields)
        key = values + ((as_of,) if outcome.dated else ())
        if key in self._lines:
            return self._lines[key]
        record = nest(dict(zip(outcome.fields, values, strict=True)))
        decided = next((r.outcome for r in outcome.rules if fires(r, record, as_of)), None)
        self._lines[key] = decided
        return decided
