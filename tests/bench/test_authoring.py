"""The benchmark of the authors' tools: one run gives every figure, and a run that cannot finish says so."""

from __future__ import annotations

from pathlib import Path

from engine.bench import authoring
from engine.bench.grown import grow


def test_one_size_gives_every_figure_in_fresh_processes() -> None:
    (row,) = authoring.measure(sizes=(1,), requests=2, before_requests=1)
    assert (row.factor, row.rules, row.outcome_lines, row.findings) == (1, 42, 9, 0)
    assert row.explain_median is not None
    assert all(f.cpu_seconds is not None for f in (row.explain_first, row.explain_median, row.explain_after))
    for figure in (row.lint_before, row.lint_after, row.explain_before, row.explain_first, row.explain_median, row.explain_after):
        assert figure.seconds is not None and figure.seconds > 0, figure
        assert figure.peak_mb is not None and figure.peak_mb > 10  # the whole process: Python and the libraries
    table = authoring.render_text([row], 2, 1).splitlines()
    assert table[0].startswith("| policy | rules | outcome lines | lint before (enumeration) | lint after (solver) |")
    assert table[2].startswith("| shipped (v1) | 42 | 9 | ")


def test_a_measurement_that_cannot_finish_is_reported_not_raised(tmp_path: Path) -> None:
    rules, criteria = grow(tmp_path / "x2", 2)
    result = authoring._run(["lint", "before", str(rules), str(criteria), "0"], None, 0.001)
    assert result == "not finished in 0 s"
    assert authoring._figure(result, lambda r: 0.0).text() == "not finished in 0 s"
    starved = authoring._run(["lint", "before", str(rules), str(criteria), "0"], 64, None)
    assert isinstance(starved, str) and starved.startswith(("out of memory", "failed"))
