"""engage evaluate --jobs when its process is killed: the fork server and the workers end with it."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.bench.decisions import generate

from ..helpers.support import ROOT


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="the watchdog and /proc are Linux's")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_the_parent_of_a_jobs_run_ends_the_fork_server_and_the_workers(tmp_path: Path, how: signal.Signals) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in generate(3000, seed=5)), "utf-8")
    command = [sys.executable, "-c", "from engine.cli import run; run()", "evaluate", str(batch), "--jobs", "2"]
    command += ["--format", "jsonl", "--as-of", "2026-11-24", "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # As `engage evaluate ... --jobs 2 | wc -l`: the test holds the read end of standard output.
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    children: set[int] = set()
    try:
        assert process.stdout.readline(), "no output before the kill"
        deadline = time.monotonic() + 60
        while len(descendants(process.pid)) < 3 and time.monotonic() < deadline:  # the fork server and two workers
            time.sleep(0.05)
        children = descendants(process.pid)
        assert len(children) >= 3, children
        process.send_signal(how)
        process.wait(timeout=30)
        # Standard output reaches its end only when every process holding it has ended.
        fd = process.stdout.fileno()
        deadline = time.monotonic() + 20
        ended = False
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready and not os.read(fd, 1 << 16):
                ended = True
                break
        left = {pid for pid in children if alive(pid)}
        assert ended, f"standard output still open 20 s after the parent ended; left running: {sorted(left)}"
        deadline = time.monotonic() + 10
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = {pid for pid in left if alive(pid)}
        assert not left, f"still running after their parent ended: {sorted(left)}"
    finally:
        for pid in children | descendants(process.pid) | {process.pid}:  # those a failure left running
            if alive(pid) and b"python" in _cmdline(pid):  # still ours, not a new process under a reused number
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        process.stdout.close()
