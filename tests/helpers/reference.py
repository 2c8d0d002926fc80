"""An independent evaluator of policy version 1, written by hand from ../shared/policy-v1.md.

It shares no code with ``engine/`` beyond nothing at all: no rule files, no schema, no
three-valued logic module.  The engine (durable-rules and every faster path) must agree
with it on every request the tests generate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Section 1's field order, which is also the order of the request form; `missing` follows it.
FIELD_ORDER = [
    "requester.government_endorsed",
    "request.funding_only",
    "mandate.restricts_monitoring",
    "mandate.contrary_to_standards",
    "presence.type",
    "presence.adequately_staffed",
    "presence.long_term_programming",
    "strategy.status",
    "strategy.request_in_strategy",
    "partnership.government_counterpart",
    "partnership.civil_society_involved",
]


def get(request: dict[str, Any], path: str) -> Any:
    node: Any = request
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return None
        node = node[part]
    return node


@dataclass
class RefDecision:
    outcome: str
    statuses: dict[str, str]
    score: int
    missing: list[str]
    exception: str  # applied, rejected, not_considered or none
    blocking: dict[str, list[str]] = field(default_factory=dict)
    condition_scores: dict[str, float | None] = field(default_factory=dict)  # policy-v1 section 4
    uncovered: list[str] = field(default_factory=list)  # with an exception: not met and not waived, in letter order
    breakdown: list[tuple[str, int]] = field(default_factory=list)  # section 5: every condition, the factors that add


def mandate(r: dict[str, Any]) -> tuple[str, list[str]]:
    restricts = get(r, "mandate.restricts_monitoring")
    contrary = get(r, "mandate.contrary_to_standards")
    funding = get(r, "request.funding_only")
    endorsed = get(r, "requester.government_endorsed")
    if restricts is True or contrary is True or funding is True or endorsed is False:
        return "unmet", []
    unknown = [
        path
        for path, value in (
            ("mandate.restricts_monitoring", restricts),
            ("mandate.contrary_to_standards", contrary),
            ("request.funding_only", funding),
            ("requester.government_endorsed", endorsed),
        )
        if value is None
    ]
    return ("unknown", unknown) if unknown else ("met", [])


def strategy(r: dict[str, Any]) -> tuple[str, list[str]]:
    status = get(r, "strategy.status")
    fits = get(r, "strategy.request_in_strategy")
    if status is None:
        return "unknown", ["strategy.status"]
    if status == "in_development":
        return "partial", []
    if status == "none":
        return "unmet", []
    # adopted
    if fits is None:
        return "unknown", ["strategy.request_in_strategy"]
    return ("met", []) if fits else ("unmet", [])


def presence(r: dict[str, Any]) -> tuple[str, list[str]]:
    kind = get(r, "presence.type")
    staffed = get(r, "presence.adequately_staffed")
    longterm = get(r, "presence.long_term_programming")
    if kind is None:
        return "unknown", ["presence.type"]
    if kind == "none":
        return "unmet", []
    if kind in ("regional_office", "human_rights_adviser"):
        return "partial", []
    # a country office or a peace mission component
    if staffed is True and longterm is True:
        return "met", []
    if staffed is False or longterm is False:
        return "partial", []
    return "unknown", [
        p for p, v in (("presence.adequately_staffed", staffed), ("presence.long_term_programming", longterm)) if v is None
    ]


def partnership(r: dict[str, Any]) -> tuple[str, list[str]]:
    gov = get(r, "partnership.government_counterpart")
    civil = get(r, "partnership.civil_society_involved")
    if gov is True and civil is True:
        return "met", []
    if (gov, civil) in ((True, False), (False, True)):
        return "partial", []
    if gov is False and civil is False:
        return "unmet", []
    return "unknown", [
        p for p, v in (("partnership.government_counterpart", gov), ("partnership.civil_society_involved", civil)) if v is None
    ]


def evaluate(r: dict[str, Any], as_of: date) -> RefDecision:
    a, a_missing = mandate(r)
    b, b_missing = strategy(r)
    c, c_missing = presence(r)
    d, d_missing = partnership(r)
    statuses = {"mandate_integrity": a, "country_engagement_strategy": b, "in_country_presence": c, "partnership": d}
    blocking = {
        name: sorted(fields, key=FIELD_ORDER.index)
        for name, fields in (
            ("mandate_integrity", a_missing),
            ("country_engagement_strategy", b_missing),
            ("in_country_presence", c_missing),
            ("partnership", d_missing),
        )
    }
    exc = r.get("exception") if isinstance(r.get("exception"), dict) else {}
    present = any(v is not None for v in exc.values())
    expires = get(r, "exception.expires")
    valid = (
        present
        and get(r, "exception.justification") is not None
        and get(r, "exception.requested_by") is not None
        and get(r, "exception.approved_by") is not None
        and expires is not None
        and date.fromisoformat(expires) >= as_of
    )
    covers = set(get(r, "exception.waives") or [])
    kind = get(r, "request.kind")
    expertise = get(r, "expertise_available")
    rest = {"country_engagement_strategy": b, "in_country_presence": c, "partnership": d}

    missing: list[str] = []
    exception = "not_considered" if present else "none"
    if a == "unmet":
        outcome = "decline"
    elif a == "unknown":
        outcome, missing = "request_information", a_missing
    elif kind == "advisory" and expertise is True:
        outcome = "respond_ad_hoc"
    elif "unknown" in rest.values():
        outcome = "request_information"
        missing = [f for name, s in rest.items() if s == "unknown" for f in blocking[name]]
    elif all(s == "met" for s in rest.values()):
        outcome = "engage"
    elif present and valid and all(s == "met" or name in covers for name, s in rest.items()):
        outcome, exception = "engage", "applied"
    elif present:
        outcome, exception = "exception_review", "rejected"
    elif kind == "needs_assessment" or (
        c == "partial" and get(r, "presence.type") in ("regional_office", "human_rights_adviser")
    ):
        outcome = "assess_needs"
    else:
        outcome = "consider_in_strategy"
    missing = sorted(set(missing), key=FIELD_ORDER.index)

    breakdown: list[tuple[str, int]] = []
    if outcome == "decline":
        score = 0
        breakdown = [("outcome.decline", 0)]
    else:
        points = {"met": 20, "partial": 10}
        breakdown = [(f"condition.{name}", points.get(s, 0)) for name, s in rest.items()]
        factors = [
            ("transition_to_democracy", 10 if get(r, "priority.transition_to_democracy") is True else 0),
            ("least_developed_country", 10 if get(r, "priority.least_developed_country") is True else 0),
            ("small_island_developing_state", 5 if get(r, "priority.small_island_developing_state") is True else 0),
            ("development_plan_aligned", 5 if get(r, "priority.development_plan_aligned") is True else 0),
            ("recommendations", min(5 * len(get(r, "priority.recommendations") or []), 10)),
            ("crisis_driven", -5 if get(r, "priority.crisis_driven") is True else 0),
        ]
        breakdown += [(name, value) for name, value in factors if value]
        score = min(max(sum(value for _, value in breakdown), 0), 100)
    scores = {"met": 1, "partial": 0.5, "unmet": 0}
    condition_scores = {name: scores.get(s) for name, s in statuses.items()}
    uncovered = [name for name, s in rest.items() if s != "met" and name not in covers] if present else []
    return RefDecision(outcome, statuses, score, missing, exception, blocking, condition_scores, uncovered, breakdown)
