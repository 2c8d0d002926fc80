"""``could_change`` names exactly the unknown fields whose value alone could change the outcome.

Checked against brute force: for generated requests (with many fields left unknown), every
unknown field of the request schema is given, alone, every value of a generous domain of its
own (wider than the classes the engine tries), and the request is evaluated through the engine;
the pairs (field, other outcome) found that way must be exactly the decision's ``could_change``.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InvalidRequest, RuleConflict
from engine.evaluation.could_change import Dates, trial_values
from engine.evaluation.evaluator import Engine
from engine.policy.model import Test
from engine.policy.schema import FieldCatalog, FieldSpec

from ..helpers.authoring import copy_policy
from ..helpers.strategies import AS_OF, requests
from ..helpers.support import ROOT, shipped_engine

ENGINE = shipped_engine(50_000)  # the engine as it runs, with its reuse layer
CATALOG = FieldCatalog(ENGINE.policy.request_schema, ())
LEAVES = [p for p in CATALOG.request_paths if CATALOG.fields[p].kind != "object"]
REQUIRED = {"id", "received"}


# The request these tests start from: every condition met but the strategy (none), a programme.
# Each test names what it changes; a group given as None is left out (unknown).
_MET: dict[str, Any] = {
    "received": "2026-10-01",
    "requester": {"type": "government", "government_endorsed": True},
    "request": {"kind": "programme", "funding_only": False},
    "mandate": {"restricts_monitoring": False, "contrary_to_standards": False},
    "strategy": {"status": "none"},
    "presence": {"type": "country_office", "adequately_staffed": True, "long_term_programming": True},
    "partnership": {"government_counterpart": True, "civil_society_involved": True},
    "expertise_available": True,
}
_ADVISORY = {"kind": "advisory", "funding_only": False}


def _request(id_: str, **groups: Any) -> dict[str, Any]:
    out = copy.deepcopy({"id": id_, **_MET, **groups})
    return {k: v for k, v in out.items() if v is not None}


def _node(path: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = ENGINE.policy.request_schema
    for part in path.split("."):
        node = node["properties"][part]
    return node


def domain(path: str, spec: FieldSpec) -> Iterator[Any]:
    """Values of ``path`` to try: every value of a closed domain, a wide sample of an open one."""
    if spec.kind == "bool":
        yield from (True, False)
    elif spec.kind == "enum":
        yield from spec.enum or ()
    elif spec.kind == "integer":
        yield from [*range(0, 131), 600, 1199, 1200]
    elif spec.kind == "number":
        yield from [0, 0.5, 1, 10, 999.5, 1000, 49_999.5, 50_000, 50_000.5, 100_000, 10**6, 10**12]
    elif spec.kind == "date":
        yield from ((AS_OF + timedelta(days=d)).isoformat() for d in (-800, -400, -31, -2, -1, 0, 1, 2, 31, 400, 800))
    elif spec.kind == "string":
        yield from ("x", "Jane Doe", "example", "Ministry of Justice")
    elif spec.kind == "list" and spec.item_kind == "object":
        mechanisms = _node(path)["items"]["properties"]["mechanism"]["enum"]
        yield []
        yield from ([{"mechanism": m}] for m in mechanisms)
        yield [{"mechanism": m} for m in mechanisms]
    elif spec.kind == "list" and spec.enum:
        values = list(spec.enum)
        yield []
        for n in (1, 2) if len(values) > 4 else range(1, len(values) + 1):
            yield from (list(c) for c in itertools.combinations(values, n))
        yield values
    elif spec.kind == "list":
        yield from ([], ["UNDP"], ["UNDP", "UNICEF", "UN-Women"])


def _unknown(request: Mapping[str, Any], path: str) -> bool:
    group, _, name = path.rpartition(".")
    node = request.get(group) if group else request
    return not isinstance(node, Mapping) or node.get(name) is None


def _set(request: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(dict(request))
    group, _, name = path.rpartition(".")
    if group:
        if not isinstance(out.get(group), dict):
            out[group] = {}
        out[group][name] = value
    else:
        out[name] = value
    return out


def brute_force(engine: Engine, request: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    outcome = engine.evaluate(request, AS_OF).outcome
    found: set[tuple[str, str]] = set()
    for path in LEAVES:
        if path in REQUIRED or not _unknown(request, path):
            continue
        if path.startswith("exception.") and not request.get("exception"):
            continue  # the definition: an exception not asked for is not an unknown answer
        for value in domain(path, CATALOG.fields[path]):
            try:
                other = engine.evaluate(_set(request, path, value), AS_OF).outcome
            except (InvalidRequest, RuleConflict):
                continue
            if other != outcome:
                found.add((path, other))
    order = {p: i for i, p in enumerate(LEAVES)}
    rank = {o: i for i, o in enumerate(engine.policy.vocab.outcomes)}
    who = {f.path: f.answered_by for f in engine.policy.fields.fields}
    return [(f, o, who[f]) for f, o in sorted(found, key=lambda p: (order[p[0]], rank[p[1]]))]


@st.composite
def sparse_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A generated request with about a third of its fields then left out, so that many are unknown."""
    request = draw(requests())
    rng = random.Random(draw(st.integers(0, 2**32)))
    for path in LEAVES:
        if path in REQUIRED or rng.random() > 0.35:
            continue
        group, _, name = path.rpartition(".")
        node = request.get(group) if group else request
        if isinstance(node, dict):
            node.pop(name, None)
    return request


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sparse_requests())
def test_could_change_is_exactly_what_trying_every_value_through_the_engine_finds(request: dict[str, Any]) -> None:
    decision = ENGINE.evaluate(request, AS_OF)
    listed = [(c.field, c.outcome, c.answered_by) for c in decision.could_change]
    assert listed == brute_force(ENGINE, request)


