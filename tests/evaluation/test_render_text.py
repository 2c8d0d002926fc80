"""The text people read: citations never cut by wrapping, conditions by their proper names (issue 14)."""

from __future__ import annotations

import json
from typing import Any

from ..helpers.clirun import engage
from ..helpers.support import ROOT

AS_OF = "2026-11-24"


def _text_and_decisions() -> tuple[str, list[dict[str, Any]]]:
    text = engage("evaluate", str(ROOT / "examples"), "--as-of", AS_OF).stdout
    decisions = json.loads(engage("evaluate", str(ROOT / "examples"), "--as-of", AS_OF, "--format", "json").stdout)
    return text, decisions


def _citations(decision: dict[str, Any]) -> list[str]:
    found = []
    for reason in decision["reasons"] + [r for c in decision["criteria"].values() for r in c["reasons"]]:
        found += [c["text"] for c in reason["citation"]]
    return found


def test_wrapping_never_cuts_a_citation() -> None:
    text, decisions = _text_and_decisions()
    lines = text.splitlines()
    checked = 0
    for decision in decisions:
        for citation in _citations(decision):
            assert any(citation in line for line in lines), citation
            checked += 1
    assert checked > 50
    assert not [line for line in lines if line.rstrip().endswith(("-", " para", " paras"))]


def test_conditions_are_named_with_their_labels() -> None:
    text, _ = _text_and_decisions()
    assert "(c) in-country presence" in text
    assert "in country presence" not in text


def test_line_9_does_not_speak_of_developing_a_strategy_that_is_adopted() -> None:
    from ..helpers.support import shipped_engine

    engine = shipped_engine()
    base = json.loads((ROOT / "examples" / "09-training-outside-strategy.json").read_text("utf-8"))
    from datetime import date

    for status, in_strategy, word in (
        ("adopted", False, "adopted"),
        ("in_development", None, "in development"),
        ("none", None, "none"),
    ):
        request = dict(base, strategy={"status": status, "request_in_strategy": in_strategy})
        if in_strategy is None:
            request["strategy"] = {"status": status}
        decision = engine.evaluate(request, date.fromisoformat(AS_OF))
        assert decision.outcome == "consider_in_strategy", status
        why = decision.reasons[0].message
        assert f"(its status: {word})" in why, (status, why)
        assert "developing" not in why


def test_the_two_partial_partnership_rules_cite_the_same_paragraphs_as_policy_v1() -> None:
    from ..helpers.support import shipped_engine

    policy = shipped_engine().policy
    partial = [r for r in policy.condition_rules["partnership"] if r.status == "partial"]
    assert [r.id for r in partial] == ["partnership.government_only", "partnership.civil_society_only"]
    cites = {tuple(c.text() for c in r.cite) for r in partial}
    # policy-v1 section 2(d): para 19(d) is the condition, para 18 the Government's agreement and civil society.
    assert cites == {("E/CN.4/2006/104 para 19(d)", "E/CN.4/2006/104 para 18")}


def test_a_decision_made_for_today_says_so_in_its_text() -> None:
    # Every pinned decision is made for a given date; without --as-of the text says "today".
    example = str(ROOT / "examples" / "02-advisory-ad-hoc.yaml")
    run = engage("evaluate", example, "--quiet")
    assert run.status == 0, run.stderr
    dated = [line for line in run.stdout.splitlines() if "  as of " in line]
    assert len(dated) == 1 and dated[0].endswith(" (today)"), dated
