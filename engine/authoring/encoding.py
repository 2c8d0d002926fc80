"""The rules of a policy as constraints for the z3 solver, in three-valued logic.

Each field the rules read becomes one integer variable: the index of its value in the
field's finite domain (:mod:`engine.authoring.domains`, unknown last), so a model of the
constraints is exactly one point of the enumeration and the solver's verdicts can be
checked against it.  The evaluation date is one more index, over the dates that matter.

A condition is encoded as two formulas, *certainly true* and *certainly false*; unknown is
neither (Kleene logic, as :mod:`engine.evaluation.logic` defines it).  The truth of one
test on one domain value is computed by the engine's own logic, never re-implemented, so
the encoding cannot drift from the semantics.  The size of the encoding is the sum of the
domain sizes and the size of the rules, not their product.

The derived fields of the outcome table (``status.<criterion>``, ``status.exception``,
``covers.<criterion>``) are variables too, tied to the rules that set them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from typing import Any

import z3

from ..evaluation.logic import test_value
from ..policy.model import EXCEPTION_STATES, STATUSES, All, AnyOf, Condition, Not, Rule, Test
from .domains import Space, StageSpace, nest

Pair = tuple[z3.BoolRef, z3.BoolRef]  # (certainly true, certainly false)

TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)

# One z3 context serves every thread (the web application's too): its objects must never be
# used by two threads at once, so every use of the solver holds this lock.
SOLVER_LOCK = threading.RLock()


# The constants are recognised by identity: asking z3 for an expression's kind costs far more.


def _any(items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    items = [i for i in items if i is not FALSE]
    if any(i is TRUE for i in items):
        return TRUE
    if not items:
        return FALSE
    return items[0] if len(items) == 1 else z3.Or(*items)


def _all(items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    items = [i for i in items if i is not TRUE]
    if any(i is FALSE for i in items):
        return FALSE
    if not items:
        return TRUE
    return items[0] if len(items) == 1 else z3.And(*items)


def _among(var: z3.ArithRef, indices: Sequence[int], size: int) -> z3.BoolRef:
    """``var`` is one of ``indices`` (ascending) of a domain of ``size`` values, as ranges.

    The values of numbers and dates are in ascending order, so a comparison is one range of
    indices: two bounds instead of one equality per value.
    """
    if not indices:
        return FALSE
    if len(indices) == size:
        return TRUE
    runs: list[tuple[int, int]] = []
    for j in indices:
        if runs and runs[-1][1] == j - 1:
            runs[-1] = (runs[-1][0], j)
        else:
            runs.append((j, j))
    parts = []
    for low, high in runs:
        if low == high:
            parts.append(var == low)
        elif low == 0:
            parts.append(var <= high)
        elif high == size - 1:
            parts.append(var >= low)
        else:
            parts.append(z3.And(var >= low, var <= high))
    return _any(parts)


class Encoding:
    """The fields, stages and outcome table of a policy over the evaluation dates ``dates``."""

    def __init__(self, space: Space, dates: Sequence[date]) -> None:
        self.space = space
        self.dates = tuple(dates)
        self.as_of = z3.Int("@as_of") if len(self.dates) > 1 else None
        self.domain_constraints: list[z3.BoolRef] = []
        if self.as_of is not None:
            self.domain_constraints.append(z3.And(self.as_of >= 0, self.as_of < len(self.dates)))
        self._vars: dict[str, z3.ArithRef] = {}
        self._values: dict[str, tuple[tuple[Any, ...], ...]] = {}  # per date: the field's values, unknown last
        self._pairs: dict[Condition, Pair] = {}
        self.status = {n: z3.Int(f"status.{n}") for n in space.policy.criterion_names}
        self.exception = z3.Int("status.exception")
        self.covers = {n: z3.Bool(f"covers.{n}") for n in space.policy.criterion_names}
        for var in self.status.values():
            self.domain_constraints.append(z3.And(var >= 0, var < len(STATUSES)))
        self.domain_constraints.append(z3.And(self.exception >= 0, self.exception < len(EXCEPTION_STATES)))

    # -- fields -------------------------------------------------------------------------

    def on(self, index: int) -> z3.BoolRef:
        """The evaluation date is ``dates[index]``."""
        return TRUE if self.as_of is None else self.as_of == index

    def values(self, path: str) -> tuple[tuple[Any, ...], ...]:
        self.var(path)
        return self._values[path]

    def var(self, path: str) -> z3.ArithRef:
        """The index variable of request field ``path`` (created with its domain constraint)."""
        found = self._vars.get(path)
        if found is not None:
            return found
        domain = self.space.domain(path)
        per_date = tuple(domain.values_on(d) for d in self.dates)
        var = z3.Int(path)
        self._vars[path] = var
        self._values[path] = per_date
        sizes = {len(v) for v in per_date}
        if len(sizes) == 1:
            self.domain_constraints.append(z3.And(var >= 0, var < sizes.pop()))
        else:
            self.domain_constraints.append(var >= 0)
            for i, values in enumerate(per_date):
                self.domain_constraints.append(z3.Implies(self.on(i), var < len(values)))
        return var

    def known(self, path: str) -> z3.BoolRef:
        var, per_date = self.var(path), self.values(path)
        if self.space.domain(path).required:
            return TRUE
        return _all([z3.Implies(self.on(i), var != len(v) - 1) for i, v in enumerate(per_date)])

    def fields(self) -> tuple[str, ...]:
        return tuple(self._vars)

    # -- conditions -----------------------------------------------------------------------

    def _table(self, var: z3.ArithRef, per_date: Sequence[Sequence[Any]], truth: Any) -> Pair:
        """The pair for a test whose value on the ``j``-th value on date ``i`` is ``truth(i, value)``."""
        tables = [[truth(i, v) for v in values] for i, values in enumerate(per_date)]
        if all(t == tables[0] for t in tables):
            row = tables[0]
            return (
                _among(var, [j for j, k in enumerate(row) if k is True], len(row)),
                _among(var, [j for j, k in enumerate(row) if k is False], len(row)),
            )
        true: list[z3.BoolRef] = []
        false: list[z3.BoolRef] = []
        for i, row in enumerate(tables):
            true.extend(z3.And(self.on(i), var == j) for j, k in enumerate(row) if k is True)
            false.extend(z3.And(self.on(i), var == j) for j, k in enumerate(row) if k is False)
        return _any(true), _any(false)

    def _derived(self, test: Test) -> Pair:
        name = test.field.split(".", 1)[1]
        if test.field.startswith("covers."):
            var = z3.If(self.covers[name], 0, 1)
            values: tuple[Any, ...] = (True, False)
        elif test.field == "status.exception":
            var, values = self.exception, EXCEPTION_STATES
        else:
            var, values = self.status[name], STATUSES
        return self._table(var, [values] * len(self.dates), lambda i, v: test_value(test, nest({test.field: v}), self.dates[i]))

    def test(self, test: Test) -> Pair:
        spec = self.space.catalog.get(test.field)
        if spec is not None and spec.derived:
            return self._derived(test)
        if spec is not None and spec.kind == "object":
            # A group is known when one of its leaves is (the stand-ins of domains.Space).
            read = [leaf for leaf in spec.leaves if leaf in self.space._read]
            unread = [leaf for leaf in spec.leaves if leaf not in self.space._read]
            known = _any([self.known(leaf) for leaf in read + unread[:1]])
            if test.op != "is":  # pragma: no cover - the loader allows only is: on a group
                raise ValueError(f"cannot encode {test.op} on the group {test.field}")
            return (known, z3.Not(known)) if test.value == "known" else (z3.Not(known), known)
        var = self.var(test.field)
        return self._table(var, self.values(test.field), lambda i, v: test_value(test, nest({test.field: v}), self.dates[i]))

    def pair(self, cond: Condition) -> Pair:
        found = self._pairs.get(cond)
        if found is not None:
            return found
        if isinstance(cond, Test):
            out = self.test(cond)
        elif isinstance(cond, All | AnyOf):
            parts = [self.pair(c) for c in cond.items]
            trues, falses = [p[0] for p in parts], [p[1] for p in parts]
            out = (_all(trues), _any(falses)) if isinstance(cond, All) else (_any(trues), _all(falses))
        elif isinstance(cond, Not):
            true, false = self.pair(cond.item)
            out = (false, true)
        else:  # Always
            out = (TRUE, FALSE)
        self._pairs[cond] = out
        return out

    def in_force(self, rule: Rule) -> z3.BoolRef:
        return _any([self.on(i) for i, d in enumerate(self.dates) if rule.in_force(d)])

    def fires(self, rule: Rule) -> z3.BoolRef:
        """The rule is in force and its condition is certainly true."""
        return _all([self.in_force(rule), self.pair(rule.when)[0]])

    # -- stages -----------------------------------------------------------------------------

    def stage_outputs(self, stage: StageSpace, *, exactly_one: bool) -> list[z3.BoolRef]:
        """The derived fields a condition or exception stage sets, from the rules that fire.

        ``exactly_one`` False: the derived field is the effect of some rule that fires (a
        conflict gives either effect, as the enumeration joins every competing effect);
        True: every rule that fires agrees, as the engine requires to decide.
        """
        if stage.criterion is not None:
            var, effect = self.status[stage.criterion], {r: r.status for r in stage.rules}
            index = {s: i for i, s in enumerate(STATUSES)}
        else:
            var, effect = self.exception, {r: r.exception for r in stage.rules}
            index = {s: i for i, s in enumerate(EXCEPTION_STATES)}
        deciding = [r for r in stage.rules if effect[r] is not None]
        out = [_any([_all([self.fires(r), var == index[str(effect[r])]]) for r in deciding])]
        if exactly_one:
            out.extend(z3.Implies(self.fires(r), var == index[str(effect[r])]) for r in deciding)
        if stage.criterion is None:
            for name, flag in self.covers.items():
                out.append(flag == _any([self.fires(r) for r in stage.rules if r.covers == name]))
        return out

    def pipeline(self, *, exactly_one: bool) -> list[z3.BoolRef]:
        """Every stage before the outcome table, tied to the derived fields it reads."""
        out: list[z3.BoolRef] = []
        for stage in (*self.space.conditions, self.space.exception):
            out.extend(self.stage_outputs(stage, exactly_one=exactly_one))
        return out

    def decides(self, lines: Sequence[Rule]) -> list[z3.BoolRef]:
        """For each outcome line: it applies and no earlier line does."""
        out: list[z3.BoolRef] = []
        before: list[z3.BoolRef] = []
        for line in lines:
            fires = self.fires(line)
            out.append(_all([fires, *[z3.Not(b) for b in before]]))
            before.append(fires)
        return out

    # -- models ------------------------------------------------------------------------------

    def date_of(self, model: z3.ModelRef) -> int:
        return 0 if self.as_of is None else model.eval(self.as_of, model_completion=True).as_long()

    def index_of(self, model: z3.ModelRef, path: str) -> int:
        return int(model.eval(self.var(path), model_completion=True).as_long())

    def value_of(self, model: z3.ModelRef, path: str) -> Any:
        return self.values(path)[self.date_of(model)][self.index_of(model, path)]

    def derived_of(self, model: z3.ModelRef) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, var in self.status.items():
            out[f"status.{name}"] = STATUSES[model.eval(var, model_completion=True).as_long()]
        out["status.exception"] = EXCEPTION_STATES[model.eval(self.exception, model_completion=True).as_long()]
        for name, flag in self.covers.items():
            out[f"covers.{name}"] = z3.is_true(model.eval(flag, model_completion=True))
        return out

    def flat(self, model: z3.ModelRef, paths: Sequence[str]) -> dict[str, Any]:
        return {p: self.value_of(model, p) for p in paths}


def first_model(solver: z3.Solver, encoding: Encoding, order: Sequence[str], *, dated: bool) -> z3.ModelRef | None:
    """The model that comes first in the enumeration's order (the date, then each field in ``order``).

    Found field by field, smallest index first, so that witnesses do not depend on the
    solver's search and the same files give the same bytes.
    """
    if solver.check() != z3.sat:
        return None
    model = solver.model()
    solver.push()
    try:
        variables: list[z3.ArithRef] = []
        if dated and encoding.as_of is not None:
            variables.append(encoding.as_of)
        variables.extend(encoding.var(p) for p in order)
        for var in variables:
            best = model.eval(var, model_completion=True).as_long()
            for candidate in range(best):
                if solver.check(var == candidate) == z3.sat:
                    best, model = candidate, solver.model()
                    break
            solver.add(var == best)
        return model
    finally:
        solver.pop()


def count_models(solver: z3.Solver, terms: Sequence[z3.ExprRef], cap: int) -> int:
    """How many distinct values of ``terms`` the constraints allow, counting up to ``cap``."""
    solver.push()
    try:
        count = 0
        while count < cap and solver.check() == z3.sat:
            model = solver.model()
            count += 1
            solver.add(z3.Or(*[t != model.eval(t, model_completion=True) for t in terms]))
        return count
    finally:
        solver.pop()