def test_the_two_cases_of_the_issue_are_listed_with_who_can_answer() -> None:
    base = _request("REQ-CC-1", request=_ADVISORY, strategy={"status": "in_development"}, expertise_available=None)
    decision = ENGINE.evaluate(base, AS_OF)  # expertise_available unknown
    assert (decision.outcome, decision.missing) == ("consider_in_strategy", ())
    assert [c.to_dict() for c in decision.could_change] == [
        {"field": "expertise_available", "outcome": "respond_ad_hoc", "answered_by": "office"}
    ]
    kind_unknown = _set(base, "expertise_available", True)
    del kind_unknown["request"]["kind"]
    decision = ENGINE.evaluate(kind_unknown, AS_OF)
    assert [(c.field, c.outcome, c.answered_by) for c in decision.could_change] == [
        ("request.kind", "respond_ad_hoc", "requester"),
        ("request.kind", "assess_needs", "requester"),
    ]


def test_an_exception_not_asked_for_is_not_a_question_but_a_half_filled_one_is() -> None:
    request = _request("REQ-CC-2", requester={"government_endorsed": True})
    assert not [c for c in ENGINE.evaluate(request, AS_OF).could_change if c.field.startswith("exception.")]
    request["exception"] = {
        "waives": ["country_engagement_strategy"],
        "justification": "Urgent",
        "requested_by": "A. Officer",
        "expires": (AS_OF + timedelta(days=30)).isoformat(),
    }
    decision = ENGINE.evaluate(request, AS_OF)
    assert decision.outcome == "exception_review"
    assert ("exception.approved_by", "engage", "office") in [(c.field, c.outcome, c.answered_by) for c in decision.could_change]


def test_with_and_without_reuse_the_same_bytes() -> None:
    plain = shipped_engine(0)
    rng = random.Random(11)
    for _ in range(200):
        request = _random_request(rng)
        assert ENGINE.evaluate(request, AS_OF).to_json() == plain.evaluate(request, AS_OF).to_json()


def _random_request(rng: random.Random) -> dict[str, Any]:
    request: dict[str, Any] = {"id": f"REQ-R-{rng.randrange(10**6)}", "received": "2026-10-01"}
    for path in LEAVES:
        spec = CATALOG.fields[path]
        if path in REQUIRED or path.startswith("exception.") or rng.random() < 0.4:
            continue
        values = list(domain(path, spec))
        request = _set(request, path, rng.choice(values))
    return request


def test_a_date_field_compared_with_the_evaluation_date_is_tried_around_it() -> None:
    trial = next(t for t in ENGINE.trials.trials if t.path == "exception.expires")
    day = date(2026, 3, 1)
    assert trial.values_on(day) == ("2026-02-28", "2026-03-01", "2026-03-02")


# -- the values tried for numbers and dates (no shipped rule compares a number) ---------------------


def _tried(kind: str, *tests: tuple[str, Any], node: Mapping[str, Any] | None = None) -> tuple[Any, ...] | Dates:
    spec = FieldSpec("f", kind)
    return trial_values(spec, [Test("f", op, value) for op, value in tests], {} if node is None else node)


