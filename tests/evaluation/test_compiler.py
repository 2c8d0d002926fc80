"""The compiled durable-rules patterns fire exactly when the three-valued condition is true."""

from __future__ import annotations

import itertools
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import PolicyError
from engine.evaluation.compiler import Stage, compile_policy
from engine.evaluation.logic import evaluate
from engine.policy.model import AS_OF, All, Always, AnyOf, Citation, Condition, Not, Rule, Test
from engine.policy.schema import FieldCatalog

from ..helpers.support import shipped_engine

AS_OF_DAY = date(2026, 11, 24)
CITE = (Citation("E/CN.4/2006/104", "23"),)


def catalog() -> FieldCatalog:
    policy = shipped_engine().policy
    return FieldCatalog(policy.request_schema, policy.criterion_names)


def rule(i: int, when: Condition, **extra: Any) -> Rule:
    return Rule(id=f"t.r{i}", stage="condition", order=i, when=when, reason="r", cite=CITE, criterion="x", status="met", **extra)


# One test per operator and kind of field, with boundary values.
ATOMS = [
    Test("presence.type", "equals", "country_office"),
    Test("presence.type", "not_equals", "country_office"),
    Test("presence.type", "in", ("none", None)),
    Test("presence.type", "not_in", ("none", "regional_office")),
    Test("presence.type", "not_in", ("none", None)),
    Test("presence.type", "is", "known"),
    Test("presence.type", "is", "unknown"),
    Test("presence.adequately_staffed", "equals", True),
    Test("presence.adequately_staffed", "equals", False),
    Test("presence.adequately_staffed", "in", (False, None)),
    Test("request.duration_months", "lt", 12),
    Test("request.duration_months", "ge", 12),
    Test("request.duration_months", "equals", 12),
    Test("request.budget_usd", "gt", 0.5),
    Test("request.budget_usd", "le", 1e-05),
    Test("request.budget_usd", "ge", 1e12),
    Test("received", "lt", date(2026, 1, 1)),
    Test("received", "equals", date(2026, 1, 1)),
    Test("received", "ge", AS_OF),
    Test("exception.expires", "ge", AS_OF),
    Test("exception.expires", "lt", AS_OF),
    Test("exception.waives", "contains", "partnership"),
    Test("exception.waives", "not_contains", "partnership"),
    Test("exception.waives", "is", "known"),
    Test("exception", "is", "known"),
    Test("exception", "is", "unknown"),
    Test("requester.name", "equals", 'Ministère "de la" \\ Justice'),
    Test("requester.name", "not_equals", 'Ministère "de la" \\ Justice'),
    Test("request.themes", "contains", "nhri"),
]

VALUES: dict[str, list[Any]] = {
    "presence.type": [None, "none", "regional_office", "country_office"],
    "presence.adequately_staffed": [None, True, False],
    "request.duration_months": [None, 0, 11, 12, 13],
    "request.budget_usd": [None, 0, 1e-05, 0.5, 0.50001, 999999999999.99, 1e12],
    "received": [None, "2025-12-31", "2026-01-01", "2026-11-23", "2026-11-24", "2026-11-25"],
    "exception.expires": [None, "2026-11-23", "2026-11-24", "2026-11-25"],
    "exception.waives": [None, [], ["partnership"], ["in_country_presence"], ["partnership", "in_country_presence"]],
    "exception.justification": [None, "because"],
    "requester.name": [None, 'Ministère "de la" \\ Justice', "Ministère"],
    "request.themes": [None, [], ["nhri"], ["elections"]],
}


