"""The decision: what the engine recommends for one request, and why (policy-v1 section 6).

``Decision.to_json()`` is canonical (sorted keys, fixed separators): the same request,
rules and ``as_of`` always give the same bytes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CitationRef:
    source: str
    para: str | None
    text: str  # e.g. "E/CN.4/2006/104 para 19(a)"
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "para": self.para, "text": self.text}
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True)
class Reason:
    rule: str
    message: str
    citation: tuple[CitationRef, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "citation": [c.to_dict() for c in self.citation]}

    def cites(self) -> str:
        return "; ".join(c.text for c in self.citation)


@dataclass(frozen=True)
class ConditionResult:
    name: str
    status: str  # met, partial, unmet, unknown
    score: float | None  # 1, 0.5, 0 or None (criteria/vocabularies.yaml)
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...]  # the unknown fields that make the status unknown

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class ExceptionResult:
    decision: str  # applied, rejected or not_considered
    valid: bool
    waives: tuple[str, ...]
    uncovered: tuple[str, ...]  # conditions not met that the exception does not cover
    reasons: tuple[Reason, ...]  # what the exception rules said of it
    justification: str | None = None
    requested_by: str | None = None
    approved_by: str | None = None
    expires: str | None = None
    decided_by: str | None = None  # the outcome rule that applied or rejected it

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "valid": self.valid,
            "waives": list(self.waives),
            "uncovered": list(self.uncovered),
            "reasons": [r.to_dict() for r in self.reasons],
            "justification": self.justification,
            "requested_by": self.requested_by,
            "approved_by": self.approved_by,
            "expires": self.expires,
            "decided_by": self.decided_by,
        }


@dataclass(frozen=True)
class ScoreItem:
    factor: str
    points: float

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "points": self.points}


@dataclass(frozen=True)
class Decision:
    request_id: str
    outcome: str
    priority_score: float
    as_of: date
    as_of_source: str  # "given" (--as-of) or "today"
    criteria: tuple[ConditionResult, ...]  # in letter order
    reasons: tuple[Reason, ...]  # the decisive outcome line first, then what it rested on
    missing: tuple[str, ...]
    exceptions: tuple[ExceptionResult, ...]
    score_breakdown: tuple[ScoreItem, ...]
    rules_fired: tuple[str, ...]
    ruleset_hash: str
    engine_version: str

    def __getstate__(self) -> dict[str, Any]:
        # Cached JSON halves are not part of the decision: leave them out when it is pickled.
        return {k: v for k, v in self.__dict__.items() if k != "_json_parts"}

    def for_request(self, request_id: str, priority_score: float, score_breakdown: tuple[ScoreItem, ...]) -> Decision:
        """This decision for a request with the same decisive content: a cheap copy with its id and score."""
        copy = object.__new__(Decision)
        copy.__dict__.update(self.__dict__)
        copy.__dict__["request_id"] = request_id
        copy.__dict__["priority_score"] = priority_score
        copy.__dict__["score_breakdown"] = score_breakdown
        copy.__dict__["_template"] = self.__dict__.get("_template", self)
        return copy

    @property
    def decisive_rule(self) -> str:
        return self.reasons[0].rule

    def condition(self, name: str) -> ConditionResult:
        for result in self.criteria:
            if result.name == name:
                return result
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "outcome": self.outcome,
            "priority_score": self.priority_score,
            "as_of": self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "criteria": {c.name: c.to_dict() for c in self.criteria},
            "reasons": [r.to_dict() for r in self.reasons],
            "missing": list(self.missing),
            "exceptions": [e.to_dict() for e in self.exceptions],
            "priority_breakdown": [s.to_dict() for s in self.score_breakdown],
            "rules_fired": list(self.rules_fired),
            "ruleset": {"hash": self.ruleset_hash, "engine_version": self.engine_version},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        template: Decision | None = self.__dict__.get("_template")
        if template is None:
            return canonical_json(self.to_dict(), indent=indent)
        # A copy made by for_request differs from its template in three values only: the
        # template's JSON is cut once around sentinels in their places, and each copy's JSON is
        # the pieces joined with its own values.
        cache: dict[int | None, list[str] | None] = template.__dict__.setdefault("_json_parts", {})
        if indent not in cache:
            data = template.to_dict()
            data.update(request_id=_SENTINEL[0], priority_score=_SENTINEL[1], priority_breakdown=_SENTINEL[2])
            text = canonical_json(data, indent=indent)
            pieces: list[str] = []
            for marker in _ORDER:
                before, found, text = text.partition(json.dumps(marker))
                if not found:  # pragma: no cover - the sentinels cannot occur in a decision
                    break
                pieces.append(before)
            cache[indent] = [*pieces, text] if len(pieces) == len(_ORDER) else None
        cut = cache[indent]
        if cut is None:  # pragma: no cover
            return canonical_json(self.to_dict(), indent=indent)
        # The keys are sorted, so the three places come in this order: breakdown, score, id.
        breakdown = canonical_json([s.to_dict() for s in self.score_breakdown], indent=indent)
        if indent is not None:
            breakdown = breakdown.replace("\n", "\n" + " " * indent)
        values = {
            _SENTINEL[0]: json.dumps(self.request_id, ensure_ascii=False),
            _SENTINEL[1]: json.dumps(self.priority_score),
            _SENTINEL[2]: breakdown,
        }
        return cut[0] + values[_ORDER[0]] + cut[1] + values[_ORDER[1]] + cut[2] + values[_ORDER[2]] + cut[3]


# Random markers for this process: no decision can hold them, so cutting at them is unambiguous.
_TOKEN = uuid.uuid4().hex
_SENTINEL = (f"engage-request-id-{_TOKEN}", f"engage-priority-score-{_TOKEN}", f"engage-priority-breakdown-{_TOKEN}")
_ORDER = (_SENTINEL[2], _SENTINEL[1], _SENTINEL[0])  # where they stand in JSON with sorted keys


def canonical_json(data: Any, *, indent: int | None = 2) -> str:
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=indent, separators=separators)
