"""Evaluating a stream of request documents: the loop every front end shares.

Each input gives one :class:`Result`, in input order: a decision, or the errors that
stopped it.  An invalid request never stops the others, and ids must be unique in a
batch (the second use of an id is an error; the first request is still evaluated).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .decision import Decision
from .errors import EngageError, InputError, Location, RuleConflict
from .evaluator import Engine
from .inputs import Item


@dataclass(frozen=True)
class Result:
    """What became of one input."""

    source: str
    location: Location
    decision: Decision | None = None
    record: dict[str, Any] | None = None  # the request in normal form
    errors: tuple[EngageError, ...] = ()
    item: Item | None = field(default=None, compare=False, repr=False)  # the input as received

    @property
    def ok(self) -> bool:
        return self.decision is not None

    @property
    def internal(self) -> bool:
        """The rules, not the request, are at fault (a conflict or a gap): exit status 1."""
        return any(isinstance(e, RuleConflict) for e in self.errors)


def evaluate_items(engine: Engine, items: Iterable[Item], as_of: date | None = None) -> Iterator[Result]:
    """One result per input document, in order; ``as_of`` defaults to today (recorded as such)."""
    when = as_of or date.today()
    source = "given" if as_of else "today"
    seen: dict[str, str] = {}
    for item in items:
        if item.doc is None:
            error = item.error or InputError("unreadable", "could not be read", Location(item.source))
            yield Result(item.source, error.location, errors=(error,), item=item)
            continue
        try:
            checked = engine.check(item.doc.data, item.doc)
        except EngageError as exc:
            errors = tuple(getattr(exc, "errors", [exc]))
            yield Result(item.source, item.doc.locate(()), errors=errors, item=item)
            continue
        first = seen.get(checked.request_id)
        if first is not None:
            error = InputError(
                "duplicate-id", f"the id '{checked.request_id}' was already used by {first}", item.doc.locate(("id",))
            )
            yield Result(item.source, checked.location, errors=(error,), item=item)
            continue
        seen[checked.request_id] = checked.location.prefix()
        try:
            decision = engine.decide(checked, when, source)
        except RuleConflict as exc:
            yield Result(item.source, checked.location, record=checked.record, errors=(exc,), item=item)
            continue
        yield Result(item.source, checked.location, decision, checked.record, item=item)
