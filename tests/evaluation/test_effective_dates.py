"""Rules with effective dates apply only on the days they are in force; lint checks every day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.authoring.lint import lint
from engine.evaluation.evaluator import DEFAULT_CACHE_SIZE, Engine

from ..helpers.authoring import base_request as request
from ..helpers.authoring import copy_policy

# Both paths: every stage through durable-rules, and the default engine that reuses each
# stage's answer (whose keys must hold the date when a rule is dated).
reuse = pytest.mark.parametrize("cache_size", [0, DEFAULT_CACHE_SIZE], ids=["every-stage", "reused-parts"])


@reuse
def test_a_rule_in_force_from_a_date_changes_the_outcome_only_from_that_date(tmp_path: Path, cache_size: int) -> None:
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/outcome.yaml", "    outcome: respond_ad_hoc\n", "    outcome: respond_ad_hoc\n    effective_from: 2027-01-01\n"
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=cache_size)
    advice = request(request__kind="advisory", expertise_available=True)
    assert engine.evaluate(advice, date(2026, 12, 31)).outcome == "engage"
    on_the_day = engine.evaluate(advice, date(2027, 1, 1))
    assert on_the_day.outcome == "respond_ad_hoc"
    assert on_the_day.decisive_rule == "outcome.ad_hoc"
    assert engine.evaluate(advice, date(2030, 5, 5)).outcome == "respond_ad_hoc"
    # The line is still reachable, and every day is covered: lint has nothing to say.
    assert lint(policy.rules, policy.criteria).findings == ()


@reuse
def test_two_versions_of_a_rule_hand_over_on_a_date(tmp_path: Path, cache_size: int) -> None:
    policy = copy_policy(tmp_path / "p")
    # strategy.in_development: partial until the end of 2026, unmet from 2027 (a stricter policy).
    policy.replace(
        "rules/country_engagement_strategy.yaml",
        "    status: partial\n",
        "    status: partial\n    effective_until: 2026-12-31\n",
    )
    policy.write(
        "rules/country_engagement_strategy_2027.yaml",
        "stage: condition\ncriterion: country_engagement_strategy\nrules:\n"
        "  - id: strategy.in_development\n"
        "    when: {field: strategy.status, equals: in_development}\n"
        "    status: unmet\n    effective_from: 2027-01-01\n"
        "    reason:\n      en: From 2027 a request waits for the adopted strategy.\n"
        "      fr: À partir de 2027, une demande attend la stratégie adoptée.\n"
        "      es: A partir de 2027, una solicitud espera la estrategia aprobada.\n"
        '    cite:\n      - {source: E/CN.4/2006/104, para: "21"}\n',
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=cache_size)
    drafting = request(strategy__status="in_development", strategy__request_in_strategy=None)
    before = engine.evaluate(drafting, date(2026, 12, 31))
    after = engine.evaluate(drafting, date(2027, 1, 1))
    assert before.condition("country_engagement_strategy").status == "partial"
    assert after.condition("country_engagement_strategy").status == "unmet"
    assert (before.priority_score, after.priority_score) == (50, 40)
    assert [r.message for r in after.condition("country_engagement_strategy").reasons] == [
        "From 2027 a request waits for the adopted strategy."
    ]
    # Consistent on every day, no gap between the versions.
    assert lint(policy.rules, policy.criteria).findings == ()
    # A version that starts a day late leaves one day without a status: lint shows that day.
    policy.replace("rules/country_engagement_strategy_2027.yaml", "effective_from: 2027-01-01", "effective_from: 2027-01-02")
    report = lint(policy.rules, policy.criteria)
    assert sorted(f.check for f in report.findings) == ["rule-gap", "version-gap"]
    (gap,) = [f for f in report.findings if f.check == "rule-gap"]
    assert gap.witness is not None and gap.witness.as_of == date(2027, 1, 1)
