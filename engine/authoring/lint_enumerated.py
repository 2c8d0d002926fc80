"""The semantic checks of ``engage lint`` by exhaustive enumeration: the method lint used first.

Every point of each stage's finite domains (:mod:`engine.authoring.domains`) is evaluated, and
the outcome table over every combination the earlier stages can produce.  Its cost is the
product of the domains, so lint no longer runs it (:mod:`engine.authoring.lint_solved` asks a
solver instead); it stays as the reference the solver's verdicts are compared with on
policies small enough to enumerate, and as the "before" of ``engage bench --authoring``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..errors import Location
from ..policy.model import Policy, Rule
from .domains import AS_OF_COLUMN, Relation, RuleTable, Sources, Space, StageSpace, witness_request
from .findings import (
    CHECKS,
    Finding,
    LintReport,
    Witness,
    conflict_message,
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


def lint_by_enumeration(policy: Policy) -> LintReport:
    """The semantic checks of a policy that loaded, by enumeration."""
    checker = _Checker(Space(policy))
    checker.run()
    return LintReport(sorted_findings(checker.findings), len(policy.all_rules()), checker.points)


class _Checker:
    def __init__(self, space: Space) -> None:
        self.space = space
        self.policy = space.policy
        self.findings: list[Finding] = []
        self.points = 0

    def add(self, check: str, location: Location, message: str, witness: Witness | None = None) -> None:
        self.findings.append(Finding(check, CHECKS[check].severity, location, message, witness))

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

    def unwaivable(self) -> list[str]:
        return unwaivable(self.policy)

    # -- one stage: conflicts, gaps, rules that never fire ----------------------

    def stage(self, stage: StageSpace, deciding: list[Rule]) -> None:
        """Enumerate ``stage``; ``deciding`` are the rules that must give exactly one effect."""
        effect = {id(r): r.status if stage.criterion else r.exception for r in deciding}
        never_fired = {id(r): r for r in stage.rules}
        conflicts: dict[tuple[int, int], Witness] = {}
        gap: Witness | None = None
        gaps = 0
        for fired in self.space.fired(stage):
            self.points += 1
            for rule in fired.rules:
                never_fired.pop(id(rule), None)
            decided = [r for r in fired.rules if id(r) in effect]
            if not decided:
                gaps += 1
                if gap is None:
                    gap = self._witness(stage, fired.point.flat(stage.fields), fired.point.as_of)
                continue
            for i, a in enumerate(decided):
                for b in decided[i + 1 :]:
                    if effect[id(a)] != effect[id(b)] and (id(a), id(b)) not in conflicts:
                        conflicts[(id(a), id(b))] = self._witness(stage, fired.point.flat(stage.fields), fired.point.as_of)
        rules = {id(r): r for r in stage.rules}
        for (ia, ib), witness in conflicts.items():
            a, b = rules[ia], rules[ib]
            self.add(
                "rule-conflict",
                b.location,
                conflict_message(b, a, stage.criterion, witness.describe()),
                witness,
            )
        if gap is not None:
            more = more_words(gaps - 1)
            self.add(
                "rule-gap",
                stage.rules[0].location if stage.rules else Location(self.policy.rules_dir),
                stage_gap_message(stage.criterion, gap.describe(), more),
                gap,
            )
        for rule in never_fired.values():
            self.add("unreachable-rule", rule.location, never_fires_message(rule))

    def _witness(self, stage: StageSpace, flat: Mapping[str, Any], as_of: date) -> Witness:
        shown = tuple((f, flat[f]) for f in stage.fields)
        if stage.dated:
            shown += (("as_of", as_of),)
        return Witness(witness_request(flat, as_of), as_of, shown)

    # -- the outcome table ---------------------------------------------------------

    def outcome(self) -> None:
        space, lines = self.space, self.space.outcome.rules
        if not lines:
            return
        relation, sources = space.outcome_rows()
        if not relation.rows:
            return  # every combination already failed in an earlier stage, reported there
        table = RuleTable(space, lines, relation.columns)
        dated = AS_OF_COLUMN in relation.columns
        date_at = relation.columns.index(AS_OF_COLUMN) if dated else -1
        reference = space.as_of_dates[0]
        first_count = [0] * len(lines)
        gap_row: tuple[Any, ...] | None = None
        gaps = 0
        never = self.unwaivable()
        status_at = {n: relation.columns.index(f"status.{n}") for n in never if f"status.{n}" in relation.columns}
        waived: dict[tuple[int, str], tuple[Any, ...]] = {}
        for row in relation.rows:
            self.points += 1
            as_of = row[date_at] if dated else reference
            for i in range(len(lines)):
                if table.true(i, row, as_of):
                    first_count[i] += 1
                    if lines[i].exception_decision == "applied":
                        for name, at in status_at.items():
                            if row[at] != "met":
                                waived.setdefault((i, name), row)
                    break
            else:
                gaps += 1
                gap_row = gap_row or row
        if gap_row is not None:
            witness = self._row_witness(relation, sources, gap_row)
            more = more_words(gaps - 1)
            self.add(
                "rule-gap",
                lines[-1].location,
                outcome_gap_message(witness.describe(), more),
                witness,
            )
        for (i, name), row in waived.items():
            witness = self._row_witness(relation, sources, row)
            status = row[status_at[name]]
            self.add(
                "mandate-waivable",
                lines[i].location,
                waived_message(lines[i], name, status),
                witness,
            )
        for i, line in enumerate(lines):
            if first_count[i]:
                continue
            takers: set[int] = set()
            for row in relation.rows:
                as_of = row[date_at] if dated else reference
                if table.true(i, row, as_of):
                    takers.add(next(j for j in range(i) if table.true(j, row, as_of)))
            self.add("unreachable-rule", line.location, never_decides_message(line, [lines[j].id for j in sorted(takers)]))

    def _row_witness(self, relation: Relation, sources: Sources, row: tuple[Any, ...]) -> Witness:
        flat, as_of = self.space.witness(sources, relation.rows[row])
        shown = tuple(
            (c, row[i])
            for i, c in enumerate(relation.columns)
            if c != AS_OF_COLUMN and not (c.startswith("covers.") and not row[i])
        )
        if AS_OF_COLUMN in relation.columns:
            shown += (("as_of", as_of),)
        return Witness(witness_request(flat, as_of), as_of, shown)
