"""Decisions as text for people: outcome, score, each condition with its reasons, what is missing, what could change it.

Also the one rule for text put in a spreadsheet cell (CSV and workbooks): :func:`spreadsheet_text`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import visible
from ..policy.model import Policy
from .decision import CouldChange, Decision, Reason

WIDTH = 100

# A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text for a spreadsheet cell: a leading formula character is quoted so that it stays text."""
    return "'" + text if text.startswith(FORMULA_START) else text


_JOIN = "\xa0"  # textwrap breaks only at ASCII whitespace: a no-break space holds a citation together


def _wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    # Whole words only: a hyphen inside a token (OHCHR-TC-Global-Review, 18-20) is not a break.
    lines = textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False) or [
        indent
    ]
    return [line.replace(_JOIN, " ") for line in lines]


def _reason_lines(reason: Reason, indent: str) -> list[str]:
    cites = "; ".join(c.text.replace(" ", _JOIN) for c in reason.citation)  # never "para" / "19(c)"
    return _wrap(f"- {reason.message} [{cites}] ({reason.rule})", indent)


def _title(record: Mapping[str, Any] | None) -> str:
    if not record:
        return ""
    request = record.get("request", {})
    requester = record.get("requester", {})
    parts = []
    if request.get("title"):
        parts.append(str(request["title"]))
    who = requester.get("name")
    if requester.get("type"):
        who = f"{who} ({str(requester['type']).replace('_', ' ')})" if who else str(requester["type"]).replace("_", " ")
    if who:
        parts.append(str(who))
    place = record.get("country") or (str(record["region"]).replace("_", " ") if record.get("region") else None)
    if place:
        parts.append(str(place))
    return " - ".join(parts)


WHO = {"requester": "the requester", "office": "the Office"}


def question(policy: Policy, path: str) -> str:
    """``Ask the requester: is civil society consulted or taking part?``, from criteria/fields.yaml."""
    declared = policy.fields.get(path)
    if declared is None:  # a field the policy does not declare: its path is all there is to say
        return f"Ask for {path}"
    return f"Ask {WHO.get(declared.answered_by, 'the requester')}: {declared.ask}"


def outcome_words(policy: Policy, code: str) -> str:
    term = policy.vocab.outcomes.get(code)
    return term.label if term is not None else code


def by_field(could_change: Sequence[CouldChange]) -> list[tuple[str, tuple[str, ...]]]:
    """(field, the outcomes it could lead to), in the decision's order."""
    out: dict[str, list[str]] = {}
    for item in could_change:
        out.setdefault(item.field, []).append(item.outcome)
    return [(f, tuple(codes)) for f, codes in out.items()]


def missing_lines(decision: Decision, policy: Policy) -> list[str]:
    """Each missing field as the question to ask, with its path."""
    return [f"{question(policy, f)} ({f})" for f in decision.missing]


def could_change_lines(decision: Decision, policy: Policy) -> list[str]:
    """Each field that could change the outcome: the question, what it could lead to, its path."""
    lines = []
    for path, codes in by_field(decision.could_change):
        leads = " or ".join(outcome_words(policy, c) for c in codes)
        lines.append(f"{question(policy, path)} It could lead to: {leads}. ({path})")
    return lines


def render_decision(decision: Decision, policy: Policy, record: Mapping[str, Any] | None = None) -> str:
    vocab = policy.vocab
    outcome = vocab.outcomes.get(decision.outcome)
    label = outcome.label if outcome else decision.outcome
    lines = [f"{decision.request_id}: {label.upper()} ({decision.outcome})"]
    title = _title(record)
    if title:
        lines.extend(_wrap(title, "  "))
    lines.append(
        f"  priority {decision.priority_score}/{policy.priority.maximum:g}"
        f"   as of {decision.as_of.isoformat()} ({'given' if decision.as_of_source == 'given' else 'today'})"
    )
    lines.append("  Conditions:")
    names = {c.name: c.label for c in policy.criteria}
    width = max(len(n) for n in names.values())
    for result in decision.criteria:
        crit = policy.criterion(result.name)
        lines.append(f"    ({crit.letter}) {names[result.name]:<{width}}  {result.status}")
        for reason in result.reasons:
            lines.extend(_reason_lines(reason, "        "))
        if result.missing:
            lines.extend(_wrap("missing: " + ", ".join(result.missing), "        "))
    lines.append("  Why:")
    for reason in decision.reasons[:1]:
        lines.extend(_reason_lines(reason, "    "))
    for exc in decision.exceptions:
        who = ", ".join(
            p
            for p in (
                f"requested by {exc.requested_by}" if exc.requested_by else "no requester",
                f"approved by {exc.approved_by}" if exc.approved_by else "not approved",
                f"expires {exc.expires}" if exc.expires else "no expiry date",
            )
        )
        waives = ", ".join(exc.waives) if exc.waives else "nothing"
        lines.extend(_wrap(f"Exception {exc.decision.replace('_', ' ')}: waives {waives}; {who}.", "  "))
        for reason in exc.reasons:
            lines.extend(_reason_lines(reason, "    "))
        if exc.uncovered and exc.decision != "applied":
            lines.extend(_wrap("does not cover: " + ", ".join(exc.uncovered), "    "))
    if decision.missing:
        lines.append("  Missing information, needed to decide:")
        for line in missing_lines(decision, policy):
            lines.extend(_wrap(f"- {line}", "    "))
    if decision.could_change:
        lines.append("  One answer could change it:")
        for line in could_change_lines(decision, policy):
            lines.extend(_wrap(f"- {line}", "    "))
    return visible("\n".join(lines), lines=True)  # the request's own text may hold hidden characters


def render_summary(outcomes: Mapping[str, int], invalid: int, policy: Policy, unread: int = 0, empty: int = 0) -> str:
    """``9 evaluated: 2 engage, ...; 1 invalid``, outcomes in the vocabulary's order.

    ``unread`` tables were stopped by a problem of the whole file (counted as files, not rows);
    ``empty`` tables held no request.
    """
    parts = [f"{outcomes[o]} {o}" for o in policy.vocab.outcomes if outcomes.get(o)]
    text = f"{sum(outcomes.values())} evaluated"
    if parts:
        text += ": " + ", ".join(parts)
    problems = [f"{invalid} invalid"] if invalid else []
    if unread:
        problems.append(f"{unread} file{'' if unread == 1 else 's'} not read")
    if empty:
        problems.append(f"{empty} file{'' if empty == 1 else 's'} without requests")
    if problems:
        text += "; " + ", ".join(problems) + " (see the messages above)"
    return text
