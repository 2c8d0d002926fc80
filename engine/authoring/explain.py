"""``engage explain``: the full trace of one decision, and what would change it.

The trace lists, stage by stage, every rule with whether it fired and, for each field
test, the value it saw (:func:`engine.evaluation.logic.trace`).  It is checked against what
durable-rules fired for the same stage: a disagreement is an internal error, never shown
as an explanation.

"What would change it" (:func:`what_would_change`) asks the z3 solver for the truly fewest
field changes to each other outcome (:mod:`engine.authoring.changes`), and states a number's
or a date's whole range ("60 or less", :mod:`engine.authoring.ranges`); every change it
reports, and each end of each range, is then re-evaluated by the engine itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from ..errors import RuleConflict
from ..evaluation.decision import Decision
from ..evaluation.evaluator import Checked, Engine
from ..evaluation.logic import Kleene, TraceNode, trace
from ..evaluation.words import Words
from ..policy.model import AS_OF, Policy, Rule
from . import ranges
from .changes import search
from .domains import Space, _schema_node

MAX_OPTIONS = 6  # ways shown per outcome
BUDGET_SECONDS = 5.0  # the search's time limit, after which the outcomes not searched to the end are named


# -- the trace -------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTrace:
    rule: Rule
    in_force: bool
    value: Kleene  # the condition's value (None: unknown)
    fired: bool  # what durable-rules said
    node: TraceNode

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "effect": self.rule.effect,
            "in_force": self.in_force,
            "condition": _kleene(self.value),
            "fired": self.fired,
            "trace": _node_dict(self.node),
            "location": self.rule.location.prefix(),
        }


@dataclass(frozen=True)
class StageTrace:
    name: str  # condition.<criterion>, exception, outcome
    title: str
    result: str  # the status, the exception state, or the outcome
    rules: tuple[RuleTrace, ...]
    decisive: str | None = None  # outcome stage: the line that decided

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"stage": self.name, "title": self.title, "result": self.result}
        if self.decisive is not None:
            out["decisive"] = self.decisive
        out["rules"] = [r.to_dict() for r in self.rules]
        return out


def _kleene(value: Kleene) -> str:
    return "unknown" if value is None else ("true" if value else "false")


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _node_dict(node: TraceNode) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": node.kind, "value": _kleene(node.value)}
    if node.test is not None:
        out.update(field=node.test.field, op=node.test.op, expected=_jsonable(node.test.value), seen=_jsonable(node.seen))
    if node.children:
        out["children"] = [_node_dict(c) for c in node.children]
    return out


# -- what would change it ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field set to one value (``before`` None: it was unknown)."""

    field: str
    before: Any
    after: Any
    only_known: bool = False  # the rules only ask whether the field is given

    def words(self, alternatives: Sequence[Any] = ()) -> str:
        if self.only_known:
            return f"{self.field} is given"
        values = " or ".join(_words(v) for v in (self.after, *alternatives))
        verb = "is" if self.before is None else "becomes"
        return f"{self.field} {verb} {values}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "from": _thaw(self.before), "to": _thaw(self.after)}


def _words(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_words(v) for v in value) + "]" if value else "empty"
    return str(value)


def _thaw(value: Any) -> Any:
    return [_thaw(v) for v in value] if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Option:
    """One way to reach an outcome: a value (or one of several) for each changed field."""

    changes: tuple[tuple[Change, ...], ...]  # per field: the change, or several alternatives for it
    any_value: tuple[bool, ...] = ()  # per field: the alternatives are every value the field can take
    spans: tuple[str | None, ...] = ()  # per field: a number's or date's whole range in words ("60 or less")

    def span(self, i: int) -> str | None:
        return self.spans[i] if i < len(self.spans) else None

    def words(self) -> str:
        parts = []
        for i, group in enumerate(self.changes):
            first = group[0]
            span = self.span(i)
            if span is not None:  # before "any value": another number may still be on the same side of a bound
                parts.append(f"{first.field} {'is' if first.before is None else 'becomes'} {span}")
            elif i < len(self.any_value) and self.any_value[i]:
                parts.append(
                    f"{first.field} {'is given (any value)' if first.before is None else 'changes (to any other value)'}"
                )
            else:
                parts.append(first.words([c.after for c in group[1:]]))
        return " and ".join(parts)

    def combinations(self) -> list[tuple[Change, ...]]:
        """Every concrete set of changes this option stands for."""
        return [tuple(combo) for combo in itertools.product(*self.changes)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [
                {
                    "field": group[0].field,
                    "from": _thaw(group[0].before),
                    "to": [_thaw(c.after) for c in group],
                    **({"range": self.span(i)} if self.span(i) is not None else {}),
                }
                for i, group in enumerate(self.changes)
            ],
            "words": self.words(),
        }


