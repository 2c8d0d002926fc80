"""The priority score (policy-v1 section 5), computed from the weights in ``criteria/``.

It orders the queue and never changes the outcome.  Every weight is data: this module
only adds up what ``criteria/priority.yaml`` says.  The weights are turned into a table
once (the items each status or factor adds), because the score is computed for every
request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..policy.model import Factor, Priority
from .decision import ScoreItem
from .logic import getter


def _number(value: float) -> float:
    # 20.0 prints as 20: integral scores stay integers in the JSON.
    return int(value) if float(value).is_integer() else round(value, 6)


class _ListItems(dict[int, tuple[float, ScoreItem | None]]):
    """The points and the item a list factor adds, by the length of the list."""

    def __init__(self, factor: Factor) -> None:
        super().__init__()
        self.factor = factor

    def __missing__(self, length: int) -> tuple[float, ScoreItem | None]:
        each, most = self.factor.points_each or 0, self.factor.max_points
        points = each * length if most is None else min(each * length, most)
        found = self[length] = (points, ScoreItem(self.factor.id, _number(points)) if points else None)
        return found


class Scorer:
    """The score of ``criteria/priority.yaml`` for a request, its weights prepared once."""

    def __init__(self, priority: Priority) -> None:
        self.priority = priority
        self._fixed = {
            outcome: (_number(points), (ScoreItem(f"outcome.{outcome}", _number(points)),))
            for outcome, points in priority.outcome_scores.items()
        }
        self._conditions = []
        for name in priority.criteria:
            label = f"condition.{name}"
            table = {status: (points, ScoreItem(label, _number(points))) for status, points in priority.status_points.items()}
            self._conditions.append((name, table, (0, ScoreItem(label, 0))))
        # Each factor: (field, yes/no item or None, items by list length or None, full path getter).
        self._factors: list[
            tuple[str, tuple[float, ScoreItem] | None, _ListItems | None, Callable[[Mapping[str, Any]], Any]]
        ] = []
        for factor in priority.factors:
            flag = (factor.points, ScoreItem(factor.id, _number(factor.points))) if factor.points else None
            counted = _ListItems(factor) if factor.points is None else None
            self._factors.append((factor.field.rsplit(".", 1)[-1], flag, counted, getter(factor.field)))
        groups = {f.field.split(".")[0] for f in priority.factors}
        one_group = len(groups) == 1 and all(f.field.count(".") == 1 for f in priority.factors)
        self._group = groups.pop() if one_group else None  # policy v1: every factor is in priority.*

    def __call__(
        self, statuses: Mapping[str, str], outcome: str, record: Mapping[str, Any]
    ) -> tuple[float, tuple[ScoreItem, ...]]:
        """The clamped score and the points each condition and factor added (factors adding nothing left out)."""
        fixed = self._fixed.get(outcome)
        if fixed is not None:
            return fixed
        items: list[ScoreItem] = []
        total: float = 0
        for name, table, nothing in self._conditions:
            points, item = table.get(statuses.get(name, "unknown"), nothing)
            total += points
            items.append(item)
        group: Any = record
        if self._group is not None:
            group = record.get(self._group)
        if group is not None:
            for name, flag, counted, get in self._factors:
                value = group.get(name) if self._group is not None else get(record)
                if flag is not None:
                    if value is True:
                        total += flag[0]
                        items.append(flag[1])
                elif counted is not None and isinstance(value, list):
                    points, found = counted[len(value)]
                    if found is not None:
                        total += points
                        items.append(found)
        priority = self.priority
        return _number(min(max(total, priority.minimum), priority.maximum)), tuple(items)


def priority_score(
    priority: Priority, statuses: Mapping[str, str], outcome: str, record: Mapping[str, Any]
) -> tuple[float, tuple[ScoreItem, ...]]:
    """The clamped score and the points each factor added (zero contributions left out)."""
    return Scorer(priority)(statuses, outcome, record)
