"""Test cases as YAML data: a request and the decision it must get.

The golden tests in ``tests/golden/`` and the policy authors' cases (``engage test``) use
this one format (``engine/schemas/cases.schema.json``)::

    as_of: 2026-11-24
    bases:
      complete: {id: GOLD, received: 2026-01-15, ...}
    cases:
      - name: restricts monitoring declines
        base: complete
        patch: {mandate: {restricts_monitoring: true}}     # JSON merge patch; null = unknown
        expect:
          outcome: decline
          criteria: {a: unmet, b: met, c: met, d: met}      # by letter or by name
          priority_score: 0
          rules: [outcome.decline, mandate.restricts_monitoring]
          missing: []
          # Also, where what people read must be pinned: reasons (rule id -> sentence),
          # citations (rule id -> [text, ...]), condition_scores (by letter or name),
          # uncovered (conditions a valid exception leaves uncovered), score_breakdown
          # (factor -> points, the whole breakdown).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import EngageError, LoadFailed, Location, PolicyError
from ..evaluation.decision import Decision, Reason
from ..evaluation.evaluator import Engine
from ..i18n.said import joined, say
from ..policy.documents import Document, load_file
from ..policy.schema import schema_errors, shipped_validator


@dataclass(frozen=True)
class Case:
    name: str
    request: Mapping[str, Any]
    expect: Mapping[str, Any]
    as_of: date | None
    location: Location
    doc: Document = field(compare=False)
    path: tuple[Any, ...] = ()  # where the request sits in the case file, for error positions

    @property
    def title(self) -> str:
        return f"{self.location.prefix()}: {self.name}"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: mappings merge, ``null`` removes (here: makes the field unknown), anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def load_cases(path: Path | str) -> list[Case]:
    """Every case of one file; raise :class:`LoadFailed` with every problem found."""
    path = Path(path)
    docs = load_file(path)
    doc = docs[0]
    errors: list[EngageError] = [
        PolicyError(e.code, e.message, e.location) for e in schema_errors(doc.data, shipped_validator("cases"), doc, "case file")
    ]
    if errors:
        raise LoadFailed(errors)
    data = doc.data
    bases: dict[str, Any] = data.get("bases", {})
    default_as_of = data.get("as_of")
    cases: list[Case] = []
    for i, raw in enumerate(data["cases"]):
        where: tuple[Any, ...] = ("cases", i)
        req_path: tuple[Any, ...]
        if "request" in raw:
            request, req_path = raw["request"], where + ("request",)
        else:
            base_name = raw["base"]
            if base_name in bases:
                base, req_path = bases[base_name], ("bases", base_name)
            else:
                file = path.parent / base_name
                if not file.is_file():
                    errors.append(
                        PolicyError(
                            "unknown-base",
                            say("'{base}' is neither a base of this file nor a request file", base=base_name),
                            doc.locate(where + ("base",)),
                        )
                    )
                    continue
                base, req_path = load_file(file)[0].data, where + ("base",)
            request = merge_patch(base, raw.get("patch", {}))
        when = raw.get("as_of", default_as_of)
        cases.append(
            Case(
                raw["name"], request, raw["expect"], date.fromisoformat(when) if when else None, doc.locate(where), doc, req_path
            )
        )
    if errors:
        raise LoadFailed(errors)
    return cases


def _criterion_name(engine: Engine, key: str) -> str:
    for crit in engine.policy.criteria:
        if key in (crit.letter, crit.name):
            return crit.name
    return key


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def difference(what: str, want: Any, got: Any) -> str:
    """One line saying how ``got`` differs from ``want``; lists also say what is missing and what is extra."""
    line = say("{what}: expected {want}, got {got}", what=what, want=_shown(want), got=_shown(got))
    if isinstance(want, list | tuple) and isinstance(got, list | tuple):
        missing = [v for v in want if v not in got]
        extra = [v for v in got if v not in want]
        notes = []
        if missing:
            notes.append(say("missing {values}", values=", ".join(map(_shown, missing))))
        if extra:
            notes.append(say("not expected {values}", values=", ".join(map(_shown, extra))))
        if not notes:
            notes.append(say("same entries, different order"))
        line = say("{difference} ({notes})", difference=line, notes=joined(notes, "; "))
    return line


def check_case(engine: Engine, case: Case) -> tuple[Decision | None, list[str]]:
    """Evaluate ``case``; return the decision and one line per difference from ``expect``."""
    expect = case.expect
    try:
        decision = engine.decide(engine.check(case.request, Document(case.request, case.location.file or "<case>")), case.as_of)
    except EngageError as exc:
        codes = [e.code for e in getattr(exc, "errors", [exc])]
        if "error" in expect:
            if expect["error"] in codes:
                return None, []
            return None, [say("error: expected {expected}, got {codes}", expected=expect["error"], codes=", ".join(codes))]
        return None, [say("the request was rejected: {error}", error=str(e)) for e in getattr(exc, "errors", [exc])]
    if "error" in expect:
        return decision, [
            say(
                "error: expected {expected}, but the request was evaluated ({outcome})",
                expected=expect["error"],
                outcome=decision.outcome,
            )
        ]
    diffs: list[str] = []

    def compare(what: str, want: Any, got: Any) -> None:
        if want != got:
            diffs.append(difference(what, want, got))

    if "outcome" in expect:
        compare("outcome", expect["outcome"], decision.outcome)
    for key, status in expect.get("criteria", {}).items():
        name = _criterion_name(engine, key)
        try:
            compare(f"criteria.{name}", status, decision.condition(name).status)
        except KeyError:
            diffs.append(say("{key}: no such criterion", key=f"criteria.{key}"))
    if "priority_score" in expect:
        compare("priority_score", expect["priority_score"], decision.priority_score)
    if "rules" in expect:
        compare("rules", list(expect["rules"]), [r.rule for r in decision.reasons])
    for rule_id in expect.get("fired", []):
        if rule_id not in decision.rules_fired:
            diffs.append(say("fired: expected {id} to fire; fired: {fired}", id=rule_id, fired=", ".join(decision.rules_fired)))
    if "missing" in expect:
        compare("missing", list(expect["missing"]), list(decision.missing))
    if "exception" in expect:
        got = decision.exceptions[0].decision if decision.exceptions else "none"
        compare("exception", expect["exception"], got)
    said = _reasons_by_rule(decision)
    for rule_id, message in expect.get("reasons", {}).items():
        if rule_id not in said:
            diffs.append(_no_reason(f"reasons.{rule_id}", said))
        else:
            compare(f"reasons.{rule_id}", message, said[rule_id].message)
    for rule_id, citations in expect.get("citations", {}).items():
        if rule_id not in said:
            diffs.append(_no_reason(f"citations.{rule_id}", said))
        else:
            compare(f"citations.{rule_id}", list(citations), [c.text for c in said[rule_id].citation])
    for key, score in expect.get("condition_scores", {}).items():
        name = _criterion_name(engine, key)
        try:
            compare(f"condition_scores.{name}", score, decision.condition(name).score)
        except KeyError:
            diffs.append(say("{key}: no such criterion", key=f"condition_scores.{key}"))
    if "uncovered" in expect:
        got_uncovered = list(decision.exceptions[0].uncovered) if decision.exceptions else []
        compare("uncovered", list(expect["uncovered"]), got_uncovered)
    if "score_breakdown" in expect:
        compare("score_breakdown", dict(expect["score_breakdown"]), {i.factor: i.points for i in decision.score_breakdown})
    return decision, diffs


def _no_reason(key: str, said: Mapping[str, Reason]) -> str:
    return say("{key}: the decision gives no reason of that rule; it gives: {given}", key=key, given=", ".join(said))


def _reasons_by_rule(decision: Decision) -> dict[str, Reason]:
    """Every reason the decision gives, by rule id: each condition's, the exception's, then the outcome's."""
    found: dict[str, Reason] = {}
    for result in decision.criteria:
        for reason in result.reasons:
            found.setdefault(reason.rule, reason)
    for exception in decision.exceptions:
        for reason in exception.reasons:
            found.setdefault(reason.rule, reason)
    for reason in decision.reasons:
        found.setdefault(reason.rule, reason)
    return found
