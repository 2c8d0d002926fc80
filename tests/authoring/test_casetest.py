"""``engage test``: the policy authors' cases, a diff per failure, and rule coverage."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engine.authoring.casetest import case_files, run_cases
from engine.policy.documents import load_file

from ..helpers.authoring import copy_policy, run_command
from ..helpers.support import ROOT, shipped_engine

CASES = ROOT / "rules" / "tests"


def run(*argv: str) -> tuple[int, str, str]:
    return run_command("test", *argv)


def test_the_shipped_cases_pass_and_make_every_rule_fire() -> None:
    files, errors = case_files([CASES])
    assert errors == []
    assert [f.name for f in files] == [
        "country_engagement_strategy.yaml",
        "exception.yaml",
        "in_country_presence.yaml",
        "mandate_integrity.yaml",
        "outcome.yaml",
        "partnership.yaml",
    ]
    result = run_cases(shipped_engine(), files)
    assert result.ok, [r.diffs for r in result.failed]
    assert result.coverage.missed == ()
    assert result.coverage.covered == len({r.id for r in shipped_engine().policy.all_rules()}) == 42


def test_engage_test_defaults_to_the_cases_beside_the_rules() -> None:
    status, out, err = run()
    assert (status, err) == (0, "")
    assert out == "47 cases: 47 passed, 0 failed\nRule coverage: 42 of 42 rules fired (100%)\n"


def test_a_failing_case_shows_a_readable_diff_and_exits_1(tmp_path: Path) -> None:
    case = tmp_path / "cases.yaml"
    case.write_text(
        "as_of: 2026-11-24\n"
        "cases:\n"
        "  - name: funding only is declined\n"
        "    base: " + str(CASES / "requests" / "complete.yaml") + "\n"
        "    patch: {request: {funding_only: true}}\n"
        "    expect:\n"
        "      outcome: consider_in_strategy\n"
        "      criteria: {a: met, b: met}\n"
        "      priority_score: 60\n"
        "      rules: [outcome.decline, mandate.not_endorsed]\n"
        "  - name: this one passes\n"
        "    base: " + str(CASES / "requests" / "complete.yaml") + "\n"
        "    expect: {outcome: engage}\n",
        "utf-8",
    )
    status, out, _ = run(str(case))
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == f"FAIL {case}:3:5: funding only is declined"
    assert lines[1:5] == [
        "       outcome: expected consider_in_strategy, got decline",
        "       criteria.mandate_integrity: expected met, got unmet",
        "       priority_score: expected 60, got 0",
        "       rules: expected [outcome.decline, mandate.not_endorsed], got [outcome.decline, mandate.funding_only]"
        " (missing mandate.not_endorsed; not expected mandate.funding_only)",
    ]
    assert lines[5] == "2 cases: 1 passed, 1 failed"
    # Coverage: the rules these two cases did not make fire are listed with their place.
    assert lines[6].startswith("Rule coverage: ") and "of 42 rules fired" in lines[6]
    assert lines[7] == "Rules no case made fire:"
    assert any(line.startswith("  strategy.none  (") and "country_engagement_strategy.yaml:" in line for line in lines[8:])


def test_verbose_lists_passing_cases() -> None:
    status, out, _ = run(str(CASES / "partnership.yaml"), "-v")
    assert status == 0
    assert out.splitlines()[0].endswith("partnership.yaml:6:5: counterpart and civil society - met")
    assert out.splitlines()[0].startswith("ok   ")


def test_cases_run_against_other_rules(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/partnership.yaml",
        "    status: partial\n    reason:\n      en: A national counterpart",
        "    status: met\n    reason:\n      en: A national counterpart",
    )
    status, out, _ = run(str(CASES / "partnership.yaml"), "--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 1
    assert "       criteria.partnership: expected partial, got met" in out.splitlines()


def test_invalid_case_files_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - name: no expectation\n    request: {id: X, received: 2026-01-01}\n", "utf-8")
    status, out, err = run(str(bad))
    assert status == 2
    assert out.splitlines()[0] == "0 cases: 0 passed, 0 failed; 1 problem in case files"
    assert err == f"{bad}:2:5: missing-field: cases[0]: the required field 'cases[0].expect' is missing\n"
    status, _, err = run(str(tmp_path / "missing.yaml"))
    assert status == 2
    assert err == f"{tmp_path / 'missing.yaml'}: not-found: no such case file or directory\n"
    (tmp_path / "empty").mkdir()
    status, _, err = run(str(tmp_path / "empty"))
    assert (status, err.split(": ", 1)[1]) == (2, "no-cases: the directory holds no .yaml case file\n")


def test_a_rejected_request_is_a_failure_unless_expected(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text(
        "cases:\n"
        "  - name: bad theme\n"
        "    request: {id: X, received: 2026-01-01, request: {themes: [nothing]}}\n"
        "    expect: {outcome: engage}\n"
        "  - name: bad theme expected\n"
        "    request: {id: X, received: 2026-01-01, request: {themes: [nothing]}}\n"
        "    expect: {error: not-in-vocabulary}\n",
        "utf-8",
    )
    status, out, _ = run(str(case))
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == f"FAIL {case}:2:5: bad theme"
    assert lines[1].startswith("       the request was rejected: ") and "not-in-vocabulary" in lines[1]
    assert lines[2] == "2 cases: 1 passed, 1 failed"


def test_a_case_can_pin_reason_text_citations_condition_scores_uncovered_and_breakdown(tmp_path: Path) -> None:
    # What the mutation review could change without any case noticing: a reason's wording, a cited
    # paragraph, a condition's score, what the exception leaves uncovered, the score breakdown.
    base = str(ROOT / "examples" / "05-exception-applied.yaml")
    (doc,) = load_file(Path(base))
    right = shipped_engine().evaluate(doc.data, date(2026, 11, 24))
    expect = {
        "reasons": {"strategy.adopted_and_fits": right.condition("country_engagement_strategy").reasons[0].message},
        "citations": {"strategy.adopted_and_fits": ["E/CN.4/2006/104 para 19(b)", "E/CN.4/2006/104 para 18"]},
        "condition_scores": {"b": 1, "c": 0},
        "uncovered": list(right.exceptions[0].uncovered),
        "score_breakdown": {i.factor: i.points for i in right.score_breakdown},
    }
    case = tmp_path / "cases.yaml"
    good = {"as_of": "2026-11-24", "cases": [{"name": "pinned whole", "base": base, "expect": expect}]}
    case.write_text(json.dumps(good), "utf-8")
    assert run(str(case))[0] == 0
    wrong = {
        "reasons": {"strategy.adopted_and_fits": "Another sentence.", "no.such_rule": "x"},
        "citations": {"strategy.adopted_and_fits": ["E/CN.4/2006/104 para 19(c)", "E/CN.4/2006/104 para 18"]},
        "condition_scores": {"b": 0.5},
        "uncovered": ["mandate_integrity"],
        "score_breakdown": {**expect["score_breakdown"], "extra": 5},
    }
    bad = {"as_of": "2026-11-24", "cases": [{"name": "each one wrong", "base": base, "expect": wrong}]}
    case.write_text(json.dumps(bad), "utf-8")
    status, out, _ = run(str(case))
    assert status == 1
    diffs = [line.strip() for line in out.splitlines()[1:6]]
    assert [d.split(":")[0] for d in diffs] == [
        "reasons.strategy.adopted_and_fits",
        "reasons.no.such_rule",
        "citations.strategy.adopted_and_fits",
        "condition_scores.country_engagement_strategy",
        "uncovered",
    ]
    assert "expected Another sentence., got The request fits" in diffs[0]
    assert "19(c)" in diffs[2] and "19(b)" in diffs[2]
    assert out.splitlines()[6].strip().startswith("score_breakdown: expected")