def test_an_integer_is_tried_at_each_constant_between_them_beyond_them_and_at_its_bounds() -> None:
    bounds = {"minimum": 0, "maximum": 1200}
    assert _tried("integer", ("gt", 12), ("lt", 14), node=bounds) == (0, 11, 12, 13, 14, 15, 1200)
    # Adjacent constants leave no integer between them; a constant on a bound has nothing beyond it.
    assert _tried("integer", ("ge", 0), ("lt", 1), node=bounds) == (0, 1, 2, 1200)
    assert _tried("integer", ("le", 1200), node=bounds) == (0, 1199, 1200)
    # The loader takes a fraction for an integer field; only whole numbers are tried.
    assert _tried("integer", ("ge", 12.2), ("le", 12.8)) == (11, 12, 13)


def test_a_number_is_tried_halfway_between_constants_and_half_a_unit_beyond_them() -> None:
    bounds = {"minimum": 0, "maximum": 10**12}
    assert _tried("number", ("gt", 1000), ("lt", 1000.5), node=bounds) == (0, 999.5, 1000, 1000.25, 1000.5, 1001.0, 10**12)
    assert _tried("number", ("equals", 2.5)) == (2.0, 2.5, 3.0)  # no bounds: nothing added


def test_a_number_no_rule_compares_is_tried_once_at_its_lower_bound_or_zero() -> None:
    # Read only by ``is: known``: one value of the domain stands for every value.
    assert _tried("integer", ("is", "known"), node={"minimum": 5}) == (5,)
    assert _tried("number", ("is", "unknown")) == (0,)


def test_a_date_is_tried_around_the_dates_the_rules_name_and_the_evaluation_date_only_if_compared_with_it() -> None:
    day = date(2026, 3, 1)
    fixed = date(2026, 1, 10)
    both = _tried("date", ("lt", fixed), ("ge", "as_of"))
    assert isinstance(both, Dates)
    assert both.on(day) == ("2026-01-09", "2026-01-10", "2026-01-11", "2026-03-01", "2026-03-02")
    only_fixed = _tried("date", ("lt", fixed))
    assert isinstance(only_fixed, Dates)
    assert only_fixed.on(day) == ("2026-01-09", "2026-01-10", "2026-01-11")
    # A date read only by ``is: known``: tried around the evaluation date, as if compared with it.
    known = _tried("date", ("is", "known"))
    assert isinstance(known, Dates)
    assert known.on(day) == ("2026-02-28", "2026-03-01", "2026-03-02")


def _budget_policy(tmp_path: Path) -> Engine:
    """Line 3 (respond ad hoc) also asks for a budget strictly between 1,000 and 1,500 and a duration of 13 months."""
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/outcome.yaml",
        "        - {field: expertise_available, equals: true}\n    outcome: respond_ad_hoc",
        "        - {field: expertise_available, equals: true}\n"
        "        - {field: request.budget_usd, gt: 1000}\n"
        "        - {field: request.budget_usd, lt: 1500}\n"
        "        - {field: request.duration_months, gt: 12}\n"
        "        - {field: request.duration_months, lt: 14}\n"
        "    outcome: respond_ad_hoc",
    )
    return Engine.load(policy.rules, policy.criteria, cache_size=0)


def test_a_value_only_between_two_constants_is_found_to_change_the_outcome(tmp_path: Path) -> None:
    engine = _budget_policy(tmp_path)
    base = _request("REQ-CC-3", request=_ADVISORY, strategy={"status": "in_development"})
    between = {"request.duration_months": 13, "request.budget_usd": 1250}
    for known, unknown in (("request.duration_months", "request.budget_usd"), ("request.budget_usd", "request.duration_months")):
        request = _set(base, known, between[known])
        decision = engine.evaluate(request, AS_OF)
        assert decision.outcome == "consider_in_strategy"
        assert [(c.field, c.outcome, c.answered_by) for c in decision.could_change] == [(unknown, "respond_ad_hoc", "requester")]
        assert engine.evaluate(_set(request, unknown, between[unknown]), AS_OF).outcome == "respond_ad_hoc"
    engine.close()


