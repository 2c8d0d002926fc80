"""Evaluating a stream of request documents: the loop every front end shares.

Each input gives one :class:`Result`, in input order: a decision, or the errors that
stopped it.  An invalid request never stops the others, and ids must be unique in a
batch (the second use of an id is an error; the first request is still evaluated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any, overload

from ..errors import EngageError, InputError, Location, RuleConflict
from ..evaluation.decision import Decision
from ..evaluation.evaluator import Engine
from ..i18n.said import say
from .inputs import Item
from .seen import SeenIds


@dataclass(frozen=True)
class Result:
    """What became of one input."""

    source: str
    decision: Decision | None = None
    record: dict[str, Any] | None = None  # the request in normal form
    errors: tuple[EngageError, ...] = ()
    item: Item | None = field(default=None, compare=False, repr=False)  # the input as received
    where: Location | None = None  # for an input that gave no document
    rendered: str | None = field(default=None, compare=False, repr=False)  # output a worker process prepared

    @property
    def location(self) -> Location:
        """Where the input is; worked out only when asked (positions cost more than an evaluation)."""
        if self.where is not None:
            return self.where
        if self.item is not None and self.item.doc is not None:
            return self.item.doc.locate(())
        return Location(self.source)

    @property
    def ok(self) -> bool:
        return self.decision is not None

    @property
    def outcome(self) -> str | None:
        return self.decision.outcome if self.decision is not None else None

    @property
    def request_id(self) -> str | None:
        """The id of an evaluated request (or of one the rules could not decide)."""
        if self.decision is not None:
            return self.decision.request_id
        found = self.record.get("id") if self.record is not None else None
        return found if isinstance(found, str) else None

    @property
    def internal(self) -> bool:
        """The rules, not the request, are at fault (a conflict or a gap): exit status 1."""
        return any(isinstance(e, RuleConflict) for e in self.errors)


CHUNK = 500  # results whose ids are checked against those on disk at a time
Origin = tuple[str | None, int | None, int | None]  # file, line, column: a Location not yet made


@dataclass(frozen=True)
class Decided:
    """Consecutive decisions that stayed in a worker process, which sent only what is shown of them.

    One object for a run of decisions, not one per decision: with two processes on two cores,
    the parent's share of each request decides the speed-up (engine/batches/parallel.py).
    """

    origins: tuple[Origin, ...]  # where each request starts
    ids: tuple[str, ...]
    outcomes: tuple[str, ...]
    texts: tuple[bytes, ...]  # each decision's output, rendered and encoded (UTF-8)

    def __len__(self) -> int:
        return len(self.ids)

    def part(self, start: int, stop: int) -> Decided:
        return Decided(self.origins[start:stop], self.ids[start:stop], self.outcomes[start:stop], self.texts[start:stop])

    def where(self, index: int) -> Location:
        return Location(*self.origins[index])


def evaluate_items(
    engine: Engine, items: Iterable[Item], as_of: date | None = None, seen: SeenIds | None = None
) -> Iterator[Result]:
    """One result per input document, in order; ``as_of`` defaults to today (recorded as such).

    ``seen``: keep the ids used so far on disk rather than in memory (a long batch).
    """
    when = as_of or date.today()
    source = "given" if as_of else "today"
    results = (decide_item(engine, item, when, source) for item in items)
    return unique_ids(results) if seen is None else unique_ids_on_disk(results, seen)


def evaluate_chunks(
    engine: Engine, items: Iterable[Item], as_of: date | None, seen: SeenIds, size: int = CHUNK
) -> Iterator[list[Result]]:
    """The results of :func:`evaluate_items` (ids kept in ``seen``), ``size`` at a time."""
    results = evaluate_items(engine, items, as_of, seen)
    while chunk := list(islice(results, size)):
        yield chunk


def decide_item(engine: Engine, item: Item, when: date, source: str) -> Result:
    """The result of one input on its own (ids are made unique across a batch by :func:`unique_ids`)."""
    if item.doc is None:
        error = item.error or InputError("unreadable", "could not be read", Location(item.source))
        return Result(item.source, errors=(error,), item=item, where=error.location)
    unread: tuple[EngageError, ...] = getattr(item.doc, "problems", ())  # cells of a table row
    try:
        checked = engine.check(item.doc.data, item.doc)
    except EngageError as exc:
        return Result(item.source, errors=_with_unread(unread, getattr(exc, "errors", [exc])), item=item)
    if unread:
        return Result(item.source, errors=unread, item=item)
    try:
        decision = engine.decide(checked, when, source)
    except RuleConflict as exc:
        return Result(item.source, record=checked.record, errors=(exc,), item=item)
    return Result(item.source, decision, checked.record, item=item)


def _with_unread(unread: tuple[EngageError, ...], found: list[EngageError]) -> tuple[EngageError, ...]:
    """The problems of unreadable cells and the schema's, in column order; one message per cell.

    A cell that could not be read is absent from the request, so the schema's finding that a
    required field is missing is about the same cell and is left out.
    """
    if not unread:
        return tuple(found)
    columns = {e.location.path for e in unread}
    kept = [
        e
        for e in found
        if e.location.path not in columns and not (e.code == "missing-field" and any(f"'{c}'" in e.message for c in columns))
    ]
    return tuple(sorted([*unread, *kept], key=lambda e: e.location.col or 0))


def _id_in_document(result: Result) -> Location:
    doc = result.item.doc if result.item is not None else None
    return doc.locate(("id",)) if doc is not None else result.location


@overload
def unique_ids(results: Iterable[Result], locate_id: Callable[[Result], Location] | None = None) -> Iterator[Result]: ...


@overload
def unique_ids(
    results: Iterable[Result | Decided], locate_id: Callable[[Result], Location] | None = None
) -> Iterator[Result | Decided]: ...


def unique_ids(
    results: Iterable[Result | Decided], locate_id: Callable[[Result], Location] | None = None
) -> Iterator[Result | Decided]:
    """The results in order, a request whose id an earlier valid request used turned into an error.

    ``locate_id`` finds the ``id`` key of a repeated request (by default in its document).
    """
    return _unique(results, {}, locate_id)


def _unique(
    results: Iterable[Result | Decided],
    seen: dict[str, Location | Origin],  # id -> where it was first used
    locate_id: Callable[[Result], Location] | None,
) -> Iterator[Result | Decided]:
    for result in results:
        if isinstance(result, Decided):
            yield from _unique_run(result, seen, locate_id)
            continue
        request_id = result.request_id
        if request_id is None:
            yield result
            continue
        doc = result.item.doc if result.item is not None else None
        first = seen.get(request_id)
        if first is not None:
            where = locate_id(result) if locate_id is not None else _id_in_document(result)
            error = _repeated(request_id, first, where)
            yield Result(result.source, errors=(error,), item=result.item, where=None if doc is not None else result.location)
            continue
        seen[request_id] = doc.origin() if doc is not None else result.location
        yield result


def _unique_run(
    run: Decided, seen: dict[str, Location | Origin], locate_id: Callable[[Result], Location] | None
) -> Iterator[Result | Decided]:
    ids = run.ids
    if len(set(ids)) == len(ids) and seen.keys().isdisjoint(ids):  # nearly always: no per-request work
        seen.update(zip(ids, run.origins, strict=True))
        yield run
        return
    start = 0
    for i, request_id in enumerate(ids):
        first = seen.get(request_id)
        if first is None:
            seen[request_id] = run.origins[i]
            continue
        if start < i:
            yield run.part(start, i)
        start = i + 1
        at = Result(run.origins[i][0] or "", where=run.where(i))
        where = locate_id(at) if locate_id is not None else at.location
        yield Result(at.source, errors=(_repeated(request_id, first, where),), where=at.location)
    if start < len(ids):
        yield run.part(start, len(ids))


def _repeated(request_id: str, first: Location | Origin, where: Location) -> InputError:
    used = first if isinstance(first, Location) else Location(*first)
    return InputError("duplicate-id", say("the id '{id}' was already used by {place}", id=request_id, place=used.prefix()), where)


@overload
def unique_ids_on_disk(
    results: Iterable[Result], seen: SeenIds, locate_id: Callable[[Result], Location] | None = None
) -> Iterator[Result]: ...


@overload
def unique_ids_on_disk(
    results: Iterable[Result | Decided], seen: SeenIds, locate_id: Callable[[Result], Location] | None = None
) -> Iterator[Result | Decided]: ...


def unique_ids_on_disk(
    results: Iterable[Result | Decided], seen: SeenIds, locate_id: Callable[[Result], Location] | None = None
) -> Iterator[Result | Decided]:
    """What :func:`unique_ids` gives, with the ids used so far in ``seen`` (on disk), not in memory.

    A chunk of results at a time: its ids are looked up in ``seen`` in one go, the chunk goes
    through the same check as :func:`unique_ids` against what was found, and the ids it used
    for the first time are added to ``seen``.
    """
    iterator = iter(results)
    while True:
        chunk: list[Result | Decided] = []
        size = 0
        for result in iterator:
            chunk.append(result)
            size += len(result) if isinstance(result, Decided) else 1
            if size >= CHUNK:
                break
        if not chunk:
            return
        ids = [i for r in chunk for i in (r.ids if isinstance(r, Decided) else (r.request_id,)) if i is not None]
        known: dict[str, Location | Origin] = dict(seen.first_uses(ids))
        before = set(known)
        yield from _unique(chunk, known, locate_id)
        seen.add({i: (at if isinstance(at, Location) else Location(*at)) for i, at in known.items() if i not in before})
