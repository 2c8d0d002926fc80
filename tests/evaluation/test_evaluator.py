"""The engine as a library: the decision's shape, independence of evaluations, threads, memory."""

from __future__ import annotations

import copy
import gc
import os
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import __version__
from engine.errors import InvalidRequest, RuleConflict
from engine.evaluation.evaluator import Engine
from engine.policy.documents import load_file

from ..helpers.support import ROOT, copy_policy, edit, shipped_engine

AS_OF = date(2026, 11, 24)
EXAMPLES = sorted((ROOT / "examples").glob("*.y*ml")) + sorted((ROOT / "examples").glob("*.json"))


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = load_file(ROOT / "examples" / name)[0].data
    return data


def test_a_decision_holds_what_policy_section_6_lists() -> None:
    decision = shipped_engine().evaluate(example("05-exception-applied.yaml"), AS_OF).to_dict()
    assert set(decision) >= {
        "request_id", "outcome", "priority_score", "as_of", "criteria", "reasons", "missing", "could_change", "exceptions",
        "ruleset",
    }  # fmt: skip
    assert decision["request_id"] == "REQ-2026-0105" and decision["as_of"] == "2026-11-24"
    assert list(decision["criteria"]) == [
        "mandate_integrity",
        "country_engagement_strategy",
        "in_country_presence",
        "partnership",
    ]
    for result in decision["criteria"].values():
        assert set(result) == {"status", "score", "reasons", "missing"}
        assert result["score"] == {"met": 1, "partial": 0.5, "unmet": 0, "unknown": None}[result["status"]]
    first = decision["reasons"][0]
    assert first["rule"] == "outcome.engage_with_exception"
    assert first["citation"][0] == {
        "source": "E/CN.4/2006/104", "para": "23", "text": "E/CN.4/2006/104 para 23", "url": "https://undocs.org/E/CN.4/2006/104",
    }  # fmt: skip
    (exception,) = decision["exceptions"]
    assert exception["decision"] == "applied" and exception["valid"] is True and exception["waives"] == ["in_country_presence"]
    assert decision["ruleset"] == {"hash": shipped_engine().policy.hash, "engine_version": __version__}


def test_byte_identical_across_engines_and_runs() -> None:
    other = Engine.load(ROOT / "rules", ROOT / "criteria")
    try:
        for path in EXAMPLES:
            request = load_file(path)[0].data
            text = shipped_engine().evaluate(request, AS_OF).to_json()
            assert other.evaluate(copy.deepcopy(request), AS_OF).to_json() == text
            assert other.evaluate(request, AS_OF).to_json() == text
    finally:
        other.close()


def test_evaluations_do_not_influence_each_other() -> None:
    engine = shipped_engine()
    first = engine.evaluate(example("01-engage-nhri-programme.yaml"), AS_OF).to_json()
    for path in EXAMPLES:
        engine.evaluate(load_file(path)[0].data, AS_OF)
    assert engine.evaluate(example("01-engage-nhri-programme.yaml"), AS_OF).to_json() == first


def test_the_request_is_not_changed() -> None:
    request = example("07-missing-information.yaml")
    before = copy.deepcopy(request)
    shipped_engine().evaluate(request, AS_OF)
    assert request == before


def test_invalid_requests_raise_with_every_error() -> None:
    with pytest.raises(InvalidRequest) as info:
        shipped_engine().evaluate({"id": "X", "received": "2026-99-01", "presence": {"type": "tent"}}, AS_OF)
    assert sorted(e.code for e in info.value.errors) == ["bad-date", "not-in-vocabulary"]


def test_results_reused_only_within_their_bound() -> None:
    engine = Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=3)
    try:
        for i, path in enumerate(EXAMPLES * 3):
            request = dict(load_file(path)[0].data, id=f"B{i}")
            engine.evaluate(request, AS_OF)
        assert 0 < engine.cache_entries() <= 3 * len(list(engine.compiled.stages()))
    finally:
        engine.close()


