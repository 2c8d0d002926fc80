"""engage bench --log on a small log, on both databases: every row of the table is there and sane.

Timings are the benchmark's business, not the tests': these check that each page answered, each
command ran to its end, and the figures are of the right kind (a rate, a peak RSS of each process).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.bench.logbench import LogFigures, Row, render_text
from engine.log.audit import verify
from engine.log.store import LogStore

from ..helpers.logsupport import run

ROWS = [
    "recording",
    "page: home",
    "page: queue, first page",
    "page: queue, a deep page",
    "page: audit",
    "page: a decision",
    "engage report",
    "engage log verify",
    "engage log backup",
    "engage log export",
    "engage log import",
]
N = 2_000


def test_bench_log_builds_the_log_and_measures_every_row(db: str, tmp_path: Path) -> None:
    status, out, err = run("bench", "--log", "--decisions", str(N), "--db", db, "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["decisions"] == N and data["head"] == N
    assert data["backend"] == ("sqlite" if db.startswith("sqlite") else "postgresql")
    rows = {row["name"]: row for row in data["rows"]}
    assert list(rows) == ROWS
    for row in data["rows"]:
        assert row["status"] == "ok", row
        assert row["seconds"] is not None and row["seconds"] > 0
    assert rows["recording"]["rate"] > 0
    for name in ROWS[1:6]:
        assert rows[name]["note"].startswith("/") and " bytes" in rows[name]["note"]
    assert "after=" in rows["page: queue, a deep page"]["note"] or "page=" in rows["page: queue, a deep page"]["note"]
    for name in ROWS[6:]:
        assert 20 < rows[name]["rss_mb"] < 2_000  # each command's own peak, not the benchmark's
    assert 20 < data["server_peak_rss_mb"] < 4_000
    assert data["cli_peak_rss_mb"] == max(r["rss_mb"] for r in data["rows"] if r["rss_mb"] is not None)
    # The log it built is a real one: it verifies, chain and replay.
    with LogStore.open(db) as store:
        result = verify(store)
    assert result.ok and result.records == N and result.replayed == N

    figures = LogFigures(
        data["backend"],
        N,
        N,
        [Row(**row) for row in data["rows"]],
        data["server_peak_rss_mb"],
        data["cli_peak_rss_mb"],
    )
    text = render_text(figures)
    for name in ROWS:
        assert f"  {name} " in text
    assert "decisions/s" in text and "peak RSS: engage serve" in text


def test_bench_log_refuses_a_log_that_is_not_empty(db: str) -> None:
    from ..helpers.logsupport import record_examples

    record_examples(db)
    status, _, err = run("bench", "--log", "--decisions", "10", "--db", db)
    assert status == 2
    assert "not-empty" in err and err[-1] == "\n" and err.count("\n") <= 2
