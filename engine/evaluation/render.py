"""Decisions as text for people: outcome, score, each condition with its reasons, what is missing, what could change it.

In the reader's language (``lang``: ``engage evaluate --lang fr``): the fixed words from the
``engage`` catalogue, the policy's own from the policy, dates and numbers through Babel
(:mod:`engine.evaluation.words`).  English, the default, is the text the golden files pin.

Also the one rule for text put in a spreadsheet cell (CSV and workbooks): :func:`spreadsheet_text`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import visible
from ..policy.model import Policy
from .decision import CouldChange, Decision, Reason
from .words import Words

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


def _reason_lines(reason: Reason, indent: str, words: Words | None = None, message: str | None = None) -> list[str]:
    shown = (words.cite(c) if words is not None else c.text for c in reason.citation)
    cites = "; ".join(text.replace(" ", _JOIN) for text in shown)  # never "para" / "19(c)"
    return _wrap(f"- {message or reason.message} [{cites}] ({reason.rule})", indent)


def _title(record: Mapping[str, Any] | None, words: Words | None = None) -> str:
    if not record:
        return ""
    request = record.get("request", {})
    requester = record.get("requester", {})
    parts = []
    if request.get("title"):
        parts.append(str(request["title"]))
    who = requester.get("name")
    if requester.get("type"):
        kind = str(requester["type"])
        kind = words.value("requester.type", kind).lower() if words is not None and words.lang != "en" else kind.replace("_", " ")
        who = f"{who} ({kind})" if who else kind
    if who:
        parts.append(str(who))
    region = record.get("region")
    if region and words is not None and words.lang != "en":
        region = words.value("region", str(region))
    place = record.get("country") or (str(region).replace("_", " ") if region else None)
    if place:
        parts.append(str(place))
    return " - ".join(parts)


def question(policy: Policy, path: str, words: Words | None = None) -> str:
    """``Ask the requester: is civil society consulted or taking part?``, from criteria/fields.yaml."""
    words = words or Words(policy)
    declared = policy.fields.get(path)
    if declared is None:  # a field the policy does not declare: its path is all there is to say
        return words("render.ask_for", path=path)
    ask = words.of(declared.question) or words.of(declared.label)
    ask = ask if ask.endswith("?") else f"{ask}?"
    who = words("render.who.office") if declared.answered_by == "office" else words("render.who.requester")
    return words("render.ask", who=who, question=ask)


def outcome_words(policy: Policy, code: str, words: Words | None = None) -> str:
    return (words or Words(policy)).outcome(code)


def by_field(could_change: Sequence[CouldChange]) -> list[tuple[str, tuple[str, ...]]]:
    """(field, the outcomes it could lead to), in the decision's order."""
    out: dict[str, list[str]] = {}
    for item in could_change:
        out.setdefault(item.field, []).append(item.outcome)
    return [(f, tuple(codes)) for f, codes in out.items()]


def missing_lines(decision: Decision, policy: Policy, words: Words | None = None) -> list[str]:
    """Each missing field as the question to ask, with its path."""
    return [f"{question(policy, f, words)} ({f})" for f in decision.missing]


def could_change_lines(decision: Decision, policy: Policy, words: Words | None = None) -> list[str]:
    """Each field that could change the outcome: the question, what it could lead to, its path."""
    words = words or Words(policy)
    lines = []
    for path, codes in by_field(decision.could_change):
        leads = words("render.or").join(words.outcome(c) for c in codes)
        lines.append(f"{question(policy, path, words)} {words('render.could_lead', outcomes=leads)} ({path})")
    return lines


def _names(policy: Policy, words: Words) -> dict[str, str]:
    """Each condition's short name: ``in-country presence`` (the policy's ``label``, else its name in words)."""
    return {c.name: words.of(c.short) if c.short else c.label for c in policy.criteria}


