"""A decision read back from its JSON (the inverse of ``Decision.to_dict``), to show it as text again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from .decision import CitationRef, ConditionResult, CouldChange, Decision, ExceptionResult, Reason, ScoreItem


def _reason(data: Mapping[str, Any]) -> Reason:
    cites = tuple(CitationRef(c["source"], c.get("para"), c["text"], c.get("url")) for c in data.get("citation", ()))
    return Reason(data["rule"], data["message"], cites)


def decision_from_dict(data: Mapping[str, Any], order: Sequence[str] = ()) -> Decision:
    """The :class:`Decision` whose ``to_dict()`` is ``data``; ``order``: the criteria in letter order."""
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(data["criteria"], key=lambda n: (rank.get(n, len(rank)), n))
    criteria = tuple(
        ConditionResult(
            name,
            data["criteria"][name]["status"],
            data["criteria"][name].get("score"),
            tuple(_reason(r) for r in data["criteria"][name].get("reasons", ())),
            tuple(data["criteria"][name].get("missing", ())),
        )
        for name in names
    )
    exceptions = tuple(
        ExceptionResult(
            decision=e["decision"],
            valid=e["valid"],
            waives=tuple(e.get("waives", ())),
            uncovered=tuple(e.get("uncovered", ())),
            reasons=tuple(_reason(r) for r in e.get("reasons", ())),
            justification=e.get("justification"),
            requested_by=e.get("requested_by"),
            approved_by=e.get("approved_by"),
            expires=e.get("expires"),
            decided_by=e.get("decided_by"),
        )
        for e in data.get("exceptions", ())
    )
    return Decision(
        request_id=data["request_id"],
        outcome=data["outcome"],
        priority_score=data["priority_score"],
        as_of=date.fromisoformat(data["as_of"]),
        as_of_source=data["as_of_source"],
        criteria=criteria,
        reasons=tuple(_reason(r) for r in data.get("reasons", ())),
        missing=tuple(data.get("missing", ())),
        # Decisions recorded before could_change existed have none.
        could_change=tuple(CouldChange(c["field"], c["outcome"], c.get("answered_by", "")) for c in data.get("could_change", ())),
        exceptions=exceptions,
        score_breakdown=tuple(ScoreItem(s["factor"], s["points"]) for s in data.get("priority_breakdown", ())),
        rules_fired=tuple(data.get("rules_fired", ())),
        ruleset_hash=data["ruleset"]["hash"],
        engine_version=data["ruleset"]["engine_version"],
    )
