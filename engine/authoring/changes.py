"""The fewest field changes that move one request to each other outcome, asked of the z3 solver.

The request's fields are the variables of :mod:`engine.authoring.encoding` on its evaluation
date; a field is *changed* when its value leaves the stretch of values the rules cannot tell
from the request's own.  For each other outcome the solver finds the least number of
changed fields (by raising a bound on the count until the outcome is reachable), then the
sets of fields of that size, then the values of each set: the search grows with the rules,
not with the product of the domains, and every answer is truly the fewest.

Only known values are offered: a change never makes a field unknown.  The caps
(:data:`SETS_CAP`, :data:`VALUES_CAP`) bound the time on a policy with very many ways; the
fewest number of changes is exact whatever they cut.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import z3

from ..errors import RuleConflict
from ..evaluation.logic import test_value
from ..policy.model import Rule
from .domains import TEXT_EXAMPLE, Evaluator, Space, nest
from .encoding import Encoding

SETS_CAP = 16  # sets of fields looked at per outcome
VALUES_CAP = 64  # value combinations looked at per set of fields

# One z3 context serves every thread: its objects must not be used by two at once.
SOLVER_LOCK = threading.Lock()


@dataclass(frozen=True)
class Ways:
    """The fewest changes to one outcome: ``size`` fields, and for each set of fields its value combinations."""

    outcome: str
    size: int
    combinations: tuple[tuple[tuple[str, Any], ...], ...]  # each: (field, new value) per changed field
    complete: bool  # False when a cap cut the sets or the values short


@dataclass(frozen=True)
class Search:
    """What the search needs to know of the request."""

    flat: Mapping[str, Any]  # the request's values of the fields the rules read (None: unknown)
    current: str | None
    candidates: Mapping[str, tuple[Any, ...]]  # the values each field may change to
    only_known: Mapping[str, bool]  # the rules only ask whether the field is given
    ways: tuple[Ways, ...]
    unreached: tuple[str, ...]


def _class_index(space: Space, path: str, value: Any, values: Sequence[Any], as_of: date) -> int:
    """The index of the domain value the rules cannot tell from ``value``."""
    if value is None:
        return len(values) - 1
    if value in values:
        return list(values).index(value)
    tests = [t for t in space._tests.get(path, ())]
    want = [test_value(t, nest({path: value}), as_of) for t in tests]
    for j, candidate in enumerate(values):
        if candidate is not None and [test_value(t, nest({path: candidate}), as_of) for t in tests] == want:
            return j
    raise RuleConflict("matcher-disagreement", f"{path}: no value of its domain stands for {value!r}; please report this")


def search(
    space: Space, lines: Sequence[Rule], outcomes: Sequence[str], record: Mapping[str, Any], as_of: date, max_fields: int | None
) -> Search:
    evaluator = Evaluator(space)
    flat = evaluator.flat(record)
    current = evaluator.outcome(flat, as_of)
    with SOLVER_LOCK:
        enc = Encoding(space, (as_of,))
        pipeline = enc.pipeline(exactly_one=True)
        decides = enc.decides(lines)
        fields = [f for f in evaluator.fields if f in enc.fields()]
        candidates: dict[str, tuple[Any, ...]] = {}
        only_known: dict[str, bool] = {}
        changed: dict[str, z3.BoolRef] = {}
        allowed: list[z3.BoolRef] = []
        for path in [*fields, *(p for p in enc.fields() if p not in fields)]:  # the request form's order first
            values = enc.values(path)[0]
            here = _class_index(space, path, flat.get(path), values, as_of)
            var = enc.var(path)
            domain = space.domain(path)
            only_known[path] = domain.kind == "string" and domain.values == (TEXT_EXAMPLE,)
            unknown = None if domain.required else len(values) - 1
            if path not in fields or (only_known[path] and flat.get(path) is not None):
                options: list[int] = []
            else:
                options = [j for j in range(len(values)) if j != here and (flat.get(path) is None or j != unknown)]
            candidates[path] = tuple(values[j] for j in options)
            allowed.append(z3.Or(var == here, *[var == j for j in options]) if options else var == here)
            if options:
                changed[path] = var != here
        solver = z3.Solver()
        solver.add(*pipeline, *allowed, *enc.domain_constraints)
        counted = list(changed.values())
        limit = len(counted) if max_fields is None else min(max_fields, len(counted))
        ways: list[Ways] = []
        unreached: list[str] = []
        for outcome in outcomes:
            if outcome == current:
                continue
            goal = z3.Or(*[d for d, line in zip(decides, lines, strict=True) if line.outcome == outcome])
            size = _fewest(solver, goal, counted, limit)
            if size is None:
                unreached.append(outcome)
                continue
            ways.append(_ways(solver, enc, goal, changed, outcome, size))
    return Search(flat, current, candidates, only_known, tuple(ways), tuple(unreached))


def _fewest(solver: z3.Solver, goal: z3.BoolRef, changed: Sequence[z3.BoolRef], limit: int) -> int | None:
    """The least number of changed fields that reaches ``goal`` (None: not within ``limit``)."""
    if not changed or solver.check(goal, z3.AtMost(*changed, limit)) != z3.sat:
        return None
    for size in range(1, limit + 1):
        if solver.check(goal, z3.AtMost(*changed, size)) == z3.sat:
            return size
    return None  # pragma: no cover - the check at the limit was satisfiable


def _ways(solver: z3.Solver, enc: Encoding, goal: z3.BoolRef, changed: Mapping[str, z3.BoolRef], outcome: str, size: int) -> Ways:
    order = {p: i for i, p in enumerate(changed)}
    combos: list[tuple[tuple[str, int], ...]] = []
    complete = True
    solver.push()
    try:
        solver.add(goal, z3.AtMost(*changed.values(), size))
        sets: list[list[str]] = []
        solver.push()  # the blocks of the sets found: gone before their values are asked for
        while solver.check() == z3.sat:
            if len(sets) == SETS_CAP:
                complete = False
                break
            model = solver.model()
            chosen = [p for p, flag in changed.items() if z3.is_true(model.eval(flag, model_completion=True))]
            chosen.sort(key=order.__getitem__)
            sets.append(chosen)
            solver.add(z3.Or(*[z3.Not(changed[p]) for p in chosen]))
        solver.pop()
        for chosen in sets:
            solver.push()
            solver.add(*[z3.Not(flag) for p, flag in changed.items() if p not in chosen])
            variables = [enc.var(p) for p in chosen]
            found = 0
            while solver.check() == z3.sat:
                if found == VALUES_CAP:
                    complete = False
                    break
                model = solver.model()
                indices = [model.eval(v, model_completion=True).as_long() for v in variables]
                combos.append(tuple(zip(chosen, indices, strict=True)))
                solver.add(z3.Or(*[v != j for v, j in zip(variables, indices, strict=True)]))
                found += 1
            solver.pop()
    finally:
        solver.pop()
    # In the order of the fields and of their values (the solver's order of models is not fixed).
    combos.sort(key=lambda combo: ([order[p] for p, _ in combo], [j for _, j in combo]))
    shown = tuple(tuple((p, enc.values(p)[0][j]) for p, j in combo) for combo in combos)
    return Ways(outcome, size, shown, complete)
