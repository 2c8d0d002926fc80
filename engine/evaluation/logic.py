"""Three-valued (Kleene) logic over request records: the meaning of a rule condition.

A test on an unknown field is *unknown*, except ``is: unknown`` / ``is: known`` and an
``in`` / ``not_in`` list that names ``null``.  ``all`` is true when every part is true,
``any`` when one part is, ``not`` swaps true and false and leaves unknown alone.  A rule
fires only when its condition is certainly true: nothing is guessed.

Every test has a dual (``equals``/``not_equals``, ``lt``/``ge``, ...), so :func:`nnf`
can push every ``not`` down to single tests; the compiler relies on that, because a
durable-rules pattern can only say when something is true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..policy.model import AS_OF, All, AnyOf, Condition, Not, Test

Kleene = bool | None  # None is "unknown"

DUAL = {
    "equals": "not_equals",
    "not_equals": "equals",
    "in": "not_in",
    "not_in": "in",
    "lt": "ge",
    "ge": "lt",
    "le": "gt",
    "gt": "le",
    "contains": "not_contains",
    "not_contains": "contains",
}


_PATHS: dict[str, tuple[str, ...]] = {}


def lookup(record: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path``, or None when it is absent (unknown)."""
    parts = _PATHS.get(path)
    if parts is None:
        parts = _PATHS[path] = tuple(path.split("."))
    node: Any = record
    for part in parts:
        # Records are plain dicts: the exact type test first (an ABC check costs far more).
        if type(node) is not dict and not isinstance(node, Mapping):
            return None
        node = node.get(part)
        if node is None:
            return None
    return node


def getter(path: str) -> Callable[[Mapping[str, Any]], Any]:
    """A fast :func:`lookup` for one fixed path (records in normal form hold only mappings and values)."""
    parts = tuple(path.split("."))
    if len(parts) == 1:
        (a,) = parts
        return lambda r: r.get(a)
    if len(parts) == 2:
        a, b = parts

        def two(r: Mapping[str, Any]) -> Any:
            node = r.get(a)
            return node.get(b) if isinstance(node, dict) else None

        return two
    return lambda r: lookup(r, path)


def _as_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def test_value(test: Test, record: Mapping[str, Any], as_of: date) -> Kleene:
    """The truth of one test on ``record``."""
    seen = lookup(record, test.field)
    op, want = test.op, test.value
    if op == "is":
        return (seen is None) if want == "unknown" else (seen is not None)
    if seen is None:
        if op == "in":
            return True if None in want else None  # type: ignore[operator]
        if op == "not_in":
            return False if None in want else None  # type: ignore[operator]
        return None
    if op in ("contains", "not_contains"):
        inside = want in seen
        return inside if op == "contains" else not inside
    if want == AS_OF:
        want = as_of
    if isinstance(want, date) or (isinstance(want, tuple) and any(isinstance(w, date) for w in want)):
        seen = _as_date(seen)
    if op == "equals":
        return bool(seen == want)
    if op == "not_equals":
        return bool(seen != want)
    if op == "in":
        return seen in want  # type: ignore[operator]
    if op == "not_in":
        return seen not in want  # type: ignore[operator]
    if op == "lt":
        return bool(seen < want)
    if op == "le":
        return bool(seen <= want)
    if op == "gt":
        return bool(seen > want)
    if op == "ge":
        return bool(seen >= want)
    raise ValueError(f"unknown operator {op}")  # pragma: no cover - the schema bounds it


def _and(values: list[Kleene]) -> Kleene:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(values: list[Kleene]) -> Kleene:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def evaluate(cond: Condition, record: Mapping[str, Any], as_of: date) -> Kleene:
    if isinstance(cond, Test):
        return test_value(cond, record, as_of)
    if isinstance(cond, All):
        return _and([evaluate(c, record, as_of) for c in cond.items])
    if isinstance(cond, AnyOf):
        return _or([evaluate(c, record, as_of) for c in cond.items])
    if isinstance(cond, Not):
        value = evaluate(cond.item, record, as_of)
        return None if value is None else not value
    return True  # Always


@dataclass(frozen=True)
class TraceNode:
    """The value of one node of a condition, with the value each test saw."""

    kind: str  # all, any, not, test, always
    value: Kleene
    children: tuple[TraceNode, ...] = ()
    test: Test | None = None
    seen: Any = None  # the field's value as the test saw it (None when unknown)

    def true_tests(self) -> list[Test]:
        """Tests that were true on a path that made this node true."""
        if self.value is not True:
            return []
        if self.kind == "test":
            return [self.test] if self.test is not None else []
        out: list[Test] = []
        for child in self.children:
            out.extend(child.true_tests())
        return out


def trace(cond: Condition, record: Mapping[str, Any], as_of: date) -> TraceNode:
    if isinstance(cond, Test):
        return TraceNode("test", test_value(cond, record, as_of), test=cond, seen=lookup(record, cond.field))
    if isinstance(cond, All):
        kids = tuple(trace(c, record, as_of) for c in cond.items)
        return TraceNode("all", _and([k.value for k in kids]), kids)
    if isinstance(cond, AnyOf):
        kids = tuple(trace(c, record, as_of) for c in cond.items)
        return TraceNode("any", _or([k.value for k in kids]), kids)
    if isinstance(cond, Not):
        kid = trace(cond.item, record, as_of)
        return TraceNode("not", None if kid.value is None else not kid.value, (kid,))
    return TraceNode("always", True)


def negate_test(test: Test) -> Test:
    if test.op == "is":
        return Test(test.field, "is", "known" if test.value == "unknown" else "unknown", test.location)
    return Test(test.field, DUAL[test.op], test.value, test.location)


def nnf(cond: Condition, negated: bool = False) -> Condition:
    """``cond`` with every ``not`` pushed down to a single (dual) test."""
    if isinstance(cond, Test):
        return negate_test(cond) if negated else cond
    if isinstance(cond, Not):
        return nnf(cond.item, not negated)
    if isinstance(cond, All):
        items = tuple(nnf(c, negated) for c in cond.items)
        return AnyOf(items) if negated else All(items)
    if isinstance(cond, AnyOf):
        items = tuple(nnf(c, negated) for c in cond.items)
        return All(items) if negated else AnyOf(items)
    if negated:
        raise ValueError("a rule that never applies cannot be written")
    return cond