@dataclass(frozen=True)
class Alternative:
    """The smallest sets of field changes that move the request to ``outcome``."""

    outcome: str
    size: int  # number of fields changed
    options: tuple[Option, ...]
    more: int = 0  # options found but not kept (beyond MAX_OPTIONS)

    def sentences(self) -> list[str]:
        out = [f"{self.outcome} if {o.words()}" for o in self.options]
        if self.more:
            ways = f"{self.more} more way{'s' if self.more != 1 else ''}"
            out.append(f"({self.outcome}: {ways} changing {self.size} field{'s' if self.size != 1 else ''})")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "fields_changed": self.size,
            "options": [o.to_dict() for o in self.options],
            "sentences": self.sentences(),
            "more": self.more,
        }


@dataclass(frozen=True)
class Explanation:
    decision: Decision
    stages: tuple[StageTrace, ...]
    alternatives: tuple[Alternative, ...]
    unreached: tuple[str, ...]  # outcomes no change (of up to max_fields fields, when given) reaches
    max_fields: int | None
    stopped: tuple[str, ...] = ()  # outcomes not searched to the end within the time budget
    budget: float | None = BUDGET_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.decision.request_id,
            "outcome": self.decision.outcome,
            "as_of": self.decision.as_of.isoformat(),
            "as_of_source": self.decision.as_of_source,
            "decisive": self.decision.decisive_rule,
            "stages": [s.to_dict() for s in self.stages],
            "what_would_change": [a.to_dict() for a in self.alternatives],
            "not_reachable": list(self.unreached),
            "not_searched": list(self.stopped),
            "max_fields": self.max_fields,
        }


def _set_path(record: dict[str, Any], path: str, value: Any) -> None:
    node = record
    *parents, last = path.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[last] = _thaw(value)


def apply_changes(record: Mapping[str, Any], changes: Sequence[Change]) -> dict[str, Any]:
    """A copy of ``record`` with ``changes`` made."""
    import copy

    out = copy.deepcopy(dict(record))
    for change in changes:
        _set_path(out, change.field, change.after)
    return out


def _merge(options: list[tuple[Change, ...]], candidates: Mapping[str, Sequence[Any]]) -> list[Option]:
    """Options over the same fields that differ in one field only become one option with alternatives.

    Merged axis by axis through a table keyed by the other fields' values, until nothing
    merges: linear in the options on each pass, where comparing every pair was quadratic.
    """
    groups: list[list[list[Change]]] = [[[c] for c in opt] for opt in options]
    merged = True
    while merged:
        merged = False
        for k in range(max((len(g) for g in groups), default=0)):
            first: dict[tuple[Any, ...], int] = {}
            out: list[list[list[Change]]] = []
            for opt in groups:
                if len(opt) <= k:
                    out.append(opt)
                    continue
                key = (
                    tuple(g[0].field for g in opt),
                    tuple(frozenset(c.after for c in g) if j != k else None for j, g in enumerate(opt)),
                )
                at = first.get(key)
                if at is None:
                    first[key] = len(out)
                    out.append(opt)
                    continue
                target = out[at]
                seen = {c.after for c in target[k]}
                target[k] = target[k] + [c for c in opt[k] if c.after not in seen]
                merged = True
            groups = out
    out_options = []
    for opt in groups:
        every = tuple(len(g) > 1 and {c.after for c in g} == set(candidates[g[0].field]) for g in opt)
        out_options.append(Option(tuple(tuple(g) for g in opt), every))
    return out_options


