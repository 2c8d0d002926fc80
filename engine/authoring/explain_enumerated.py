""" "What would change it" by breadth-first enumeration: the method explain used first.

Every change of one field, then of two, then of three, over the field domains of
:mod:`engine.authoring.domains`: its cost is the number of field combinations times the
product of their domains.  ``engage explain`` asks the solver instead
(:mod:`engine.authoring.changes`); this stays as the "before" of ``engage bench --authoring``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..evaluation.evaluator import Engine
from .domains import TEXT_EXAMPLE, Evaluator, Space, freeze
from .explain import MAX_OPTIONS, Alternative, Change, Option, _verify

MAX_FIELDS = 3


def what_would_change_by_enumeration(
    engine: Engine, record: Mapping[str, Any], as_of: date, *, max_fields: int = MAX_FIELDS, space: Space | None = None
) -> tuple[tuple[Alternative, ...], tuple[str, ...]]:
    """For each other outcome, the smallest sets of field changes (up to ``max_fields``) that reach it.

    Returns the alternatives (in the order of the outcome vocabulary) and the outcomes that
    no such change reaches.  Only known values are tried: a change never makes a field
    unknown.  Each reported change set is checked by evaluating the changed request.
    """
    space = space or Space(engine.policy)
    evaluator = Evaluator(space)
    flat = evaluator.flat(record)
    current = evaluator.outcome(flat, as_of)
    fields = list(evaluator.fields)
    candidates: dict[str, list[Any]] = {}
    only_known: dict[str, bool] = {}
    for path in fields:
        domain = space.domain(path)
        values = [freeze(v) for v in domain.known(as_of)]
        candidates[path] = [v for v in values if v != flat.get(path)]
        only_known[path] = domain.kind == "string" and domain.values == (TEXT_EXAMPLE,)
        if only_known[path] and flat.get(path) is not None:
            candidates[path] = []  # already given; the rules cannot tell one text from another
    wanted = [o for o in engine.policy.vocab.outcomes if o != current]
    found: dict[str, tuple[int, list[tuple[Change, ...]]]] = {}
    for size in range(1, max_fields + 1):
        if all(o in found for o in wanted):
            break
        this_size: dict[str, list[tuple[Change, ...]]] = {}
        for combo in itertools.combinations([f for f in fields if candidates[f]], size):
            for chosen in itertools.product(*(candidates[f] for f in combo)):
                trial = dict(flat)
                trial.update(zip(combo, chosen, strict=True))
                outcome = evaluator.outcome(trial, as_of)
                if outcome is None or outcome == current or outcome in found:
                    continue
                changes = tuple(Change(f, flat.get(f), v, only_known[f]) for f, v in zip(combo, chosen, strict=True))
                this_size.setdefault(outcome, []).append(changes)
        for outcome, ways in this_size.items():
            found[outcome] = (size, ways)
    alternatives: list[Alternative] = []
    for outcome in wanted:
        if outcome not in found:
            continue
        size, raw = found[outcome]
        options = _merge(raw, candidates)
        kept = options[:MAX_OPTIONS]
        for option in kept:
            for changes in option.combinations():
                _verify(engine, record, changes, as_of, outcome)
        alternatives.append(Alternative(outcome, size, tuple(kept), len(options) - len(kept)))
    alternatives.sort(key=lambda a: (a.size, wanted.index(a.outcome)))
    unreached = tuple(o for o in wanted if o not in found)
    return tuple(alternatives), unreached


def _merge(options: list[tuple[Change, ...]], candidates: Mapping[str, Sequence[Any]]) -> list[Option]:
    """Options over the same fields that differ in one field only become one option with alternatives (every pair compared)."""
    groups: list[list[list[Change]]] = [[[c] for c in opt] for opt in options]
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(groups):
            for j in range(i + 1, len(groups)):
                b = groups[j]
                if [g[0].field for g in a] != [g[0].field for g in b]:
                    continue
                differ = [k for k in range(len(a)) if {c.after for c in a[k]} != {c.after for c in b[k]}]
                if len(differ) == 1:
                    k = differ[0]
                    a[k] = a[k] + [c for c in b[k] if c.after not in {x.after for x in a[k]}]
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    out = []
    for opt in groups:
        every = tuple(len(g) > 1 and {c.after for c in g} == set(candidates[g[0].field]) for g in opt)
        out.append(Option(tuple(tuple(g) for g in opt), every))
    return out
