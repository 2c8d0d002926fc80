"""A request checker compiled from the request schema: validation and normal form in one pass.

jsonschema walks the schema for every request (about 200 µs for a full request here);
this module walks it once, at load time, and builds nested closures that check a request
and return its normal form (see :func:`engine.evaluation.request.normalize`) in one pass.  It gives
only a verdict: for an invalid request it answers None, and jsonschema then runs to
report every error in plain words.  It knows exactly the keywords the request schema uses,
and refuses to compile (so that jsonschema does all the work) if the schema gains one it
does not know.  ``tests/evaluation/test_fastcheck.py`` proves that its verdict is jsonschema's on
valid and corrupted requests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

Checker = Callable[[Any], Any]  # returns the normal form, or raises _Invalid

_KNOWN = {
    "$schema", "$id", "title", "description", "type", "enum", "properties", "additionalProperties", "required",
    "minimum", "maximum", "minLength", "maxLength", "pattern", "format", "items", "uniqueItems", "maxItems", "minItems",
}  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


_DROP = object()  # a value that the normal form leaves out (null, or a group left empty)


class _Invalid(Exception):
    pass


def _check_date(v: str) -> None:
    """A calendar date written YYYY-MM-DD (fromisoformat alone would take other ISO forms)."""
    if not _DATE.match(v):
        raise _Invalid
    try:
        date.fromisoformat(v)
    except ValueError:
        raise _Invalid from None


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def _type_test(types: list[str]) -> Callable[[Any], bool]:
    tests: list[Callable[[Any], bool]] = []
    for name in types:
        if name == "string":
            tests.append(lambda v: type(v) is str)
        elif name == "boolean":
            tests.append(lambda v: type(v) is bool)
        elif name == "integer":
            # JSON Schema: a number with no fractional part (5.0 counts), never a boolean.
            tests.append(lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()))
        elif name == "number":
            tests.append(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
        elif name == "object":
            tests.append(lambda v: isinstance(v, dict))
        elif name == "array":
            tests.append(lambda v: isinstance(v, list))
        elif name == "null":
            tests.append(lambda v: v is None)
        else:
            raise Unsupported(f"type {name}")
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(t(v) for t in tests)


_ANNOTATIONS = {"$schema", "$id", "title", "description"}


def _specialised(node: Mapping[str, Any]) -> Checker | None:
    """Fast closures for the common shapes of the request schema; None for anything else."""
    keys = set(node) - _ANNOTATIONS
    raw = node.get("type")
    types = set([raw] if isinstance(raw, str) else (raw or []))
    nullable = "null" in types

    if keys == {"type"} and types in ({"boolean"}, {"boolean", "null"}):

        def boolean(v: Any) -> Any:
            if type(v) is bool:
                return v
            if v is None and nullable:
                return _DROP
            raise _Invalid

        return boolean
    if keys == {"enum"} and all(o is None or type(o) is str for o in node["enum"]):
        texts = frozenset(o for o in node["enum"] if o is not None)
        null_ok = None in node["enum"]

        def choice(v: Any) -> Any:
            if type(v) is str and v in texts:
                return v
            if v is None and null_ok:
                return _DROP
            raise _Invalid

        return choice
    if (
        keys <= {"type", "enum", "minLength", "maxLength", "pattern"}
        and "enum" in keys
        and types <= {"string", "null"}
        and all(o is None or type(o) is str for o in node["enum"])
    ):
        options = frozenset(o for o in node["enum"] if o is not None)
        null_allowed = None in node["enum"] and (not types or "null" in types)
        shortest_, longest_, search_ = node.get("minLength", 0), node.get("maxLength"), _searcher(node.get("pattern"))

        def text_choice(v: Any) -> Any:
            if type(v) is str and v in options:
                if len(v) < shortest_ or (longest_ is not None and len(v) > longest_) or (search_ is not None and not search_(v)):
                    raise _Invalid
                return v
            if v is None and null_allowed:
                return _DROP
            raise _Invalid

        return text_choice
    if types in ({"array"}, {"array", "null"}) and keys <= {"type", "items", "uniqueItems", "maxItems", "minItems"}:
        item = _compile(node["items"]) if "items" in node else (lambda x: x)
        unique, most, least = node.get("uniqueItems", False), node.get("maxItems"), node.get("minItems")

        def array(v: Any) -> Any:
            if type(v) is not list:
                if v is None and nullable:
                    return _DROP
                raise _Invalid
            _check_array_size(v, unique, most, least)
            out = None
            for i, entry in enumerate(v):
                kept = item(entry)
                if entry is None:
                    kept = None  # the normal form keeps a null inside a list
                elif kept is _DROP:
                    kept = {}
                if out is None:
                    if kept is entry:
                        continue
                    out = v[:i]
                out.append(kept)
            return v if out is None else out

        return array
    if types in ({"string"}, {"string", "null"}) and keys <= {"type", "minLength", "maxLength", "pattern", "format"}:
        shortest, longest = node.get("minLength", 0), node.get("maxLength")
        pattern = _searcher(node.get("pattern"))
        fmt = node.get("format")
        if fmt not in (None, "date"):
            return None

        def text(v: Any) -> Any:
            if type(v) is not str:
                if v is None and nullable:
                    return _DROP
                raise _Invalid
            if len(v) < shortest or (longest is not None and len(v) > longest) or (pattern is not None and not pattern(v)):
                raise _Invalid
            if fmt == "date":
                _check_date(v)
            return v

        return text
    if types in ({"integer"}, {"integer", "null"}, {"number"}, {"number", "null"}) and keys <= {"type", "minimum", "maximum"}:
        low, high = node.get("minimum"), node.get("maximum")
        whole = "integer" in types

        def number(v: Any) -> Any:
            if v is None:
                if nullable:
                    return _DROP
                raise _Invalid
            kind = type(v)
            if kind is bool or not (kind is int or kind is float or isinstance(v, (int, float))):
                raise _Invalid
            if isinstance(v, float) and not math.isfinite(v):
                raise _Invalid  # jsonschema would let NaN through; the full check reports it
            if whole and isinstance(v, float) and not v.is_integer():
                raise _Invalid
            if (low is not None and v < low) or (high is not None and v > high):
                raise _Invalid
            return v

        return number
    if types in ({"object"}, {"object", "null"}) and keys <= {"type", "properties", "additionalProperties", "required"}:
        if node.get("additionalProperties", True) is not False:
            return None
        steps = {name: _step(sub) for name, sub in node.get("properties", {}).items()}
        allowed = frozenset(steps)
        required = tuple(node.get("required", ()))

        def mapping(v: Any) -> Any:
            if type(v) is not dict:
                if v is None and nullable:
                    return _DROP
                raise _Invalid
            if not allowed.issuperset(v):
                raise _Invalid
            for name in required:
                if name not in v:
                    raise _Invalid
            out: dict[str, Any] | None = None  # built only when something changes: most requests hold no null
            for name, value in v.items():
                how, arg, null_ok = steps[name]
                # The common leaves are checked here rather than through a call: this loop runs
                # for every field of every request.
                if value is None:
                    if not null_ok:
                        raise _Invalid
                    kept: Any = _DROP
                elif how == _BOOL:
                    if type(value) is not bool:
                        raise _Invalid
                    kept = value
                elif how == _CHOICE:
                    if type(value) is not str or value not in arg:
                        raise _Invalid
                    kept = value
                elif how == _TEXT:
                    shortest, longest, search = arg
                    if (
                        type(value) is not str
                        or len(value) < shortest
                        or (longest is not None and len(value) > longest)
                        or (search is not None and not search(value))
                    ):
                        raise _Invalid
                    kept = value
                else:
                    kept = arg(value)
                if out is None:
                    if kept is value:
                        continue
                    out = {}
                    for earlier, same in v.items():  # everything before this field was kept as it is
                        if earlier == name:
                            break
                        out[earlier] = same
                if kept is not _DROP:
                    out[name] = kept
            if out is None:
                return v if v else _DROP
            return out or _DROP

        return mapping
    return None


_BOOL, _CHOICE, _TEXT, _CALL = range(4)


def _not_blank(value: str) -> bool:
    return not value.isspace() and value != ""


def _searcher(pattern: str | None) -> Callable[[str], Any] | None:
    """``re.search`` for ``pattern``; the schema's "not blank" pattern is tested without a regex."""
    if pattern is None:
        return None
    if pattern == "\\S":  # same answer as re.search("\\S", v) for every string: tests/evaluation/test_fastcheck.py
        return _not_blank
    return re.compile(pattern).search


