"""The whole range of values a number or a date can take, from the values of its domain.

The domain of an ordered field (:mod:`engine.authoring.domains`) holds one value for each
stretch the rules cannot tell apart: with ``duration_months le 60`` and ``ge 12``, 11 stands
for every duration up to 11, 13 for 13 to 59, 61 for 61 and more.  When a change reaches an
outcome with some of those values, the words say which stretches: "60 or less", not
"59 or 60".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..policy.model import AS_OF, Test

INF = math.inf


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Stretch:
    """Numbers from ``low`` to ``high`` (each end included or not); dates as day numbers."""

    low: float
    high: float
    low_in: bool = True
    high_in: bool = True


def constants(tests: Iterable[Test], kind: str, as_of: date) -> list[float]:
    """The numbers (dates: day numbers) the tests on one field compare with."""
    out: set[float] = set()
    for test in tests:
        if test.op in ("is", "contains", "not_contains"):
            continue
        values = test.value if isinstance(test.value, tuple) else (test.value,)
        for given in values:
            if given is None:
                continue
            v = as_of if given == AS_OF else given
            if kind == "date":
                out.add(float(_as_date(v).toordinal()))
            elif isinstance(v, int | float) and not isinstance(v, bool):
                out.add(float(v))
    return sorted(out)


def _position(value: Any, kind: str) -> float:
    return float(_as_date(value).toordinal()) if kind == "date" else float(value)


def stretch_of(value: Any, kind: str, marks: Sequence[float], low: float, high: float) -> Stretch:
    """Every value the rules cannot tell from ``value``, within the field's bounds ``low``..``high``."""
    x = _position(value, kind)
    if x in marks:
        return Stretch(x, x)
    below = max((m for m in marks if m < x), default=None)
    above = min((m for m in marks if m > x), default=None)
    if kind == "number":
        return Stretch(
            low if below is None else below,
            high if above is None else above,
            below is None and low > -INF,
            above is None and high < INF,
        )
    return Stretch(low if below is None else below + 1, high if above is None else above - 1)


def stretches(chosen: Iterable[Any], kind: str, marks: Sequence[float], low: float, high: float) -> list[Stretch]:
    """The stretches of the ``chosen`` values, joined where they touch, lowest first."""
    parts = sorted({stretch_of(v, kind, marks, low, high) for v in chosen}, key=lambda s: (s.low, not s.low_in))
    out: list[Stretch] = []
    for part in parts:
        if out:
            last = out[-1]
            if kind == "number":
                touches = part.low < last.high or (part.low == last.high and (part.low_in or last.high_in))
            else:
                touches = part.low <= last.high + 1
            if touches:
                if part.high > last.high or (part.high == last.high and part.high_in):
                    out[-1] = Stretch(last.low, part.high, last.low_in, part.high_in)
                continue
        out.append(part)
    return out


def _shown(x: float, kind: str) -> str:
    if kind == "date":
        return date.fromordinal(int(x)).isoformat()
    return str(int(x)) if float(x).is_integer() else str(x)


def words(parts: Sequence[Stretch], kind: str, low: float, high: float) -> str:
    """``parts`` in words: "60 or less", "61 or more", "from 12 to 60", "2026-11-24 or later"."""
    less, more = ("or earlier", "or later") if kind == "date" else ("or less", "or more")
    before, after = ("before", "after") if kind == "date" else ("less than", "more than")
    out = []
    for s in parts:
        bottom, top = s.low <= low, s.high >= high
        if s.low == s.high:
            out.append(_shown(s.low, kind))
        elif bottom and top:
            out.append("any value")
        elif bottom:
            out.append(f"{_shown(s.high, kind)} {less}" if s.high_in else f"{before} {_shown(s.high, kind)}")
        elif top:
            out.append(f"{_shown(s.low, kind)} {more}" if s.low_in else f"{after} {_shown(s.low, kind)}")
        elif s.low_in and s.high_in:
            out.append(f"from {_shown(s.low, kind)} to {_shown(s.high, kind)}")
        else:
            first = f"{_shown(s.low, kind)} {more}" if s.low_in else f"{after} {_shown(s.low, kind)}"
            second = f"{_shown(s.high, kind)} {less}" if s.high_in else f"{before} {_shown(s.high, kind)}"
            out.append(f"{first} and {second}")
    return " or ".join(out)


def bounds(kind: str, node: Any) -> tuple[float, float]:
    """The lowest and highest value the request schema allows (dates: unbounded)."""
    if kind == "date" or not isinstance(node, dict):
        return -INF, INF
    low, high = node.get("minimum"), node.get("maximum")
    return (-INF if low is None else float(low)), (INF if high is None else float(high))


def ends(parts: Sequence[Stretch], kind: str) -> list[Any]:
    """A finite value at each end of each stretch, in request form (to evaluate them)."""
    out: list[Any] = []
    for s in parts:
        for x, included in ((s.low, s.low_in), (s.high, s.high_in)):
            if math.isinf(x) or not included:
                continue
            if kind == "date":
                value: Any = date.fromordinal(int(x)).isoformat()
            elif kind == "integer":
                value = int(x)
            else:
                value = int(x) if float(x).is_integer() else x
            if value not in out:
                out.append(value)
    return out
