"""engage evaluate --jobs: several processes, the same bytes as one, in input order."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from engine.batches import parallel, processes
from engine.batches.processes import AUTO_JOBS_FROM, default_jobs
from engine.bench.decisions import generate
from engine.cli import main

from ..helpers.clirun import split_policy_line
from ..helpers.support import ROOT


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO())
    return code, out.getvalue(), split_policy_line(err.getvalue())[0]


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


def _odd_batch(folder: Path) -> Path:
    """Lines a small unit cuts in awkward places: CRLF ends, a BOM, blank lines, ids repeated near and far."""
    requests = generate(40, seed=5)
    lines = [json.dumps(r, ensure_ascii=False) for r in requests]
    lines[0] = "\ufeff" + lines[0]
    lines[3] = json.dumps(dict(requests[3], id="REQ-Genève-3"), ensure_ascii=False)  # output is not all ASCII
    lines[5] = "   "
    lines[8] = json.dumps(dict(requests[7], request={"kind": "training"}))  # repeats the line before, same unit
    lines[20] = "{not json"
    lines[21] = json.dumps(dict(requests[11], request={"kind": "advisory"}))  # repeats a CRLF line
    lines[30] = json.dumps(dict(requests[2], request={"kind": "advisory"}))  # repeats line 3, an earlier unit
    lines[33] = json.dumps({"id": requests[20]["id"], "received": "2026-02-30"})  # invalid, and its id unused
    path = folder / "odd.jsonl"
    path.write_bytes(("\r\n".join(lines[:12]) + "\n" + "\n".join(lines[12:])).encode())  # no final line end
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_units_cut_anywhere_give_the_bytes_of_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    path = _odd_batch(tmp_path)
    monkeypatch.setattr(parallel, "CHUNK", 3)  # the parent cuts; its workers need not know
    argv = ("evaluate", str(path), "--format", fmt, "--as-of", "2026-11-24")
    one = run(*argv, "--jobs", "1")
    two = run(*argv, "--jobs", "2")
    assert one == two
    errors = one[2].splitlines()
    assert [e.split(": ")[1] for e in errors] == ["duplicate-id", "json-syntax", "duplicate-id", "duplicate-id", "bad-date"]
    assert ":9:" in errors[0] and "odd.jsonl:8:1" in errors[0]
    assert ":22:" in errors[2] and "odd.jsonl:12:1" in errors[2]
    assert ":31:" in errors[3] and "odd.jsonl:3:1" in errors[3]
    heads = re.findall(r"^(?:BENCH-5-\d+|REQ-Genève-3): " if fmt == "text" else r'"request_id":"', one[1], re.M)
    assert len(heads) == 34  # every valid request, once
    assert "Genève" in one[1]


def test_the_bytes_a_worker_encoded_reach_a_real_stream_unchanged(tmp_path: Path) -> None:
    path = _odd_batch(tmp_path)
    outputs = []
    for jobs in ("1", "2"):
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", write_through=False)
        main(
            ["evaluate", str(path), "--format", "jsonl", "--as-of", "2026-11-24", "--jobs", jobs],
            stream,
            io.StringIO(),
            io.StringIO(),
        )
        stream.flush()
        outputs.append(raw.getvalue())
    assert outputs[0] == outputs[1]
    assert "Genève".encode() in outputs[1]


@pytest.mark.parametrize("content", [b"", b"\n  \n\t\r\n"])
def test_an_empty_batch_says_so_with_any_number_of_processes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    one = run("evaluate", str(path), "--jobs", "1")
    two = run("evaluate", str(path), "--jobs", "2")
    assert one == two
    assert one[0] == 2 and "empty.jsonl:1:1: empty-file" in one[2]


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
    # The rates are printed rounded to whole decisions per second and the ratio is taken before
    # rounding, so the ratio of the printed rates may differ from it by that rounding alone.
    engage, hand = figures["engage_per_s"], figures["handwritten_per_s"]
    low, high = (engage - 0.5) / (hand + 0.5), (engage + 0.5) / (hand - 0.5)
    assert round(low, 4) <= figures["ratio_to_handwritten"] <= round(high, 4)


def test_workers_are_never_forks_of_the_command() -> None:
    """A worker must not inherit the command's rulesets, threads or unflushed output."""
    context = processes.context()
    if "forkserver" in multiprocessing.get_all_start_methods():  # Linux, macOS
        assert context.get_start_method() == "forkserver"
    processes.prestart()
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        parent = pool.submit(os.getppid).result()
    assert parent != os.getpid()  # the fork server's child, or a fresh interpreter
