"""engage evaluate --jobs: several processes, the same bytes as one, in input order."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from engine.bench import generate
from engine.cli import main
from engine.parallel import AUTO_JOBS_FROM, default_jobs

from .support import ROOT


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO())
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 requests with bad lines, a blank line, a repeated id and a request the rules cannot read."""
    folder = tmp_path_factory.mktemp("batch")
    lines = [json.dumps(r) for r in generate(1200, seed=3)]
    lines[17] = '{"id": "BAD-1", "received": "2026-02-30"}'  # not a date
    lines[400] = "{not json"
    lines[401] = ""
    lines[650] = json.dumps(dict(json.loads(lines[10]), request={"kind": "advisory"}))  # repeats line 11's id
    lines[900] = json.dumps({"id": "ODD", "received": "2026-01-01", "presence": {"type": "tent"}})
    path = folder / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "text", "json"])
def test_two_processes_give_the_bytes_of_one(batch: Path, fmt: str) -> None:
    one = run("evaluate", str(batch), "--format", fmt, "--as-of", "2026-11-24", "--jobs", "1")
    two = run("evaluate", str(batch), "--format", fmt, "--as-of", "2026-11-24", "--jobs", "2")
    assert one[0] == two[0] == 2
    assert one[1] == two[1]
    assert one[2] == two[2]
    errors = one[2].splitlines()
    assert len(errors) == 4
    assert any(":18:" in e and "bad-date" in e for e in errors)
    assert any(":401:" in e and "json-syntax" in e for e in errors)
    assert any(":651:" in e and "duplicate-id" in e and ":11:1" in e for e in errors)  # points at the id key
    assert any(":901:" in e and "not-in-vocabulary" in e for e in errors)


def test_a_directory_of_request_files(tmp_path: Path) -> None:
    for path in (ROOT / "examples").iterdir():
        if path.suffix in (".yaml", ".json"):
            shutil.copy(path, tmp_path / path.name)
    shutil.copy(ROOT / "examples" / "01-engage-nhri-programme.yaml", tmp_path / "99-again.yaml")  # a repeated id
    one = run("evaluate", str(tmp_path), "--as-of", "2026-11-24", "--jobs", "1")
    two = run("evaluate", str(tmp_path), "--as-of", "2026-11-24", "--jobs", "2")
    assert one == two
    assert "99-again.yaml:3:5: duplicate-id" in one[2]


def test_out_files_are_the_same(batch: Path, tmp_path: Path) -> None:
    run("evaluate", str(batch), "--as-of", "2026-11-24", "--jobs", "1", "--out", str(tmp_path / "one.csv"))
    run("evaluate", str(batch), "--as-of", "2026-11-24", "--jobs", "2", "--out", str(tmp_path / "two.csv"))
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def test_jobs_default_to_the_cores_only_for_large_batches() -> None:
    assert default_jobs(None) == 1
    assert default_jobs(AUTO_JOBS_FROM - 1) == 1
    assert default_jobs(AUTO_JOBS_FROM) >= 1
    code, _, err = run("evaluate", "x.jsonl", "--jobs", "0")
    assert code == 2 and "not a number of processes" in err


def test_the_benchmark_reports_every_figure(tmp_path: Path) -> None:
    code, out, _ = run("bench", "--n", "300", "--jobs-n", "600", "--memory-n", "12000", "--format", "json")
    figures = json.loads(out)
    assert code == 0
    for key in (
        "engage_per_s", "handwritten_per_s", "bare_durable_per_s", "ratio_to_handwritten",
        "jobs2_speedup", "rss_growth_mb", "load_s", "cold_start_s",
    ):  # fmt: skip
        assert figures[key] is not None, key
    assert figures["handwritten_agrees"] is True  # the baseline does the same job
    assert figures["jobs_identical"] is True
    assert figures["ratio_to_handwritten"] == round(figures["engage_per_s"] / figures["handwritten_per_s"], 4)
