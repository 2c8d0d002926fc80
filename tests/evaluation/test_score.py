"""The priority score and its breakdown, computed directly from a ``Priority`` (no rules engine).

These pin what the queue shows and a reader of a decision sees (the score and each line of
its breakdown) for weights the shipped ``criteria/priority.yaml`` does not have: fractional
points, a clamp that bites, a status missing from a request, a factor on another group.
"""

from __future__ import annotations

from typing import Any

from engine.evaluation.decision import ScoreItem
from engine.evaluation.score import Scorer, priority_score
from engine.policy.model import Factor, Priority

MET = {"a": "met", "b": "met"}


def _priority(*factors: Factor, minimum: float = 0, maximum: float = 100, **points: float) -> Priority:
    status_points = {"met": 20, "partial": 10, "unmet": 0, "unknown": 0} | points
    return Priority(("a", "b"), status_points, factors, {"decline": 0}, minimum, maximum)


def _flag(id: str, points: float, field: str = "") -> Factor:
    return Factor(id, field or f"priority.{id}", (), points=points)


def _listed(id: str, each: float, most: float | None = None) -> Factor:
    return Factor(id, f"priority.{id}", (), points_each=each, max_points=most)


def _items(items: tuple[ScoreItem, ...]) -> list[tuple[str, float]]:
    return [(i.factor, i.points) for i in items]


def test_fractional_points_are_rounded_to_six_places_and_integral_ones_stay_integers() -> None:
    scorer = Scorer(_priority(_flag("x", 2.1234567), met=20.0, partial=12.5))
    score, items = scorer({"a": "met", "b": "partial"}, "engage", {"priority": {"x": True}})
    assert _items(items) == [("condition.a", 20), ("condition.b", 12.5), ("x", 2.123457)]
    assert score == 34.623457
    assert type(items[0].points) is int and type(score) is float  # 20.0 is shown as 20


def test_an_integral_total_is_an_integer() -> None:
    score, _ = Scorer(_priority(_flag("x", 0.5), partial=9.5))({"a": "met", "b": "partial"}, "engage", {"priority": {"x": True}})
    assert score == 30 and type(score) is int


def test_a_fixed_outcome_score_replaces_the_sum_and_its_breakdown() -> None:
    score, items = Scorer(_priority(_flag("x", 10)))(MET, "decline", {"priority": {"x": True}})
    assert score == 0 and _items(items) == [("outcome.decline", 0)]


def test_the_score_is_clamped_to_the_range() -> None:
    high = Scorer(_priority(_flag("x", 30), maximum=50))(MET, "engage", {"priority": {"x": True}})
    assert high[0] == 50 and _items(high[1])[-1] == ("x", 30)  # the breakdown keeps the points
    low = Scorer(_priority(_flag("x", -30), minimum=5))({"a": "unmet", "b": "unmet"}, "engage", {"priority": {"x": True}})
    assert low[0] == 5


def test_a_condition_not_in_the_statuses_counts_as_unknown() -> None:
    score, items = Scorer(_priority(unknown=3))({"a": "met"}, "engage", {})
    assert score == 23 and _items(items) == [("condition.a", 20), ("condition.b", 3)]


def test_a_status_without_points_adds_nothing_and_is_still_listed() -> None:
    priority = Priority(("a", "b"), {"met": 20}, (), {}, 0, 100)
    score, items = Scorer(priority)({"a": "met", "b": "partial"}, "engage", {})
    assert score == 20 and _items(items) == [("condition.a", 20), ("condition.b", 0)]


def test_a_yes_no_factor_counts_only_when_true() -> None:
    scorer = Scorer(_priority(_flag("x", 5), _flag("y", 7)))
    for value in (False, None, "yes", 1):
        assert _items(scorer(MET, "engage", {"priority": {"x": value, "y": True}})[1])[2:] == [("y", 7)]


def test_a_factor_of_no_points_is_never_listed() -> None:
    score, items = Scorer(_priority(_flag("x", 0)))(MET, "engage", {"priority": {"x": True}})
    assert score == 40 and [i.factor for i in items] == ["condition.a", "condition.b"]


def test_a_list_factor_adds_points_per_item_up_to_its_cap() -> None:
    scorer = Scorer(_priority(_listed("recs", 4, 10), _listed("open", 1.5)))
    for n, capped, uncapped in ((1, 4, 1.5), (2, 8, 3), (3, 10, 4.5), (5, 10, 7.5)):
        record: dict[str, Any] = {"priority": {"recs": [{}] * n, "open": [{}] * n}}
        score, items = scorer(MET, "engage", record)
        assert _items(items)[2:] == [("recs", capped), ("open", uncapped)]
        assert score == 40 + capped + uncapped
    # The same length again is read from the table the first call filled.
    assert _items(scorer(MET, "engage", {"priority": {"recs": [{}] * 3}})[1])[2:] == [("recs", 10)]


def test_an_empty_list_or_a_value_that_is_not_a_list_adds_nothing() -> None:
    scorer = Scorer(_priority(_listed("recs", 4, 10)))
    values: tuple[Any, ...] = ([], None, "upr", {"n": 2})
    for value in values:
        score, items = scorer(MET, "engage", {"priority": {"recs": value}})
        assert score == 40 and len(items) == 2


def test_a_list_factor_without_points_each_adds_nothing() -> None:
    score, items = Scorer(_priority(Factor("recs", "priority.recs", ())))(MET, "engage", {"priority": {"recs": [{}]}})
    assert score == 40 and len(items) == 2


def test_a_request_without_the_factors_group_gets_the_conditions_only() -> None:
    score, items = Scorer(_priority(_flag("x", 5)))(MET, "engage", {"other": {"x": True}})
    assert score == 40 and len(items) == 2


def test_factors_on_several_groups_each_read_their_own_field() -> None:
    scorer = Scorer(_priority(_flag("x", 5), _flag("n", 3, "partnership.x")))
    record = {"priority": {"x": False}, "partnership": {"x": True}}
    assert _items(scorer(MET, "engage", record)[1])[2:] == [("n", 3)]
    record = {"priority": {"x": True}, "partnership": {"x": False}}
    assert _items(scorer(MET, "engage", record)[1])[2:] == [("x", 5)]
    assert _items(scorer(MET, "engage", {"partnership": {"x": True}})[1])[2:] == [("n", 3)]


def test_a_factor_on_a_deeper_field_is_read_by_its_whole_path() -> None:
    scorer = Scorer(_priority(_flag("d", 6, "priority.extra.deep")))
    assert _items(scorer(MET, "engage", {"priority": {"extra": {"deep": True}, "deep": False}})[1])[2:] == [("d", 6)]
    assert len(scorer(MET, "engage", {"priority": {"deep": True}})[1]) == 2


def test_priority_score_is_the_scorer_of_the_same_weights() -> None:
    priority = _priority(_flag("x", 2.5), _listed("recs", 4, 10))
    record = {"priority": {"x": True, "recs": [{}, {}, {}]}}
    assert priority_score(priority, MET, "engage", record) == Scorer(priority)(MET, "engage", record)
    assert priority_score(priority, MET, "engage", record)[0] == 52.5
    assert priority_score(priority, MET, "decline", record) == (0, (ScoreItem("outcome.decline", 0),))
