"""The fewest field changes that move one request to each other outcome, asked of the z3 solver.

The request's fields are the variables of :mod:`engine.authoring.encoding` on its evaluation
date; a field is *changed* when its value leaves the stretch of values the rules cannot tell
from the request's own.  For each other outcome the solver finds the least number of
changed fields (by raising a bound on the count until the outcome is reachable), then the
sets of fields of that size, then the values of each set: the search grows with the rules,
not with the product of the domains, and every answer is truly the fewest.

Only known values are offered: a change never makes a field unknown.  The caps
(:data:`SETS_CAP`, :data:`VALUES_CAP`) bound the time on a policy with very many ways; the
fewest number of changes is exact whatever they cut.  Where a cap cuts, the ways kept are
the first in the order of the fields and of their values, not the solver's first finds.

Compile once, ask many: the policy's constraints are given to one solver per policy and
date, and each request adds only its own values, in a scope it pops (:func:`_prepared`).
That solver's answers depend on what it solved before, so nothing shown is taken from the
order in which it finds models.  A time budget stops the search; the outcomes it did not
finish are then named (``Search.stopped``), never called unreachable.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import z3

from ..errors import RuleConflict
from ..evaluation.logic import Kleene, test_value
from ..policy.model import All, AnyOf, Condition, Not, Policy, Rule, Test, tests_in
from .domains import TEXT_EXAMPLE, Evaluator, Space, StageSpace, nest
from .encoding import SOLVER_LOCK, Encoding

SETS_CAP = 6  # sets of fields looked at per outcome: as many as explain shows ways (MAX_OPTIONS)
TRIED_CAP = 1_024  # value combinations of one set of fields tried one by one, rather than asked of the solver
VALUES_CAP = 64  # value combinations asked of the solver per set of fields
PARTIAL_TRIED = 128  # beyond VALUES_CAP: combinations tried in order after the first one
NO_TIMEOUT = 2**32 - 1  # z3's own default: no limit
CLASSES_KEPT = 65_536  # (field, value) pairs whose domain index is kept across requests
EVALUATOR_KEPT = 200_000  # rule truths and stage outputs kept across requests before they are forgotten


@dataclass(frozen=True)
class Ways:
    """The fewest changes to one outcome: ``size`` fields, and for each set of fields its value combinations."""

    outcome: str
    size: int
    combinations: tuple[tuple[tuple[str, Any], ...], ...]  # each: (field, new value) per changed field
    complete: bool  # False when a cap cut the sets or the values short
    partial: frozenset[tuple[str, ...]] = frozenset()  # the sets of fields whose values a cap cut short


@dataclass(frozen=True)
class Search:
    """What the search needs to know of the request."""

    space: Space
    flat: Mapping[str, Any]  # the request's values of the fields the rules read (None: unknown)
    current: str | None
    candidates: Mapping[str, tuple[Any, ...]]  # the values each field may change to
    only_known: Mapping[str, bool]  # the rules only ask whether the field is given
    ways: tuple[Ways, ...]
    unreached: tuple[str, ...]
    stopped: tuple[str, ...] = ()  # outcomes whose search the time budget cut short


def _signature(enc: Encoding, path: str, value: Any) -> tuple[Kleene, ...]:
    """What every test of the rules on ``path`` says of ``value``: values with the same are one class."""
    record = nest({path: value})
    return tuple(test_value(t, record, enc.dates[0]) for t in enc.space._tests.get(path, []))


def _class_index(enc: Encoding, path: str, value: Any, signatures: Mapping[tuple[Kleene, ...], int]) -> int:
    """The index of the domain value the rules cannot tell from ``value`` (``signatures``: of the domain's values)."""
    values = enc.values(path)[0]
    if value is None:
        return len(values) - 1
    if value in values:
        return list(values).index(value)
    found = signatures.get(_signature(enc, path, value))
    if found is None:
        raise RuleConflict("matcher-disagreement", f"{path}: no value of its domain stands for {value!r}; please report this")
    return found


@dataclass
class _Prepared:
    """The encoding of one policy on one evaluation date, and what serves every request on it.

    The solver holds the policy's constraints once; a request adds only its own values, in
    a scope popped when it is done.  The evaluator's memory of each rule's truth and the
    index of each value the request gives are kept for the next request.
    """

    space: Space
    encoding: Encoding
    decides: tuple[z3.BoolRef, ...]
    goals: Mapping[str, z3.BoolRef]  # per outcome: some line of it decides
    solver: z3.Solver
    evaluator: RuleEvaluator
    classes: dict[tuple[str, Any], int] = field(default_factory=dict)  # (path, value): the index of its domain value
    signatures: dict[str, dict[tuple[Kleene, ...], int]] = field(default_factory=dict)  # per path: of its domain values

    def class_index(self, path: str, value: Any) -> int:
        key = (path, value)
        found = self.classes.get(key)
        if found is None:
            if len(self.classes) >= CLASSES_KEPT:
                self.classes.clear()
            table = self.signatures.get(path)
            if table is None:
                table = self.signatures[path] = {}
                for j, candidate in enumerate(self.encoding.values(path)[0]):
                    if candidate is not None:
                        table.setdefault(_signature(self.encoding, path, candidate), j)
            found = self.classes[key] = _class_index(self.encoding, path, value, table)
        return found


_PREPARED: OrderedDict[tuple[str, date], _Prepared] = OrderedDict()
PREPARED_KEPT = 4  # policies and dates whose encoding is kept (the web application serves one policy)


def _prepared(policy: Policy, as_of: date) -> _Prepared:
    key = (policy.hash, as_of)
    found = _PREPARED.get(key)
    if found is not None:
        _PREPARED.move_to_end(key)
        return found
    space = Space(policy)
    enc = Encoding(space, (as_of,))
    pipeline = enc.pipeline(exactly_one=True)
    decides = enc.decides(space.outcome.rules)
    lines = space.outcome.rules
    goals = {o: z3.Or(*[d for d, line in zip(decides, lines, strict=True) if line.outcome == o]) for o in policy.vocab.outcomes}
    solver = z3.Solver()
    solver.add(*pipeline, *enc.domain_constraints)
    found = _Prepared(space, enc, tuple(decides), goals, solver, RuleEvaluator(space))
    _PREPARED[key] = found
    while len(_PREPARED) > PREPARED_KEPT:
        _PREPARED.popitem(last=False)
    return found


class _OutOfTime(Exception):
    """The search's budget is spent."""


class Clock:
    """The time left of a search's budget (None: unbounded), in seconds of the monotonic clock."""

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self._end = None if budget is None else time.monotonic() + budget

    def check(self, solver: z3.Solver, *assumptions: z3.BoolRef) -> z3.CheckSatResult:
        """``solver.check`` within the time left; raises :class:`_OutOfTime` when it is spent."""
        if self._end is None:
            solver.set("timeout", NO_TIMEOUT)  # the solver is shared: an earlier search may have set one
            return solver.check(*assumptions)
        left = self._end - time.monotonic()
        if left <= 0:
            raise _OutOfTime
        solver.set("timeout", max(1, int(left * 1000)))
        result = solver.check(*assumptions)
        if result == z3.unknown:
            raise _OutOfTime
        return result

    def tick(self) -> None:
        if self._end is not None and time.monotonic() >= self._end:
            raise _OutOfTime


def search(policy: Policy, record: Mapping[str, Any], as_of: date, max_fields: int | None, budget: float | None = None) -> Search:
    """The fewest changes of ``record`` to each other outcome, within ``budget`` seconds (None: unbounded).

    The outcomes not searched to the end when the budget is spent are listed in ``stopped``.
    """
    clock = Clock(budget)
    with SOLVER_LOCK:
        prepared = _prepared(policy, as_of)
        space, enc, solver = prepared.space, prepared.encoding, prepared.solver
        evaluator = prepared.evaluator
        evaluator.forget_beyond(EVALUATOR_KEPT)
        flat = evaluator.flat(record)
        current = evaluator.outcome(flat, as_of)
        fields = [f for f in evaluator.fields if f in enc.fields()]
        here: dict[str, int] = {}
        options: dict[str, list[int]] = {}
        only_known: dict[str, bool] = {}
        changed: dict[str, z3.BoolRef] = {}
        allowed: list[z3.BoolRef] = []
        for path in [*fields, *(p for p in enc.fields() if p not in fields)]:  # the request form's order first
            values = enc.values(path)[0]
            here[path] = prepared.class_index(path, flat.get(path))
            var = enc.var(path)
            domain = space.domain(path)
            only_known[path] = domain.kind == "string" and domain.values == (TEXT_EXAMPLE,)
            unknown = None if domain.required else len(values) - 1
            if path not in fields or (only_known[path] and flat.get(path) is not None):
                options[path] = []
            else:
                options[path] = [j for j in range(len(values)) if j != here[path] and (flat.get(path) is None or j != unknown)]
            if not options[path]:
                allowed.append(var == here[path])
                continue
            if flat.get(path) is not None and unknown is not None:
                allowed.append(var != unknown)  # any value but unknown: the domain constraint bounds the rest
            changed[path] = var != here[path]
        counted = list(changed.values())
        limit = len(counted) if max_fields is None else min(max_fields, len(counted))
        ways: list[Ways] = []
        unreached: list[str] = []
        stopped: list[str] = []
        trying = _Trying(enc, evaluator, flat, options, as_of, clock)
        solver.push()  # the request's values: gone when it is done
        try:
            solver.add(*allowed)
            for outcome in policy.vocab.outcomes:
                if outcome == current:
                    continue
                if stopped:
                    stopped.append(outcome)
                    continue
                goal = prepared.goals[outcome]
                try:
                    size = _fewest(solver, clock, goal, counted, limit)
                    if size is None:
                        unreached.append(outcome)
                        continue
                    ways.append(_ways(solver, trying, goal, changed, outcome, size))
                except _OutOfTime:
                    stopped.append(outcome)
        finally:
            solver.pop()
    candidates = {p: tuple(enc.values(p)[0][j] for j in js) for p, js in options.items()}
    return Search(space, flat, current, candidates, only_known, tuple(ways), tuple(unreached), tuple(stopped))


_MISSING = object()


def _compile(space: Space, cond: Condition, as_of: date) -> Callable[[Mapping[str, Any]], Kleene]:
    """``cond`` as a function of flat values (dotted paths), each test's truth remembered by the value it sees.

    The meaning is :func:`engine.evaluation.logic.evaluate` on the nested record (each test is
    decided by :func:`engine.evaluation.logic.test_value` itself); only the walk is faster.
    """
    if isinstance(cond, Test):
        spec = space.catalog.get(cond.field)
        if spec is not None and spec.kind == "object":
            read = [leaf for leaf in spec.leaves if leaf in space._read]
            unread = [leaf for leaf in spec.leaves if leaf not in space._read]
            leaves = tuple(read + unread[:1])
            want = cond.value == "known"
            return lambda values: any(values.get(leaf) is not None for leaf in leaves) == want
        test, path = cond, cond.field
        memo: dict[Any, Any] = {}

        def one(values: Mapping[str, Any]) -> Kleene:
            seen = values.get(path)
            found = memo.get(seen, _MISSING)
            if found is _MISSING:
                found = memo[seen] = test_value(test, nest({path: seen}), as_of)
            return found  # type: ignore[no-any-return]

        return one
    if isinstance(cond, All | AnyOf):
        parts = tuple(_compile(space, c, as_of) for c in cond.items)
        stop, keep = (False, True) if isinstance(cond, All) else (True, False)

        def many(values: Mapping[str, Any]) -> Kleene:
            out: Kleene = keep
            for part in parts:
                got = part(values)
                if got is stop:
                    return stop
                if got is None:
                    out = None
            return out

        return many
    if isinstance(cond, Not):
        inner = _compile(space, cond.item, as_of)

        def negated(values: Mapping[str, Any]) -> Kleene:
            got = inner(values)
            return None if got is None else not got

        return negated
    return lambda values: True  # Always


class RuleEvaluator(Evaluator):
    """:class:`Evaluator` that also remembers each rule's truth by the values of the fields it reads.

    Trying the values of one field then re-evaluates only the rules that read it: in a large
    policy most rules of a stage do not, and the stage's own memory misses on every value.
    """

    def __init__(self, space: Space) -> None:
        super().__init__(space)
        self._reads: dict[Rule, tuple[str, ...]] = {}
        self._truth: dict[Rule, dict[tuple[Any, ...], bool]] = {}
        self._compiled: dict[tuple[Rule, date], Callable[[Mapping[str, Any]], Kleene]] = {}
        for rule in space.policy.all_rules():
            reads = list(space.rule_fields(rule))
            reads += [t.field for t in tests_in(rule.when) if t.field not in reads]
            self._reads[rule] = tuple(reads)
            self._truth[rule] = {}

    def forget_beyond(self, kept: int) -> None:
        """Forget what was remembered of earlier requests once it holds more than ``kept`` entries."""
        held = sum(len(m) for m in self._truth.values()) + sum(len(m) for m in self._memo.values()) + len(self._lines)
        if held > kept:
            for memo in self._truth.values():
                memo.clear()
            for stage_memo in self._memo.values():
                stage_memo.clear()
            self._lines.clear()

    def check(self, rule: Rule, as_of: date) -> Callable[[Mapping[str, Any]], Kleene]:
        """``rule``'s condition compiled for ``as_of`` (once, and kept)."""
        found = self._compiled.get((rule, as_of))
        if found is None:
            found = self._compiled[(rule, as_of)] = _compile(self.space, rule.when, as_of)
        return found

    def _fires(self, rule: Rule, values: Mapping[str, Any], as_of: date) -> bool:
        reads = self._reads[rule]
        key = (as_of, *(values.get(f) for f in reads))
        memo = self._truth[rule]
        found = memo.get(key)
        if found is None:
            found = rule.in_force(as_of) and self.check(rule, as_of)(values) is True
            memo[key] = found
        return found

    def stage_outputs(self, stage: StageSpace, flat: Mapping[str, Any], as_of: date) -> list[dict[str, Any]]:
        key = tuple(flat.get(f) for f in stage.fields) + ((as_of,) if stage.dated else ())
        memo = self._memo[stage.name]
        found = memo.get(key)
        if found is None:
            found = self.space.outputs(stage, [r for r in stage.rules if self._fires(r, flat, as_of)])
            memo[key] = found
        return found

    def outcome(self, flat: Mapping[str, Any], as_of: date) -> str | None:
        row: dict[str, Any] = dict(flat)
        for stage in self.stages:
            outputs = self.stage_outputs(stage, flat, as_of)
            if len(outputs) != 1:
                return None
            row.update(outputs[0])
        return next((r.outcome for r in self.space.outcome.rules if self._fires(r, row, as_of)), None)

    def varying(self, flat: Mapping[str, Any], fields: Sequence[str], as_of: date) -> Callable[[Mapping[str, Any]], str | None]:
        """:meth:`outcome` for requests that differ from ``flat`` only in ``fields``.

        The rules that read none of them fire or not once and for all; each trial evaluates
        only the others, each remembered by the values of just the fields that vary.
        """
        moving = set(fields)
        derived = {f for f in self.space.outcome.fields if not self.space._is_request_leaf(f)}

        def checker(rule: Rule, varies: set[str]) -> Callable[[Mapping[str, Any]], bool]:
            keys = tuple(f for f in self._reads[rule] if f in varies)
            check = self.check(rule, as_of)
            live = rule.in_force(as_of)
            memo: dict[tuple[Any, ...], bool] = {}

            def fired(values: Mapping[str, Any]) -> bool:
                key = tuple(values.get(f) for f in keys)
                found = memo.get(key)
                if found is None:
                    found = memo[key] = live and check(values) is True
                return found

            return fired

        plan = []
        for stage in self.stages:
            fixed = [r for r in stage.rules if moving.isdisjoint(self._reads[r]) and self._fires(r, flat, as_of)]
            others = [(r, checker(r, moving)) for r in stage.rules if not moving.isdisjoint(self._reads[r])]
            plan.append((stage, fixed, others))
        lines = [(r, checker(r, moving | derived)) for r in self.space.outcome.rules]

        def outcome(trial: Mapping[str, Any]) -> str | None:
            row: dict[str, Any] = dict(trial)
            for stage, fixed, others in plan:
                outputs = self.space.outputs(stage, fixed + [r for r, fired in others if fired(trial)])
                if len(outputs) != 1:
                    return None
                row.update(outputs[0])
            return next((r.outcome for r, fired in lines if fired(row)), None)

        return outcome


@dataclass(frozen=True)
class _Trying:
    """What trying the values of a set of fields needs."""

    enc: Encoding
    evaluator: RuleEvaluator
    flat: Mapping[str, Any]
    options: Mapping[str, Sequence[int]]
    as_of: date
    clock: Clock


def _fewest(solver: z3.Solver, clock: Clock, goal: z3.BoolRef, changed: Sequence[z3.BoolRef], limit: int) -> int | None:
    """The least number of changed fields that reaches ``goal`` (None: not within ``limit``)."""
    if not changed or clock.check(solver, goal, z3.AtMost(*changed, limit)) != z3.sat:
        return None
    for size in range(1, limit + 1):
        if clock.check(solver, goal, z3.AtMost(*changed, size)) == z3.sat:
            return size
    return None  # pragma: no cover - the check at the limit was satisfiable


def _ways(
    solver: z3.Solver, trying: _Trying, goal: z3.BoolRef, changed: Mapping[str, z3.BoolRef], outcome: str, size: int
) -> Ways:
    order = {p: i for i, p in enumerate(changed)}
    combos: list[tuple[tuple[str, int], ...]] = []
    complete = True
    solver.push()
    try:
        solver.add(goal, z3.AtMost(*changed.values(), size))
        sets = _sets(solver, trying.clock, changed, order)
        if len(sets) > SETS_CAP:
            complete = False
            sets = _first_sets(solver, trying.clock, changed, SETS_CAP)
        partial: set[tuple[str, ...]] = set()
        for chosen in sets:
            found, whole = _values(solver, trying, changed, chosen, outcome)
            combos.extend(found)
            if not whole:
                complete = False
                partial.add(tuple(chosen))
    finally:
        solver.pop()
    # In the order of the fields and of their values (the solver's order of models is not fixed).
    combos.sort(key=lambda combo: ([order[p] for p, _ in combo], [j for _, j in combo]))
    enc = trying.enc
    shown = tuple(tuple((p, enc.values(p)[0][j]) for p, j in combo) for combo in combos)
    return Ways(outcome, size, shown, complete, frozenset(partial))


def _chosen(model: z3.ModelRef, changed: Mapping[str, z3.BoolRef]) -> list[str]:
    return [p for p, flag in changed.items() if z3.is_true(model.eval(flag, model_completion=True))]


def _sets(solver: z3.Solver, clock: Clock, changed: Mapping[str, z3.BoolRef], order: Mapping[str, int]) -> list[list[str]]:
    """The sets of fields whose change reaches the goal, up to one more than :data:`SETS_CAP`.

    In the order the solver finds them, which depends on what it learnt before: only when
    they are all found (no more than the cap) is the list the same for every history.
    """
    sets: list[list[str]] = []
    solver.push()  # the blocks of the sets found: gone before their values are asked for
    try:
        while len(sets) <= SETS_CAP and clock.check(solver) == z3.sat:
            chosen = sorted(_chosen(solver.model(), changed), key=order.__getitem__)
            sets.append(chosen)
            solver.add(z3.Or(*[z3.Not(changed[p]) for p in chosen]))
    finally:
        solver.pop()
    sets.sort(key=lambda chosen: [order[p] for p in chosen])
    return sets


def _earlier(changed: Mapping[str, z3.BoolRef], chosen: Sequence[str]) -> z3.BoolRef:
    """A set of fields comes before ``chosen`` in the order of the fields (the first field where they differ is in it).

    Built from the last field of ``chosen`` back, so that its size is linear in the fields:
    from field i on, a set is earlier if it has field i where ``chosen`` has not, or agrees on
    field i and is earlier from field i + 1 on.
    """
    flags = list(changed.items())
    last = max(i for i, (p, _) in enumerate(flags) if p in chosen)
    out: z3.BoolRef = z3.BoolVal(False)
    for path, flag in reversed(flags[: last + 1]):
        out = z3.And(flag, out) if path in chosen else z3.Or(flag, out)
    return out


def _first_sets(solver: z3.Solver, clock: Clock, changed: Mapping[str, z3.BoolRef], count: int) -> list[list[str]]:
    """The first ``count`` sets of fields in the order of the fields, whatever the solver learnt before.

    Each is found by asking for an earlier set than the last one found until there is none:
    the answer is the same for every history of the solver (the web application's shared
    one included), so the same request shows the same ways.
    """
    order = {p: i for i, p in enumerate(changed)}
    sets: list[list[str]] = []
    solver.push()
    try:
        while len(sets) < count and clock.check(solver) == z3.sat:
            chosen = _chosen(solver.model(), changed)
            while clock.check(solver, _earlier(changed, chosen)) == z3.sat:
                chosen = _chosen(solver.model(), changed)
            sets.append(sorted(chosen, key=order.__getitem__))
            solver.add(z3.Or(*[z3.Not(changed[p]) for p in chosen]))
    finally:
        solver.pop()
    return sets


def _values(
    solver: z3.Solver, trying: _Trying, changed: Mapping[str, z3.BoolRef], chosen: Sequence[str], outcome: str
) -> tuple[list[tuple[tuple[str, int], ...]], bool]:
    """The value combinations of the fields ``chosen`` that reach ``outcome``, and whether that is all of them.

    Few combinations are each tried with the logic of :mod:`engine.evaluation.logic` (far
    cheaper than a solver query, and every one is seen: a range is never cut short); many
    are asked of the solver, up to :data:`VALUES_CAP`.
    """
    enc = trying.enc
    axes = [trying.options[p] for p in chosen]
    if math.prod(len(a) for a in axes) <= TRIED_CAP:
        out = []
        tried = trying.evaluator.varying(trying.flat, chosen, trying.as_of)
        for n, indices in enumerate(itertools.product(*axes)):
            if n % 64 == 63:
                trying.clock.tick()
            trial = dict(trying.flat)
            trial.update((p, enc.values(p)[0][j]) for p, j in zip(chosen, indices, strict=True))
            if tried(trial) == outcome:
                out.append(tuple(zip(chosen, indices, strict=True)))
        return out, True
    solver.push()
    try:
        solver.add(*[z3.Not(flag) for p, flag in changed.items() if p not in chosen])
        variables = [enc.var(p) for p in chosen]
        found: list[tuple[tuple[str, int], ...]] = []
        solver.push()  # the blocks of the combinations found
        try:
            while trying.clock.check(solver) == z3.sat:
                if len(found) == VALUES_CAP:
                    break
                model = solver.model()
                picked = [int(model.eval(v, model_completion=True).as_long()) for v in variables]
                found.append(tuple(zip(chosen, picked, strict=True)))
                solver.add(z3.Or(*[v != j for v, j in zip(variables, picked, strict=True)]))
            else:
                return found, True
        finally:
            solver.pop()
        # Too many to list: which ones the solver found depends on what it learnt before, so
        # the ones shown are instead the first in the order of the values, the same every time.
        return _first_values(solver, trying, chosen, variables, outcome), False
    finally:
        solver.pop()


def _first_values(
    solver: z3.Solver, trying: _Trying, chosen: Sequence[str], variables: Sequence[z3.ArithRef], outcome: str
) -> list[tuple[tuple[str, int], ...]]:
    """The first combination (each field's least index in turn, asked of the solver), then the
    combinations that reach ``outcome`` among the next :data:`PARTIAL_TRIED` in that order."""
    first: list[int] = []
    solver.push()
    try:
        for path, var in zip(chosen, variables, strict=True):
            axis = sorted(trying.options[path])
            low, high = 0, len(axis) - 1  # the least feasible index is in axis[low..high]
            while low < high:
                middle = (low + high) // 2
                if trying.clock.check(solver, var <= axis[middle]) == z3.sat:
                    high = axis.index(int(solver.model().eval(var, model_completion=True).as_long()))
                else:
                    low = middle + 1
            first.append(axis[low])
            solver.add(var == axis[low])
    finally:
        solver.pop()
    enc = trying.enc
    axes = [sorted(trying.options[p]) for p in chosen]
    axes[0] = [j for j in axes[0] if j >= first[0]]
    tried = trying.evaluator.varying(trying.flat, chosen, trying.as_of)
    out = [tuple(zip(chosen, first, strict=True))]
    for indices in itertools.islice(itertools.product(*axes), PARTIAL_TRIED):
        trying.clock.tick()
        if list(indices) == first:
            continue
        trial = dict(trying.flat)
        trial.update((p, enc.values(p)[0][j]) for p, j in zip(chosen, indices, strict=True))
        if tried(trial) == outcome:
            out.append(tuple(zip(chosen, indices, strict=True)))
    return out
