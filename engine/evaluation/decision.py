"""The decision: what the engine recommends for one request, and why (policy-v1 section 6).

``Decision.to_json()`` is canonical (sorted keys, fixed separators): the same request,
rules and ``as_of`` always give the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
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
class CouldChange:
    """An unknown field whose answer could make the recommendation ``outcome`` (see :mod:`.could_change`)."""

    field: str
    outcome: str
    answered_by: str  # requester or office (criteria/fields.yaml)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "outcome": self.outcome, "answered_by": self.answered_by}


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
    could_change: tuple[CouldChange, ...]  # unknown fields whose answer could change the outcome
    exceptions: tuple[ExceptionResult, ...]
    score_breakdown: tuple[ScoreItem, ...]
    rules_fired: tuple[str, ...]
    ruleset_hash: str
    engine_version: str

    @classmethod
    def build(cls, **fields: Any) -> Decision:
        """A decision from its fields, without the frozen dataclass's one setattr per field.

        The engine makes one for every request: this is the same object, made faster.
        """
        decision = object.__new__(cls)
        decision.__dict__.update(fields)
        if decision.__dict__.keys() != _FIELD_SET:
            raise TypeError(f"Decision.build needs exactly the fields {', '.join(_FIELDS)}")
        return decision

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
            "could_change": [c.to_dict() for c in self.could_change],
            "exceptions": [e.to_dict() for e in self.exceptions],
            "priority_breakdown": [s.to_dict() for s in self.score_breakdown],
            "rules_fired": list(self.rules_fired),
            "ruleset": {"hash": self.ruleset_hash, "engine_version": self.engine_version},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Canonical JSON: sorted keys; compact when ``indent`` is None (one line, as in JSON Lines)."""
        if indent is not None:
            return canonical_json(self.to_dict(), indent=indent)
        # Compact JSON is joined from the pieces' own (cached) JSON: the pieces are shared by
        # many decisions, and this is what a batch writes for every request.  The keys are
        # listed in sorted order; tests check the bytes against json.dumps of to_dict().
        criteria = ",".join(f"{_text(c.name)}:{compact(c)}" for c in sorted(self.criteria, key=lambda c: c.name))
        return (
            f'{{"as_of":"{self.as_of.isoformat()}","as_of_source":{_text(self.as_of_source)},'
            f'"could_change":[{",".join(compact(c) for c in self.could_change)}],'
            f'"criteria":{{{criteria}}},"exceptions":[{",".join(compact(e) for e in self.exceptions)}],'
            f'"missing":{_list(self.missing)},"outcome":{_text(self.outcome)},'
            f'"priority_breakdown":[{",".join(_item(s) for s in self.score_breakdown)}],'
            f'"priority_score":{_NUMBER(self.priority_score)},"reasons":[{",".join(compact(r) for r in self.reasons)}],'
            f'"request_id":{_text(self.request_id)},"rules_fired":{_list(self.rules_fired)},'
            f'"ruleset":{{"engine_version":{_text(self.engine_version)},"hash":{_text(self.ruleset_hash)}}}}}'
        )


# One encoder each: json.dumps with options builds a new encoder on every call.
_text = json.JSONEncoder(ensure_ascii=False).encode
_LIST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_NUMBER = json.JSONEncoder().encode


_FIELDS = tuple(f.name for f in dataclasses.fields(Decision))
_FIELD_SET = frozenset(_FIELDS)


def _list(values: Any) -> str:
    return _LIST(list(values))


def _item(item: ScoreItem) -> str:
    return f'{{"factor":{_text(item.factor)},"points":{_NUMBER(item.points)}}}'


def compact(piece: Any) -> str:
    """The compact canonical JSON of a decision's piece, made once per piece object."""
    found: str | None = piece.__dict__.get("_compact")
    if found is None:
        found = canonical_json(piece.to_dict(), indent=None)
        object.__setattr__(piece, "_compact", found)
    return found


def canonical_json(data: Any, *, indent: int | None = 2) -> str:
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=indent, separators=separators)
