"""Lint by the solver: the enumeration's verdicts on small policies, and planted faults found in grown ones."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from engine.authoring.domains import Space
from engine.authoring.findings import Finding, LintReport, Witness
from engine.authoring.lint_enumerated import lint_by_enumeration
from engine.authoring.lint_solved import COUNT_CAP, _Checker, lint_by_solver
from engine.bench.grown import grow
from engine.errors import RuleConflict
from engine.evaluation.evaluator import Engine
from engine.policy.loader import load_policy
from engine.policy.model import Policy

from ..helpers.authoring import PolicyCopy, base_request, copy_policy
from ..helpers.lint_fixtures import OWN, Fixture
from ..helpers.support import ROOT

STAGE_CHECKED = ("rule-conflict", "rule-gap", "unreachable-rule", "mandate-waivable", "version-gap")


def _from_stage(f: Finding) -> bool:
    """A finding about a condition or the exception (not the outcome table): its witness is a stage point."""
    return f.witness is None or not any(path.startswith("status.") for path, _ in f.witness.fields)


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.check, f.location.prefix(), f.message if _from_stage(f) else "")


def _agree(policy: Policy) -> tuple[LintReport, LintReport]:
    solved, enumerated = lint_by_solver(policy), lint_by_enumeration(policy)
    assert [_key(f) for f in solved.findings] == [_key(f) for f in enumerated.findings]
    for mine, theirs in zip(solved.findings, enumerated.findings, strict=True):
        if _from_stage(mine):  # the first point in the enumeration's order: the very same request
            assert mine.witness == theirs.witness
        else:  # the outcome table: another request may show it, with the same count of the rest
            assert (mine.witness is None) == (theirs.witness is None)
            assert _rest(mine) == _rest(theirs) or (_rest(mine) == COUNT_CAP - 1 and _rest(theirs) >= COUNT_CAP - 1)
    return solved, enumerated


def _rest(f: Finding) -> int:
    """The combinations a gap's message counts besides its witness ("at least" ones as their lower bound)."""
    found = re.search(r"\(and (?:at least )?([\d,]+) more combination", f.message)
    return int(found.group(1).replace(",", "")) if found else 0


def _copy(tmp_path: Path, fixture: Fixture) -> Policy:
    policy = copy_policy(tmp_path / "policy")
    fixture.bad(policy)
    return load_policy(policy.rules, policy.criteria)


def test_the_solver_agrees_with_the_enumeration_on_the_shipped_policy() -> None:
    solved, _ = _agree(load_policy(ROOT / "rules", ROOT / "criteria"))
    assert solved.findings == ()


@pytest.mark.parametrize("fixture", OWN, ids=lambda f: f.id)
def test_the_solver_agrees_with_the_enumeration_on_every_planted_fault(fixture: Fixture, tmp_path: Path) -> None:
    solved, _ = _agree(_copy(tmp_path, fixture))
    assert fixture.check in {f.check for f in solved.findings}


def test_the_solver_agrees_on_dated_rules(tmp_path: Path) -> None:
    """Effective dates and a fixed-date comparison: the evaluation date is one more variable."""
    policy = copy_policy(tmp_path / "p")
    policy.replace("rules/partnership.yaml", "    status: unmet\n", "    status: unmet\n    effective_until: 2026-12-31\n")
    policy.write(
        "rules/partnership_2027.yaml",
        "stage: condition\ncriterion: partnership\nrules:\n  - id: partnership.none\n"
        "    when:\n      all:\n        - {field: partnership.government_counterpart, equals: false}\n"
        "        - {field: partnership.civil_society_involved, equals: false}\n"
        "        - {field: received, ge: 2026-07-01}\n"
        "    status: unmet\n    effective_from: 2027-01-01\n    reason: Neither.\n"
        "    cite:\n      - {source: E/CN.4/2006/104, para: 19(d)}\n",
    )
    solved, _ = _agree(load_policy(policy.rules, policy.criteria))
    (gap,) = [f for f in solved.findings if f.check == "rule-gap"]
    assert gap.witness is not None and gap.witness.as_of >= date(2027, 1, 1)  # received before July: no status