class WhatWouldChange(NamedTuple):
    alternatives: tuple[Alternative, ...]  # fewest changes first, then in the order of the outcome vocabulary
    unreached: tuple[str, ...]  # outcomes no change (of up to max_fields fields, when given) reaches
    stopped: tuple[str, ...]  # outcomes not searched to the end when the time budget ran out


def what_would_change(
    engine: Engine,
    record: Mapping[str, Any],
    as_of: date,
    *,
    max_fields: int | None = None,
    budget: float | None = BUDGET_SECONDS,
) -> WhatWouldChange:
    """For each other outcome, the fewest field changes that reach it (:mod:`engine.authoring.changes`).

    Only known values are tried: a change never makes a field unknown.  Each reported
    change set, and each end of a range it states, is checked by evaluating the changed
    request with the engine.  The search stops after ``budget`` seconds (None: never); the
    outcomes it had not finished are then ``stopped``, never reported as unreachable.
    """
    found = search(engine.policy, record, as_of, max_fields, budget)
    space = found.space
    wanted = [o for o in engine.policy.vocab.outcomes if o != found.current]
    alternatives: list[Alternative] = []
    for ways in found.ways:
        raw = [tuple(Change(f, found.flat.get(f), v, found.only_known[f]) for f, v in combo) for combo in ways.combinations]
        options = [
            option if tuple(g[0].field for g in option.changes) in ways.partial else _with_ranges(space, option, as_of)
            for option in _merge(raw, found.candidates)
        ]  # a range is stated only where every value of the fields was seen
        kept = options[:MAX_OPTIONS]
        for option in kept:
            for changes in _each_value(option):
                _verify(engine, record, changes, as_of, ways.outcome)
            for changes in _range_ends(space, option, as_of):
                _verify(engine, record, changes, as_of, ways.outcome)
        more = len(options) - len(kept) + (0 if ways.complete else 1)  # cut short: at least one more way
        alternatives.append(Alternative(ways.outcome, ways.size, tuple(kept), more))
    alternatives.sort(key=lambda a: (a.size, wanted.index(a.outcome)))
    return WhatWouldChange(tuple(alternatives), found.unreached, found.stopped)


def _each_value(option: Option) -> list[tuple[Change, ...]]:
    """Every value the option offers, each with the option's other fields at their first value.

    Linear in the values offered, where every combination would be their product.
    """
    first = [group[0] for group in option.changes]
    out = [tuple(first)]
    for i, group in enumerate(option.changes):
        for change in group[1:]:
            out.append(tuple(change if k == i else c for k, c in enumerate(first)))
    return out


_ORDERED = ("integer", "number", "date")


def _field_range(space: Space, path: str, values: Sequence[Any], as_of: date) -> tuple[list[ranges.Stretch], float, float] | None:
    domain = space.domain(path)
    if domain.kind not in _ORDERED:
        return None
    low, high = ranges.bounds(domain.kind, _schema_node(space.policy.request_schema, path))
    marks = ranges.constants(space._tests.get(path, ()), domain.kind, as_of)
    return ranges.stretches(values, domain.kind, marks, low, high), low, high


def _with_ranges(space: Space, option: Option, as_of: date) -> Option:
    """``option`` with the whole range of each number or date it changes, in words."""
    spans: list[str | None] = []
    for group in option.changes:
        found = _field_range(space, group[0].field, [c.after for c in group], as_of)
        if found is None:
            spans.append(None)
            continue
        parts, low, high = found
        text = ranges.words(parts, space.domain(group[0].field).kind, low, high)
        spans.append(None if len(group) == 1 and text == _words(group[0].after) else text)
    return Option(option.changes, option.any_value, tuple(spans))


def _range_ends(space: Space, option: Option, as_of: date) -> list[tuple[Change, ...]]:
    """For each range the option states, the option's first combination with the field at each end of it."""
    out: list[tuple[Change, ...]] = []
    first = [group[0] for group in option.changes]
    for i, group in enumerate(option.changes):
        if i >= len(option.spans) or option.spans[i] is None:
            continue
        found = _field_range(space, group[0].field, [c.after for c in group], as_of)
        assert found is not None
        kind = space.domain(group[0].field).kind
        for end in ranges.ends(found[0], kind):
            changes = list(first)
            changes[i] = Change(group[0].field, group[0].before, end, group[0].only_known)
            out.append(tuple(changes))
    return out


