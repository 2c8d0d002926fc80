"""``engage lint``: everything wrong with a set of rule and criteria files, found at once.

Two kinds of finding:

* every problem of the loader (:func:`engine.policy.loader.load_policy`), each under the loader's
  own stable code (``unknown-field``, ``unknown-source``, ``duplicate-rule-id``...);
* semantic checks on a policy that loads, by exhaustive enumeration of the finite domains
  the rules read (:mod:`engine.authoring.domains`): two status rules that can give one request two
  statuses, a request that gets no status or no outcome, a rule that can never fire or an
  outcome line that never decides, an exception that could set aside a condition that
  can never be waived, and gaps between the versions of a rule.  Each comes with one
  concrete request (a *witness*) that shows it.

The check ids of this module are listed in :data:`CHECKS`; they never change meaning.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..errors import EngageError, Location
from ..policy.loader import load_policy
from ..policy.model import Policy, Rule
from .domains import AS_OF_COLUMN, Relation, RuleTable, Sources, Space, StageSpace, witness_request

ERROR, WARNING = "error", "warning"
MANDATE = "mandate_integrity"


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    summary: str


CHECKS: Mapping[str, Check] = {
    c.id: c
    for c in (
        Check("rule-conflict", ERROR, "two status rules of one condition (or two exception rules) fire with different effects"),
        Check("rule-gap", ERROR, "a request for which a condition or the exception gets no status, or no outcome line applies"),
        Check("unreachable-rule", ERROR, "a rule that never fires, or an outcome line that earlier lines always take first"),
        Check(
            "mandate-waivable",
            ERROR,
            "an exception that could set aside the integrity of the mandate or another unwaivable condition",
        ),
        Check("version-gap", WARNING, "days between two versions of one rule on which neither is in force"),
    )
}


@dataclass(frozen=True)
class Witness:
    """A request that shows a finding, and the evaluation date it needs."""

    request: Mapping[str, Any]
    as_of: date
    fields: tuple[tuple[str, Any], ...]  # the values that matter (None: unknown)

    def describe(self) -> str:
        return ", ".join(f"{path} {_value_words(value)}" for path, value in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": dict(self.request),
            "as_of": self.as_of.isoformat(),
            "fields": {path: _jsonable(value) for path, value in self.fields},
        }


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # error or warning
    location: Location
    message: str
    witness: Witness | None = None

    def line(self) -> str:
        return f"{self.location.prefix()}: {self.severity}: {self.message} [{self.check}]"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.col or 0, self.check, self.message)

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        out: dict[str, Any] = {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file,
            "line": loc.line,
            "col": loc.col,
        }
        if self.witness is not None:
            out["witness"] = self.witness.to_dict()
        return out


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    rules: int = 0  # rules checked (0 when the files did not load)
    points: int = 0  # points enumerated

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def summary(self) -> str:
        if not self.findings:
            return f"no problems: {self.rules} rules checked over {self.points:,} enumerated cases"
        words = [f"{self.errors} error{'s' if self.errors != 1 else ''}"]
        if self.warnings:
            words.append(f"{self.warnings} warning{'s' if self.warnings != 1 else ''}")
        checked = f" ({self.rules} rules checked over {self.points:,} enumerated cases)" if self.rules else ""
        return ", ".join(words) + checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "errors": self.errors,
            "warnings": self.warnings,
            "rules_checked": self.rules,
            "points_enumerated": self.points,
        }


def _more(count: int) -> str:
    if count <= 0:
        return ""
    return f" (and {count:,} more combination{'s' if count > 1 else ''})"


def _value_words(value: Any) -> str:
    if value is None:
        return "is unknown"
    return f"= {_shown(value)}"


def _shown(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- entry points ---------------------------------------------------------------


def lint(rules_dir: Path | str, criteria_dir: Path | str) -> LintReport:
    """Every finding for the rule and criteria files, best first (errors in file order, then warnings)."""
    try:
        policy = load_policy(rules_dir, criteria_dir)
    except EngageError as exc:
        errors: Sequence[EngageError] = getattr(exc, "errors", [exc])
        return LintReport(tuple(_loader_finding(e) for e in errors))
    return lint_policy(policy)


def _loader_finding(error: EngageError) -> Finding:
    loc = error.location
    name = loc.shown_path
    shown = name and not error.message.startswith(f"{name}:")
    message = f"{name}: {error.message}" if shown else error.message
    return Finding(error.code, error.severity, loc, message)


def lint_policy(policy: Policy) -> LintReport:
    """The semantic checks of a policy that loaded."""
    space = Space(policy)
    checker = _Checker(space)
    checker.run()
    findings = sorted(checker.findings, key=lambda f: (f.severity != ERROR, *f.sort_key()))
    return LintReport(tuple(findings), len(policy.all_rules()), checker.points)


class _Checker:
    def __init__(self, space: Space) -> None:
        self.space = space
        self.policy = space.policy
        self.findings: list[Finding] = []
        self.points = 0

    def add(self, check: str, location: Location, message: str, witness: Witness | None = None) -> None:
        self.findings.append(Finding(check, CHECKS[check].severity, location, message, witness))

    def run(self) -> None:
        self.versions()
        self.mandate_flags()
        for stage in self.space.conditions:
            self.stage(stage, list(stage.rules))
        exc = self.space.exception
        self.stage(exc, [r for r in exc.rules if r.exception is not None])
        self.outcome()

    # -- effective dates ------------------------------------------------------

    def versions(self) -> None:
        by_id: dict[str, list[Rule]] = {}
        for rule in self.policy.all_rules():
            by_id.setdefault(rule.id, []).append(rule)
        for rule_id, versions in by_id.items():
            ordered = sorted(versions, key=lambda r: r.effective_from or date.min)
            for before, after in itertools.pairwise(ordered):
                if before.effective_until is None or after.effective_from is None:
                    continue
                first_gap = before.effective_until + timedelta(days=1)
                if after.effective_from > first_gap:
                    last_gap = after.effective_from - timedelta(days=1)
                    span = first_gap.isoformat() if first_gap == last_gap else f"{first_gap} to {last_gap}"
                    self.add(
                        "version-gap",
                        after.location,
                        f"no version of '{rule_id}' is in force from {span}: the version at {before.location.prefix()}"
                        f" ends on {before.effective_until}, this one starts on {after.effective_from}",
                    )

    # -- conditions that can never be waived ------------------------------------

    def unwaivable(self) -> list[str]:
        names = [c.name for c in self.policy.criteria if not c.waivable]
        if MANDATE in self.policy.criterion_names and MANDATE not in names:
            names.insert(0, MANDATE)
        return names

    def mandate_flags(self) -> None:
        for crit in self.policy.criteria:
            if crit.name == MANDATE and crit.waivable:
                self.add(
                    "mandate-waivable",
                    crit.location,
                    f"'{MANDATE}' says waivable: true, but the integrity of the mandate can never be waived by an"
                    " exception (policy section 2a; E/CN.4/2006/104 para 19(a))",
                )
        for rule in self.policy.exception_rules:
            # Covering any other unwaivable condition is a loader error (waiver-not-allowed).
            if rule.covers == MANDATE:
                self.add(
                    "mandate-waivable",
                    rule.location,
                    f"'{rule.id}' lets an exception cover '{rule.covers}', which can never be waived",
                )

    # -- one stage: conflicts, gaps, rules that never fire ----------------------

    def stage(self, stage: StageSpace, deciding: list[Rule]) -> None:
        """Enumerate ``stage``; ``deciding`` are the rules that must give exactly one effect."""
        what = f"'{stage.criterion}'" if stage.criterion else "the exception"
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
                f"'{b.id}' ({b.effect}) and '{a.id}' ({a.effect}) both fire when {witness.describe()};"
                f" {what} can have only one {'status' if stage.criterion else 'state'}",
                witness,
            )
        if gap is not None:
            more = _more(gaps - 1)
            self.add(
                "rule-gap",
                stage.rules[0].location if stage.rules else Location(self.policy.rules_dir),
                f"no rule gives {what} a {'status' if stage.criterion else 'state'} when {gap.describe()}{more}",
                gap,
            )
        for rule in never_fired.values():
            dated = " on any day it is in force" if rule.effective_from or rule.effective_until else ""
            self.add(
                "unreachable-rule",
                rule.location,
                f"'{rule.id}' can never fire: no request makes its condition certainly true{dated}",
            )

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
            more = _more(gaps - 1)
            self.add(
                "rule-gap",
                lines[-1].location,
                f"no line of the outcome table applies when {witness.describe()}{more}",
                witness,
            )
        for (i, name), row in waived.items():
            witness = self._row_witness(relation, sources, row)
            status = row[status_at[name]]
            self.add(
                "mandate-waivable",
                lines[i].location,
                f"'{lines[i].id}' applies an exception while '{name}' is {status}: the exception would set aside a"
                " condition that can never be waived",
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
            if takers:
                earlier = ", ".join(lines[j].id for j in sorted(takers))
                message = f"'{line.id}' never decides: every request it applies to is taken first by an earlier line ({earlier})"
            else:
                message = f"'{line.id}' can never apply: no request the earlier stages can produce makes its condition true"
            self.add("unreachable-rule", line.location, message)

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


# -- output -----------------------------------------------------------------------------


def render_text(report: LintReport) -> str:
    lines: list[str] = []
    for finding in report.findings:
        lines.append(finding.line())
        if finding.witness is not None:
            w = finding.witness
            request = json.dumps(w.request, sort_keys=False, ensure_ascii=False, separators=(", ", ": "))
            lines.append(f"    for example, as of {w.as_of.isoformat()}: {request}")
    lines.append(report.summary())
    return "\n".join(lines)


def render_json(report: LintReport) -> str:
    from ..evaluation.decision import canonical_json

    return canonical_json(report.to_dict())


def check_ids(findings: Iterable[Finding]) -> set[str]:
    return {f.check for f in findings}