def test_many_threads_share_one_engine() -> None:
    engine = Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=0)
    requests = [load_file(p)[0].data for p in EXAMPLES]
    expected = [engine.evaluate(r, AS_OF).to_json() for r in requests]
    failures: list[str] = []

    def work(offset: int) -> None:
        for i in range(60):
            index = (i + offset) % len(requests)
            if engine.evaluate(requests[index], AS_OF).to_json() != expected[index]:
                failures.append(f"thread {offset}, request {index}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.close()
    assert failures == []


def test_rules_that_disagree_are_reported_not_resolved(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    # Make "civil society only" also match "both": a met and a partial rule overlap.
    edit(
        rules / "partnership.yaml",
        "        - {field: partnership.government_counterpart, equals: false}\n"
        "        - {field: partnership.civil_society_involved, equals: true}",
        "        - {field: partnership.civil_society_involved, equals: true}",
    )
    engine = Engine.load(rules, criteria)
    try:
        with pytest.raises(RuleConflict) as info:
            engine.evaluate(example("01-engage-nhri-programme.yaml"), AS_OF)
        assert info.value.code == "rule-conflict"
        assert info.value.message.startswith("rules disagree on partnership for this request: ")
        assert "partnership.full (met)" in info.value.message and "partnership.civil_society_only (partial)" in info.value.message
    finally:
        engine.close()


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_memory_stays_flat_over_100000_evaluations_through_durable_rules() -> None:
    """No state is left behind: every stage of every evaluation runs in durable-rules."""
    engine = Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=0)
    requests = [load_file(p)[0].data for p in EXAMPLES]
    checked = [engine.check(dict(r, id=f"M{i}")) for i, r in enumerate(requests)]
    try:
        for i in range(10_000):
            engine.decide(checked[i % len(checked)], AS_OF)
        gc.collect()
        after_warm_up = _rss_mib()
        for i in range(90_000):
            engine.decide(checked[i % len(checked)], AS_OF)
        gc.collect()
        growth = _rss_mib() - after_warm_up
    finally:
        engine.close()
    print(f"RSS after 10,000 evaluations: {after_warm_up:.1f} MiB; growth over the next 90,000: {growth:+.2f} MiB")
    assert growth < 5.0


def test_a_list_factor_without_a_cap_adds_its_points_for_every_item(tmp_path: Path) -> None:
    # The shipped recommendations factor is capped (max_points: 10); without the cap each item counts.
    rules, criteria = copy_policy(tmp_path / "policy")
    edit(criteria / "priority.yaml", "    points_each: 5\n    max_points: 10\n", "    points_each: 5\n")
    engine = Engine.load(rules, criteria, cache_size=0)
    request = load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data
    three = copy.deepcopy(request)
    three["priority"] = {"recommendations": [{"mechanism": "upr"}, {"mechanism": "treaty_body"}, {"mechanism": "upr"}]}
    decision = engine.evaluate(three, date(2026, 11, 24))
    assert {i.factor: i.points for i in decision.score_breakdown}["recommendations"] == 15
    assert decision.priority_score == 75  # 60 for the conditions met, 15 for three recommendations


def _complete() -> dict[str, Any]:
    return copy.deepcopy(load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data)


def test_a_factor_worth_no_points_is_left_out_of_the_breakdown(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "policy")
    edit(
        criteria / "priority.yaml",
        "field: priority.small_island_developing_state\n    points: 5",
        "field: priority.small_island_developing_state\n    points: 0",
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    request = _complete()
    request["priority"] = {"small_island_developing_state": True, "least_developed_country": True}
    decision = engine.evaluate(request, date(2026, 11, 24))
    factors = [i.factor for i in decision.score_breakdown]
    assert "least_developed_country" in factors and "small_island_developing_state" not in factors


def test_a_quoted_list_of_vocabulary_values_is_shown_in_words(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "policy")
    edit(rules / "exception.yaml", "a presence in the country.", "a presence in the country ({exception.waives}).")
    engine = Engine.load(rules, criteria, cache_size=0)
    request = _complete()
    request["presence"] = {"type": "none"}
    request["exception"] = {
        "waives": ["in_country_presence", "partnership"], "justification": "j", "requested_by": "r", "approved_by": "a",
        "expires": "2027-01-01",
    }  # fmt: skip
    decision = engine.evaluate(request, date(2026, 11, 24))
    said = {r.rule: r.message for r in decision.exceptions[0].reasons}
    assert said["exception.covers_presence"].endswith("(in country presence, partnership).")


def test_a_field_an_unknown_rule_tests_with_in_null_is_named_as_missing(tmp_path: Path) -> None:
    # Blocking fields come from every test that is true because the field is unknown, not only from `is: unknown`.
    rules, criteria = copy_policy(tmp_path / "policy")
    edit(
        rules / "country_engagement_strategy.yaml",
        "when: {field: strategy.status, is: unknown}",
        "when: {field: strategy.status, in: [null]}",
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    request = _complete()
    del request["strategy"]["status"]
    decision = engine.evaluate(request, date(2026, 11, 24))
    assert decision.condition("country_engagement_strategy").status == "unknown"
    assert list(decision.missing) == ["strategy.status"]


def test_a_factor_outside_the_priority_group_is_scored_too(tmp_path: Path) -> None:
    # The shipped factors all read priority.*; a factor on another group's field must count as well.
    rules, criteria = copy_policy(tmp_path / "policy")
    extra = (
        "  - id: nhri_involved\n    label: NHRI involved\n    field: partnership.nhri_involved\n"
        "    points: 5\n    cite:\n      - source: TC-Report-1998\n"
    )
    edit(criteria / "priority.yaml", "outcome_scores:", extra + "outcome_scores:")
    engine = Engine.load(rules, criteria, cache_size=0)
    request = _complete()
    request["partnership"]["nhri_involved"] = True
    request["priority"] = {"least_developed_country": True}
    decision = engine.evaluate(request, date(2026, 11, 24))
    points = {i.factor: i.points for i in decision.score_breakdown}
    assert points["nhri_involved"] == 5 and points["least_developed_country"] == 10
    assert decision.priority_score == 75


def test_exception_rules_that_disagree_are_reported_with_the_rules_named(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    # An exception that ends on the evaluation day is then both valid and expired.
    edit(rules / "exception.yaml", "when: {field: exception.expires, lt: as_of}", "when: {field: exception.expires, le: as_of}")
    engine = Engine.load(rules, criteria, cache_size=0)
    request = copy.deepcopy(example("05-exception-applied.yaml"))
    request["exception"]["expires"] = AS_OF.isoformat()
    try:
        with pytest.raises(RuleConflict) as info:
            engine.evaluate(request, AS_OF)
        assert info.value.code == "rule-conflict"
        assert info.value.message == (
            "rules disagree on the exception for this request: exception.valid (valid), exception.expired (invalid)"
        )
        assert info.value.location.file == "<request>"
    finally:
        engine.close()


def test_a_request_no_line_of_the_outcome_table_applies_to_is_a_rule_gap(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    table = rules / "outcome.yaml"
    text = table.read_text("utf-8")
    table.write_text(text[: text.index("  - id: outcome.consider_in_strategy\n")], "utf-8")  # line 9, "anything else", gone
    engine = Engine.load(rules, criteria, cache_size=0)
    try:
        with pytest.raises(RuleConflict) as info:
            engine.evaluate(example("04-strategy-in-development.yaml"), AS_OF)
        assert info.value.code == "rule-gap"
        assert info.value.message == "no line of the outcome table applies to this request"
        assert info.value.location.file == "<request>"
    finally:
        engine.close()


def test_an_expired_exception_names_each_evaluation_date_with_the_default_cache() -> None:
    # The exception stage sees only "before the evaluation date", so both days share its part;
    # the reason quotes the date itself and must not be reused from the first day.
    engine = Engine.load(ROOT / "rules", ROOT / "criteria")
    request = copy.deepcopy(example("05-exception-applied.yaml"))
    request["exception"]["expires"] = "2026-01-31"
    try:
        for day in (date(2026, 11, 24), date(2026, 11, 25)):
            (exception,) = engine.evaluate(request, day).exceptions
            expired = [r.message for r in exception.reasons if r.rule == "exception.expired"]
            assert expired == [f"The exception expired on 2026-01-31, before the evaluation date {day.isoformat()}."]
    finally:
        engine.close()


def test_reasons_that_quote_no_date_are_reused_across_days_and_those_that_do_are_not() -> None:
    # The cache of a decision's reasons is keyed by the date only when a reason quotes it
    # (stages._dated): the same request on another day reuses them, or the cache would grow
    # with every evaluation day of a batch re-run over years.
    engine = Engine.load(ROOT / "rules", ROOT / "criteria")
    try:
        for name in ("01-engage-nhri-programme.yaml", "07-missing-information.yaml"):
            engine.evaluate(example(name), date(2026, 11, 24))
            before = engine.pieces_entries()
            engine.evaluate(example(name), date(2026, 11, 25))
            assert engine.pieces_entries() == before, name
        expired = copy.deepcopy(example("05-exception-applied.yaml"))
        expired["exception"]["expires"] = "2026-01-31"  # its reason quotes the evaluation date
        engine.evaluate(expired, date(2026, 11, 24))
        before = engine.pieces_entries()
        engine.evaluate(expired, date(2026, 11, 25))
        assert engine.pieces_entries() == before + 1
    finally:
        engine.close()


def test_an_outcome_line_may_compare_a_date_with_the_evaluation_date(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "outcome.yaml",
        "        - {field: status.partnership, equals: met}\n    outcome: engage\n",
        "        - {field: status.partnership, equals: met}\n        - {field: received, le: as_of}\n    outcome: engage\n",
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    try:
        request = example("01-engage-nhri-programme.yaml")
        assert engine.evaluate(request, AS_OF).outcome == "engage"
        assert engine.evaluate(request, date.fromisoformat(request["received"]) - timedelta(days=1)).outcome != "engage"
    finally:
        engine.close()


def test_a_line_durable_rules_fires_against_the_reference_logic_is_reported_not_decided() -> None:
    # The outcome table's key of one request (line 5 fires) with another request's record and
    # statuses (line 5 is false there): what a durable-rules defect would look like.
    engine = Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=0)
    try:
        table = engine.compiled.outcome
        engaged, other = (
            engine.check(example(name)) for name in ("01-engage-nhri-programme.yaml", "04-strategy-in-development.yaml")
        )
        statuses = {c.name: c.status for c in engine.decide(engaged, AS_OF).criteria}
        key = table.key(engaged.record, AS_OF, {"status": {**statuses, "exception": "absent"}, "covers": {}})
        overlay = {"status": {n: "unknown" for n in statuses} | {"exception": "absent"}, "covers": {n: False for n in statuses}}
        with pytest.raises(RuleConflict) as info:
            engine.stages.outcome(table, key, other.record, overlay, AS_OF, other)
        assert info.value.code == "matcher-disagreement"
        assert info.value.message == ("durable-rules fired outcome.engage but its condition is False here; please report this")
        assert info.value.location.file == "<request>"
    finally:
        engine.close()


def test_the_reasons_follow_the_order_of_the_outcome_line_that_decided(tmp_path: Path) -> None:
    # Line 6 written with the exception's state last: the exception's reasons come where its
    # first test (covers the presence) stands, between the strategy's and the partnership's.
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "outcome.yaml", "        - {field: status.exception, equals: valid}\n        - any:\n", "        - any:\n")
    edit(
        rules / "outcome.yaml",
        "            - {field: covers.partnership, equals: true}\n",
        "            - {field: covers.partnership, equals: true}\n        - {field: status.exception, equals: valid}\n",
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    try:
        decision = engine.evaluate(example("05-exception-applied.yaml"), AS_OF)
        assert decision.decisive_rule == "outcome.engage_with_exception"
        assert [r.rule for r in decision.reasons] == [
            "outcome.engage_with_exception",
            "strategy.adopted_and_fits",
            "exception.valid",
            "exception.covers_presence",
            "partnership.full",
        ]
    finally:
        engine.close()


def test_a_rule_of_unknown_status_may_compare_with_the_evaluation_date(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "country_engagement_strategy.yaml",
        "        - {field: strategy.request_in_strategy, is: unknown}\n    status: unknown\n",
        "        - {field: strategy.request_in_strategy, is: unknown}\n"
        "        - {field: received, le: as_of}\n    status: unknown\n",
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    request = copy.deepcopy(example("01-engage-nhri-programme.yaml"))
    del request["strategy"]["request_in_strategy"]
    try:
        decision = engine.evaluate(request, AS_OF)
        strategy = decision.condition("country_engagement_strategy")
        assert (strategy.status, strategy.missing) == ("unknown", ("strategy.request_in_strategy",))
    finally:
        engine.close()


def test_a_request_no_rule_of_a_condition_applies_to_is_a_rule_gap(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    path = rules / "partnership.yaml"
    text = path.read_text("utf-8")
    start = text.index("  - id: partnership.full\n")
    path.write_text(text[:start] + text[text.index("  - id: ", start + 1) :], "utf-8")  # "both take part" gone
    engine = Engine.load(rules, criteria, cache_size=0)
    try:
        with pytest.raises(RuleConflict) as info:
            engine.evaluate(example("01-engage-nhri-programme.yaml"), AS_OF)
        assert info.value.code == "rule-gap"
        assert info.value.message == "no rule gives partnership a status for this request"
        assert info.value.location.file == "<request>"
    finally:
        engine.close()


def test_a_not_around_is_known_or_unknown_compiles_to_the_other_test(tmp_path: Path) -> None:
    # The same exception rules written with "not": durable-rules must fire them as before.
    rules, criteria = copy_policy(tmp_path)
    edit(
        rules / "exception.yaml",
        "        - {field: exception.justification, is: known}\n",
        "        - not: {field: exception.justification, is: unknown}\n",
    )
    edit(
        rules / "exception.yaml",
        "        - {field: exception.justification, is: unknown}\n",
        "        - not: {field: exception.justification, is: known}\n",
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    unjustified = copy.deepcopy(example("05-exception-applied.yaml"))
    del unjustified["exception"]["justification"]
    try:
        applied = engine.evaluate(example("05-exception-applied.yaml"), AS_OF)
        assert (applied.outcome, applied.exceptions[0].decision) == ("engage", "applied")
        refused = engine.evaluate(unjustified, AS_OF)
        assert refused.outcome == "exception_review"
        assert "exception.no_justification" in refused.rules_fired
    finally:
        engine.close()


def test_a_reason_lists_its_citations_as_a_batch_file_shows_them() -> None:
    decision = shipped_engine().evaluate(example("01-engage-nhri-programme.yaml"), AS_OF)
    assert decision.reasons[0].cites() == "E/CN.4/2006/104 paras 18-20; E/CN.4/2006/104 para 24"
    with pytest.raises(KeyError, match="no_such_condition"):
        decision.condition("no_such_condition")


def test_decision_json_keeps_text_outside_ascii_as_written() -> None:
    request = copy.deepcopy(example("05-exception-applied.yaml"))
    request["exception"]["justification"] = "Le bureau régional gère le projet — à titre provisoire."
    decision = shipped_engine().evaluate(request, AS_OF)
    for text in (decision.to_json(), decision.to_json(indent=None)):
        assert "Le bureau régional gère le projet — à titre provisoire." in text


def test_canonical_json_is_sorted_and_indented_by_two_as_the_api_and_lint_print_it() -> None:
    from engine.evaluation.decision import canonical_json

    assert canonical_json({"b": "é", "a": [1]}) == '{\n  "a": [\n    1\n  ],\n  "b": "é"\n}'
    assert canonical_json({"b": "é", "a": [1]}, indent=None) == '{"a":[1],"b":"é"}'


def test_a_decision_built_without_all_its_fields_names_them() -> None:
    from engine.evaluation.decision import Decision

    with pytest.raises(TypeError, match=r"Decision.build needs exactly the fields request_id, outcome, priority_score, "):
        Decision.build(request_id="R-1")
