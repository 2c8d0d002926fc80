"""The case format (``engine/authoring/cases.py``): what a case file means, and the line an author reads for each difference."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.authoring.cases import Case, check_case, difference, load_cases, merge_patch
from engine.errors import LoadFailed
from engine.evaluation.evaluator import Engine

from ..helpers.authoring import copy_policy
from ..helpers.support import ROOT, shipped_engine

ENGINE = shipped_engine()
COMPLETE = ROOT / "rules" / "tests" / "requests" / "complete.yaml"


def _write(tmp_path: Path, data: dict[str, Any], name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=1), "utf-8")
    return path


def _one(tmp_path: Path, expect: dict[str, Any], **case: Any) -> Case:
    where = {} if "request" in case else {"base": str(COMPLETE)}
    data = {"as_of": "2026-11-24", "cases": [{"name": "the case", **where, "expect": expect, **case}]}
    (only,) = load_cases(_write(tmp_path, data))
    return only


def _diffs(tmp_path: Path, expect: dict[str, Any], **case: Any) -> list[str]:
    return check_case(ENGINE, _one(tmp_path, expect, **case))[1]


def test_merge_patch_merges_mappings_removes_nulls_and_replaces_the_rest() -> None:
    target = {"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 5}
    patch = {"a": {"b": None, "x": {"y": 1}}, "d": [3], "e": None, "f": "new"}
    assert merge_patch(target, patch) == {"a": {"c": 2, "x": {"y": 1}}, "d": [3], "f": "new"}
    assert target == {"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 5}  # the base is not changed
    assert merge_patch("text", {"k": 1}) == {"k": 1}  # a mapping patch over a scalar
    listed = [{"k": 1}]
    replaced = merge_patch({"l": 0}, {"l": listed})["l"]
    assert replaced == listed and replaced[0] is not listed[0]  # a deep copy: cases sharing a patch stay apart


def test_a_case_file_names_each_case_where_it_stands_with_its_request_and_date(tmp_path: Path) -> None:
    data = {
        "as_of": "2026-11-24",
        "bases": {"small": {"id": "B-1", "received": "2026-01-15", "mandate": {"restricts_monitoring": True}}},
        "cases": [
            {
                "name": "from a base",
                "base": "small",
                "patch": {"mandate": {"restricts_monitoring": None}},
                "expect": {"outcome": "engage"},
            },
            {
                "name": "inline, own date",
                "request": {"id": "I-1", "received": "2026-02-01"},
                "as_of": "2026-12-01",
                "expect": {"outcome": "engage"},
            },
            {"name": "from a request file", "base": COMPLETE.name, "expect": {"outcome": "engage"}},
        ],
    }
    path = _write(tmp_path, data)
    (tmp_path / COMPLETE.name).write_bytes(COMPLETE.read_bytes())
    first, second, third = load_cases(path)
    assert first.request == {"id": "B-1", "received": "2026-01-15", "mandate": {}}
    assert (first.as_of, second.as_of) == (date(2026, 11, 24), date(2026, 12, 1))
    assert second.request == {"id": "I-1", "received": "2026-02-01"}
    assert third.request["id"] == "CASE-BASE"
    assert (first.path, second.path, third.path) == (("bases", "small"), ("cases", 1, "request"), ("cases", 2, "base"))
    assert [c.title for c in (first, second, third)] == [
        f"{path}:13:3: from a base",
        f"{path}:25:3: inline, own date",
        f"{path}:36:3: from a request file",
    ]
    assert (first.expect, first.name) == ({"outcome": "engage"}, "from a base")


def test_a_case_file_without_a_date_leaves_it_to_the_caller(tmp_path: Path) -> None:
    (case,) = load_cases(_write(tmp_path, {"cases": [{"name": "n", "request": {"id": "X"}, "expect": {"outcome": "engage"}}]}))
    assert case.as_of is None


def test_a_base_that_is_neither_a_base_nor_a_file_is_named_with_its_place(tmp_path: Path) -> None:
    data = {
        "cases": [
            {"name": "one", "base": "nowhere.yaml", "expect": {"outcome": "engage"}},
            {"name": "two", "base": "nor_here", "expect": {"outcome": "engage"}},
        ]
    }
    path = _write(tmp_path, data)
    with pytest.raises(LoadFailed) as failed:
        load_cases(path)
    assert [(e.code, e.message, e.location.prefix()) for e in failed.value.errors] == [
        ("unknown-base", "'nowhere.yaml' is neither a base of this file nor a request file", f"{path}:5:12"),
        ("unknown-base", "'nor_here' is neither a base of this file nor a request file", f"{path}:12:12"),
    ]


def test_a_case_file_the_schema_refuses_names_each_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {"cases": [{"name": "n", "expect": {"outcome": "engage"}}, {"request": {}, "expect": {"outcome": "engage"}}]}
    )
    with pytest.raises(LoadFailed) as failed:
        load_cases(path)
    assert [e.code for e in failed.value.errors] and all(e.location.file == str(path) for e in failed.value.errors)


def test_a_case_that_passes_has_no_differences(tmp_path: Path) -> None:
    decision, diffs = check_case(ENGINE, _one(tmp_path, {"outcome": "engage", "criteria": {"a": "met"}}))
    assert diffs == [] and decision is not None and decision.outcome == "engage"


def test_each_kind_of_difference_is_one_line_saying_what_was_expected_and_what_came(tmp_path: Path) -> None:
    expect = {
        "outcome": "decline",
        "criteria": {"a": "unmet", "partnership": "partial", "z": "met"},
        "priority_score": 1,
        "rules": ["outcome.engage"],
        "fired": ["partnership.none"],
        "missing": ["strategy.status"],
        "exception": "applied",
        "uncovered": ["partnership"],
    }
    decision, diffs = check_case(ENGINE, _one(tmp_path, expect))
    assert decision is not None
    assert diffs == [
        "outcome: expected decline, got engage",
        "criteria.mandate_integrity: expected unmet, got met",
        "criteria.partnership: expected partial, got met",
        "criteria.z: no such criterion",
        "priority_score: expected 1, got 60",
        "rules: expected [outcome.engage], got [outcome.engage, strategy.adopted_and_fits, presence.full, partnership.full]"
        " (not expected strategy.adopted_and_fits, presence.full, partnership.full)",
        f"fired: expected partnership.none to fire; fired: {', '.join(decision.rules_fired)}",
        "missing: expected [strategy.status], got [] (missing strategy.status)",
        "exception: expected applied, got none",
        "uncovered: expected [partnership], got [] (missing partnership)",
    ]
    assert "partnership.full" in decision.rules_fired


def test_reasons_citations_and_condition_scores_name_the_rule_or_criterion_they_miss(tmp_path: Path) -> None:
    expect = {
        "reasons": {"partnership.full": "Other words.", "no.such_rule": "x", "outcome.engage": "Engage."},
        "citations": {"partnership.full": ["E/CN.4/2006/104 para 19(d)"], "no.rule": []},
        "condition_scores": {"d": 0.5, "nothing": 1},
        "score_breakdown": {"x": 1},
    }
    decision, diffs = check_case(ENGINE, _one(tmp_path, expect))
    assert decision is not None
    full = decision.condition("partnership").reasons[0]
    # Every reason the decision gives: the conditions' in order, then the outcome line's.
    said = "mandate.met, strategy.adopted_and_fits, presence.full, partnership.full, outcome.engage"
    assert diffs == [
        f"reasons.partnership.full: expected Other words., got {full.message}",
        f"reasons.no.such_rule: the decision gives no reason of that rule; it gives: {said}",
        "reasons.outcome.engage: expected Engage., got All the conditions for technical cooperation engagement are met.",
        "citations.partnership.full: expected [E/CN.4/2006/104 para 19(d)], got [E/CN.4/2006/104 para 19(d), A/HRC/35/20 para 39]"
        " (not expected A/HRC/35/20 para 39)",
        f"citations.no.rule: the decision gives no reason of that rule; it gives: {said}",
        "condition_scores.partnership: expected 0.5, got 1",
        "condition_scores.nothing: no such criterion",
        "score_breakdown: expected {'x': 1}, got {'condition.country_engagement_strategy': 20,"
        " 'condition.in_country_presence': 20, 'condition.partnership': 20}",
    ]
    assert full.rule == "partnership.full"


def test_a_reason_pinned_for_the_exception_is_found_among_the_exceptions_reasons(tmp_path: Path) -> None:
    base = ROOT / "examples" / "05-exception-applied.yaml"
    (case,) = load_cases(
        _write(tmp_path, {"as_of": "2026-11-24", "cases": [{"name": "n", "base": str(base), "expect": {"outcome": "engage"}}]})
    )
    decision, _ = check_case(ENGINE, case)
    assert decision is not None
    given = decision.exceptions[0].reasons[0]
    expect = {"reasons": {given.rule: given.message}, "exception": "applied", "uncovered": list(decision.exceptions[0].uncovered)}
    assert check_case(ENGINE, _one(tmp_path, expect, base=str(base)))[1] == []
    wrong = {"reasons": {given.rule: "Other words."}}
    assert check_case(ENGINE, _one(tmp_path, wrong, base=str(base)))[1] == [
        f"reasons.{given.rule}: expected Other words., got {given.message}"
    ]


def test_an_expected_error_passes_and_another_error_or_none_is_a_difference(tmp_path: Path) -> None:
    bad = {"request": {"id": "X", "received": "2026-01-01", "request": {"themes": ["nothing"]}}}
    assert check_case(ENGINE, _one(tmp_path, {"error": "not-in-vocabulary"}, **bad)) == (None, [])
    assert check_case(ENGINE, _one(tmp_path, {"error": "other-code"}, **bad)) == (
        None,
        ["error: expected other-code, got not-in-vocabulary"],
    )
    decision, diffs = check_case(ENGINE, _one(tmp_path, {"error": "not-in-vocabulary"}))
    assert decision is not None and diffs == ["error: expected not-in-vocabulary, but the request was evaluated (engage)"]


def test_a_request_with_several_problems_is_rejected_with_a_line_for_each_naming_the_case_file(tmp_path: Path) -> None:
    bad = {"request": {"id": "X", "received": "2026-01-01", "request": {"themes": ["nothing"], "funding_only": "yes"}}}
    case = _one(tmp_path, {"outcome": "engage"}, **bad)
    file = tmp_path / "cases.yaml"
    assert check_case(ENGINE, case) == (
        None,
        [
            f"the request was rejected: {file}: wrong-type: request.funding_only: must be true or false (or leave it"
            " out when unknown), got 'yes'",
            f"the request was rejected: {file}: not-in-vocabulary: request.themes[0]: 'nothing' is not an allowed value",
        ],
    )
    # Any one of the problems may be the error the case expects; another is named with all that came.
    assert check_case(ENGINE, _one(tmp_path, {"error": "not-in-vocabulary"}, **bad)) == (None, [])
    assert check_case(ENGINE, _one(tmp_path, {"error": "missing-field"}, **bad)) == (
        None,
        ["error: expected missing-field, got wrong-type, not-in-vocabulary"],
    )


def test_a_rule_gap_met_by_a_case_is_its_error(tmp_path: Path) -> None:
    # Rules with a gap (line 9 no longer takes every request): the engine's error, not a crash.
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/outcome.yaml",
        "  - id: outcome.consider_in_strategy\n",
        "  - id: outcome.consider_in_strategy\n    when: {field: expertise_available, equals: true}\n",
    )
    engine = Engine.load(policy.rules, policy.criteria)
    request = {
        "id": "GAP",
        "received": "2026-01-01",
        "requester": {"government_endorsed": True},
        "request": {"funding_only": False, "kind": "programme"},
        "mandate": {"restricts_monitoring": False, "contrary_to_standards": False},
        "strategy": {"status": "none"},
        "presence": {"type": "none"},
        "partnership": {"government_counterpart": False, "civil_society_involved": False},
        "expertise_available": False,
    }
    gap = {"request": request}
    assert check_case(engine, _one(tmp_path, {"error": "rule-gap"}, **gap)) == (None, [])
    decision, diffs = check_case(engine, _one(tmp_path, {"outcome": "engage"}, **gap))
    assert decision is None
    assert diffs == [
        f"the request was rejected: {tmp_path / 'cases.yaml'}: rule-gap: no line of the outcome table applies to this request"
    ]
    engine.close()


def test_a_difference_in_lists_says_what_is_missing_what_is_extra_or_that_only_the_order_differs() -> None:
    assert difference("rules", ["a", "b"], ["b", "a"]) == "rules: expected [a, b], got [b, a] (same entries, different order)"
    assert difference("x", ["a"], ["b", "c"]) == "x: expected [a], got [b, c] (missing a; not expected b, c)"
    assert difference("x", [], ("b",)) == "x: expected [], got [b] (not expected b)"
    assert difference("x", ["a", "b"], []) == "x: expected [a, b], got [] (missing a, b)"
    assert difference("flag", True, None) == "flag: expected true, got none"
    assert difference("flag", False, [None, True]) == "flag: expected false, got [none, true]"
    assert difference("score", 1.5, 2) == "score: expected 1.5, got 2"


def test_an_unknown_key_of_a_case_file_is_named_as_not_a_case_file_field(tmp_path: Path) -> None:
    data = {"as_of": "2026-11-24", "base": {}, "cases": [{"name": "n", "request": {"id": "X"}, "expect": {"outcome": "engage"}}]}
    with pytest.raises(LoadFailed) as failed:
        load_cases(_write(tmp_path, data))
    assert [(e.code, e.message) for e in failed.value.errors] == [
        ("unknown-field", "not a case file field (did you mean 'bases'?)")
    ]
