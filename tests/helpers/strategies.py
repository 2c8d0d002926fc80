"""Hypothesis strategies for requests: every field may be absent, null, or any value of its domain.

Values are drawn so that every line of the outcome table is common: each condition's fields
lean towards the values that meet it, so that the rarer lines (engage, exceptions) still come
up often in a few thousand examples.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

AS_OF = date(2026, 11, 24)
THEMES = ["nhri", "legislative_reform", "administration_of_justice", "transitional_justice", "elections", "other"]
WAIVABLE = ["country_engagement_strategy", "in_country_presence", "partnership"]

# The text alphabet includes quotes, backslashes, braces and non-ASCII letters on purpose.
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ 09.,'\"\\{}éñ中-")), min_size=1, max_size=24).filter(lambda s: s.strip())


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, or (one time in twenty) null."""
    return st.integers(0, 19).flatmap(lambda n: st.none() if n == 0 else values)


def _bool(lean: bool | None = None) -> st.SearchStrategy[Any]:
    if lean is None:
        return st.sampled_from([True, False, None])
    return st.sampled_from([lean] * 8 + [not lean, None])


@st.composite
def _fields(draw: st.DrawFn, spec: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """A mapping where each key is absent one time in twenty (and its value may itself be null)."""
    out = {}
    for key, values in spec.items():
        if draw(st.integers(0, 19)) != 0:
            out[key] = draw(values)
    return out


def _group(spec: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return _fields(spec)


def dates_near(day: date, spread: int = 3) -> st.SearchStrategy[str]:
    return st.integers(-spread, spread).map(lambda d: (day + timedelta(days=d)).isoformat())


requesters = _group(
    {
        "type": _maybe(
            st.sampled_from(
                ["government", "parliament", "judiciary", "nhri", "civil_society", "un_country_team", "regional_organization"]
            )
        ),
        "name": _maybe(TEXT),
        "government_endorsed": _bool(True),
    }
)
request_parts = _group(
    {
        "kind": _maybe(st.sampled_from(["programme", "advisory", "needs_assessment", "training"])),
        "title": _maybe(TEXT),
        "themes": _maybe(st.lists(st.sampled_from(THEMES), unique=True, max_size=3)),
        "duration_months": _maybe(st.integers(0, 120)),
        "budget_usd": _maybe(st.one_of(st.integers(0, 10**9), st.floats(0, 1e9, allow_nan=False), st.just(1e-05))),
        "funding_only": _bool(False),
    }
)
mandates = _group({"restricts_monitoring": _bool(False), "contrary_to_standards": _bool(False)})
presences = _group(
    {
        "type": _maybe(
            st.sampled_from(
                ["none", "regional_office", "human_rights_adviser", "country_office", "country_office", "peace_mission_component"]
            )
        ),
        "adequately_staffed": _bool(True),
        "long_term_programming": _bool(True),
    }
)
strategies_ = _group(
    {
        "status": _maybe(st.sampled_from(["none", "in_development", "adopted", "adopted"])),
        "request_in_strategy": _bool(True),
    }
)
partnerships = _group(
    {
        "government_counterpart": _bool(True),
        "civil_society_involved": _bool(True),
        "nhri_involved": _bool(),
        "un_partners": _maybe(st.lists(st.sampled_from(["UNDP", "UNICEF", "UN-Women"]), max_size=3)),
    }
)
recommendations = st.lists(
    st.fixed_dictionaries(
        {"mechanism": st.sampled_from(["upr", "treaty_body", "special_procedure", "board_of_trustees"])},
        optional={"reference": _maybe(TEXT)},
    ),
    max_size=4,
)
priorities = _group(
    {
        "transition_to_democracy": _bool(),
        "least_developed_country": _bool(),
        "small_island_developing_state": _bool(),
        "development_plan_aligned": _bool(),
        "crisis_driven": _bool(),
        "recommendations": _maybe(recommendations),
    }
)
exceptions = _group(
    {
        "waives": _maybe(st.lists(st.sampled_from(WAIVABLE), unique=True, max_size=3)),
        "justification": _maybe(TEXT),
        "requested_by": _maybe(TEXT),
        "approved_by": _maybe(TEXT),
        "expires": _maybe(dates_near(AS_OF)),
    }
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid request (as a user could write it: absent and null fields mixed)."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "country": _maybe(st.sampled_from(["SLE", "TCD", "FJI", "COL", "MNG"])),
        "region": _maybe(
            st.sampled_from(["africa", "arab", "asia_pacific", "europe_north_america", "latin_america_caribbean", "global"])
        ),
        "requester": _maybe(requesters),
        "request": _maybe(request_parts),
        "mandate": _maybe(mandates),
        "presence": _maybe(presences),
        "strategy": _maybe(strategies_),
        "partnership": _maybe(partnerships),
        "priority": _maybe(priorities),
        "expertise_available": _bool(),
        "exception": st.one_of(st.none(), st.none(), exceptions),
    }
    head = {
        "id": draw(st.integers(1, 10**6).map(lambda n: f"REQ-{n:06d}")),
        "received": draw(dates_near(date(2026, 6, 1), 400)),
    }
    body = draw(_fields(optional))
    return {**head, **body}


def shuffled(value: Any, seed: int) -> Any:
    """The same mapping with every level's keys in another order."""
    rng = random.Random(seed)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            keys = list(node)
            rng.shuffle(keys)
            return {k: walk(node[k]) for k in keys}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(value)
