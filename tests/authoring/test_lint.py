"""``engage lint``: every check id fails on its fixture and passes on its counterpart; witnesses are real."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from engine.authoring.lint import CHECKS, Finding, LintReport, lint
from engine.errors import RuleConflict
from engine.evaluation.evaluator import Engine

from ..helpers.authoring import copy_policy, run_command
from ..helpers.lint_fixtures import FIXTURES, OWN, UNREACHABLE_LOADER_CODES, Fixture, _nothing
from ..helpers.support import ROOT


@cache
def shipped_report() -> LintReport:
    return lint(ROOT / "rules", ROOT / "criteria")


def _lint(tmp_path: Path, edit: object) -> tuple[LintReport, Path]:
    policy = copy_policy(tmp_path / "policy")
    edit(policy)  # type: ignore[operator]
    return lint(policy.rules, policy.criteria), tmp_path / "policy"


def _of(report: LintReport, check: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check]


def test_the_shipped_rules_lint_clean() -> None:
    report = shipped_report()
    assert report.findings == ()
    assert report.rules == 42
    assert report.points == 0 and report.queries > 0  # asked of the solver, not enumerated


@pytest.mark.parametrize("fixture", FIXTURES + OWN, ids=lambda f: f.id)
def test_each_check_fails_on_its_fixture(fixture: Fixture, tmp_path: Path) -> None:
    report, root = _lint(tmp_path, fixture.bad)
    found = _of(report, fixture.check)
    assert found, f"expected [{fixture.check}], got {[f.line() for f in report.findings]}"
    for finding in found:
        assert finding.severity == CHECKS[finding.check].severity if finding.check in CHECKS else "error"
        assert finding.location.file is not None
        assert Path(finding.location.file).resolve().is_relative_to(root.resolve())
    assert report.errors >= 1 or all(f.severity == "warning" for f in found)


@pytest.mark.parametrize("fixture", FIXTURES + OWN, ids=lambda f: f.id)
def test_each_check_passes_on_its_counterpart(fixture: Fixture, tmp_path: Path) -> None:
    if fixture.good is _nothing:
        report = shipped_report()  # the unedited copy is the shipped rules
    else:
        report, _ = _lint(tmp_path, fixture.good)
    assert report.findings == ()


def _codes_in(module: str) -> set[str]:
    text = (ROOT / "engine" / module).read_text("utf-8")
    return set(re.findall(r'(?:\.add|Error|\bat)\(\s*"([a-z]+(?:-[a-z0-9]+)*)"', text))


def test_every_check_id_has_fixtures() -> None:
    loader_codes = _codes_in("policy/loader.py") | _codes_in("policy/documents.py") | _codes_in("policy/schema.py")
    loader_codes |= {f"duplicate-{w}" for w in ("priority", "vocabularies", "sources")}
    loader_codes |= {f"{w}-missing" for w in ("priority", "vocabularies", "sources")}
    covered = {f.check for f in FIXTURES}
    assert loader_codes - UNREACHABLE_LOADER_CODES <= covered, sorted(loader_codes - UNREACHABLE_LOADER_CODES - covered)
    assert {f.check for f in OWN} == set(CHECKS)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("misspelt field path", "(did you mean 'presence.type'?)"),
        ("a value the field does not have", "(did you mean 'country_office'?)"),
        ("misspelt source", "(did you mean 'TC-Report-1998'?)"),
        ("misspelt placeholder", "(did you mean '{exception.expires}'?)"),
    ],
)
def test_near_misses_get_a_suggestion(name: str, hint: str, tmp_path: Path) -> None:
    (fixture,) = [f for f in FIXTURES if f.name == name]
    report, _ = _lint(tmp_path, fixture.bad)
    (finding,) = report.findings
    assert finding.message.endswith(hint)


# -- witnesses: a real request that shows the finding ----------------------------------------


@pytest.mark.parametrize(
    "fixture", [f for f in OWN if f.check in ("rule-gap", "rule-conflict", "mandate-waivable")], ids=lambda f: f.id
)
def test_witnesses_show_the_finding_through_the_engine(fixture: Fixture, tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "policy")
    fixture.bad(policy)
    report = lint(policy.rules, policy.criteria)
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    witnessed = [f for f in _of(report, fixture.check) if f.witness is not None]
    if fixture.check != "mandate-waivable":
        assert witnessed
    for finding in witnessed:
        witness = finding.witness
        assert witness is not None
        checked = engine.check(dict(witness.request))  # a valid request
        if finding.check in ("rule-gap", "rule-conflict"):
            with pytest.raises(RuleConflict) as caught:
                engine.decide(checked, witness.as_of)
            assert caught.value.code == finding.check
        else:
            decision = engine.decide(checked, witness.as_of)
            assert decision.outcome == "engage"
            assert decision.exceptions[0].decision == "applied"
            assert decision.condition("mandate_integrity").status != "met"


def test_a_gap_between_versions_is_found_on_the_days_between(tmp_path: Path) -> None:
    (fixture,) = [f for f in OWN if f.check == "version-gap"]
    report, _ = _lint(tmp_path, fixture.bad)
    (gap,) = _of(report, "version-gap")
    assert "from 2026-12-01 to 2026-12-31" in gap.message
    assert gap.severity == "warning"
    # Requests evaluated in the gap get no status: lint finds it on a day of the gap.
    (hole,) = _of(report, "rule-gap")
    assert hole.witness is not None
    assert date(2026, 12, 1) <= hole.witness.as_of <= date(2026, 12, 31)


def test_conflicts_name_both_rules_and_gaps_count_the_rest(tmp_path: Path) -> None:
    report, _ = _lint(tmp_path, OWN[0].bad)
    lines = [f.line() for f in _of(report, "rule-conflict")]
    assert any("'strategy.in_development' (status: partial) and 'strategy.adopted_and_fits' (status: met)" in x for x in lines)
    report, _ = _lint(tmp_path / "2", OWN[2].bad)
    (gap,) = _of(report, "rule-gap")
    assert "partnership.government_counterpart = true, partnership.civil_society_involved is unknown" in gap.message
    assert "(and 1 more combination)" in gap.message


def test_an_outcome_line_taken_by_earlier_lines_names_them(tmp_path: Path) -> None:
    (fixture,) = [f for f in OWN if f.name == "an outcome line the earlier lines always take"]
    report, _ = _lint(tmp_path, fixture.bad)
    (finding,) = _of(report, "unreachable-rule")
    assert finding.message == (
        "'outcome.assess_needs' never decides: every request it applies to is taken first by an earlier line"
        " (outcome.decline, outcome.mandate_unknown, outcome.ad_hoc)"
    )


# -- the command -------------------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    return run_command("lint", *argv)


def test_lint_command_on_the_shipped_rules() -> None:
    status, out, err = run()
    assert status == 0
    assert re.fullmatch(r"no problems: 42 rules checked by the solver\n", out)
    assert err == ""


def test_lint_command_prints_one_line_per_finding_and_exits_1(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    OWN[2].bad(policy)
    policy.replace("rules/outcome.yaml", "      - source: TC-Report-1998\n", "      - source: TC-Report-1999\n")
    status, out, _ = run("--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 1
    lines = out.splitlines()
    at = (policy.rules / "outcome.yaml").read_text("utf-8").splitlines().index("      - source: TC-Report-1999") + 1
    assert re.fullmatch(
        rf".*/rules/outcome\.yaml:{at}:17: error: rule 'outcome\.assess_needs': cite\[0\]\.source: 'TC-Report-1999' is not a"
        r" source in the"
        r" sources file \(did you mean 'TC-Report-1998'\?\) \[unknown-source\]",
        lines[0],
    )
    assert lines[-1] == "1 error"
    # The loader stops before the solver; once the files load, the gap shows, with its witness.
    policy.replace("rules/outcome.yaml", "      - source: TC-Report-1999\n", "      - source: TC-Report-1998\n")
    status, out, _ = run("--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 1
    first, witness, summary = out.splitlines()
    assert first.endswith("[rule-gap]") and ":6:5: error: no rule gives 'partnership' a status" in first
    assert witness.startswith("    for example, as of 2026-01-01: {")
    request = json.loads(witness.split(": ", 1)[1])
    assert request == {"id": "LINT-WITNESS", "received": "2026-01-01", "partnership": {"government_counterpart": True}}
    assert re.fullmatch(r"1 error \(42 rules checked by the solver\)", summary)


def test_lint_warnings_alone_exit_0(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    (fixture,) = [f for f in OWN if f.check == "version-gap"]
    fixture.bad(policy)  # partnership.none until 2026-11-30, then from 2027-01-01
    # Another rule holds the status in December: no request is left without one, the warning stays.
    interim = (policy.rules / "partnership_later.yaml").read_text("utf-8")
    interim = interim.replace("id: partnership.none", "id: partnership.none_interim").replace(
        "effective_from: 2027-01-01", "effective_from: 2026-12-01\n    effective_until: 2026-12-31"
    )
    policy.write("rules/partnership_interim.yaml", interim)
    status, out, _ = run("--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 0, out
    line, summary = out.splitlines()
    assert ": warning: no version of 'partnership.none' is in force from 2026-12-01 to 2026-12-31" in line
    assert line.endswith("ends on 2026-11-30, this one starts on 2027-01-01 [version-gap]")
    assert summary == "0 errors, 1 warning (44 rules checked by the solver)"


def test_lint_json(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    OWN[0].bad(policy)
    status, out, _ = run("--rules", str(policy.rules), "--criteria", str(policy.criteria), "--format", "json")
    assert status == 1
    data = json.loads(out)
    assert data["errors"] == 3 and data["warnings"] == 0
    first = data["findings"][0]
    assert first["check"] == "rule-conflict" and first["severity"] == "error"
    at = (policy.rules / "country_engagement_strategy.yaml").read_text("utf-8").splitlines()
    assert first["line"] == at.index("  - id: strategy.in_development") + 1 and first["col"] == 5  # the rule, by its id
    assert first["witness"]["request"]["strategy"] == {"status": "adopted", "request_in_strategy": True}
    assert first["witness"]["fields"] == {"strategy.status": "adopted", "strategy.request_in_strategy": True}
    # Deterministic: the same files give the same bytes.
    assert run("--rules", str(policy.rules), "--criteria", str(policy.criteria), "--format", "json")[1] == out


def test_lint_on_a_missing_directory(tmp_path: Path) -> None:
    status, out, _ = run("--rules", str(tmp_path / "nowhere"))
    assert status == 2  # nothing was checked: a user error, not a finding
    assert out.splitlines()[0].endswith("nowhere: error: the rules directory does not exist [not-a-directory]")


def test_a_missing_translation_is_a_warning_at_the_text(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/partnership.yaml",
        "      es: Una contraparte nacional se ha comprometido con la labor y la sociedad civil participa en ella.\n",
        "",
    )
    status, out, _ = run("--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 0, out  # a warning: readers of Spanish get the English sentence, the decision is right
    line, summary = out.splitlines()
    text = (policy.rules / "partnership.yaml").read_text("utf-8").splitlines()
    at = text.index("    reason:", text.index("  - id: partnership.full")) + 2  # the map's first entry, en:
    assert line == (
        f"{policy.rules / 'partnership.yaml'}:{at}:7: warning: rule 'partnership.full': reason:"
        " not written in es (written in: en, fr) [missing-translation]"
    )
    assert summary == "0 errors, 1 warning (42 rules checked by the solver)"


def test_a_rules_description_is_a_text_of_the_policy_and_one_left_in_english_is_reported_at_it(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    path = policy.rules / "partnership.yaml"
    written = "A committed Government counterpart and civil society involvement."
    shipped = path.read_text("utf-8")
    block = re.search(rf"    description:\n      en: {re.escape(written)}\n(      [a-z]+: .*\n)+", shipped)
    assert block is not None and "fr: " in block.group(0) and "es: " in block.group(0)  # shipped in three languages
    path.write_text(shipped.replace(block.group(0), f"    description: {written}\n"), "utf-8")
    status, out, _ = run("--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 0, out  # a warning: the Rules page shows the English to a French reader, nothing else changes
    line, summary = out.splitlines()
    at = path.read_text("utf-8").splitlines().index(f"    description: {written}") + 1
    assert line == (
        f"{path}:{at}:18: warning: rule 'partnership.full': description:"
        " not written in fr, es (written in: en) [missing-translation]"
    )
    assert summary == "0 errors, 1 warning (42 rules checked by the solver)"


def test_a_language_declared_but_not_written_is_reported_for_every_text(tmp_path: Path) -> None:
    from engine.policy.loader import load_policy

    policy = copy_policy(tmp_path / "p")
    policy.replace("criteria/vocabularies.yaml", "languages: [en, fr, es]", "languages: [en, fr, es, ar]")
    report = lint(policy.rules, policy.criteria)
    missing = _of(report, "missing-translation")
    texts = load_policy(policy.rules, policy.criteria).texts
    assert len(missing) == len(texts) > 200 and report.errors == 0
    assert all(f.message.endswith("not written in ar (written in: en, fr, es)") for f in missing)
