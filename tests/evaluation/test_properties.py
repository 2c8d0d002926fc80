"""Properties of the whole engine over generated requests (policy-v1 sections 2-6).

The engine under test runs every stage through durable-rules (no reuse of results); a
second engine with result reuse must give byte-identical decisions.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluation.decision import Decision

from ..helpers import reference
from ..helpers.strategies import AS_OF, requests, shuffled
from ..helpers.support import shipped_engine

MANY = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decide(request: dict[str, Any], as_of: date = AS_OF, *, cached: bool = False) -> Decision:
    return shipped_engine(50_000 if cached else 0).evaluate(request, as_of)


def summary(d: Decision) -> tuple[Any, ...]:
    return (
        d.outcome,
        {c.name: c.status for c in d.criteria},
        d.priority_score,
        list(d.missing),
        d.exceptions[0].decision if d.exceptions else "none",
    )


@MANY
@given(requests())
def test_durable_rules_agree_with_the_reference_evaluator(request: dict[str, Any]) -> None:
    decision = decide(request)
    ref = reference.evaluate(shipped_engine().check(request).record, AS_OF)
    assert summary(decision) == (ref.outcome, ref.statuses, ref.score, ref.missing, ref.exception)
    # What the Board reads beside the outcome: each condition's score and the unknown fields it
    # names, what an exception leaves uncovered, and every item of the score.
    assert {c.name: c.score for c in decision.criteria} == ref.condition_scores
    assert {c.name: list(c.missing) for c in decision.criteria} == ref.blocking
    assert (list(decision.exceptions[0].uncovered) if decision.exceptions else []) == ref.uncovered
    assert [(i.factor, i.points) for i in decision.score_breakdown] == ref.breakdown


@MANY
@given(requests(), st.integers(-400, 400))
def test_reusing_results_gives_identical_decisions(request: dict[str, Any], shift: int) -> None:
    as_of = date.fromordinal(AS_OF.toordinal() + shift)
    cached, fresh = decide(request, as_of, cached=True), decide(request, as_of)
    assert cached.to_json() == fresh.to_json()
    assert cached.to_json(indent=None) == fresh.to_json(indent=None)


@MANY
@given(requests())
def test_compact_json_is_the_canonical_dump_of_the_decision(request: dict[str, Any]) -> None:
    from engine.evaluation.decision import canonical_json

    decision = decide(request, cached=True)
    assert decision.to_json(indent=None) == canonical_json(decision.to_dict(), indent=None)


@SOME
@given(requests(), st.integers(0, 10**6))
def test_deterministic_and_independent_of_key_order(request: dict[str, Any], seed: int) -> None:
    first = decide(request).to_json()
    assert decide(request).to_json() == first
    assert decide(shuffled(request, seed)).to_json() == first


@SOME
@given(requests(), st.sampled_from(["restricts_monitoring", "contrary_to_standards", "funding_only", "not_endorsed"]))
def test_mandate_unmet_always_declines(request: dict[str, Any], cause: str) -> None:
    changed = copy.deepcopy(request)
    if cause == "funding_only":
        changed["request"] = {**(changed.get("request") or {}), "funding_only": True}
    elif cause == "not_endorsed":
        changed["requester"] = {**(changed.get("requester") or {}), "government_endorsed": False}
    else:
        changed["mandate"] = {**(changed.get("mandate") or {}), cause: True}
    decision = decide(changed)
    assert decision.outcome == "decline"
    assert decision.condition("mandate_integrity").status == "unmet"
    assert decision.priority_score == 0


# Settings of one condition's fields, from unmet through partial to met.
LADDERS: dict[str, list[dict[str, Any]]] = {
    "strategy": [
        {"status": "none"},
        {"status": "in_development"},
        {"status": "adopted", "request_in_strategy": True},
    ],
    "presence": [
        {"type": "none"},
        {"type": "regional_office"},
        {"type": "country_office", "adequately_staffed": True, "long_term_programming": True},
    ],
    "partnership": [
        {"government_counterpart": False, "civil_society_involved": False},
        {"government_counterpart": True, "civil_society_involved": False},
        {"government_counterpart": True, "civil_society_involved": True},
    ],
}


@SOME
@given(requests(), st.sampled_from(sorted(LADDERS)))
def test_raising_a_condition_never_lowers_the_score(request: dict[str, Any], group: str) -> None:
    scores = []
    statuses = []
    for rung in LADDERS[group]:
        changed = copy.deepcopy(request)
        changed[group] = {**(changed.get(group) or {}), **rung}
        if group == "strategy" and rung["status"] != "adopted":
            changed[group].pop("request_in_strategy", None)
        decision = decide(changed)
        scores.append(decision.priority_score)
        statuses.append([c.status for c in decision.criteria])
    assert scores == sorted(scores), (group, scores)
    # The ladder really moves the condition: unmet, partial, met.
    index = {"strategy": 1, "presence": 2, "partnership": 3}[group]
    assert [s[index] for s in statuses] == ["unmet", "partial", "met"]


@MANY
@given(requests())
def test_missing_names_exactly_the_blocking_unknown_fields(request: dict[str, Any]) -> None:
    engine = shipped_engine()
    record = engine.check(request).record
    decision = decide(request)
    ref = reference.evaluate(record, AS_OF)
    assert list(decision.missing) == ref.missing
    # Each one really is unknown, and only "ask for information" lists any.
    from engine.evaluation.logic import lookup

    assert all(lookup(record, f) is None for f in decision.missing)
    assert bool(decision.missing) == (decision.outcome == "request_information")
    # Every condition lists its own blockers, the same the reference gives.
    for result in decision.criteria:
        assert list(result.missing) == ref.blocking[result.name], result.name


@SOME
@given(requests())
def test_every_reason_cites_a_known_source(request: dict[str, Any]) -> None:
    engine = shipped_engine()
    decision = decide(request)
    reasons = list(decision.reasons)
    for result in decision.criteria:
        reasons.extend(result.reasons)
    for exc in decision.exceptions:
        reasons.extend(exc.reasons)
    assert reasons
    for reason in reasons:
        assert reason.citation, reason.rule
        for cite in reason.citation:
            assert cite.source in engine.policy.sources
            if engine.policy.sources[cite.source].numbered_paragraphs:
                assert cite.para
