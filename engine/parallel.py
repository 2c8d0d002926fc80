"""Evaluating a batch in several processes, with results in input order and identical bytes.

With two processes on two cores, the parent may spend only a few microseconds on each
request if the batch is to go much faster, so the work is split this way:

* The parent cuts the inputs into *units*: raw lines of a ``.jsonl`` batch and paths of the
  files in a directory travel as they are, and the workers parse them; other inputs (a
  ``.csv`` or ``.xlsx`` table, standard input, single files) are read by the parent, as when
  it works alone, and their items are sent.
* Each worker loads the rules once and returns, per input, a :class:`~engine.batch.Result`
  with the decision, the errors and the output already rendered (JSON or text), which is
  the costly part; the request's own document stays in the worker unless ``--out`` or
  ``--record`` needs it.
* The parent hands the results on in input order and makes ids unique across the batch
  (:func:`engine.batch.unique_ids`, which depends on the order).  For the rare repeated id,
  it reads that one input again to point at its ``id`` key, so every message is the one a
  single process gives.

A bounded number of units is in flight, so memory stays flat whatever the batch's size.
The C core of durable-rules is per process: each worker has its own rulesets and caches.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from .batch import Result, decide_item, unique_ids
from .documents import Document, load_file
from .errors import EngageError, Location
from .evaluator import Engine
from .inputs import Item, file_items, read_requests, request_files
from .loader import display_path
from .render import render_decision
from .tables import jsonl_empty, jsonl_line

CHUNK = 250  # inputs per unit: large enough to amortise the hand-over, small enough to stream
FILES_PER_UNIT = 50
AUTO_JOBS_FROM = 5_000  # below this many requests, starting processes costs more than it gains


def default_jobs(expected: int | None) -> int:
    """All the cores for a batch large enough to gain from them, else one process."""
    if expected is None or expected < AUTO_JOBS_FROM:
        return 1
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Plan:
    """What every worker needs to know: the rules, the date, what to render, what to send back."""

    rules_dir: str
    criteria_dir: str
    as_of: date
    as_of_source: str
    render: str  # "jsonl", "text" or "none"
    keep_documents: bool  # --out and --record need each request's document in the parent


@dataclass(frozen=True)
class Lines:
    """Raw lines of a JSON Lines batch; ``start`` is the number of the first."""

    name: str
    start: int
    lines: tuple[bytes, ...]


@dataclass(frozen=True)
class Files:
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Items:
    """Inputs the parent has read itself (tables, standard input, single files)."""

    items: tuple[Item, ...]


Unit = Lines | Files | Items


def units(paths: Sequence[str], stdin: TextIO | None) -> Iterator[Unit]:
    """The inputs of ``paths`` cut into units, in the order ``engage evaluate`` reads them."""
    for raw in paths:
        path = Path(raw)
        if raw != "-" and path.is_dir() and request_files(path):
            files = [str(p) for p in request_files(path)]
            for i in range(0, len(files), FILES_PER_UNIT):
                yield Files(tuple(files[i : i + FILES_PER_UNIT]))
        elif raw != "-" and path.suffix.lower() == ".jsonl" and path.is_file():
            yield from _lines(path)
        else:
            stream = read_requests([raw], stdin)
            while chunk := tuple(islice(stream, CHUNK)):
                yield Items(chunk)


def _lines(path: Path) -> Iterator[Unit]:
    name = display_path(path)
    found = False
    with path.open("rb") as handle:
        number = 1
        while block := tuple(islice(handle, CHUNK)):
            found = found or any(line.strip() for line in block)
            yield Lines(name, number, block)
            number += len(block)
    if not found:
        yield Items((Item(name, error=jsonl_empty(name)),))


_WORKER: dict[str, Any] = {}  # in a worker process: its engine and plan, loaded once


def _start(plan: Plan) -> None:
    _WORKER["engine"] = Engine.load(plan.rules_dir, plan.criteria_dir)
    _WORKER["plan"] = plan


def _unit_items(unit: Unit) -> Iterator[Item]:
    if isinstance(unit, Items):
        yield from unit.items
    elif isinstance(unit, Files):
        for path in unit.paths:
            yield from file_items(Path(path))
    else:
        for offset, raw in enumerate(unit.lines):
            read = jsonl_line(raw, unit.name, unit.start + offset)
            if isinstance(read, Document):
                yield Item(unit.name, doc=read)
            elif read is not None:
                yield Item(unit.name, error=read)


# A decision that stays in the worker: source, (file, line, col), request id, outcome, output.
Compact = tuple[str, tuple[str | None, int | None, int | None], str, str, str]


def _work(unit: Unit) -> list[Result | Compact]:
    engine: Engine = _WORKER["engine"]
    plan: Plan = _WORKER["plan"]
    out: list[Result | Compact] = []
    compact = plan.render != "none" and not plan.keep_documents and not isinstance(unit, Items)
    for item in _unit_items(unit):
        result = decide_item(engine, item, plan.as_of, plan.as_of_source)
        rendered = None
        if result.decision is not None:
            if plan.render == "jsonl":
                rendered = result.decision.to_json(indent=None) + "\n"
            elif plan.render == "text":
                rendered = render_decision(result.decision, engine.policy, result.record)
        if compact and result.decision is not None and item.doc is not None and rendered is not None:
            # Plain tuples cost a tenth of the objects to send: most results travel this way.
            origin = item.doc.origin()
            out.append(
                (
                    result.source,
                    (origin.file, origin.line, origin.col),
                    result.decision.request_id,
                    result.decision.outcome,
                    rendered,
                )
            )
            continue
        keep = plan.keep_documents or isinstance(unit, Items)
        if result.where is not None:  # an input that gave no document: its error says where
            where: Location | None = result.where
        else:
            where = None if keep else (item.doc.origin() if item.doc is not None else result.location)
        out.append(
            Result(
                result.source,
                result.decision,
                result.record if result.decision is None or plan.keep_documents else None,
                result.errors,
                item=item if plan.keep_documents else None,
                where=where,
                rendered=rendered,
            )
        )
    return out


def evaluate_parallel(
    engine: Engine,
    paths: Sequence[str],
    stdin: TextIO | None,
    as_of: date | None,
    jobs: int,
    *,
    render: str = "none",
    keep_documents: bool = False,
) -> Iterator[Result]:
    """Each input's result, in input order, computed by ``jobs`` processes (``Result.rendered`` set)."""
    when = as_of or date.today()
    plan = Plan(engine.policy.rules_dir, engine.policy.criteria_dir, when, "given" if as_of else "today", render, keep_documents)
    return unique_ids(_ordered(units(paths, stdin), plan, jobs), locate_id=_locate_id)


