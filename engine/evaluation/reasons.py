"""The decision put into words: each part's reasons, with their citations, and the decision itself.

A rule's reason is its sentence from the rule file, with the values it quotes filled in
(``{request.kind}`` becomes "training", ``{as_of}`` the evaluation date) and each citation
linked to its source.  :class:`Reasons` renders everything for every decision;
:class:`~engine.evaluation.reuse.ReusedReasons` keeps what it rendered, by the values quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from .. import __version__
from ..policy.loader import PLACEHOLDER
from ..policy.model import Citation, Policy, Rule
from ..policy.schema import FieldCatalog
from .decision import CitationRef, ConditionResult, CouldChange, Decision, ExceptionResult, Reason, ScoreItem
from .logic import lookup
from .stages import ConditionPart, ExceptionPart, OutcomePart

# What a decision takes from its parts: condition results, reasons, rules fired, what is missing,
# and the exception's reasons.
Pieces = tuple[tuple[ConditionResult, ...], tuple[Reason, ...], tuple[str, ...], tuple[str, ...], tuple[Reason, ...]]


class Reasons:
    """Renders the reasons of each part, and assembles the decision from them."""

    def __init__(
        self,
        policy: Policy,
        catalog: FieldCatalog,
        quotes: Mapping[Rule, tuple[str, ...]],
        ordered: Callable[[Iterable[str]], tuple[str, ...]],
    ) -> None:
        self.policy = policy
        self.catalog = catalog
        self._quotes = quotes
        self._ordered = ordered

    def assemble(
        self,
        request_id: str,
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        outcome: OutcomePart,
        uncovered: tuple[str, ...],
        record: Mapping[str, Any],
        as_of: date,
        source: str,
        score: float,
        breakdown: tuple[ScoreItem, ...],
        could_change: tuple[CouldChange, ...] = (),
    ) -> Decision:
        """The decision from its parts, their reasons, and the request's own id and score."""
        decisive = outcome.decisive
        criteria, reasons, fired, missing, exception_reasons = self.pieces(conditions, exception, outcome, record, as_of)
        exceptions: tuple[ExceptionResult, ...] = ()
        if exception.state != "absent":
            given = record.get("exception", {})
            exceptions = (
                ExceptionResult(
                    decision=decisive.exception_decision or "not_considered",
                    valid=exception.state == "valid",
                    waives=tuple(given.get("waives", ())),
                    uncovered=uncovered,
                    reasons=exception_reasons,
                    justification=given.get("justification"),
                    requested_by=given.get("requested_by"),
                    approved_by=given.get("approved_by"),
                    expires=given.get("expires"),
                    decided_by=decisive.id,
                ),
            )
        return Decision.build(
            request_id=request_id,
            outcome=decisive.outcome or "",
            priority_score=score,
            as_of=as_of,
            as_of_source=source,
            criteria=criteria,
            reasons=reasons,
            missing=missing,
            could_change=could_change,
            exceptions=exceptions,
            score_breakdown=breakdown,
            rules_fired=fired,
            ruleset_hash=self.policy.hash,
            engine_version=__version__,
        )

    def pieces(
        self,
        conditions: Mapping[str, ConditionPart],
        exception: ExceptionPart,
        outcome: OutcomePart,
        record: Mapping[str, Any],
        as_of: date,
    ) -> Pieces:
        """What a decision takes from its parts: condition results, reasons, rules fired, what is missing."""
        criteria = tuple(self.condition_result(name, part, record, as_of) for name, part in conditions.items())
        decisive = outcome.decisive
        exception_reasons = self.exception_reasons(exception, record, as_of)
        reasons: dict[str, Reason] = {decisive.id: self.outcome_reason(outcome, record, as_of)}
        by_name = {c.name: c for c in criteria}
        for support in outcome.supports:
            for reason in exception_reasons if support == "exception" else by_name[support].reasons:
                reasons.setdefault(reason.rule, reason)  # a rule is listed where it is first mentioned
        ids = [r.id for part in conditions.values() for r in part.rules]
        ids += [r.id for r in exception.rules]
        ids.append(decisive.id)
        missing: tuple[str, ...] = ()
        if outcome.blocking:
            missing = self._ordered(f for name in outcome.blocking for f in conditions[name].missing)
        return criteria, tuple(reasons.values()), tuple(ids), missing, exception_reasons

    def condition_result(self, name: str, part: ConditionPart, record: Mapping[str, Any], as_of: date) -> ConditionResult:
        reasons = tuple(self.reason(r, record, as_of) for r in part.rules)
        return ConditionResult(name, part.status, self.policy.vocab.status_scores.get(part.status), reasons, part.missing)

    def exception_reasons(self, part: ExceptionPart, record: Mapping[str, Any], as_of: date) -> tuple[Reason, ...]:
        return tuple(self.reason(r, record, as_of) for r in part.rules if r.exception != "absent")

    def outcome_reason(self, part: OutcomePart, record: Mapping[str, Any], as_of: date) -> Reason:
        return self.reason(part.decisive, record, as_of)

    def reason(self, rule: Rule, record: Mapping[str, Any], as_of: date) -> Reason:
        text = self._render_text(rule.reason, record, as_of) if self._quotes[rule] else rule.reason
        return Reason(rule.id, text, tuple(self._cite(c) for c in rule.cite))

    def _cite(self, cite: Citation) -> CitationRef:
        source = self.policy.sources.get(cite.source)
        return CitationRef(cite.source, cite.para, cite.text(), source.url if source else None)

    def _render_text(self, text: str, record: Mapping[str, Any], as_of: date) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "as_of":
                return as_of.isoformat()
            found = lookup(record, name)
            spec = self.catalog.get(name)
            if found is None:
                return "(unknown)"
            if isinstance(found, bool):
                return "yes" if found else "no"
            if isinstance(found, list):
                return ", ".join(str(v).replace("_", " ") if spec and spec.item_kind == "enum" else str(v) for v in found)
            if spec is not None and spec.kind == "enum":
                return str(found).replace("_", " ")
            return str(found)

        return PLACEHOLDER.sub(value, text)
