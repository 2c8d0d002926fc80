"""The finite field domains, the stage enumeration, and agreement of durable-rules with engine.evaluation.logic on every point."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.authoring.domains import (
    AS_OF_COLUMN,
    REFERENCE_DAY,
    Evaluator,
    Relative,
    Space,
    StageSpace,
    fires,
    nest,
    witness_request,
)
from engine.evaluation.compiler import Stage
from engine.evaluation.evaluator import Engine
from engine.policy.loader import load_policy

from ..helpers.authoring import copy_policy
from ..helpers.support import ROOT, shipped_engine


@pytest.fixture(scope="module")
def space() -> Space:
    return Space(shipped_engine().policy)


def test_domains_of_the_shipped_fields(space: Space) -> None:
    d = space.domains
    assert d["strategy.request_in_strategy"].values_on(REFERENCE_DAY) == (True, False, None)
    # Every presence type is mentioned by some rule: no "other" value is needed.
    assert d["presence.type"].values == (
        "none",
        "regional_office",
        "human_rights_adviser",
        "country_office",
        "peace_mission_component",
    )
    # request.kind: the two values the rules mention, plus one that stands for the others.
    assert d["request.kind"].values == ("advisory", "needs_assessment", "programme")
    # Dates compared with as_of: the day before, the day, the day after.
    assert d["exception.expires"].values == (Relative(-1), Relative(0), Relative(1))
    assert d["exception.expires"].values_on(date(2026, 11, 24)) == ("2026-11-23", "2026-11-24", "2026-11-25", None)
    # A list read with contains: every subset of the values asked about.
    assert len(d["exception.waives"].values) == 8
    # Text only tested with is: known / unknown.
    assert d["exception.approved_by"].values == ("example",)
    # Fields no rule reads have no domain.
    assert "request.budget_usd" not in d and "country" not in d
    assert space.as_of_dates == (REFERENCE_DAY,)


def test_stage_fields_and_sizes(space: Space) -> None:
    sizes = {st.name: sum(1 for _ in space.points(st)) for st in (*space.conditions, space.exception)}
    assert sizes == {
        "condition.mandate_integrity": 3**4,
        "condition.country_engagement_strategy": 4 * 3,
        "condition.in_country_presence": 6 * 3 * 3,
        "condition.partnership": 3 * 3,
        "exception": 9 * 2 * 2 * 2 * 4,
    }
    assert space.outcome.fields[:3] == ("request.kind", "presence.type", "expertise_available")
    assert not space.conditions[0].dated and space.exception.dated


def test_numbers_dates_and_text_get_their_boundaries(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/outcome.yaml",
        "    when: {field: status.mandate_integrity, equals: unknown}",
        "    when:\n      any:\n        - {field: status.mandate_integrity, equals: unknown}\n"
        "        - all:\n            - {field: request.duration_months, ge: 12}\n"
        "            - {field: request.budget_usd, lt: 1000.5}\n"
        "            - {field: received, lt: 2026-06-01}\n"
        "            - {field: requester.name, equals: Ministry}\n"
        "            - {field: request.themes, contains: nhri}\n"
        "            - {field: requester, is: known}\n",
    )
    space = Space(load_policy(policy.rules, policy.criteria))
    d = space.domains
    assert d["request.duration_months"].values == (11, 12, 13)
    assert d["request.budget_usd"].values == (999.5, 1000.5, 1001.5)
    assert d["received"].values == ("2026-05-31", "2026-06-01", "2026-06-02")
    assert d["received"].required and None not in d["received"].values_on(REFERENCE_DAY)
    assert d["requester.name"].values == ("Ministry", "example")
    assert d["request.themes"].values == ((), ("nhri",))
    # The dates the rules name set the evaluation dates that matter.
    assert space.as_of_dates == (date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 2))
    # requester is read as a whole: its leaves that rules read, and one stand-in for the others.
    outcome_fields = space.outcome.fields
    assert "requester.type" in outcome_fields and "requester.government_endorsed" in outcome_fields
    assert space.stand_ins == {"requester.type": ("requester.type", "requester.language")}


def test_witness_requests_are_valid() -> None:
    engine = shipped_engine()
    flat = {"exception.waives": ("partnership",), "exception.expires": "2026-01-02", "strategy.status": None}
    request = witness_request(flat, date(2026, 1, 1))
    assert request == {
        "id": "LINT-WITNESS",
        "received": "2026-01-01",
        "exception": {"waives": ["partnership"], "expires": "2026-01-02"},
    }
    engine.check(request)


# -- durable-rules agrees with engine.evaluation.logic on every enumerated point --------------------------


def _agree(stage: Stage, spec: StageSpace, space: Space) -> int:
    assert [r.id for r in stage.rules] == [r.id for r in spec.rules]
    count = 0
    for fired in space.fired(spec):
        record = nest(fired.point.flat(spec.fields))
        durable = stage.match(stage.key(record, fired.point.as_of))
        assert [r.id for r in durable] == [r.id for r in fired.rules], (spec.name, record, fired.point.as_of)
        count += 1
    return count


def _check_every_stage(engine: Engine) -> int:
    space = Space(engine.policy)
    count = 0
    for (name, stage), spec in zip(engine.compiled.conditions, space.conditions, strict=True):
        assert spec.criterion == name
        count += _agree(stage, spec, space)
    count += _agree(engine.compiled.exception, space.exception, space)
    return count


def test_durable_rules_agrees_with_logic_on_every_condition_and_exception_point() -> None:
    assert _check_every_stage(shipped_engine()) == 81 + 12 + 54 + 9 + 288


@pytest.mark.slow
def test_durable_rules_agrees_with_logic_on_every_outcome_combination() -> None:
    engine = shipped_engine()
    space = Space(engine.policy)
    relation, _ = space.outcome_rows()
    assert AS_OF_COLUMN not in relation.columns
    stage = engine.compiled.outcome
    for row in relation.rows:
        record = nest(dict(zip(relation.columns, row, strict=True)))
        durable = stage.match(stage.key(record, REFERENCE_DAY))
        by_logic = [r for r in space.outcome.rules if fires(r, record, REFERENCE_DAY)]
        assert [r.id for r in durable] == [r.id for r in by_logic], record
    assert len(relation.rows) == 97_920


def test_durable_rules_agrees_with_logic_on_dated_rules(tmp_path: Path) -> None:
    """Effective dates and fixed-date comparisons, on every evaluation date that matters."""
    policy = copy_policy(tmp_path / "p")
    policy.replace("rules/partnership.yaml", "    status: unmet\n", "    status: unmet\n    effective_until: 2026-12-31\n")
    policy.write(
        "rules/partnership_2027.yaml",
        "stage: condition\ncriterion: partnership\nrules:\n  - id: partnership.none\n"
        "    when:\n      all:\n        - {field: partnership.government_counterpart, equals: false}\n"
        "        - {field: partnership.civil_society_involved, in: [false, null]}\n"
        "        - {field: received, ge: 2026-07-01}\n"
        "    status: unmet\n    effective_from: 2027-01-01\n    reason: Neither.\n"
        "    cite:\n      - {source: E/CN.4/2006/104, para: 19(d)}\n",
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    space = Space(engine.policy)
    assert date(2026, 12, 31) in space.as_of_dates and date(2027, 1, 1) in space.as_of_dates
    assert _check_every_stage(engine) > 0


def test_the_fast_evaluator_agrees_with_the_engine_on_the_examples() -> None:
    from engine.batches.inputs import read_requests

    engine = shipped_engine()
    evaluator = Evaluator(Space(engine.policy))
    items = list(read_requests([str(ROOT / "examples")]))
    assert len(items) == 9
    for as_of in (date(2026, 11, 24), date(2027, 7, 1)):
        for item in items:
            assert item.doc is not None
            checked = engine.check(item.doc.data, item.doc)
            decision = engine.decide(checked, as_of)
            assert evaluator.outcome(evaluator.flat(checked.record), as_of) == decision.outcome
