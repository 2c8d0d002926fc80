"""``engage explain``: the trace of a decision, and the smallest changes that would alter it."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import pytest

from engine.authoring.domains import Space
from engine.authoring.explain import Change, _stage_trace, _verify, apply_changes, explain, render_text, what_would_change
from engine.batches.inputs import read_requests
from engine.bench.decisions import generate
from engine.errors import RuleConflict
from engine.evaluation.evaluator import Checked, Engine

from ..helpers.authoring import base_request, copy_policy, run_command
from ..helpers.support import ROOT, shipped_engine

AS_OF = date(2026, 11, 24)


def checked(name: str) -> Checked:
    (item,) = read_requests([str(ROOT / "examples" / name)])
    assert item.doc is not None
    return shipped_engine().check(item.doc.data, item.doc)


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    return run_command("explain", *argv, stdin=stdin)


def test_trace_of_the_missing_information_example() -> None:
    result = explain(shipped_engine(), checked("07-missing-information.yaml"), AS_OF)
    stages = {s.name: s for s in result.stages}
    assert [s.result for s in result.stages] == ["met", "met", "unknown", "unknown", "absent", "request_information"]
    presence = stages["condition.in_country_presence"]
    fired = [r.rule.id for r in presence.rules if r.fired]
    assert fired == ["presence.capacity_unknown"]
    full = next(r for r in presence.rules if r.rule.id == "presence.full")
    assert full.value is None and not full.fired  # unknown: does not fire
    staffed = full.node.children[1]
    assert staffed.test is not None and staffed.test.field == "presence.adequately_staffed"
    assert (staffed.seen, staffed.value) == (None, None)
    outcome = stages["outcome"]
    assert outcome.decisive == "outcome.conditions_unknown"
    assert [r.rule.id for r in outcome.rules if r.fired] == ["outcome.conditions_unknown", "outcome.consider_in_strategy"]


def test_text_shows_tests_seen_and_the_decisive_line() -> None:
    status, out, err = run(str(ROOT / "examples" / "07-missing-information.yaml"), "--as-of", "2026-11-24")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "REQ-2026-0107: ASK FOR MISSING INFORMATION (request_information)"
    assert lines[1] == "  as of 2026-11-24 (given); decided by outcome.conditions_unknown"
    assert "(c) in_country_presence: unknown" in lines
    assert "            presence.adequately_staffed equals true: saw unknown -> unknown" in lines
    assert "  [x]  4. outcome.conditions_unknown (outcome: request_information)   <- decides" in lines
    assert (
        "  [x]  9. outcome.consider_in_strategy (outcome: consider_in_strategy)   (applies too, but an earlier line decided)"
        in lines
    )
    change = lines.index("What would change it (the fewest field changes):")
    assert lines[change + 1 : change + 7] == [
        "  decline if requester.government_endorsed becomes false",
        "  decline if request.funding_only becomes true",
        "  decline if mandate.restricts_monitoring becomes true",
        "  decline if mandate.contrary_to_standards becomes true",
        "  engage if presence.adequately_staffed is true and partnership.civil_society_involved is true",
        "  respond_ad_hoc if request.kind becomes advisory and expertise_available is true",
    ]


def test_the_sentence_intake_staff_tell_a_government() -> None:
    alternatives, unreached, _ = what_would_change(shipped_engine(), checked("04-strategy-in-development.yaml").record, AS_OF)
    engage = next(a for a in alternatives if a.outcome == "engage")
    assert engage.sentences() == ["engage if strategy.status becomes adopted and strategy.request_in_strategy is true"]
    assert engage.size == 2
    assert unreached == ()


@pytest.mark.parametrize(
    "example",
    [
        "01-engage-nhri-programme.yaml",
        "04-strategy-in-development.yaml",
        "06-exception-expired.yaml",
        "07-missing-information.yaml",
    ],
)
def test_changes_are_real_and_smallest(example: str) -> None:
    """Checked through the engine itself, by brute force over every change of one or two fields."""
    engine = shipped_engine()
    record = checked(example).record
    current = engine.evaluate(record, AS_OF).outcome
    alternatives, _, _ = what_would_change(engine, record, AS_OF, budget=None)
    # Every concrete change set reported gives its outcome.
    for alt in alternatives:
        for option in alt.options:
            for changes in option.combinations():
                assert len(changes) == alt.size
                assert engine.evaluate(apply_changes(record, changes), AS_OF).outcome == alt.outcome
    # Nothing smaller reaches an outcome: brute force with the engine over one and two fields.
    space = Space(engine.policy)
    fields = [f for f in space.domains if space.domain(f).known(AS_OF)]
    smallest: dict[str, int] = {}
    for size in (1, 2):
        for combo in itertools.combinations(fields, size):
            options = [[v for v in space.domain(f).known(AS_OF) if v != _current(record, f)] for f in combo]
            for values in itertools.product(*options):
                changes = [Change(f, None, v) for f, v in zip(combo, values, strict=True)]
                outcome = engine.evaluate(apply_changes(record, changes), AS_OF).outcome
                if outcome != current:
                    smallest.setdefault(outcome, size)
    reported = {a.outcome: a.size for a in alternatives}
    assert {o: s for o, s in reported.items() if s <= 2} == smallest


def _current(record: dict[str, object], path: str) -> object:
    from engine.authoring.domains import freeze
    from engine.evaluation.logic import lookup

    return freeze(lookup(record, path))


def test_json_output() -> None:
    status, out, _ = run(str(ROOT / "examples" / "06-exception-expired.yaml"), "--as-of", "2026-11-24", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["outcome"] == "exception_review" and data["decisive"] == "outcome.exception_review"
    exception = next(s for s in data["stages"] if s["stage"] == "exception")
    expired = next(r for r in exception["rules"] if r["rule"] == "exception.expired")
    assert expired["fired"] is True and expired["condition"] == "true"
    assert expired["trace"] == {
        "kind": "test",
        "value": "true",
        "field": "exception.expires",
        "op": "lt",
        "expected": "as_of",
        "seen": "2026-06-30",
    }
    engage = next(a for a in data["what_would_change"] if a["outcome"] == "engage")
    # The whole range, not the two days around the bound that the domain holds.
    assert engage["sentences"] == ["engage if exception.expires becomes 2026-11-24 or later"]
    assert engage["options"][0]["changes"][0]["range"] == "2026-11-24 or later"
    assert run(str(ROOT / "examples" / "06-exception-expired.yaml"), "--as-of", "2026-11-24", "--format", "json")[1] == out


def test_standard_input_and_bad_input(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "08-funding-only.yaml").read_text("utf-8")
    status, out, _ = run("-", "--as-of", "2026-11-24", stdin=text)
    assert status == 0 and out.startswith("REQ-2026-0108: DECLINE (decline)")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: X\nreceived: 2026-01-01\npresense: {type: none}\n", "utf-8")
    status, out, err = run(str(bad))
    assert (status, out) == (2, "")
    assert err == f"{bad}:3:1: unknown-field: presense: not a request field (did you mean 'presence'?)\n"
    two = tmp_path / "two.yaml"
    two.write_text("id: A\nreceived: 2026-01-01\n---\nid: B\nreceived: 2026-01-01\n", "utf-8")
    status, _, err = run(str(two))
    assert status == 2
    assert err == f"{two}:4:1: several-requests: explain takes one request; this input holds 2\n"
    status, _, err = run(str(tmp_path / "none.yaml"))
    assert (status, err) == (2, f"{tmp_path / 'none.yaml'}: file-not-found: no such file\n")


# The two guards below only trip on a bug (durable-rules and engine/evaluation/logic.py disagreeing); they
# are driven here by handing them what a disagreement would look like, not by a mock.


def test_a_rule_durable_rules_did_not_fire_but_the_trace_says_fires_is_an_internal_error() -> None:
    engine = shipped_engine()
    request = checked("07-missing-information.yaml")
    name, stage = next((n, s) for n, s in engine.compiled.conditions if n == "in_country_presence")
    fired = engine.fire(stage, request.record, AS_OF)
    assert [r.id for r in fired] == ["presence.capacity_unknown"]
    assert _stage_trace(stage.name, name, stage.rules, fired, request.record, AS_OF, request)  # agreeing: a trace
    with pytest.raises(RuleConflict) as caught:
        _stage_trace(stage.name, name, stage.rules, [], request.record, AS_OF, request)
    assert caught.value.code == "matcher-disagreement"
    assert "did not fire presence.capacity_unknown" in caught.value.message
    assert caught.value.location.file and caught.value.location.file.endswith("07-missing-information.yaml")


def test_a_change_the_engine_does_not_confirm_is_never_offered() -> None:
    engine = shipped_engine()
    request = checked("07-missing-information.yaml")
    to_decline = [Change("request.funding_only", False, True)]
    _verify(engine, request.record, to_decline, AS_OF, "decline")  # confirmed: no error
    with pytest.raises(RuleConflict) as caught:
        _verify(engine, request.record, to_decline, AS_OF, "engage")
    assert caught.value.code == "matcher-disagreement"
    assert "found engage if" in caught.value.message and "gives decline" in caught.value.message


# -- the fewest changes, checked by brute force through the engine ------------------------------------


def _brute_force(engine: Engine, record: dict[str, object], as_of: date, up_to: int) -> dict[str, int]:
    """For each outcome other than the current one, the fewest fields (up to ``up_to``) whose change reaches it."""
    space = Space(engine.policy)
    current = engine.evaluate(record, as_of).outcome
    fields = [f for f in space.domains if space.domain(f).known(as_of)]
    smallest: dict[str, int] = {}
    for size in range(1, up_to + 1):
        for combo in itertools.combinations(fields, size):
            options = [[v for v in space.domain(f).known(as_of) if v != _current(record, f)] for f in combo]
            for values in itertools.product(*options):
                changes = [Change(f, None, v) for f, v in zip(combo, values, strict=True)]
                outcome = engine.evaluate(apply_changes(record, changes), as_of).outcome
                if outcome != current:
                    smallest.setdefault(outcome, size)
    return smallest


@pytest.mark.parametrize("seed", range(12))
def test_no_outcome_is_reachable_with_fewer_changes_than_reported(seed: int) -> None:
    """Generated requests, the shipped policy: every change of one and of two fields tried by the engine."""
    engine = shipped_engine()
    (request,) = generate(1, seed)
    record = engine.check(request).record
    alternatives, unreached, stopped = what_would_change(engine, record, AS_OF, budget=None)
    assert stopped == ()
    reported = {a.outcome: a.size for a in alternatives}
    found = _brute_force(engine, record, AS_OF, 2)
    # Nothing the brute force reaches in one or two changes is reported as needing more, or missed.
    assert {o: s for o, s in reported.items() if s <= 2} == found
    assert all(reported[o] > 2 for o in reported if o not in found)
    assert not set(found) & set(unreached)
    for alt in alternatives:
        for option in alt.options:
            for changes in option.combinations():
                assert engine.evaluate(apply_changes(record, changes), AS_OF).outcome == alt.outcome


def test_a_threshold_is_shown_as_its_whole_range(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/outcome.yaml",
        "        - {field: request.kind, equals: advisory}\n        - {field: expertise_available, equals: true}\n",
        "        - {field: request.kind, equals: advisory}\n        - {field: expertise_available, equals: true}\n"
        "        - {field: request.duration_months, le: 60}\n",
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    record = engine.check(base_request(request__kind="advisory", expertise_available=True, request__duration_months=72)).record
    current = engine.evaluate(record, AS_OF).outcome
    assert current != "respond_ad_hoc"
    alternatives, _, _ = what_would_change(engine, record, AS_OF)
    ad_hoc = next(a for a in alternatives if a.outcome == "respond_ad_hoc")
    assert ad_hoc.size == 1
    assert ad_hoc.sentences() == ["respond_ad_hoc if request.duration_months becomes 60 or less"]
    # The range is what the engine does: both ends and a value inside reach it, one more does not.
    for months, outcome in ((0, "respond_ad_hoc"), (37, "respond_ad_hoc"), (60, "respond_ad_hoc"), (61, current)):
        changed = apply_changes(record, [Change("request.duration_months", 72, months)])
        assert engine.evaluate(changed, AS_OF).outcome == outcome


def test_the_solver_finds_the_sizes_the_old_enumeration_found() -> None:
    """On every example, the fewest changes agree with the breadth-first search up to three fields."""
    from engine.authoring.explain_enumerated import what_would_change_by_enumeration

    engine = shipped_engine()
    items = list(read_requests([str(ROOT / "examples")]))
    assert len(items) == 9
    for item in items:
        assert item.doc is not None
        record = engine.check(item.doc.data, item.doc).record
        before, _ = what_would_change_by_enumeration(engine, record, AS_OF)
        after, unreached, _ = what_would_change(engine, record, AS_OF, budget=None)
        sizes = {a.outcome: a.size for a in after}
        assert {a.outcome: a.size for a in before} == {o: s for o, s in sizes.items() if s <= 3}, item.doc
        assert set(unreached).isdisjoint(a.outcome for a in before)


def test_a_search_over_its_time_limit_says_which_outcomes_it_did_not_finish() -> None:
    """A limit of no time at all stops before the first solver call, whatever the machine's speed."""
    engine = shipped_engine()
    request = checked("04-strategy-in-development.yaml")
    found = what_would_change(engine, request.record, AS_OF, budget=0)
    others = tuple(o for o in engine.policy.vocab.outcomes if o != "consider_in_strategy")
    assert found == ((), (), others)
    result = explain(engine, request, AS_OF, budget=0)
    assert result.to_dict()["not_searched"] == list(others)
    text = render_text(result, engine.policy)
    assert f"  not searched to the end within the time limit of 0 s: {', '.join(others)}" in text.splitlines()
    assert "no change leads to another outcome" not in text  # not searched is not unreachable
    status, out, _ = run(str(ROOT / "examples" / "04-strategy-in-development.yaml"), "--as-of", "2026-11-24", "--time-limit", "0")
    assert status == 0 and "not searched to the end within the time limit of 0 s" in out
    # The solver is shared: a search after one cut short has no limit left over from it.
    assert what_would_change(engine, request.record, AS_OF, budget=None).stopped == ()


def test_the_ways_shown_do_not_depend_on_the_requests_explained_before() -> None:
    """The solver is shared by every request: what it learnt from one must not change another's answer.

    Among these requests some have more ways than are shown (``more``), where the ways kept
    were once the solver's first finds.
    """
    engine = shipped_engine()
    records = [engine.check(r).record for r in generate(25, seed=11)]
    forward = [what_would_change(engine, r, AS_OF, budget=None) for r in records]
    backward = [what_would_change(engine, r, AS_OF, budget=None) for r in reversed(records)][::-1]
    assert any(a.more for found in forward for a in found.alternatives)
    assert [[a.to_dict() for a in f.alternatives] for f in forward] == [[a.to_dict() for a in b.alternatives] for b in backward]