def _ordered(stream: Iterable[Unit], plan: Plan, jobs: int) -> Iterator[Result]:
    pending_units = iter(stream)
    # "spawn": a clean interpreter per worker, never a fork of a parent holding locks or rulesets.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_start, initargs=(plan,)) as pool:
        pending: deque[tuple[Unit, Future[list[Result | Compact]]]] = deque()

        def submit() -> None:
            unit = next(pending_units, None)
            if unit is not None:
                pending.append((unit, pool.submit(_work, unit)))

        for _ in range(jobs * 3):
            submit()
        while pending:
            unit, future = pending.popleft()
            results = future.result()
            submit()
            if isinstance(unit, Items) and not plan.keep_documents:
                # The parent read these: give each result its own input back (one result per item).
                for item, result in zip(unit.items, results, strict=True):
                    assert isinstance(result, Result)
                    yield Result(
                        result.source, result.decision, result.record, result.errors, item=item, rendered=result.rendered
                    )
                continue
            for result in results:
                if isinstance(result, Result):
                    yield result
                else:
                    source, (file, line, col), request_id, outcome, rendered = result
                    yield Result(source, where=Location(file, line, col), rendered=rendered, summary=(request_id, outcome))


def _locate_id(result: Result) -> Location:
    """Where the ``id`` of a repeated request is, reading its input again if the worker kept it."""
    if result.item is not None and result.item.doc is not None:
        return result.item.doc.locate(("id",))
    where = result.location
    try:
        if where.file and where.file.lower().endswith(".jsonl") and where.line:
            with Path(where.file).open("rb") as handle:
                raw = next(islice(handle, where.line - 1, None), b"")
            read = jsonl_line(raw, where.file, where.line)
            if isinstance(read, Document):
                return read.locate(("id",))
        elif where.file:
            for doc in load_file(Path(where.file), where.file):
                start = doc.origin()
                if (start.line, start.col) == (where.line, where.col):
                    return doc.locate(("id",))
    except (OSError, EngageError):  # pragma: no cover - the input changed while the batch ran
        pass
    return where
