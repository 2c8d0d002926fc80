"""Evaluating a batch in several processes, with results in input order and identical bytes.

With two processes on two cores, the parent may spend only a few microseconds on each
request if the batch is to go much faster, so the work is split this way:

* The parent cuts the inputs into *units*: the place of a block of whole lines of a
  ``.jsonl`` batch (the parent counts line ends in place, and the worker reads the bytes
  itself) and the paths of the files in a directory, which the workers read and parse;
  other inputs (a ``.csv`` or ``.xlsx`` table, standard input, single files) are read by the
  parent, as when it works alone, and their items are sent.
* Each worker (forked from a clean fork server: :mod:`engine.batches.processes`) loads the rules
  once and renders each decision's output (JSON or text), which
  is the costly part.  Unless ``--out`` or ``--record`` needs the decisions themselves, a run
  of decisions comes back as one :class:`~engine.batches.batch.Decided`: their positions, ids,
  outcomes and output, and nothing per request for the parent to build.
* The parent hands the results on in input order and makes ids unique across the batch
  (:func:`engine.batches.batch.unique_ids`, which depends on the order).  For the rare repeated id,
  it reads that one input again to point at its ``id`` key, so every message is the one a
  single process gives.

A bounded number of units is in flight, so memory stays flat whatever the batch's size.
The C core of durable-rules is per process: each worker has its own rulesets and caches.
"""

from __future__ import annotations

import mmap
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from ..errors import EngageError, Location
from ..evaluation.evaluator import Engine
from ..evaluation.render import render_decision
from ..policy.documents import Document, load_file
from ..policy.loader import display_path
from .batch import Decided, Origin, Result, decide_item, unique_ids, unique_ids_on_disk
from .columns import Column, request_columns
from .inputs import Item, file_items, read_requests, request_files
from .processes import context, end_with_parent
from .seen import SeenIds
from .tables import jsonl_empty, jsonl_line

CHUNK = 250  # inputs per unit: large enough to amortise the hand-over, small enough to stream
FILES_PER_UNIT = 50


@dataclass(frozen=True)
class Plan:
    """What every worker needs to know: the rules, the date, what to render, what to send back."""

    rules_dir: str
    criteria_dir: str
    as_of: date
    as_of_source: str
    render: str  # "jsonl", "text" or "none"
    keep_documents: bool  # --out and --record need each request's document in the parent
    parent: int  # the process id of the command: its workers end when it does
    lang: str | None = None  # the language of rendered text (--lang); None: the policy's first


@dataclass(frozen=True)
class Lines:
    """Whole lines of a JSON Lines batch: ``size`` bytes from ``offset``, the first being line ``start``.

    The worker reads them from the file itself, so a batch's bytes never pass through the parent.
    """

    name: str  # as messages show it
    path: str
    offset: int
    size: int
    start: int

    def lines(self) -> list[bytes]:
        """Each line with its end, as iterating over the file gives them (only ``\\n`` ends a line)."""
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(self.size)
        lines = data.split(b"\n")
        last = lines.pop()
        return [line + b"\n" for line in lines] + ([last] if last else [])


@dataclass(frozen=True)
class Files:
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Items:
    """Inputs the parent has read itself (tables, standard input, single files)."""

    items: tuple[Item, ...]


Unit = Lines | Files | Items


def units(paths: Sequence[str], stdin: TextIO | None, columns: Sequence[Column] | None = None) -> Iterator[Unit]:
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
            stream = read_requests([raw], stdin, columns)
            while chunk := tuple(islice(stream, CHUNK)):
                yield Items(chunk)


