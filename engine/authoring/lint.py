"""``engage lint``: everything wrong with a set of rule and criteria files, found at once.

Two kinds of finding:

* every problem of the loader (:func:`engine.policy.loader.load_policy`), each under the loader's
  own stable code (``unknown-field``, ``unknown-source``, ``duplicate-rule-id``...);
* semantic checks on a policy that loads, over the finite domains the rules read
  (:mod:`engine.authoring.domains`), each asked of the z3 solver
  (:mod:`engine.authoring.lint_solved`): two status rules that can give one request two
  statuses, a request that gets no status or no outcome, a rule that can never fire or an
  outcome line that never decides, an exception that could set aside a condition that
  can never be waived, and gaps between the versions of a rule.  Each comes with one
  concrete request (a *witness*) that shows it, confirmed by the engine.

The check ids are listed in :data:`CHECKS` (:mod:`engine.authoring.findings`); they never
change meaning.  The exhaustive enumeration lint used before
(:mod:`engine.authoring.lint_enumerated`) gives the same verdicts on policies small enough
to enumerate; the tests compare the two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EngageError
from ..i18n.said import say
from ..policy.loader import load_policy
from ..policy.model import Policy
from .findings import CHECKS, ERROR, MANDATE, WARNING, Check, Finding, LintReport, Witness
from .lint_solved import lint_by_solver

if TYPE_CHECKING:
    from ..evaluation.evaluator import Engine

__all__ = ["CHECKS", "ERROR", "MANDATE", "WARNING", "Check", "Finding", "LintReport", "Witness", "lint", "lint_policy"]


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
    message = say("{path}: {message}", path=name, message=error.message) if shown else error.message
    return Finding(error.code, error.severity, loc, message)


def lint_policy(policy: Policy, engine: Engine | None = None) -> LintReport:
    """The semantic checks of a policy that loaded (``engine``: the policy compiled, to confirm witnesses)."""
    return lint_by_solver(policy, engine)


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
