"""Loading rule and criteria files: every cross-check, each error at its file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import EngageError, LoadFailed
from engine.policy.loader import load_policy

from ..helpers.support import ROOT, copy_policy, edit


def errors_of(rules: Path, criteria: Path) -> list[EngageError]:
    with pytest.raises(LoadFailed) as info:
        load_policy(rules, criteria)
    return info.value.errors


def only(errors: list[EngageError], code: str) -> EngageError:
    found = [e for e in errors if e.code == code]
    assert found, [str(e) for e in errors]
    return found[0]


def test_the_shipped_policy_loads() -> None:
    policy = load_policy(ROOT / "rules", ROOT / "criteria")
    assert [c.letter for c in policy.criteria] == ["a", "b", "c", "d"]
    assert policy.outcome_rules[0].outcome == "decline"
    assert len(policy.outcome_rules) == 9
    assert policy.hash.startswith("sha256:") and len(policy.hash) == 71
    assert {f.kind for f in policy.files} == {"rules", "criteria"}


def test_an_unknown_field_path_is_named_with_a_suggestion(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "in_country_presence.yaml", "{field: presence.type, equals: none}", "{field: presence.typ, equals: none}")
    err = only(errors_of(rules, criteria), "unknown-field")
    assert "did you mean 'presence.type'" in err.message
    assert err.location.file and err.location.file.endswith("in_country_presence.yaml")
    lines = (rules / "in_country_presence.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "presence.typ," in text)
    assert (err.location.line, err.location.col) == (line, lines[line - 1].index("presence.typ") + 1)


def test_a_value_outside_the_field_domain(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "in_country_presence.yaml", "{field: presence.type, equals: none}", "{field: presence.type, equals: nothing}")
    assert "not a value of 'presence.type'" in only(errors_of(rules, criteria), "bad-value").message


def test_a_value_of_the_wrong_type_and_an_operator_that_does_not_apply(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "partnership.yaml",
        "{field: partnership.government_counterpart, equals: true}",
        "{field: partnership.government_counterpart, equals: 'yes'}",
    )
    edit(rules / "in_country_presence.yaml", "{field: presence.type, equals: none}", "{field: presence.type, lt: 3}")
    errors = errors_of(rules, criteria)
    assert "true or false" in only(errors, "bad-value").message
    assert "'lt' does not apply" in only(errors, "bad-operator").message


def test_unknown_source_and_missing_paragraph(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "partnership.yaml", "source: A/HRC/35/20", "source: A/HRC/35/2O")
    edit(
        rules / "mandate_integrity.yaml", '      - source: E/CN.4/2006/104\n        para: "26"', "      - source: E/CN.4/2006/104"
    )
    errors = errors_of(rules, criteria)
    assert "did you mean 'A/HRC/35/20'" in only(errors, "unknown-source").message
    assert only(errors, "citation-needs-para").location.line is not None


def test_a_rule_without_a_citation_is_a_schema_error_at_the_rule(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "partnership.yaml",
        '    cite:\n      - source: E/CN.4/2006/104\n        para: 19(d)\n      - source: E/CN.4/2006/104\n        para: "18"\n'
        "\n  - id: partnership.none",
        "\n  - id: partnership.none",
    )
    err = only(errors_of(rules, criteria), "missing-field")
    assert "cite" in err.message and err.location.line is not None


def test_two_rules_with_the_same_id(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "partnership.yaml", "id: partnership.none", "id: partnership.full")
    err = only(errors_of(rules, criteria), "duplicate-rule-id")
    assert "partnership.yaml:" in err.message  # names where the first one is


def test_versions_of_a_rule_with_separate_periods_are_allowed(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    text = (rules / "partnership.yaml").read_text()
    block = text[text.index("  - id: partnership.none") : text.index("  - id: partnership.unknown")]
    dated = block.replace("    status: unmet", "    status: unmet\n    effective_from: 2027-01-01")
    first = block.replace("    status: unmet", "    status: unmet\n    effective_until: 2026-12-31")
    (rules / "partnership.yaml").write_text(text.replace(block, first + dated))
    policy = load_policy(rules, criteria)
    assert len([r for r in policy.all_rules() if r.id == "partnership.none"]) == 2
    # ...but not overlapping ones.
    (rules / "partnership.yaml").write_text(text.replace(block, first.replace("2026-12-31", "2027-01-01") + dated))
    assert only(errors_of(rules, criteria), "duplicate-rule-id")


def test_unknown_criterion_outcome_and_placeholder(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "partnership.yaml", "criterion: partnership", "criterion: partnerships")
    edit(rules / "outcome.yaml", "outcome: assess_needs", "outcome: assess_need")
    edit(rules / "outcome.yaml", "en: The request conflicts", "en: The {requester.nam} request conflicts")
    errors = errors_of(rules, criteria)
    assert "did you mean 'partnership'" in only(errors, "unknown-criterion").message
    assert "did you mean 'assess_needs'" in only(errors, "unknown-outcome").message
    assert "did you mean '{requester.name}'" in only(errors, "unknown-placeholder").message


def test_an_exception_rule_cannot_waive_mandate_integrity(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "exception.yaml", "covers: partnership", "covers: mandate_integrity")
    err = only(errors_of(rules, criteria), "waiver-not-allowed")
    assert "never be waived" in err.message


def test_derived_fields_are_only_for_the_outcome_table(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "partnership.yaml",
        "{field: partnership.government_counterpart, is: unknown}",
        "{field: status.mandate_integrity, equals: met}",
    )
    assert "only in the outcome table" in only(errors_of(rules, criteria), "unknown-field").message


def test_schema_errors_name_the_offending_key_at_its_line(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "partnership.yaml", "    status: met", "    statuss: met")
    errors = errors_of(rules, criteria)
    unknown = only(errors, "unknown-field")
    assert unknown.location.path == "rules[0].statuss"
    assert unknown.location.line == line_of(rules / "partnership.yaml", "    statuss: met") and unknown.location.col == 5
    assert only(errors, "missing-field")


def test_a_test_with_two_operators(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "in_country_presence.yaml",
        "{field: presence.type, equals: none}",
        "{field: presence.type, equals: none, in: [none]}",
    )
    assert "exactly one operator" in only(errors_of(rules, criteria), "bad-test").message


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    (rules / "partnership.yaml").write_text("stage: condition\ncriterion: partnership\nrules:\n  - id: x\n    id: y\n")
    edit(rules / "outcome.yaml", "outcome: assess_needs", "outcome: assess_need")
    edit(criteria / "priority.yaml", "field: priority.crisis_driven", "field: priority.crisis")
    errors = errors_of(rules, criteria)
    codes = [e.code for e in errors]
    assert codes[0] == "duplicate-key"  # a file that does not parse comes first
    assert {"duplicate-key", "unknown-outcome", "unknown-field"} <= set(codes)
    assert "criterion-without-rules" not in codes  # partnership.yaml is there: its own error says what is wrong


def test_criteria_cross_checks(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "fields.yaml", "  - path: region\n", "  - path: country\n")
    edit(
        criteria / "priority.yaml",
        "field: priority.recommendations\n    points_each: 5",
        "field: priority.crisis_driven\n    points_each: 5",
    )
    edit(criteria / "partnership.yaml", "letter: d", "letter: c")
    errors = errors_of(rules, criteria)
    assert "declared twice" in only(errors, "duplicate-field").message
    assert "needs a list field" in only(errors, "bad-factor-field").message
    assert "already used" in only(errors, "duplicate-criterion").message


def test_rule_numbers_must_be_exact_everywhere(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "in_country_presence.yaml", "{field: presence.type, equals: none}", "{field: request.budget_usd, gt: 1.0e+20}")
    assert "too large" in only(errors_of(rules, criteria), "bad-value").message


def test_the_hash_follows_the_content(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    before = load_policy(rules, criteria).hash
    assert before == load_policy(ROOT / "rules", ROOT / "criteria").hash  # same bytes, same hash
    edit(criteria / "priority.yaml", "points: 10", "points: 11")
    assert load_policy(rules, criteria).hash != before


def test_missing_directories(tmp_path: Path) -> None:
    errors = errors_of(tmp_path / "no-rules", tmp_path / "no-criteria")
    assert [e.code for e in errors] == ["not-a-directory", "not-a-directory"]


# -- a schema error stays in its rule: no cascade ----------------------------------------


def line_of(path: Path, text: str) -> int:
    """The line of ``path`` that holds ``text`` first (the shipped files' lines move as their texts are translated)."""
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_one_broken_rule_is_one_error_named_by_the_rules_id_and_the_file_still_counts(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "partnership.yaml", "equals: true}", "equal: true}")
    (error,) = errors_of(rules, criteria)  # not also criterion-without-rules: the file is there
    assert error.code == "unknown-field" and error.location.path == "rules[0].when.all[0].equal"  # for tools
    at = line_of(rules / "partnership.yaml", "equal: true}")
    assert str(error).endswith(
        f"partnership.yaml:{at}:55: unknown-field: rule 'partnership.full': when.all[0].equal:"
        " not a rule file field (did you mean 'equals'?)"
    )


def test_the_valid_rules_of_a_file_with_a_broken_rule_are_still_cross_checked(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "outcome.yaml", "outcome: decline", "outcome: decline\n    colour: red")  # a broken line
    edit(rules / "outcome.yaml", "      - source: TC-Report-1998\n", "      - source: TC-Report-1999\n")  # a valid one
    errors = errors_of(rules, criteria)
    assert sorted(e.code for e in errors) == ["unknown-field", "unknown-source"]  # no outcome-table-missing
    assert only(errors, "unknown-source").location.label == "rule 'outcome.assess_needs': cite[0].source"


def test_a_duplicate_id_is_found_when_the_other_copy_has_an_unrelated_error(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "in_country_presence.yaml", "{field: presence.type, equals: none}", "{field: presence.type, equal: none}")
    edit(rules / "partnership.yaml", "id: partnership.full", "id: presence.none")
    errors = errors_of(rules, criteria)
    assert sorted(e.code for e in errors) == ["duplicate-rule-id", "unknown-field"]
    duplicate = only(errors, "duplicate-rule-id")
    assert duplicate.location.file is not None and duplicate.location.file.endswith("partnership.yaml")
    assert f"in_country_presence.yaml:{line_of(rules / 'in_country_presence.yaml', 'id: presence.none')}:5" in duplicate.message


def test_a_rule_without_a_required_field_is_named_by_its_id(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    text = (rules / "partnership.yaml").read_text("utf-8")
    start = text.index("    cite:", text.index("id: partnership.government_only"))
    end = text.index("\n\n", start)
    (rules / "partnership.yaml").write_text(text[:start] + text[end + 1 :], "utf-8")
    (error,) = errors_of(rules, criteria)
    assert error.code == "missing-field"
    assert (
        f"{error.location.label}: {error.message}" == "rule 'partnership.government_only': the required field 'cite' is missing"
    )


def test_a_file_whose_own_fields_are_wrong_is_still_there_for_the_cross_checks(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "partnership.yaml", "stage: condition", "stage: conditon")
    edit(rules / "outcome.yaml", "stage: outcome", "stage: [outcome]")
    codes = sorted(e.code for e in errors_of(rules, criteria))
    assert codes == [
        "not-in-vocabulary",
        "not-in-vocabulary",
    ]  # one per file: no criterion-without-rules, no outcome-table-missing


def test_a_missing_file_is_still_reported(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    (rules / "partnership.yaml").unlink()
    edit(rules / "outcome.yaml", "outcome: decline", "outcome: decline\n    colour: red")
    codes = [e.code for e in errors_of(rules, criteria)]
    assert "criterion-without-rules" in codes and "outcome-table-missing" not in codes


def test_a_broken_criteria_file_is_still_there_for_the_rules_that_name_it(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "partnership.yaml", "waivable: true", "waivable: maybe")
    (error,) = errors_of(rules, criteria)  # not unknown-criterion in rules/ and priority.yaml, nor criteria-missing
    assert error.code == "wrong-type" and error.location.path == "waivable"


def test_a_broken_vocabulary_is_one_error_not_one_per_value_it_would_have_listed(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    met = "    label: {en: Met, fr: Remplie, es: Cumplida}\n    score: 1"
    edit(criteria / "vocabularies.yaml", met, "    label: Met\n    score: high")
    (error,) = errors_of(rules, criteria)  # not vocabularies-missing, nor bad-value for every theme a rule tests
    assert error.code == "wrong-type" and error.location.path == "statuses.met.score"