def _step(node: Mapping[str, Any]) -> tuple[int, Any, bool]:
    """How an object checks one of its fields: a common leaf inline, anything else by its checker."""
    keys = set(node) - _ANNOTATIONS
    raw = node.get("type")
    types = set([raw] if isinstance(raw, str) else (raw or []))
    if keys == {"type"} and types in ({"boolean"}, {"boolean", "null"}):
        return _BOOL, None, "null" in types
    if keys == {"enum"} and all(o is None or type(o) is str for o in node["enum"]):
        return _CHOICE, frozenset(o for o in node["enum"] if o is not None), None in node["enum"]
    if types in ({"string"}, {"string", "null"}) and keys <= {"type", "minLength", "maxLength", "pattern"}:
        return _TEXT, (node.get("minLength", 0), node.get("maxLength"), _searcher(node.get("pattern"))), "null" in types
    null_ok = ("null" in types if types else True) and (None in node["enum"] if "enum" in node else True)
    return _CALL, _compile(node), null_ok


def _compile(node: Mapping[str, Any]) -> Checker:
    unknown = set(node) - _KNOWN
    if unknown:
        raise Unsupported(", ".join(sorted(unknown)))
    fast = _specialised(node)
    if fast is not None:
        return fast
    raw_types = node.get("type")
    types = [raw_types] if isinstance(raw_types, str) else list(raw_types or [])
    type_ok = _type_test(types) if types else None
    checks: list[Callable[[Any], None]] = []

    if "enum" in node:
        options = list(node["enum"])
        texts = frozenset(o for o in options if type(o) is str)
        others = [o for o in options if o is not None and type(o) is not str]

        def enum_check(v: Any) -> None:
            # jsonschema's equality: text equals text, true only equals true, 1 equals 1.0.
            ok = v in texts if type(v) is str else any(_same(v, o) for o in others)
            if not ok:
                raise _Invalid

        checks.append(enum_check)
    if "minimum" in node or "maximum" in node:
        low, high = node.get("minimum"), node.get("maximum")

        def range_check(v: Any) -> None:
            is_number = isinstance(v, (int, float)) and not isinstance(v, bool)
            if is_number and ((low is not None and v < low) or (high is not None and v > high)):
                raise _Invalid

        checks.append(range_check)
    if any(k in node for k in ("minLength", "maxLength", "pattern", "format")):
        shortest, longest = node.get("minLength"), node.get("maxLength")
        pattern = re.compile(node["pattern"]) if "pattern" in node else None
        fmt = node.get("format")
        if fmt not in (None, "date"):
            raise Unsupported(f"format {fmt}")

        def text_check(v: Any) -> None:
            if type(v) is not str:
                return
            if (shortest is not None and len(v) < shortest) or (longest is not None and len(v) > longest):
                raise _Invalid
            if pattern is not None and not pattern.search(v):
                raise _Invalid
            if fmt == "date":
                _check_date(v)

        checks.append(text_check)

    build: Callable[[Any], Any] = lambda v: v  # noqa: E731 - scalars are kept as they are
    if "properties" in node or "additionalProperties" in node or "required" in node:
        if node.get("additionalProperties", False) is not False:
            raise Unsupported("additionalProperties other than false")
        fields = {name: _compile(sub) for name, sub in node.get("properties", {}).items()}
        allowed = frozenset(fields)
        required = tuple(node.get("required", ()))

        def build(v: Any) -> Any:
            if not isinstance(v, dict):
                return v
            if not allowed.issuperset(v.keys()):
                raise _Invalid
            for name in required:
                if name not in v:
                    raise _Invalid
            out = {}
            for name, value in v.items():
                kept = fields[name](value)
                if kept is not _DROP:
                    out[name] = kept
            return out or _DROP

    elif any(k in node for k in ("items", "uniqueItems", "maxItems", "minItems")):
        item = _compile(node["items"]) if "items" in node else (lambda v: v)
        unique, most, least = node.get("uniqueItems", False), node.get("maxItems"), node.get("minItems")

        def build(v: Any) -> Any:
            if not isinstance(v, list):
                return v
            _check_array_size(v, unique, most, least)
            out = []
            for entry in v:
                kept = item(entry)
                out.append(None if entry is None else ({} if kept is _DROP else kept))
            return out

    def check(v: Any) -> Any:
        if v is None:
            if (types and "null" not in types) or ("enum" in node and None not in node["enum"]):
                raise _Invalid
            return _DROP
        if type_ok is not None and not type_ok(v):
            raise _Invalid
        for c in checks:
            c(v)
        return build(v)

    return check


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _check_array_size(v: list[Any], unique: bool, most: int | None, least: int | None) -> None:
    if (most is not None and len(v) > most) or (least is not None and len(v) < least):
        raise _Invalid
    if unique:
        try:
            distinct = len(set(v)) == len(v) and not _bools_and_numbers_mixed(v)
        except TypeError:
            raise _Invalid from None  # lists of mappings: leave uniqueness to jsonschema
        if not distinct:
            raise _Invalid


def _bools_and_numbers_mixed(values: list[Any]) -> bool:
    # jsonschema counts true and 1 as different; a Python set would merge them.
    return any(type(v) is bool for v in values) and any(type(v) in (int, float) for v in values)


def compile_checker(schema: Mapping[str, Any]) -> Callable[[Any], dict[str, Any] | None] | None:
    """A function giving the normal form of a valid request and None otherwise; None if unsupported."""
    try:
        root = _compile(schema)
    except Unsupported:
        return None

    def check(request: Any) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return None
        try:
            out = root(request)
        except _Invalid:
            return None
        return {} if out is _DROP else out

    return check
