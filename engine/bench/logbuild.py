"""A decision log of many records, built fast, for the benchmark and the tests at scale.

:func:`build_log` records ``n`` engine decisions (and, optionally, human decisions on some of
them and corrections superseding some) through :meth:`LogStore.append`, the same path every
recording takes: numbers, hash chain, ``log_in_force`` and the kept tables are exactly what
``engage evaluate --record`` would have written, so ``engage log verify`` passes on the result.

What makes it fast is that only a pool of distinct requests (``pool``, the benchmark's
generated requests) is evaluated; record ``i`` is pool request ``i % pool`` under its own id
(``LOG-0000001`` ...).  The engine never reads the id except to copy it into the decision, so
putting the new id in the stored request and decision text gives the decision the engine
would have made for it, byte for byte.  Records are appended ``chunk`` at a time, one
transaction each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from ..evaluation.evaluator import Engine
from ..log.releases import adopt_first
from ..log.store import CORRECTION, HUMAN_DECISION, Draft, LogStore, decision_draft, store_json
from .decisions import AS_OF, generate

BY = "bench"
SOURCE = "bench"


@dataclass(frozen=True)
class BuiltLog:
    where: str
    decisions: int  # engine decisions recorded
    humans: int  # human decisions recorded
    corrections: int  # engine decisions superseded by a correction
    head: int  # the number of the last record


def request_id(i: int) -> str:
    return f"LOG-{i:07d}"


def _pool(engine: Engine, size: int, seed: int, as_of: date) -> list[tuple[str, Draft]]:
    """Each pool request's id and its decision's draft (release 1)."""
    out = []
    for request in generate(size, seed):
        decision = engine.evaluate(request, as_of=as_of)
        out.append((str(request["id"]), decision_draft(request, decision, BY, SOURCE, release=1)))
    return out


def _as(draft: Draft, old_id: str, new_id: str) -> Draft:
    """``draft`` for the same request under ``new_id``: the id's JSON string replaced where it is stored."""
    old, new = json.dumps(old_id), json.dumps(new_id)
    assert draft.request is not None and draft.decision is not None
    return replace(draft, request_id=new_id, request=draft.request.replace(old, new), decision=draft.decision.replace(old, new))


def _human(seq: int, draft: Draft, i: int) -> Draft:
    outcome = draft.outcome or ""
    follows = i % 5 != 0  # one in five departs from the recommendation, with a justification
    chosen = outcome if follows else ("decline" if outcome != "decline" else "engage")
    details = {"by": "Board member", "justification": None if follows else "bench: departs", "engine_outcome": outcome}
    return Draft(
        kind=HUMAN_DECISION,
        request_id=draft.request_id,
        recorded_by=BY,
        decides=seq,
        outcome=chosen,
        country=draft.country,
        region=draft.region,
        details=store_json(details),
    )


def _correction(seq: int, draft: Draft) -> Draft:
    """A correction superseding record ``seq`` with the same decision (as ``--update`` would record a new one)."""
    details = {"by": BY, "reason": "updated with new information", "source": SOURCE, "release": 1}
    return replace(draft, kind=CORRECTION, supersedes=seq, details=store_json(details))


def build_log(
    db: str,
    n: int,
    *,
    pool: int = 2000,
    seed: int = 7,
    as_of: date = AS_OF,
    human_every: int = 0,
    correct_every: int = 0,
    chunk: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> BuiltLog:
    """Append ``n`` engine decisions to the log ``db`` (empty or not; ids continue from none recorded).

    ``human_every``: every k-th decision gets a human decision, appended in the next chunk;
    ``correct_every``: every k-th decision is then superseded by a correction holding the same
    decision (so the entry in force moves to a later record).  ``progress`` is called with the
    number of records appended so far.
    """
    engine = Engine.load()
    try:
        with LogStore.open(db) as store:
            adopt_first(store, engine.policy, BY)
            store.save_ruleset(engine.policy, BY)
            drafts = _pool(engine, min(pool, max(n, 1)), seed, as_of)
            humans = corrections = appended = 0
            start = store.head()[0]
            later: list[Draft] = []
            for block in _blocks(n, chunk):
                batch: list[Draft] = list(later)
                later = []
                first_seq = start + appended + len(batch) + 1
                for offset, i in enumerate(block):
                    old_id, draft = drafts[(i - 1) % len(drafts)]
                    mine = _as(draft, old_id, request_id(i))
                    batch.append(mine)
                    seq = first_seq + offset
                    if human_every and i % human_every == 0:
                        later.append(_human(seq, mine, i))
                        humans += 1
                    elif correct_every and i % correct_every == 0:
                        later.append(_correction(seq, mine))
                        corrections += 1
                store.append(batch)
                appended += len(batch)
                if progress is not None:
                    progress(appended)
            if later:
                store.append(later)
                appended += len(later)
                if progress is not None:
                    progress(appended)
            return BuiltLog(store.where, n, humans, corrections, store.head()[0])
    finally:
        engine.close()


def _blocks(n: int, chunk: int) -> Iterator[range]:
    for low in range(1, n + 1, chunk):
        yield range(low, min(n, low + chunk - 1) + 1)
