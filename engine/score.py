"""The priority score (policy-v1 section 5), computed from the weights in ``criteria/``.

It orders the queue and never changes the outcome.  Every weight is data: this module
only adds up what ``criteria/priority.yaml`` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .decision import ScoreItem
from .logic import lookup
from .model import Priority


def _number(value: float) -> float:
    # 20.0 prints as 20: integral scores stay integers in the JSON.
    return int(value) if float(value).is_integer() else round(value, 6)


def priority_score(
    priority: Priority, statuses: Mapping[str, str], outcome: str, record: Mapping[str, Any]
) -> tuple[float, tuple[ScoreItem, ...]]:
    """The clamped score and the points each factor added (zero contributions left out)."""
    if outcome in priority.outcome_scores:
        fixed = priority.outcome_scores[outcome]
        return _number(fixed), (ScoreItem(f"outcome.{outcome}", _number(fixed)),)
    items: list[ScoreItem] = []
    total = 0.0
    for name in priority.criteria:
        points = priority.status_points.get(statuses.get(name, "unknown"), 0)
        total += points
        items.append(ScoreItem(f"condition.{name}", _number(points)))
    for factor in priority.factors:
        value = lookup(record, factor.field)
        points = 0.0
        if factor.points is not None:
            if value is True:
                points = factor.points
        elif factor.points_each is not None and isinstance(value, list):
            points = factor.points_each * len(value)
            if factor.max_points is not None:
                points = min(points, factor.max_points)
        if points:
            total += points
            items.append(ScoreItem(factor.id, _number(points)))
    clamped = min(max(total, priority.minimum), priority.maximum)
    return _number(clamped), tuple(items)
