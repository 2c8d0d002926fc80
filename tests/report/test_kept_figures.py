"""The audit's figures from the kept counts (``log_figures``) are those counted over the decisions themselves.

``gather`` reads every decision in force and counts in Python (the report did only that);
``gather_counts`` reads the counts the appends keep.  On a log with several evaluation dates,
human decisions, departures, supersedes and withdrawals, for whole, monthly and weekly
periods, on both databases, every figure must be the same.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields
from datetime import date

import pytest

from engine.bench.logbuild import build_log, request_id
from engine.log.review import correct, decide
from engine.log.store import LogStore
from engine.report.document import (
    CSV_COLUMNS,
    csv_chunks,
    csv_names,
    gather,
    gather_counts,
    period_rows,
    render_csv,
    stream_csv,
)
from engine.report.figures import Figures
from engine.web.pages.audit import register_lines

from ..helpers.logsupport import record_examples

PERIODS = [
    (None, None),
    (date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 10, 1), date(2026, 10, 31)),
    (date(2026, 9, 1), date(2026, 11, 24)),
]


def _log(url: str) -> LogStore:
    build_log(url, 400, pool=80, human_every=6, correct_every=13, chunk=150)
    record_examples(url, "2026-09-01")
    record_examples(url, "2026-10-15", "tester", "--update")  # each example superseded on another date
    store = LogStore.open(url)
    decide(store, "REQ-2026-0101", "decline", "Board member", "tests: departs", "tests")
    correct(store, request_id(7), by="Board", reason="withdrawn", recorded_by="tests")
    correct(store, request_id(8), by="Board", reason="withdrawn", recorded_by="tests")
    return store


def _plain(figures: Figures) -> dict[str, object]:
    out = {f.name: getattr(figures, f.name) for f in fields(figures) if f.name not in ("departures", "departure_count")}
    out["buckets"] = [asdict(b) for b in figures.buckets]
    out["conditions"] = [asdict(c) for c in figures.conditions]
    out["departures"] = [(d.entry.seq, d.human.record.seq) for d in figures.departures]
    out["departures_total"] = figures.departures_total
    return out


@pytest.mark.parametrize("period", PERIODS, ids=["whole", "november", "october", "months"])
def test_the_kept_counts_give_every_figure_the_decisions_give(db: str, period: tuple[date | None, date | None]) -> None:
    store = _log(db)
    try:
        counted = gather(store, *period)
        kept = gather_counts(store, *period, shown=10_000)
        assert counted.figures().total > 0 and len(counted.register) > (3 if period == (None, None) else 0)
        assert _plain(kept.figures()) == _plain(counted.figures())
        assert kept.releases == counted.releases
        assert [e.to_dict() for e in kept.register] == [e.to_dict() for e in counted.register]
        assert (kept.date_from, kept.date_to, kept.labels, kept.criteria, kept.outcomes) == (
            counted.date_from,
            counted.date_to,
            counted.labels,
            counted.criteria,
            counted.outcomes,
        )
        # The audit page's order (ending soon first), the first few of it, and how many there are.
        today, within = date(2026, 11, 24), 30
        expected = [line.entry.to_dict() for line in register_lines(counted.register, today, within)]
        urgent = ("2026-11-24", "2026-12-24")
        for shown in (3, 10_000):
            page = gather_counts(store, *period, shown=shown, urgent=urgent)
            assert [e.to_dict() for e in page.register] == expected[:shown]
            assert page.register_total == len(counted.register)
        # The CSV read from the kept tables, a batch at a time, is the CSV of the decisions themselves.
        streamed = io.StringIO()
        stream_csv(store, kept, streamed)
        assert streamed.getvalue() == render_csv(counted.entries, counted.criteria)
        assert "".join(csv_chunks(store, kept, rows=7)) == streamed.getvalue()
        # Read 37 at a time: the walk on the primary key, from batch to batch, loses and repeats no row.
        names = csv_names(kept)
        in_batches = io.StringIO()
        writer = csv.writer(in_batches, lineterminator="\n")
        writer.writerow([*CSV_COLUMNS[:7], *names, *CSV_COLUMNS[7:]])
        writer.writerows(period_rows(store, kept, names, batch=37))
        assert in_batches.getvalue() == streamed.getvalue()
        assert period != (None, None) or streamed.getvalue().count("\n") > 2 * 37
        few = gather_counts(store, *period, shown=3).figures()  # the page shows the first few, and says how many
        assert [d.entry.seq for d in few.departures] == [d.entry.seq for d in counted.figures().departures][:3]
        assert few.departures_total == len(counted.figures().departures)
    finally:
        store.close()