def _lines(path: Path) -> Iterator[Unit]:
    name = display_path(path)
    try:
        handle = path.open("rb")
    except OSError:  # the one-line message a single process gives
        yield Items(tuple(read_requests([str(path)], None)))
        return
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            yield Items((Item(name, error=jsonl_empty(name)),))
            return
        # Cut by counting line ends in place: the parent copies none of the batch's bytes.
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            found = False
            offset, number = 0, 1
            while offset < size:
                end, count = offset, 0
                while count < CHUNK and end < size:
                    stop = data.find(b"\n", end)
                    end = size if stop < 0 else stop + 1
                    count += 1
                found = found or _NOT_BLANK.search(data, offset, end) is not None
                yield Lines(name, str(path), offset, end - offset, number)
                offset, number = end, number + count
    if not found:
        yield Items((Item(name, error=jsonl_empty(name)),))


_NOT_BLANK = re.compile(rb"\S")  # the ASCII whitespace bytes.strip() removes


_WORKER: dict[str, Any] = {}  # in a worker process: its engine and plan, loaded once


def _start(plan: Plan) -> None:
    end_with_parent(plan.parent)
    _WORKER["engine"] = Engine.load(plan.rules_dir, plan.criteria_dir)
    _WORKER["plan"] = plan


def _unit_items(unit: Unit) -> Iterator[Item]:
    if isinstance(unit, Items):
        yield from unit.items
    elif isinstance(unit, Files):
        for path in unit.paths:
            yield from file_items(Path(path))
    else:
        for offset, raw in enumerate(unit.lines()):
            read = jsonl_line(raw, unit.name, unit.start + offset)
            if isinstance(read, Document):
                yield Item(unit.name, doc=read)
            elif read is not None:
                yield Item(unit.name, error=read)


def _work(unit: Unit) -> list[Result | Decided]:
    engine: Engine = _WORKER["engine"]
    plan: Plan = _WORKER["plan"]
    out: list[Result | Decided] = []
    compact = plan.render != "none" and not plan.keep_documents and not isinstance(unit, Items)
    origins: list[Origin] = []
    ids: list[str] = []
    outcomes: list[str] = []
    texts: list[bytes] = []

    def end_run() -> None:
        if ids:
            out.append(Decided(tuple(origins), tuple(ids), tuple(outcomes), tuple(texts)))
            for column in (origins, ids, outcomes, texts):
                column.clear()

    for item in _unit_items(unit):
        result = decide_item(engine, item, plan.as_of, plan.as_of_source)
        rendered = None
        if result.decision is not None:
            if plan.render == "jsonl":
                rendered = result.decision.to_json(indent=None) + "\n"
            elif plan.render == "text":
                rendered = render_decision(result.decision, engine.policy, result.record, plan.lang)
        if compact and result.decision is not None and item.doc is not None and rendered is not None:
            origin = item.doc.origin()
            origins.append((origin.file, origin.line, origin.col))
            ids.append(result.decision.request_id)
            outcomes.append(result.decision.outcome)
            texts.append(rendered.encode())  # here, in parallel, rather than in the parent
            continue
        end_run()
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
    end_run()
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
    lang: str | None = None,
    seen: SeenIds | None = None,
) -> Iterator[Result | Decided]:
    """Each input's result, in input order, computed by ``jobs`` processes (``Result.rendered`` set).

    Runs of decisions whose output was asked for come as :class:`~engine.batches.batch.Decided`.
    ``seen``: keep the ids used so far on disk rather than in memory (a long batch).
    """
    when = as_of or date.today()
    source = "given" if as_of else "today"
    plan = Plan(engine.policy.rules_dir, engine.policy.criteria_dir, when, source, render, keep_documents, os.getpid(), lang)
    columns = request_columns(engine.policy.request_schema)
    results = _ordered(units(paths, stdin, columns), plan, jobs)
    if seen is not None:
        return unique_ids_on_disk(results, seen, locate_id=_locate_id)
    return unique_ids(results, locate_id=_locate_id)


def _ordered(stream: Iterable[Unit], plan: Plan, jobs: int) -> Iterator[Result | Decided]:
    pending_units = iter(stream)
    # Forked from a clean fork server, never from this process (engine/batches/processes.py).
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context(), initializer=_start, initargs=(plan,)) as pool:
        pending: deque[tuple[Unit, Future[list[Result | Decided]]]] = deque()

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
            yield from results


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