def _verify(engine: Engine, record: Mapping[str, Any], changes: Sequence[Change], as_of: date, outcome: str) -> None:
    changed = apply_changes(record, changes)
    got = engine.outcome_of(changed, as_of)
    if got != outcome:
        words = " and ".join(c.words() for c in changes)
        raise RuleConflict(
            "matcher-disagreement",
            f"the search found {outcome} if {words}, but the engine gives {got}; please report this",
        )


# -- the whole explanation ---------------------------------------------------------------


def _stage_trace(
    name: str, title: str, rules: Sequence[Rule], fired: Sequence[Rule], record: Mapping[str, Any], as_of: date, checked: Checked
) -> list[RuleTrace]:
    out: list[RuleTrace] = []
    durable = {id(r) for r in fired}
    for rule in rules:
        node = trace(rule.when, record, as_of)
        in_force = rule.in_force(as_of)
        logic_fires = in_force and node.value is True
        if logic_fires != (id(rule) in durable):
            raise RuleConflict(
                "matcher-disagreement",
                f"durable-rules {'fired' if id(rule) in durable else 'did not fire'} {rule.id} in {title}, but its"
                f" condition is {_kleene(node.value)} here; please report this",
                checked.location,
            )
        out.append(RuleTrace(rule, in_force, node.value, id(rule) in durable, node))
    return out


def explain(
    engine: Engine,
    checked: Checked,
    as_of: date,
    as_of_source: str = "given",
    *,
    max_fields: int | None = None,
    budget: float | None = BUDGET_SECONDS,
) -> Explanation:
    """The decision for ``checked`` with every rule's trace and what would change the outcome."""
    decision = engine.decide(checked, as_of, as_of_source)
    policy = engine.policy
    record = checked.record
    stages: list[StageTrace] = []
    for name, stage in engine.compiled.conditions:
        fired = engine.fire(stage, record, as_of)
        crit = policy.criterion(name)
        title = f"({crit.letter}) {name}"
        rules = _stage_trace(stage.name, title, stage.rules, fired, record, as_of, checked)
        stages.append(StageTrace(stage.name, title, decision.condition(name).status, tuple(rules)))
    exc_stage = engine.compiled.exception
    exc_fired = engine.fire(exc_stage, record, as_of)
    exc_rules = _stage_trace(exc_stage.name, "exception", exc_stage.rules, exc_fired, record, as_of, checked)
    states = {r.exception for r in exc_fired if r.exception is not None}
    state = states.pop() if len(states) == 1 else "?"
    stages.append(StageTrace("exception", "exception", state, tuple(exc_rules)))
    derived = dict(record)
    derived["status"] = {**{c.name: c.status for c in decision.criteria}, "exception": state}
    covered = {r.covers for r in exc_fired if r.covers is not None}
    derived["covers"] = {n: n in covered for n in policy.criterion_names}
    out_stage = engine.compiled.outcome
    out_fired = engine.fire(out_stage, derived, as_of)
    out_rules = _stage_trace(out_stage.name, "outcome table", out_stage.rules, out_fired, derived, as_of, checked)
    stages.append(StageTrace("outcome", "outcome table", decision.outcome, tuple(out_rules), decision.decisive_rule))
    found = what_would_change(engine, record, as_of, max_fields=max_fields, budget=budget)
    return Explanation(decision, tuple(stages), found.alternatives, found.unreached, max_fields, found.stopped, budget)


# -- text -------------------------------------------------------------------------------------

_MARK = {True: "[x]", False: "[ ]", None: "[?]"}


def _expected(value: Any) -> str:
    if value == AS_OF:
        return "as_of"
    if isinstance(value, tuple):
        return "[" + ", ".join("null" if v is None else _words(v) for v in value) + "]"
    if isinstance(value, date):
        return value.isoformat()
    return _words(value)


