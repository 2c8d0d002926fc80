"""Every verb reads the policy checkout it runs in (else the shipped copy) and says which it read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.policy.loader import load_policy

from ..helpers.authoring import PolicyCopy, copy_policy
from ..helpers.clirun import engage
from ..helpers.support import ROOT

EXAMPLE = str(ROOT / "examples" / "01-engage-nhri-programme.yaml")
AS_OF = ("--as-of", "2026-11-24")


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PolicyCopy:
    """A copy of the shipped policy with the weight of a met condition raised, as the working directory."""
    policy = copy_policy(tmp_path / "co").replace("criteria/priority.yaml", "    met: 20", "    met: 30")
    monkeypatch.delenv("ENGAGE_POLICY", raising=False)
    monkeypatch.chdir(policy.root)
    return policy


def _score(*extra: str) -> float:
    run = engage("evaluate", EXAMPLE, *AS_OF, "--format", "json", *extra)
    assert run.status == 0, run.stderr
    score: float = json.loads(run.stdout)["priority_score"]
    return score


def test_inside_a_checkout_its_files_are_read_and_the_line_says_so(checkout: PolicyCopy) -> None:
    edited = load_policy(checkout.rules, checkout.criteria).hash
    shipped = load_policy(ROOT / "rules", ROOT / "criteria").hash
    assert edited != shipped
    run = engage("evaluate", EXAMPLE, *AS_OF)
    assert run.status == 0
    assert run.policy == f"engage: policy {checkout.root} (checkout), ruleset {edited[:19]}"
    assert _score() == _score("--rules", str(checkout.rules), "--criteria", str(checkout.criteria))
    assert _score() != _score("--criteria", str(ROOT / "criteria"))  # the shipped weights give another score


def test_from_a_subfolder_the_checkout_above_is_read(checkout: PolicyCopy, monkeypatch: pytest.MonkeyPatch) -> None:
    below = checkout.root / "requests"
    below.mkdir()
    monkeypatch.chdir(below)
    assert f"{checkout.root} (checkout)" in engage("lint").policy


def test_elsewhere_the_shipped_copy_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGE_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)
    run = engage("evaluate", EXAMPLE, *AS_OF)
    assert run.status == 0 and "(shipped), ruleset sha256:" in run.policy


def test_engage_policy_and_the_options_win_over_the_checkout(
    checkout: PolicyCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_checkout = _score()
    monkeypatch.setenv("ENGAGE_POLICY", str(ROOT))
    run = engage("lint")
    assert f"{ROOT} (ENGAGE_POLICY)" in run.policy
    assert _score() != in_checkout
    assert _score("--criteria", str(checkout.criteria)) == in_checkout
    monkeypatch.setenv("ENGAGE_POLICY", str(tmp_path / "nowhere"))
    missing = engage("lint")
    assert missing.status == 2  # a user error, named: not a silent fall-back to another policy
    assert "nowhere/criteria: error: the criteria directory does not exist [not-a-directory]" in missing.stdout


def test_json_reports_carry_the_ruleset_and_where_it_came_from(checkout: PolicyCopy, tmp_path: Path) -> None:
    expected = {
        "hash": load_policy(checkout.rules, checkout.criteria).hash,
        "source": "checkout",
        "directory": str(checkout.root),
        "rules": str(checkout.rules),
        "criteria": str(checkout.criteria),
    }
    lint = json.loads(engage("lint", "--format", "json").stdout)["ruleset"]
    request = tmp_path / "one.yaml"
    request.write_text(Path(EXAMPLE).read_text("utf-8"), "utf-8")
    explain = json.loads(engage("explain", str(request), *AS_OF, "--format", "json").stdout)["ruleset"]
    impact = json.loads(engage("impact", "--base", str(ROOT), EXAMPLE, *AS_OF, "--format", "json").stdout)["ruleset"]
    for found in (lint, explain, impact):
        assert {k: found[k] for k in expected} == expected
        assert found["engine_version"]


def test_a_decision_is_the_same_bytes_wherever_its_rules_were_read_from(checkout: PolicyCopy) -> None:
    """Where the files were is on standard error; the decision depends only on request, rules and date."""
    found = engage("evaluate", EXAMPLE, *AS_OF, "--format", "json")
    named = engage("evaluate", EXAMPLE, *AS_OF, "--format", "json", "--rules", "rules", "--criteria", "criteria")
    assert found.stdout == named.stdout and json.loads(found.stdout)["ruleset"].keys() == {"hash", "engine_version"}
    assert found.policy != named.policy


def test_quiet_evaluation_prints_no_policy_line(checkout: PolicyCopy) -> None:
    run = engage("evaluate", EXAMPLE, *AS_OF, "--quiet")
    assert (run.status, run.policy, run.stderr) == (0, "", "")


def test_schema_and_test_follow_the_checkout_too(checkout: PolicyCopy) -> None:
    checkout.replace("criteria/vocabularies.yaml", "themes:\n", "themes:\n  water: {label: The right to water}\n")
    run = engage("schema", "request")
    themes = json.loads(run.stdout)["properties"]["request"]["properties"]["themes"]["items"]["enum"]
    assert "water" in themes and "(checkout)" in run.policy
    shutil.copytree(ROOT / "rules" / "tests", checkout.root / "rules" / "tests")  # the cases beside the rules
    tested = engage("test")
    assert tested.status == 1 and "priority_score" in tested.stdout  # the cases pin the shipped weights
    assert "(checkout)" in tested.policy
    assert engage("test", "--criteria", str(ROOT / "criteria")).status == 0
