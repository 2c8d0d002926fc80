"""Three-valued logic: the meaning every rule condition has."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluation.logic import evaluate, getter, lookup, nnf, trace
from engine.policy.model import AS_OF, All, Always, AnyOf, Not, Test

DAY = date(2026, 11, 24)
T = Test("presence.type", "equals", "none")
U = Test("strategy.status", "equals", "adopted")  # unknown in REC
F = Test("presence.type", "equals", "country_office")
REC = {"presence": {"type": "none"}, "exception": {"waives": [], "expires": "2026-11-24"}}


@pytest.mark.parametrize(
    ("test", "value"),
    [
        (Test("presence.type", "in", ("none", "regional_office")), True),
        (Test("presence.type", "not_in", ("none",)), False),
        (Test("strategy.status", "in", ("adopted",)), None),
        (Test("strategy.status", "in", ("adopted", None)), True),
        (Test("strategy.status", "not_in", ("adopted",)), None),
        (Test("strategy.status", "not_in", ("adopted", None)), False),
        (Test("strategy.status", "is", "unknown"), True),
        (Test("strategy.status", "is", "known"), False),
        (Test("strategy.status", "not_equals", "adopted"), None),
        (Test("exception.waives", "contains", "partnership"), False),
        (Test("exception.waives", "not_contains", "partnership"), True),
        (Test("exception.expires", "ge", AS_OF), True),
        (Test("exception.expires", "lt", AS_OF), False),
        (Test("exception.expires", "gt", date(2026, 11, 23)), True),
        (Test("exception.expires", "le", AS_OF), True),
        (Test("exception.expires", "le", date(2026, 11, 23)), False),
        (Test("exception", "is", "known"), True),
        (Test("request.budget_usd", "lt", 10), None),
    ],
)
def test_single_tests(test: Test, value: bool | None) -> None:
    assert evaluate(test, REC, DAY) is value


def test_kleene_tables() -> None:
    for a, b, conj, disj in [
        (T, T, True, True),
        (T, U, None, True),
        (T, F, False, True),
        (U, U, None, None),
        (U, F, False, None),
        (F, F, False, False),
    ]:
        assert evaluate(All((a, b)), REC, DAY) is conj
        assert evaluate(AnyOf((a, b)), REC, DAY) is disj
    assert evaluate(Not(U), REC, DAY) is None
    assert evaluate(Not(T), REC, DAY) is False
    assert evaluate(Always(), REC, DAY) is True


def test_trace_keeps_what_each_test_saw_and_the_true_path() -> None:
    node = trace(AnyOf((F, All((T, Test("exception.waives", "is", "known"))))), REC, DAY)
    assert node.value is True
    assert [t.field for t in node.true_tests()] == ["presence.type", "exception.waives"]
    assert node.children[0].seen == "none" and node.children[0].value is False
    # The kinds are what `engage explain --format json` prints for each node.
    assert (node.kind, node.children[0].kind, node.children[1].kind) == ("any", "test", "all")
    assert (trace(Not(T), REC, DAY).kind, trace(Always(), REC, DAY).kind) == ("not", "always")
    # Not leaves unknown alone in the trace too (U's field is unknown in REC).
    assert (trace(Not(U), REC, DAY).value, trace(Not(T), REC, DAY).value) == (None, False)


def test_lookup_treats_absent_and_non_mapping_as_unknown() -> None:
    assert lookup(REC, "presence.type") == "none"
    assert lookup(REC, "presence.type.deeper") is None
    assert lookup(REC, "nothing.here") is None


FIELDS = {
    "presence.type": [None, "none", "country_office"],
    "strategy.status": [None, "adopted"],
    "exception.waives": [None, [], ["partnership"]],
    "request.duration_months": [None, 3, 12],
}
ATOMS = [
    Test("presence.type", "equals", "none"),
    Test("presence.type", "in", ("country_office", None)),
    Test("strategy.status", "not_in", ("adopted",)),
    Test("strategy.status", "is", "unknown"),
    Test("presence.type", "is", "known"),
    Test("exception.waives", "contains", "partnership"),
    Test("request.duration_months", "lt", 12),
    Test("request.duration_months", "ge", 3),
]


def trees(depth: int) -> st.SearchStrategy[object]:
    if depth == 0:
        return st.sampled_from(ATOMS)
    sub = trees(depth - 1)
    return st.one_of(
        st.sampled_from(ATOMS),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        sub.map(Not),
    )


@settings(max_examples=500, deadline=None)
@given(trees(4), st.fixed_dictionaries({k: st.sampled_from(v) for k, v in FIELDS.items()}))
def test_pushing_not_down_keeps_the_meaning(cond: object, values: dict[str, object]) -> None:
    rec: dict[str, dict[str, object]] = {}
    for path, value in values.items():
        if value is not None:
            group, name = path.split(".")
            rec.setdefault(group, {})[name] = value
    normal = nnf(cond)  # type: ignore[arg-type]
    assert evaluate(normal, rec, DAY) is evaluate(cond, rec, DAY)  # type: ignore[arg-type]
    assert evaluate(nnf(Not(cond)), rec, DAY) is evaluate(Not(cond), rec, DAY)  # type: ignore[arg-type]

    def has_not(c: object) -> bool:
        if isinstance(c, Not):
            return True
        return isinstance(c, (All, AnyOf)) and any(has_not(i) for i in c.items)

    assert not has_not(normal)


@pytest.mark.parametrize("value", ["known", "unknown"])
@pytest.mark.parametrize("rec", [REC, {}], ids=["given", "absent"])
def test_not_of_is_known_or_unknown_is_the_other_test(value: str, rec: dict[str, object]) -> None:
    test = Test("presence.type", "is", value)
    negated = nnf(Not(test))
    assert isinstance(negated, Test) and negated.op == "is"
    assert negated.value == ("unknown" if value == "known" else "known")
    assert evaluate(negated, rec, DAY) is (not evaluate(test, rec, DAY))


@pytest.mark.parametrize(
    ("cond", "value"),
    [
        (All((Test("exception.expires", "ge", AS_OF), Test("presence.type", "equals", "none"))), True),
        (AnyOf((Test("exception.expires", "lt", AS_OF), Test("presence.type", "equals", "country_office"))), False),
        (Not(Test("exception.expires", "gt", AS_OF)), True),
    ],
    ids=["all", "any", "not"],
)
def test_a_comparison_with_the_evaluation_date_inside_all_any_and_not(cond: object, value: bool) -> None:
    # REC's exception ends on DAY itself.
    assert evaluate(cond, REC, DAY) is value  # type: ignore[arg-type]
    node = trace(cond, REC, DAY)  # type: ignore[arg-type]
    assert node.value is value
    assert len(node.children) == len(getattr(cond, "items", (None,)))
    assert [t.field for t in node.true_tests()] == (["exception.expires", "presence.type"] if isinstance(cond, All) else [])


@pytest.mark.parametrize(
    "path", ["presence", "presence.type", "exception.waives", "nothing.here", "presence.type.deeper", "a.b.c", "x"]
)
@pytest.mark.parametrize(
    "rec",
    [REC, {}, {"presence": None}, {"presence": "text"}, {"a": {"b": {"c": 7}}}],
    ids=["rec", "empty", "null", "text", "deep"],
)
def test_a_getter_reads_what_lookup_reads(path: str, rec: dict[str, object]) -> None:
    # The compiler and the scorer read fields with getter; the reasons and the trace with lookup.
    assert getter(path)(rec) == lookup(rec, path)


def test_a_getter_reads_one_two_and_three_levels() -> None:
    rec = {"a": {"b": {"c": 7}}, "x": 1}
    assert (getter("x")(rec), getter("a.b")(rec), getter("a.b.c")(rec)) == (1, {"c": 7}, 7)


def test_the_first_lookup_of_a_path_reads_it() -> None:
    # lookup keeps each path's parts once seen; a path never looked up before must be read too.
    name = f"group_{uuid.uuid4().hex}"
    assert lookup({name: {"x": 1}}, f"{name}.x") == 1
    assert lookup({name: 2}, name) == 2