def _seen(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, list):
        return "[" + ", ".join(_words(v) for v in value) + "]"
    if isinstance(value, dict):
        return "(given)"
    return _words(value)


def _node_lines(node: TraceNode, depth: int) -> list[str]:
    pad = "    " * depth
    if node.kind == "test" and node.test is not None:
        t = node.test
        return [f"{pad}{t.field} {t.op} {_expected(t.value)}: saw {_seen(node.seen)} -> {_kleene(node.value)}"]
    if node.kind == "always":
        return [f"{pad}(always) -> true"]
    lines = [f"{pad}{node.kind} -> {_kleene(node.value)}"]
    for child in node.children:
        lines.extend(_node_lines(child, depth + 1))
    return lines


def render_text(explanation: Explanation, policy: Policy, lang: str | None = None) -> str:
    """The explanation for people, in ``lang`` (the catalogue's words and the policy's; field tests stay as written)."""
    words = Words(policy, lang)
    d = explanation.decision
    label = words.outcome(d.outcome)
    source = words("render.given") if d.as_of_source == "given" else words("render.today")
    source = d.as_of_source if words.lang == "en" else source
    lines = [
        f"{d.request_id}: {label.upper()} ({d.outcome})",
        words("explain.as_of", day=words.date(d.as_of), source=source, rule=d.decisive_rule),
        words("explain.legend"),
    ]
    names = {f"({c.letter}) {c.name}": f"({c.letter}) {words.of(c.short) if c.short else c.label}" for c in policy.criteria}
    for stage in explanation.stages:
        lines.append("")
        if stage.name == "outcome":
            lines.append(words("explain.outcome_table"))
        elif words.lang == "en":
            lines.append(f"{stage.title}: {stage.result}")
        else:
            title = names.get(stage.title, words("explain.exception") if stage.name == "exception" else stage.title)
            result = words.status(stage.result) if stage.name != "exception" else words(f"explain.exception.{stage.result}")
            lines.append(words("explain.stage", title=title, result=result))
        passed_decisive = False
        for i, rt in enumerate(stage.rules, start=1):
            mark = "[-]" if not rt.in_force else _MARK[rt.value]
            prefix = f"{i:>2}. " if stage.name == "outcome" else ""
            note = ""
            if stage.name == "outcome":
                if rt.rule.id == stage.decisive and not passed_decisive:
                    note, passed_decisive = words("explain.decides"), True
                elif passed_decisive and rt.fired:
                    note = words("explain.applies_too")
            lines.append(f"  {mark} {prefix}{rt.rule.id} ({rt.rule.effect}){note}")
            if isinstance(rt.node, TraceNode) and rt.node.kind != "always":
                lines.extend(_node_lines(rt.node, 2))
    lines.append("")
    bound = words("explain.up_to", count=explanation.max_fields) if explanation.max_fields is not None else ""
    lines.append(words("explain.would_change", bound=bound))
    if not explanation.alternatives and not explanation.stopped:
        lines.append(words("explain.no_change_bounded") if bound else words("explain.no_change"))
    for alt in explanation.alternatives:
        for sentence in alt.sentences() if words.lang == "en" else _sentences(alt, words):
            lines.append(f"  {sentence}")
    if explanation.unreached:
        how = words("explain.by_up_to", count=explanation.max_fields) if bound else words("explain.by_any")
        lines.append(words("explain.unreached", how=how, outcomes=", ".join(explanation.unreached)))
    if explanation.stopped:
        limit = f"{explanation.budget:g} s" if explanation.budget is not None else words("explain.its")
        lines.append(words("explain.stopped", limit=limit, outcomes=", ".join(explanation.stopped)))
    return "\n".join(lines)


def _sentences(alt: Alternative, words: Words) -> list[str]:
    """:meth:`Alternative.sentences` in the reader's language: the outcome in words; the field changes as written."""
    out = [words("explain.if", outcome=words.outcome(alt.outcome), change=o.words()) for o in alt.options]
    if alt.more:
        out.append(words("explain.more", outcome=words.outcome(alt.outcome), ways=alt.more, fields=alt.size))
    return out
