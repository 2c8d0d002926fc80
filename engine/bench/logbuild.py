"""A decision log of N decisions built quickly, for the benchmark of the log (``engage bench --log``).

The decisions are the benchmark's generated requests (:func:`engine.bench.decisions.iter_requests`),
evaluated with the shipped rules at the benchmark's date and recorded through
:meth:`LogStore.record` in runs of ``chunk``: the path ``engage evaluate --record`` takes, so
the rate it gives is the recording rate.  Requests are generated, evaluated and recorded a
run at a time, so memory stays flat whatever N.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

from ..evaluation.evaluator import Engine
from ..log.store import RECORDED, LogStore, decision_draft
from .decisions import AS_OF, iter_requests

CHUNK = 5_000
RECORDED_BY = "engage-bench"


@dataclass(frozen=True)
class Built:
    decisions: int  # recorded by this build
    seconds: float
    head_seq: int

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds if self.seconds else 0.0


def build_log(
    store: LogStore,
    n: int,
    seed: int = 7,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> Built:
    """Record ``n`` generated decisions in ``store`` (requests already recorded as they are stay unchanged)."""
    started = time.perf_counter()
    engine = Engine.load()
    try:
        store.save_ruleset(engine.policy, RECORDED_BY)
        requests = iter_requests(n, seed)
        recorded = done = 0
        while batch := list(islice(requests, chunk)):
            drafts = [decision_draft(r, engine.evaluate(r, AS_OF), RECORDED_BY, source="engage bench --log") for r in batch]
            recorded += sum(1 for o in store.record(drafts) if o.status == RECORDED)
            done += len(batch)
            if progress is not None:
                progress(done)
    finally:
        engine.close()
    return Built(recorded, time.perf_counter() - started, store.head()[0])