# -- grown policies ------------------------------------------------------------------------------


@cache
def _grown(factor: int, root: Path) -> tuple[Path, Path]:
    return grow(root / f"grown{factor}", factor)


@pytest.fixture(scope="module")
def grown_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("grown")


def _field_tests(rules: Path) -> int:
    return sum(1 for line in (rules / "outcome.yaml").read_text("utf-8").splitlines() if "{field:" in line)


@pytest.mark.parametrize("factor", [2, 10])
def test_grown_policies_lint_clean(factor: int, grown_root: Path) -> None:
    rules, criteria = _grown(factor, grown_root)
    policy = load_policy(rules, criteria)
    assert len(policy.all_rules()) == 42 * factor
    assert _field_tests(rules) - _field_tests(ROOT / "rules") == 4 * round(10 * (factor - 1) / 9)
    report = lint_by_solver(policy)
    assert report.findings == (), [f.line() for f in report.findings]
    assert report.queries > 0


def _planted(fixture: Fixture, grown_root: Path, tmp_path: Path) -> tuple[Policy, LintReport]:
    import shutil

    rules, _ = _grown(10, grown_root)
    shutil.copytree(rules.parent, tmp_path / "p")
    copy = PolicyCopy(tmp_path / "p")
    fixture.bad(copy)
    policy = load_policy(copy.rules, copy.criteria)
    return policy, lint_by_solver(policy)


PLANTED = [
    f
    for f in OWN
    if f.name
    in (
        "two statuses for an adopted strategy",
        "partnership with civil society unknown",
        "the last line of the outcome table made conditional",
        "an outcome line the earlier lines always take",
        "the outcome table lets an exception through a declined mandate",
    )
]


@pytest.mark.parametrize("fixture", PLANTED, ids=lambda f: f.id)
def test_planted_faults_are_found_in_the_largest_grown_policy(fixture: Fixture, grown_root: Path, tmp_path: Path) -> None:
    policy, report = _planted(fixture, grown_root, tmp_path)
    found = [f for f in report.findings if f.check == fixture.check]
    assert found, [f.line() for f in report.findings]
    engine = Engine(policy, cache_size=0)
    for finding in found:
        if finding.witness is None:
            continue
        checked = engine.check(dict(finding.witness.request))
        if finding.check in ("rule-gap", "rule-conflict"):
            with pytest.raises(RuleConflict) as caught:
                engine.decide(checked, finding.witness.as_of)
            assert caught.value.code in ("rule-gap", "rule-conflict")
        else:
            decision = engine.decide(checked, finding.witness.as_of)
            assert decision.exceptions[0].decision == "applied"
            assert decision.condition("mandate_integrity").status != "met"


def test_a_witness_the_engine_does_not_bear_out_is_an_internal_error() -> None:
    """The guard that keeps a solver mistake from becoming a finding, handed a request that shows no gap."""
    policy = load_policy(ROOT / "rules", ROOT / "criteria")
    engine = Engine(policy, cache_size=0)
    checker = _Checker(Space(policy), engine)
    stage = checker.space.conditions[-1]  # partnership
    request = base_request()
    witness = Witness(request, date(2026, 11, 24), (("partnership.government_counterpart", True),))
    deciding = set(stage.rules)
    checker.confirm_stage(stage, witness, lambda fired: bool(fired & deciding), "a status")  # borne out: no error
    with pytest.raises(RuleConflict) as caught:
        checker.confirm_stage(stage, witness, lambda fired: not (fired & deciding), "a gap")
    assert caught.value.code == "matcher-disagreement"
    assert "the solver found a gap when partnership.government_counterpart = true" in caught.value.message
