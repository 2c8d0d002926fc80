"""The compiled request checker gives jsonschema's verdict, and the normal form, on any input."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluation.fastcheck import compile_checker
from engine.evaluation.request import normalize

from ..helpers.strategies import requests
from ..helpers.support import shipped_engine

ODD_VALUES = st.sampled_from(
    [None, True, False, 0, 1, -1, 5.0, 5.5, 1e13, "", " ", "x", "2026-02-30", "2026-1-1", "20260101", "yes",
     "country_office", "mandate_integrity", [], ["x"], [None], {}, {"type": "none"}, {"x": 1}, [{"mechanism": "upr"}],
     ["nhri", "nhri"], [True, 1], float("nan"), float("inf")]
).map(copy.deepcopy)  # fmt: skip  # a fresh copy: corruptions may later edit it in place


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += paths(item, (*prefix, i))
    return out


@st.composite
def corrupted(draw: st.DrawFn) -> Any:
    """A generated request with one to three places replaced, or a key added, anywhere in it."""
    request = draw(requests())
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(request)))
        if not where:
            continue
        parent: Any = request
        for part in where[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "presense", "type", "id"]))] = draw(ODD_VALUES)
        else:
            parent[where[-1]] = draw(ODD_VALUES)
    return request


def jsonschema_says_valid(request: Any) -> bool:
    return not any(True for _ in shipped_engine().validator.iter_errors(request))


CHECK = compile_checker(shipped_engine().policy.request_schema)
SETTINGS = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_shipped_request_schema_compiles() -> None:
    assert CHECK is not None


@SETTINGS
@given(requests())
def test_valid_requests_get_their_normal_form(request: dict[str, Any]) -> None:
    assert CHECK is not None
    before = copy.deepcopy(request)
    assert jsonschema_says_valid(request)
    assert CHECK(request) == normalize(request)
    assert request == before  # never changed


@SETTINGS
@given(corrupted())
def test_the_verdict_is_jsonschemas_on_corrupted_requests(request: Any) -> None:
    assert CHECK is not None
    import math

    finite = all(not (isinstance(v, float) and not math.isfinite(v)) for v in _leaves(request))
    expected = jsonschema_says_valid(request) and finite  # non-finite numbers are refused on purpose
    got = CHECK(request)
    assert (got is not None) == expected
    if got is not None:
        assert got == normalize(request)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def test_a_schema_keyword_it_does_not_know_turns_it_off() -> None:
    assert compile_checker({"type": "object", "properties": {"a": {"type": "string", "const": "x"}}}) is None
    assert compile_checker({"type": "object", "patternProperties": {}}) is None


def test_the_not_blank_pattern_is_tested_exactly_as_the_regex_would() -> None:
    import re

    from engine.evaluation.fastcheck import _not_blank

    whitespace = re.compile(r"\s")
    assert all((whitespace.match(chr(c)) is not None) == chr(c).isspace() for c in range(0x110000))
    for text in ["", " ", "\u00a0", "\u2003x", "x", "\t\n", "\u200b"]:
        assert _not_blank(text) == (re.search(r"\S", text) is not None), repr(text)
