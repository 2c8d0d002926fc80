"""A reason's quoted values, as a reader sees them: yes/no, unknown, vocabulary words, the date."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from engine.evaluation.evaluator import Engine
from engine.policy.documents import load_file

from ..helpers.support import ROOT, copy_policy, edit


def test_a_reason_quoting_values_shows_each_kind_of_value_in_words(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "policy")
    quoted = "({requester.government_endorsed}/{request.funding_only}; {partnership.nhri_involved}; "
    quoted += "{request.kind}; {country}; {as_of})"
    edit(
        rules / "mandate_integrity.yaml", "is not a request for funding only.\n", f"is not a request for funding only {quoted}.\n"
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    request = copy.deepcopy(load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data)
    request["request"]["kind"] = "needs_assessment"
    decision = engine.evaluate(request, date(2026, 11, 24))
    (reason,) = decision.condition("mandate_integrity").reasons
    assert reason.message.endswith("funding only (yes/no; (unknown); needs assessment; SLE; 2026-11-24).")


def test_a_reason_quoting_lists_and_text_shows_vocabulary_words_and_free_text_as_written(tmp_path: Path) -> None:
    # A list of vocabulary values is shown in words; a list of free text, and free text, exactly as typed
    # (an underscore in a name is the requester's, not a code to translate).
    rules, criteria = copy_policy(tmp_path / "policy")
    quoted = "({request.themes}; {partnership.un_partners}; {requester.name})"
    edit(
        rules / "mandate_integrity.yaml", "is not a request for funding only.\n", f"is not a request for funding only {quoted}.\n"
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    request = copy.deepcopy(load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data)
    request["request"]["themes"] = ["nhri", "transitional_justice"]
    request["partnership"]["un_partners"] = ["UNDP", "UN_Women"]
    request["requester"]["name"] = "Ministry_of_Justice"
    decision = engine.evaluate(request, date(2026, 11, 24))
    (reason,) = decision.condition("mandate_integrity").reasons
    assert reason.message.endswith("funding only (nhri, transitional justice; UNDP, UN_Women; Ministry_of_Justice).")


ENGAGE = "en: All the conditions for technical cooperation engagement are met"  # the English of the reason
FUNDING = "is not a request for funding only"


@pytest.mark.parametrize("quoting", ["condition", "outcome line"])
def test_a_reason_quoting_the_evaluation_date_shows_each_day_with_and_without_the_cache(tmp_path: Path, quoting: str) -> None:
    # One reason quotes {as_of} (a condition's, or the outcome line's) and nothing else does;
    # neither stage compares with the date, so both days share their parts, and the cached
    # engine must still show each day.
    rules, criteria = copy_policy(tmp_path / "policy")
    if quoting == "outcome line":
        edit(rules / "outcome.yaml", f"{ENGAGE}.\n", f"{ENGAGE} on {{as_of}}.\n")
    else:
        edit(rules / "mandate_integrity.yaml", f"{FUNDING}.\n", f"{FUNDING} ({{as_of}}).\n")
    request = load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data
    for engine in (Engine.load(rules, criteria, cache_size=0), Engine.load(rules, criteria)):
        try:
            for day in (date(2026, 11, 24), date(2026, 11, 25)):
                decision = engine.evaluate(request, day)
                assert decision.outcome == "engage"
                (reason,) = decision.condition("mandate_integrity").reasons
                if quoting == "outcome line":
                    assert decision.reasons[0].message == f"{ENGAGE[len('en: ') :]} on {day}."
                else:
                    assert reason.message.endswith(f"funding only ({day}).")
        finally:
            engine.close()


def test_an_engine_of_its_own_names_what_is_missing_in_the_order_of_the_form() -> None:
    # Built here, not shared: the shared engine is built once per process, before a changed
    # constructor could be seen.
    engine = Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=0)
    request = copy.deepcopy(load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data)
    del request["partnership"]["civil_society_involved"]
    del request["strategy"]["status"], request["strategy"]["request_in_strategy"]
    del request["presence"]["adequately_staffed"]
    decision = engine.evaluate(request, date(2026, 11, 24))
    assert decision.outcome == "request_information"
    assert decision.missing == ("presence.adequately_staffed", "strategy.status", "partnership.civil_society_involved")