def record(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in values.items():
        if value is None:
            continue
        node = out
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def fired(stage: Stage, rec: dict[str, Any], as_of: date) -> set[str]:
    return {r.id for r in stage.match(stage.key(rec, as_of))}


def expected(rules: list[Rule], rec: dict[str, Any], as_of: date) -> set[str]:
    return {r.id for r in rules if r.in_force(as_of) and evaluate(r.when, rec, as_of) is True}


@pytest.fixture(scope="module")
def atom_stage() -> tuple[Stage, list[Rule]]:
    rules = [rule(i, atom) for i, atom in enumerate(ATOMS)]
    rules += [rule(len(ATOMS) + i, Not(atom)) for i, atom in enumerate(ATOMS)]
    return Stage("atoms", rules, catalog(), "test.compiler"), rules


@pytest.mark.parametrize("field", sorted(VALUES))
def test_every_operator_agrees_with_three_valued_logic(atom_stage: tuple[Stage, list[Rule]], field: str) -> None:
    stage, rules = atom_stage
    # Vary one field at a time over its domain, the others over a small set of backgrounds.
    backgrounds = [dict.fromkeys(VALUES), {p: v[-1] for p, v in VALUES.items()}, {p: v[1] for p, v in VALUES.items()}]
    for background, value, as_of in itertools.product(backgrounds, VALUES[field], (AS_OF_DAY, date(2027, 1, 1))):
        rec = record({**background, field: value})
        assert fired(stage, rec, as_of) == expected(rules, rec, as_of), (field, value, as_of)


def _trees(depth: int) -> st.SearchStrategy[Condition]:
    leaf = st.sampled_from(ATOMS)
    if depth == 0:
        return leaf
    sub = _trees(depth - 1)
    return st.one_of(
        leaf,
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        sub.map(Not),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(_trees(3), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_nested_conditions_agree_with_three_valued_logic(trees: list[Condition], rng: Any) -> None:
    rules = [rule(i, tree) for i, tree in enumerate(trees)]
    stage = Stage("trees", rules, catalog(), "test.compiler.trees")
    try:
        for _ in range(40):
            rec = record({path: rng.choice(values) for path, values in VALUES.items()})
            as_of = rng.choice([AS_OF_DAY, date(2026, 1, 1)])
            assert fired(stage, rec, as_of) == expected(rules, rec, as_of)
    finally:
        stage.close()


def test_effective_dates_bound_when_a_rule_applies() -> None:
    rules = [
        rule(0, Always(), effective_from=date(2026, 7, 1)),
        rule(1, Always(), effective_until=date(2026, 6, 30)),
        rule(2, Test("presence.type", "equals", "none"), effective_from=date(2026, 1, 1), effective_until=date(2026, 12, 31)),
    ]
    stage = Stage("dated", rules, catalog(), "test.compiler.dated")
    rec = record({"presence.type": "none"})
    assert fired(stage, rec, date(2026, 6, 30)) == {"t.r1", "t.r2"}
    assert fired(stage, rec, date(2026, 7, 1)) == {"t.r0", "t.r2"}
    assert fired(stage, rec, date(2027, 1, 1)) == {"t.r0"}
    assert stage.uses_as_of


def test_the_key_holds_only_what_the_rules_read() -> None:
    rules = [rule(0, Test("exception", "is", "known")), rule(1, Test("exception.waives", "contains", "partnership"))]
    stage = Stage("key", rules, catalog(), "test.compiler.key")
    one = record({"exception.justification": "a long text", "exception.waives": ["partnership"], "requester.name": "A"})
    two = record({"exception.justification": "another text", "exception.waives": ["partnership", "in_country_presence"]})
    # Free text is only known/unknown; only the mentioned list value counts; unread fields are ignored.
    assert stage.key(one, AS_OF_DAY) == stage.key(two, AS_OF_DAY)
    assert not stage.uses_as_of
    assert "a long text" not in repr(stage.fact(stage.key(one, AS_OF_DAY)))


def test_shipped_stages_are_small_and_named_by_the_policy_hash() -> None:
    compiled = compile_policy(shipped_engine().policy)
    try:
        digest = shipped_engine().policy.hash.removeprefix("sha256:")[:16]
        for stage in compiled.stages():
            assert stage.ruleset.name.startswith(f"engage.{digest}.")
            assert len(stage.projections) < 20
    finally:
        compiled.close()


def test_a_rule_too_nested_for_one_durable_rule_is_split_into_conjunctions() -> None:
    simple = [ATOMS[i] for i in (0, 7, 8, 12, 17, 21, 26, 28)]  # single comparisons, no expansion
    # Every pair shares its first branch, so the rule fires whenever that branch holds.
    pairs = [AnyOf((All((simple[0], simple[1])), All((simple[2 + i % 6], simple[2 + (i + 3) % 6])))) for i in range(8)]
    deep = rule(0, All(tuple(pairs)))  # 25 $and/$or nodes; 256 conjunctions
    stage = Stage("deep", [deep, rule(1, ATOMS[0])], catalog(), "test.compiler.deep")
    try:
        assert sum(1 for r in stage.rule_names.values() if r is deep) > 1  # it needed splitting
        outcomes = set()
        rng = random.Random(7)
        for _ in range(600):
            rec = record({path: rng.choice(values) for path, values in VALUES.items()})
            want = expected([deep, rule(1, ATOMS[0])], rec, AS_OF_DAY)
            assert fired(stage, rec, AS_OF_DAY) == want
            outcomes.add("t.r0" in want)
        assert outcomes == {True, False}  # the sample sees the deep rule fire and not fire
    finally:
        stage.close()


def test_a_rule_beyond_a_thousand_combinations_is_refused() -> None:
    huge = rule(0, All(tuple(AnyOf((ATOMS[i % 10], ATOMS[10 + i % 10])) for i in range(11))))
    with pytest.raises(PolicyError, match="nests any/all too deeply"):
        Stage("huge", [huge], catalog(), "test.compiler.huge")


def test_a_stage_wider_than_a_durable_fact_is_refused() -> None:
    many = [rule(i, Test("request.themes", "contains", f"theme{i}")) for i in range(210)]
    with pytest.raises(PolicyError, match=r"durable-rules takes at most \d+ per fact"):
        Stage("wide", many, catalog(), "test.compiler.wide")


@pytest.mark.parametrize("cache_size", [0, 64], ids=["every-stage", "reused-parts"])
def test_the_evaluation_day_itself_is_neither_before_nor_after_it(tmp_path: Path, cache_size: int) -> None:
    # The shipped rules compare with as_of by ge and lt only, where "on the day" and "after it"
    # agree; a policy that ends an exception the day before it expires (gt / le) tells them apart.
    from engine.authoring.cases import load_cases
    from engine.evaluation.evaluator import Engine

    from ..helpers.support import ROOT, copy_policy, edit

    rules, criteria = copy_policy(tmp_path / "policy")
    edit(rules / "exception.yaml", "{field: exception.expires, ge: as_of}", "{field: exception.expires, gt: as_of}")
    edit(rules / "exception.yaml", "{field: exception.expires, lt: as_of}", "{field: exception.expires, le: as_of}")
    engine = Engine.load(rules, criteria, cache_size=cache_size)
    case = next(c for c in load_cases(ROOT / "tests" / "golden" / "exceptions.yaml") if "expires on the evaluation day" in c.name)
    on_the_day = engine.evaluate(case.request, date(2026, 11, 24))
    the_day_before = engine.evaluate(case.request, date(2026, 11, 23))
    assert [r.rule for r in on_the_day.exceptions[0].reasons][:1] == ["exception.expired"]
    assert on_the_day.outcome == "exception_review"
    assert the_day_before.outcome == "engage" and the_day_before.exceptions[0].decision == "applied"
