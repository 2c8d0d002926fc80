"""The benchmark of the authors' tools (``engage bench --authoring``): lint and explain as the policy grows.

In one run, on the shipped policy and on policies grown from it (:mod:`engine.bench.grown`,
up to 10 times the rules of version 1 and 40 more field tests in the outcome table):

* ``lint``: :func:`engine.authoring.lint_solved.lint_by_solver` (what ``engage lint`` runs)
  and, as the "before", :func:`engine.authoring.lint_enumerated.lint_by_enumeration`;
* ``explain``: :func:`engine.authoring.explain.explain` with "what would change it" on
  generated requests (:func:`engine.bench.decisions.generate`), the first request (which
  encodes the policy) and the median and the slowest of the others; the "before" is the breadth-first
  search of :mod:`engine.authoring.explain_enumerated` on the first few of them.

Explain's figures give the wall time and, beside it, the process's CPU time for the same
statistic: on a shared machine other work inflates the first, not the second.

Each measurement runs in a fresh process, so that its peak memory (the process's maximum
resident set, Python and the libraries included) is its own; the "before" runs under a
memory limit and a time limit, and a size where it does not finish says so.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 24)
SIZES = (1, 2, 5, 10)
BEFORE_MEMORY_MB = 2_000  # the enumeration is stopped beyond this (it reached 13.5 GB in issue 11)
BEFORE_SECONDS = 120


@dataclass(frozen=True)
class Figure:
    seconds: float | None  # None: did not finish
    peak_mb: float | None
    note: str = ""
    cpu_seconds: float | None = None  # the process's own CPU time: what other work on the machine does not inflate

    def text(self) -> str:
        if self.seconds is None:
            return self.note or "did not finish"
        cpu = f" (CPU {self.cpu_seconds:.2f} s)" if self.cpu_seconds is not None else ""
        return f"{self.seconds:.2f} s{cpu}, {self.peak_mb:.0f} MB"


@dataclass(frozen=True)
class Row:
    factor: int
    rules: int
    outcome_lines: int
    lint_before: Figure
    lint_after: Figure
    explain_before: Figure  # the slowest of the requests tried
    explain_first: Figure  # the first request: encodes the policy
    explain_after: Figure  # the slowest of the other requests
    findings: int
    explain_median: Figure | None = None  # the median of the other requests


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _job(argv: Sequence[str]) -> dict[str, Any]:
    """One measurement, in this (fresh) process: ``lint|explain before|after RULES CRITERIA N``."""
    tool, method, rules, criteria, count = argv[0], argv[1], argv[2], argv[3], int(argv[4])
    from ..evaluation.evaluator import Engine
    from ..policy.loader import load_policy

    policy = load_policy(rules, criteria)
    if tool == "lint":
        from ..authoring.lint_enumerated import lint_by_enumeration
        from ..authoring.lint_solved import lint_by_solver

        started = time.perf_counter()
        report = lint_by_solver(policy) if method == "after" else lint_by_enumeration(policy)
        return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "findings": len(report.findings)}
    from ..authoring.explain import explain
    from ..authoring.explain_enumerated import what_would_change_by_enumeration
    from .decisions import generate

    engine = Engine(policy)
    times: list[float] = []
    cpu: list[float] = []
    for request in generate(count, seed=11):
        checked = engine.check(request)
        started, started_cpu = time.perf_counter(), time.process_time()
        if method == "after":
            explain(engine, checked, AS_OF)
        else:
            what_would_change_by_enumeration(engine, checked.record, AS_OF)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {"times": times, "cpu": cpu, "peak_mb": _peak_mb()}


def _run(argv: Sequence[str], limit_mb: int | None, seconds: float | None) -> dict[str, Any] | str:
    """A job in a fresh process; a string says why it did not finish."""

    def limit() -> None:  # pragma: no cover - runs in the child
        if limit_mb is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 2**20, limit_mb * 2**20))

    try:
        done = subprocess.run(
            [sys.executable, "-m", "engine.bench.authoring", *argv],
            capture_output=True,
            text=True,
            timeout=seconds,
            preexec_fn=limit,
            check=False,
            env=dict(os.environ),
        )
    except subprocess.TimeoutExpired:
        return f"not finished in {seconds:.0f} s"
    if done.returncode != 0:
        if "MemoryError" in done.stderr:
            return f"out of memory (limit {limit_mb:,} MB)"
        return f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _figure(
    result: dict[str, Any] | str,
    pick: Callable[[dict[str, Any]], float],
    pick_cpu: Callable[[Sequence[float]], float] | None = None,
) -> Figure:
    """A figure from a job's result; ``pick_cpu`` picks its CPU figure (first, median or slowest) from the CPU times."""
    if isinstance(result, str):
        return Figure(None, None, result)
    cpu = pick_cpu(result["cpu"]) if pick_cpu is not None and "cpu" in result else None
    return Figure(pick(result), float(result["peak_mb"]), cpu_seconds=cpu)


