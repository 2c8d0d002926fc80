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
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InvalidRequest, RuleConflict
from engine.evaluation.evaluator import Engine
from engine.policy.schema import FieldCatalog, FieldSpec

from ..helpers.strategies import AS_OF, requests
from ..helpers.support import shipped_engine

ENGINE = shipped_engine(50_000)  # the engine as it runs, with its reuse layer
CATALOG = FieldCatalog(ENGINE.policy.request_schema, ())
LEAVES = [p for p in CATALOG.request_paths if CATALOG.fields[p].kind != "object"]
REQUIRED = {"id", "received"}


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
    base: dict[str, Any] = {
        "id": "REQ-CC-1",
        "received": "2026-10-01",
        "requester": {"type": "government", "government_endorsed": True},
        "request": {"kind": "advisory", "funding_only": False},
        "mandate": {"restricts_monitoring": False, "contrary_to_standards": False},
        "strategy": {"status": "in_development"},
        "presence": {"type": "country_office", "adequately_staffed": True, "long_term_programming": True},
        "partnership": {"government_counterpart": True, "civil_society_involved": True},
    }
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
    request: dict[str, Any] = {
        "id": "REQ-CC-2",
        "received": "2026-10-01",
        "requester": {"government_endorsed": True},
        "request": {"kind": "programme", "funding_only": False},
        "mandate": {"restricts_monitoring": False, "contrary_to_standards": False},
        "strategy": {"status": "none"},
        "presence": {"type": "country_office", "adequately_staffed": True, "long_term_programming": True},
        "partnership": {"government_counterpart": True, "civil_society_involved": True},
        "expertise_available": True,
    }
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