def render_decision(decision: Decision, policy: Policy, record: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """The decision as text; ``lang`` the reader's language (default: the policy's first, as the golden texts)."""
    words = Words(policy, lang)
    label = words.outcome(decision.outcome)
    lines = [f"{decision.request_id}: {label.upper()} ({decision.outcome})"]
    title = _title(record, words)
    if title:
        lines.extend(_wrap(title, "  "))
    maximum = f"{policy.priority.maximum:g}" if words.lang == "en" else words.number(policy.priority.maximum)
    when = words("render.given") if decision.as_of_source == "given" else words("render.today")
    lines.append(
        words(
            "render.priority",
            score=words.number(decision.priority_score),
            maximum=maximum,
            day=words.date(decision.as_of),
            when=when,
        )
    )
    lines.append(words("render.conditions"))
    names = _names(policy, words)
    width = max(len(n) for n in names.values())
    for result in decision.criteria:
        crit = policy.criterion(result.name)
        lines.append(f"    ({crit.letter}) {names[result.name]:<{width}}  {words.status(result.status)}")
        for reason in result.reasons:
            lines.extend(_reason_lines(reason, "        ", words, words.reason(reason, record, decision.as_of)))
        if result.missing:
            lines.extend(_wrap(words("render.missing", fields=", ".join(result.missing)), "        "))
    lines.append(words("render.why"))
    for reason in decision.reasons[:1]:
        lines.extend(_reason_lines(reason, "    ", words, words.reason(reason, record, decision.as_of)))
    for exc in decision.exceptions:
        who = ", ".join(
            p
            for p in (
                words("render.requested_by", who=exc.requested_by) if exc.requested_by else words("render.no_requester"),
                words("render.approved_by", who=exc.approved_by) if exc.approved_by else words("render.not_approved"),
                words("render.expires", day=words.date(exc.expires)) if exc.expires else words("render.no_expiry"),
            )
        )
        named = exc.waives if words.lang == "en" else tuple(names.get(c, c) for c in exc.waives)
        waives = ", ".join(named) if named else words("render.nothing")
        state = words(f"render.exception.{exc.decision}")
        lines.extend(_wrap(words("render.exception", state=state, waives=waives, who=who), "  "))
        for reason in exc.reasons:
            lines.extend(_reason_lines(reason, "    ", words, words.reason(reason, record, decision.as_of)))
        if exc.uncovered and exc.decision != "applied":
            lines.extend(_wrap(words("render.not_covered", conditions=", ".join(exc.uncovered)), "    "))
    if decision.missing:
        lines.append(words("render.missing_heading"))
        for line in missing_lines(decision, policy, words):
            lines.extend(_wrap(f"- {line}", "    "))
    if decision.could_change:
        lines.append(words("render.could_change_heading"))
        for line in could_change_lines(decision, policy, words):
            lines.extend(_wrap(f"- {line}", "    "))
    return visible("\n".join(lines), lines=True)  # the request's own text may hold hidden characters


def render_summary(
    outcomes: Mapping[str, int], invalid: int, policy: Policy, unread: int = 0, empty: int = 0, lang: str | None = None
) -> str:
    """``9 evaluated: 2 engage, ...; 1 invalid``, outcomes in the vocabulary's order.

    ``unread`` tables were stopped by a problem of the whole file (counted as files, not rows);
    ``empty`` tables held no request.
    """
    words = Words(policy, lang)
    parts = [f"{outcomes[o]} {o}" for o in policy.vocab.outcomes if outcomes.get(o)]
    text = words.count("summary.evaluated", sum(outcomes.values()))
    if parts:
        text = words("summary.outcomes", evaluated=text, outcomes=", ".join(parts))
    problems = [words.count("summary.invalid", invalid)] if invalid else []
    if unread:
        problems.append(words.count("summary.unread", unread))
    if empty:
        problems.append(words.count("summary.empty", empty))
    if problems:
        text += "; " + ", ".join(problems) + words("summary.see_above")
    return text
