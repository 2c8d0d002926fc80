"""The semantic checks of ``engage lint``, asked of the z3 solver instead of enumerated.

The same checks, ids, messages and witnesses as the enumeration
(:mod:`engine.authoring.lint_enumerated`), over the same finite domains, but each is one
satisfiability question on the encoding of :mod:`engine.authoring.encoding`, whose size
grows with the rules and not with the product of the domains:

* a conflict: can two rules of one stage with different effects both fire?  Asked first for
  each pair of effects, and rule by rule only where that pair can meet;
* a gap: can no rule of a stage fire, or no outcome line apply?
* a rule that never fires, an outcome line that never decides: a sweep that asks for a
  model where one of the rules not seen yet fires, until none can;
* an exception applied while an unwaivable condition is not met.

Each witness is the first such request in the enumeration's order (found field by field),
so it does not depend on the solver's search, and it is then evaluated by the engine
(durable-rules, through :class:`engine.evaluation.evaluator.Engine`): a witness the engine
does not bear out is an internal error, never a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import z3

from ..errors import Location, RuleConflict
from ..evaluation.compiler import Stage
from ..evaluation.evaluator import Engine
from ..i18n.said import say
from ..policy.model import STATUSES, Policy, Rule
from .domains import Space, StageSpace, witness_request
from .encoding import SOLVER_LOCK, Encoding, count_models, first_model
from .findings import (
    Finding,
    LintReport,
    Witness,
    conflict_message,
    finding,
    mandate_flag_findings,
    more_words,
    never_decides_message,
    never_fires_message,
    outcome_gap_message,
    sorted_findings,
    stage_gap_message,
    translation_findings,
    unwaivable,
    version_findings,
    waived_message,
)
from .lint_letters import letter_findings

COUNT_CAP = 100  # combinations counted for a gap's "(and N more combinations)": each costs a query


def lint_by_solver(policy: Policy, engine: Engine | None = None) -> LintReport:
    """The semantic checks of a policy that loaded; ``engine`` (compiled from ``policy``) confirms the witnesses."""
    own = engine is None
    engine = engine or Engine(policy, cache_size=0)
    try:
        with SOLVER_LOCK:
            checker = _Checker(Space(policy), engine)
            checker.run()
    finally:
        if own:
            engine.close()
    return LintReport(sorted_findings(checker.findings), len(policy.all_rules()), queries=checker.queries)


def _first_is(line: Rule) -> Callable[[list[Rule]], bool]:
    return lambda fired: bool(fired) and fired[0] is line


def _more(count: int) -> str:
    if count >= COUNT_CAP:
        return say(" (and at least {shown} more combinations)", shown=f"{COUNT_CAP - 1:,}")
    return more_words(count - 1)


class _Checker:
    def __init__(self, space: Space, engine: Engine) -> None:
        self.space = space
        self.policy = space.policy
        self.engine = engine
        self.findings: list[Finding] = []
        self.queries = 0
        dates = space.as_of_dates
        self.undated = Encoding(space, dates[:1])
        self.dated = Encoding(space, dates) if len(dates) > 1 else self.undated
        self.order = {p: i for i, p in enumerate(space.catalog.fields)}

    def encoding(self, dated: bool) -> Encoding:
        return self.dated if dated else self.undated

    def solver(self, encoding: Encoding, *constraints: z3.BoolRef) -> z3.Solver:
        solver = z3.Solver()
        solver.add(*constraints)  # built first: building them creates the variables' domain constraints
        solver.add(*encoding.domain_constraints)
        return solver

    def sat(self, solver: z3.Solver, *assumptions: z3.BoolRef) -> bool:
        self.queries += 1
        return bool(solver.check(*assumptions) == z3.sat)

    def first(self, solver: z3.Solver, encoding: Encoding, fields: Sequence[str], dated: bool, *extra: z3.BoolRef) -> z3.ModelRef:
        solver.push()
        solver.add(*extra)
        try:
            self.queries += 1
            model = first_model(solver, encoding, fields, dated=dated)
        finally:
            solver.pop()
        assert model is not None, "asked for the first model of a satisfiable question"
        return model

    def count(self, solver: z3.Solver, terms: Sequence[z3.ExprRef], *extra: z3.BoolRef) -> int:
        solver.push()
        solver.add(*extra)
        try:
            found = count_models(solver, terms, COUNT_CAP)
            self.queries += found + 1  # one question per value found, and the last one (or the cap)
            return found
        finally:
            solver.pop()

    def add(self, check: str, location: Location, message: str, witness: Witness | None = None) -> None:
        self.findings.append(finding(check, location, message, witness))

    def run(self) -> None:
        self.findings.extend(version_findings(self.policy))
        self.findings.extend(translation_findings(self.policy))
        self.findings.extend(letter_findings(self.policy))
        self.findings.extend(mandate_flag_findings(self.policy))
        for stage in self.space.conditions:
            self.stage(stage, list(stage.rules))
        exc = self.space.exception
        self.stage(exc, [r for r in exc.rules if r.exception is not None])
        self.outcome()

    # -- one stage: conflicts, gaps, rules that never fire ------------------------------------

    def never(self, solver: z3.Solver, encoding: Encoding, rules: Sequence[Rule], holds: dict[Rule, z3.BoolRef]) -> list[Rule]:
        """The rules of ``rules`` for which ``holds`` is never true: each model found clears every rule it makes true."""
        unseen = list(rules)
        while unseen and self.sat(solver, z3.Or(*[holds[r] for r in unseen])):
            model = solver.model()
            unseen = [r for r in unseen if not z3.is_true(model.eval(holds[r], model_completion=True))]
        return unseen

    def stage(self, stage: StageSpace, deciding: list[Rule]) -> None:
        enc = self.encoding(stage.dated)
        fires = {r: enc.fires(r) for r in stage.rules}
        solver = self.solver(enc)
        effect = {r: r.status if stage.criterion else r.exception for r in deciding}
        position = {r: i for i, r in enumerate(stage.rules)}
        by_effect: dict[str, list[Rule]] = {}
        for rule in deciding:
            by_effect.setdefault(str(effect[rule]), []).append(rule)
        pairs: list[tuple[Rule, Rule]] = []
        effects = list(by_effect)
        for i, e1 in enumerate(effects):
            for e2 in effects[i + 1 :]:
                one, two = by_effect[e1], by_effect[e2]
                if not self.sat(solver, z3.Or(*[fires[r] for r in one]), z3.Or(*[fires[r] for r in two])):
                    continue
                for a in one:
                    if not self.sat(solver, fires[a], z3.Or(*[fires[r] for r in two])):
                        continue
                    pairs.extend((a, b) for b in two if self.sat(solver, fires[a], fires[b]))
        for pair in sorted(pairs, key=lambda p: sorted(position[r] for r in p)):
            a, b = sorted(pair, key=lambda r: position[r])
            witness = self.stage_witness(stage, enc, self.first(solver, enc, stage.fields, stage.dated, fires[a], fires[b]))
            both = {a, b}
            self.confirm_stage(stage, witness, both.issubset, "a conflict")
            self.add(
                "rule-conflict",
                b.location,
                conflict_message(b, a, stage.criterion, witness.describe()),
                witness,
            )
        gap = z3.And(*[z3.Not(fires[r]) for r in deciding]) if deciding else z3.BoolVal(True)
        if self.sat(solver, gap):
            witness = self.stage_witness(stage, enc, self.first(solver, enc, stage.fields, stage.dated, gap))
            self.confirm_stage(stage, witness, lambda fired: not any(r in effect for r in fired), "a gap")
            terms: list[z3.ExprRef] = [enc.var(f) for f in stage.fields]
            if stage.dated and enc.as_of is not None:
                terms.append(enc.as_of)
            count = self.count(solver, terms, gap)
            self.add(
                "rule-gap",
                stage.rules[0].location if stage.rules else Location(self.policy.rules_dir),
                stage_gap_message(stage.criterion, witness.describe(), _more(count)),
                witness,
            )
        for rule in self.never(solver, enc, stage.rules, fires):
            self.add("unreachable-rule", rule.location, never_fires_message(rule))

    def stage_witness(self, stage: StageSpace, enc: Encoding, model: z3.ModelRef) -> Witness:
        as_of = enc.dates[enc.date_of(model)]
        flat = enc.flat(model, stage.fields)
        shown = tuple((f, flat[f]) for f in stage.fields)
        if stage.dated:
            shown += (("as_of", as_of),)
        return Witness(witness_request(flat, as_of), as_of, shown)

    # -- confirmation by the engine --------------------------------------------------------------

    def compiled(self, stage: StageSpace) -> Stage:
        if stage.criterion is None:
            return self.engine.compiled.exception
        return dict(self.engine.compiled.conditions)[stage.criterion]

    def _disagree(self, what: str, witness: Witness) -> RuleConflict:
        return RuleConflict(
            "matcher-disagreement",
            f"the solver found {what} when {witness.describe()}, but durable-rules does not bear it out; please report this",
        )

    def confirm_stage(self, stage: StageSpace, witness: Witness, holds: Callable[[set[Rule]], bool], what: str) -> None:
        record = self.engine.check(dict(witness.request)).record
        fired = set(self.engine.fire(self.compiled(stage), record, witness.as_of))
        if not holds(fired):
            raise self._disagree(what, witness)

    def confirm_outcome(self, witness: Witness, derived: dict[str, Any], holds: Callable[[list[Rule]], bool], what: str) -> None:
        """The stages give ``derived`` for the witness, and the outcome lines that fire on it satisfy ``holds``."""
        engine, policy = self.engine, self.policy
        record = engine.check(dict(witness.request)).record
        for name, stage in engine.compiled.conditions:
            given = {r.status for r in engine.fire(stage, record, witness.as_of)}
            if derived[f"status.{name}"] not in given:
                raise self._disagree(what, witness)
        fired = engine.fire(engine.compiled.exception, record, witness.as_of)
        covered = {r.covers for r in fired if r.covers is not None}
        if derived["status.exception"] not in {r.exception for r in fired} or any(
            derived[f"covers.{n}"] != (n in covered) for n in policy.criterion_names
        ):
            raise self._disagree(what, witness)
        overlay = dict(record)
        statuses = {n: derived[f"status.{n}"] for n in policy.criterion_names}
        overlay["status"] = {**statuses, "exception": derived["status.exception"]}
        overlay["covers"] = {n: derived[f"covers.{n}"] for n in policy.criterion_names}
        if not holds(list(engine.fire(engine.compiled.outcome, overlay, witness.as_of))):
            raise self._disagree(what, witness)

    # -- the outcome table ----------------------------------------------------------------------------

    def outcome(self) -> None:
        space, lines = self.space, self.space.outcome.rules
        if not lines:
            return
        dated = any(st.dated for st in (*space.conditions, space.exception, space.outcome))
        enc = self.encoding(dated)
        pipeline = enc.pipeline(exactly_one=False)
        decides = enc.decides(lines)
        fires = [enc.fires(line) for line in lines]
        solver = self.solver(enc, *pipeline)
        if not self.sat(solver):
            return  # every combination already failed in an earlier stage, reported there
        fields = sorted(enc.fields(), key=lambda p: (self.order.get(p, len(self.order)), p))
        gap = z3.And(*[z3.Not(f) for f in fires])
        if self.sat(solver, gap):
            model = self.first(solver, enc, fields, dated, gap)
            witness, derived = self.outcome_witness(enc, model, fields)
            self.confirm_outcome(witness, derived, lambda fired: not fired, "a gap in the outcome table")
            count = self.count(solver, self.outcome_terms(enc), gap)
            self.add(
                "rule-gap",
                lines[-1].location,
                outcome_gap_message(witness.describe(), _more(count)),
                witness,
            )
        never = unwaivable(self.policy)
        met = STATUSES.index("met")
        for i, line in enumerate(lines):
            if line.exception_decision != "applied":
                continue
            for name in never:
                if f"status.{name}" not in space.outcome.fields:
                    continue
                waived = z3.And(decides[i], enc.status[name] != met)
                if not self.sat(solver, waived):
                    continue
                model = self.first(solver, enc, fields, dated, waived)
                witness, derived = self.outcome_witness(enc, model, fields)
                self.confirm_outcome(witness, derived, _first_is(line), "an exception applied")
                self.add(
                    "mandate-waivable",
                    line.location,
                    waived_message(line, name, derived[f"status.{name}"]),
                    witness,
                )
        index = {line: i for i, line in enumerate(lines)}
        for line in self.never(solver, enc, lines, dict(zip(lines, decides, strict=True))):
            i = index[line]
            takers = [j for j in range(i) if self.sat(solver, fires[i], decides[j])]
            self.add("unreachable-rule", line.location, never_decides_message(line, [lines[j].id for j in takers]))

    def outcome_terms(self, enc: Encoding) -> list[z3.ExprRef]:
        """What the outcome table reads: the combinations a gap's count counts."""
        terms: list[z3.ExprRef] = []
        for f in self.space.outcome.fields:
            name = f.split(".", 1)[1] if "." in f else f
            if f == "status.exception":
                terms.append(enc.exception)
            elif f.startswith("status.") and name in enc.status:
                terms.append(enc.status[name])
            elif f.startswith("covers.") and name in enc.covers:
                terms.append(enc.covers[name])
            else:
                terms.append(enc.var(f))
        if self.space.outcome.dated and enc.as_of is not None:
            terms.append(enc.as_of)
        return terms

    def outcome_witness(self, enc: Encoding, model: z3.ModelRef, fields: Sequence[str]) -> tuple[Witness, dict[str, Any]]:
        as_of: date = enc.dates[enc.date_of(model)]
        flat = enc.flat(model, fields)
        derived = enc.derived_of(model)
        shown: list[tuple[str, Any]] = []
        for f in self.space.outcome.fields:
            value = derived[f] if f in derived else flat.get(f)
            if f.startswith("covers.") and not value:
                continue
            shown.append((f, value))
        if self.space.outcome.dated:
            shown.append(("as_of", as_of))
        return Witness(witness_request(flat, as_of), as_of, tuple(shown)), derived