def _slowest(times: Sequence[float]) -> float:
    return max(times[1:] or times)


def _median(times: Sequence[float]) -> float:
    return statistics.median(times[1:] or times)


def measure(
    sizes: Sequence[int] = SIZES,
    requests: int = 20,
    before_requests: int = 3,
    report: Callable[[str], None] = lambda line: None,
) -> list[Row]:
    from .grown import grow, grown_lines

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as tmp:
        for factor in sizes:
            rules, criteria = grow(Path(tmp) / f"x{factor}", factor)
            paths = [str(rules), str(criteria)]
            report(f"x{factor}: lint")
            after = _run(["lint", "after", *paths, "0"], None, None)
            before = _run(["lint", "before", *paths, "0"], BEFORE_MEMORY_MB, BEFORE_SECONDS)
            report(f"x{factor}: explain")
            explain_after = _run(["explain", "after", *paths, str(requests)], None, None)
            explain_before = _run(["explain", "before", *paths, str(before_requests)], BEFORE_MEMORY_MB, BEFORE_SECONDS)
            findings = after["findings"] if isinstance(after, dict) else -1
            rows.append(
                Row(
                    factor,
                    42 * factor,
                    9 + grown_lines(factor),
                    _figure(before, lambda r: float(r["seconds"])),
                    _figure(after, lambda r: float(r["seconds"])),
                    _figure(explain_before, lambda r: max(r["times"]), max),
                    _figure(explain_after, lambda r: float(r["times"][0]), lambda c: c[0]),
                    _figure(explain_after, lambda r: _slowest(r["times"]), _slowest),
                    findings,
                    _figure(explain_after, lambda r: _median(r["times"]), _median),
                )
            )
    return rows


def render_text(rows: Sequence[Row], requests: int, before_requests: int) -> str:
    head = (
        "| policy | rules | outcome lines | lint before (enumeration) | lint after (solver) | findings"
        f" | explain before (slowest of {before_requests}) | explain after, first request | explain after"
        f" (median of the other {requests - 1}) | explain after (slowest of the other {requests - 1}) |"
    )
    lines = [head, "|" + " --- |" * 10]
    for r in rows:
        name = "shipped (v1)" if r.factor == 1 else f"grown x{r.factor}"
        lines.append(
            f"| {name} | {r.rules} | {r.outcome_lines} | {r.lint_before.text()} | {r.lint_after.text()} | {r.findings}"
            f" | {r.explain_before.text()} | {r.explain_first.text()}"
            f" | {r.explain_median.text() if r.explain_median else ''} | {r.explain_after.text()} |"
        )
    return "\n".join(lines)


def to_dict(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


if __name__ == "__main__":  # pragma: no cover - the benchmark's own child processes
    sys.stdout.write(json.dumps(_job(sys.argv[1:])) + "\n")