def test_a_value_the_rules_disagree_on_is_skipped_and_the_values_after_it_are_still_tried(tmp_path: Path) -> None:
    # A policy with a defect `engage lint` reports: with a counterpart and no civil society, two
    # rules of partnership disagree (partial, unmet).  Trying the counterpart True meets that
    # conflict; False, tried after it, still changes the outcome.
    policy = copy_policy(tmp_path / "p")
    policy.write(
        "rules/partnership.yaml",
        (ROOT / "rules" / "partnership.yaml").read_text("utf-8") + "\n  - id: partnership.disagrees\n"
        "    description: A defect, for this test.\n"
        "    when:\n"
        "      all:\n"
        "        - {field: partnership.government_counterpart, equals: true}\n"
        "        - {field: partnership.civil_society_involved, equals: false}\n"
        "    status: unmet\n"
        "    reason: {en: Disagrees.}\n"
        "    cite: [{source: E/CN.4/2006/104, para: 19(d)}]\n",
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    request = _request(
        "REQ-CC-4", strategy={"status": "adopted", "request_in_strategy": True}, partnership={"civil_society_involved": False}
    )
    decision = engine.evaluate(request, AS_OF)
    assert decision.outcome == "request_information"
    with pytest.raises(RuleConflict, match="rules disagree on partnership"):
        engine.evaluate(_set(request, "partnership.government_counterpart", True), AS_OF)
    assert engine.evaluate(_set(request, "partnership.government_counterpart", False), AS_OF).outcome == "consider_in_strategy"
    assert [(c.field, c.outcome) for c in decision.could_change] == [
        ("partnership.government_counterpart", "consider_in_strategy")
    ]
    engine.close()


def _with_exception(**exception: Any) -> dict[str, Any]:
    """Every condition met but the strategy (none), with an exception asked for."""
    return _request("REQ-CC-5", exception={"justification": "Urgent", "requested_by": "A. Officer", **exception})


def test_what_the_exception_waives_can_change_the_outcome_while_it_stays_valid() -> None:
    # Valid but waiving nothing named: reviewed.  Waiving the strategy leaves it valid and engages.
    request = _with_exception(approved_by="B. Director", expires=(AS_OF + timedelta(days=30)).isoformat())
    decision = ENGINE.evaluate(request, AS_OF)
    assert decision.outcome == "exception_review"
    assert [(c.field, c.outcome, c.answered_by) for c in decision.could_change] == [("exception.waives", "engage", "office")]


def test_an_exception_value_the_rules_disagree_on_is_skipped(tmp_path: Path) -> None:
    policy = copy_policy(tmp_path / "p")
    policy.write(
        "rules/exception.yaml",
        (ROOT / "rules" / "exception.yaml").read_text("utf-8") + "\n  - id: exception.disagrees\n"
        "    description: A defect, for this test.\n"
        "    when: {field: exception.approved_by, equals: Nobody}\n"
        "    exception: invalid\n"
        "    reason: {en: Disagrees.}\n"
        "    cite: [{source: E/CN.4/2006/104, para: '23'}]\n",
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    request = _with_exception(waives=["country_engagement_strategy"], expires=(AS_OF + timedelta(days=30)).isoformat())
    decision = engine.evaluate(request, AS_OF)
    assert decision.outcome == "exception_review"
    with pytest.raises(RuleConflict, match="rules disagree on the exception"):
        engine.evaluate(_set(request, "exception.approved_by", "Nobody"), AS_OF)
    assert [(c.field, c.outcome, c.answered_by) for c in decision.could_change] == [("exception.approved_by", "engage", "office")]
    engine.close()


def _advisory(**fields: Any) -> dict[str, Any]:
    """Advisory, every condition met but the strategy (in development); ``expertise_available`` unknown."""
    request = _request("REQ-CC-6", request=_ADVISORY, strategy={"status": "in_development"}, expertise_available=None)
    for path, value in fields.items():
        request = _set(request, path.replace("__", "."), value)
    return request


def test_an_outcome_line_comparing_with_the_evaluation_date_is_tried_on_that_date(tmp_path: Path) -> None:
    # Line 3 also asks that the request was received by the evaluation date; line 9 no longer
    # takes a request known to lack the expertise (a gap `engage lint` reports: that value is skipped).
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/outcome.yaml",
        "        - {field: expertise_available, equals: true}\n    outcome: respond_ad_hoc",
        "        - {field: expertise_available, equals: true}\n"
        "        - {field: received, le: as_of}\n    outcome: respond_ad_hoc",
    )
    policy.replace(
        "rules/outcome.yaml",
        "  - id: outcome.consider_in_strategy\n",
        "  - id: outcome.consider_in_strategy\n    when: {field: expertise_available, in: [true, null]}\n",
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    request = _advisory()
    decision = engine.evaluate(request, AS_OF)
    assert decision.outcome == "consider_in_strategy"
    with pytest.raises(RuleConflict, match="no line of the outcome table applies"):
        engine.evaluate(_set(request, "expertise_available", False), AS_OF)
    assert [(c.field, c.outcome, c.answered_by) for c in decision.could_change] == [
        ("expertise_available", "respond_ad_hoc", "office")
    ]
    late = engine.evaluate(_set(request, "received", (AS_OF + timedelta(days=1)).isoformat()), AS_OF)
    assert late.could_change == ()  # received after the evaluation date: line 3 cannot apply
    engine.close()


def test_a_condition_left_unknown_by_a_rule_comparing_with_the_evaluation_date_is_tried(tmp_path: Path) -> None:
    # partnership.unknown also fires for a request received after the evaluation date: when a
    # trial leaves partnership unknown, the rule's own tests are read on the evaluation date.
    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "rules/partnership.yaml",
        "        - {field: partnership.civil_society_involved, is: unknown}\n    status: unknown",
        "        - {field: partnership.civil_society_involved, is: unknown}\n"
        "        - {field: received, gt: as_of}\n    status: unknown",
    )
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    request = _advisory(expertise_available=True, request__kind="programme", partnership={})
    decision = engine.evaluate(request, AS_OF)
    assert (decision.outcome, decision.condition("partnership").status) == ("request_information", "unknown")
    assert decision.could_change == ()  # either answer alone leaves the other unknown
    engine.close()


def test_a_choice_or_text_is_tried_with_each_value_the_rules_name_and_one_they_do_not() -> None:
    spec = FieldSpec("f", "enum", enum=("a", "b", "c"))
    assert trial_values(spec, [Test("f", "equals", "a")], {}) == ("a", "b")
    assert trial_values(spec, [Test("f", "in", ("a", "b", None))], {}) == ("a", "b", "c")
    assert trial_values(spec, [Test("f", "in", ("a", "b", "c"))], {}) == ("a", "b", "c")
    assert _tried("string", ("equals", "example")) == ("example", "example1")
    assert _tried("string", ("is", "known")) == ("example",)  # `is` names no value
    assert _tried("string", ("equals", "Ministry"), ("not_equals", "Ministry")) == ("Ministry", "example")


def test_fields_after_an_exception_not_asked_for_are_still_questions(tmp_path: Path) -> None:
    # The fields file in another order: expertise_available after the exception's fields.
    policy = copy_policy(tmp_path / "p")
    text = (ROOT / "criteria" / "fields.yaml").read_text("utf-8")
    start = text.index("  - path: expertise_available\n")
    end = text.index("  - path: exception.waives\n")
    policy.write("criteria/fields.yaml", text[:start] + text[end:].rstrip("\n") + "\n" + text[start:end])
    engine = Engine.load(policy.rules, policy.criteria, cache_size=0)
    assert [t.path for t in engine.trials.trials][-6:] == [
        "exception.waives",
        "exception.justification",
        "exception.requested_by",
        "exception.approved_by",
        "exception.expires",
        "expertise_available",
    ]
    decision = engine.evaluate(_advisory(), AS_OF)
    assert [(c.field, c.outcome) for c in decision.could_change] == [("expertise_available", "respond_ad_hoc")]
    engine.close()


def test_a_list_is_tried_with_every_subset_of_the_values_the_rules_ask_about_up_to_eight() -> None:
    spec = FieldSpec("f", "list", enum=tuple("abcdefghij"), item_kind="enum")
    two = [Test("f", "contains", "b"), Test("f", "not_contains", "a")]
    assert trial_values(spec, two, {}) == ([], ["a"], ["b"], ["a", "b"])
    eight = [Test("f", "contains", v) for v in "abcdefgh"]
    assert len(trial_values(spec, eight, {})) == 2**8
    nine = [Test("f", "contains", v) for v in "abcdefghi"]
    assert trial_values(spec, nine, {}) == ([], *([v] for v in "abcdefghi"))
    # Read only by `is`: one list with one item stands for every known list.
    known = [Test("f", "is", "known")]
    assert trial_values(spec, known, {"items": {"enum": ["x", "y"]}}) == (["x"],)
    assert trial_values(spec, known, {"items": {}}) == (["example"],)
