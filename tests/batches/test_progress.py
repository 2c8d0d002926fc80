"""The progress bar: on a terminal for long batches, never in a pipe, a file or with --quiet."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from engine.batches.progress import LONG_BATCH

from ..helpers.clirun import POLICY_LINE, engage
from ..helpers.tables import ROW, write_csv

AS_OF = "2026-11-24"
BAD_LINE = (
    "batch.csv:row 3: column presence.adequately_staffed: not-yes-no:"
    " 'maybe' is not yes or no (leave the cell blank when unknown)"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A long batch (150 rows, the second one bad) and a short one (5 rows)."""
    here = tmp_path_factory.mktemp("progress")
    rows = [dict(ROW, id=f"R{i}") for i in range(150)]
    rows[1] = dict(rows[1], **{"presence.adequately_staffed": "maybe"})
    write_csv(here / "batch.csv", rows)
    write_csv(here / "short.csv", rows[:1] + rows[2:6])
    assert len(rows) >= LONG_BATCH
    return here


def on_a_terminal(folder: Path, *argv: str, stdout_tty: bool = False) -> tuple[int, str, bytes]:
    """Run engage with standard error on a pseudo-terminal; what the terminal showed, and standard output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    out_path = folder / "stdout.txt"
    with out_path.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", "from engine.cli import run; run()", *argv],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=slave if stdout_tty else out,
            stderr=slave,
        )
    os.close(slave)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    status = child.wait(timeout=120)
    text = shown.decode("utf-8", "replace")
    first, _, rest = text.partition("\r\n")  # a terminal ends lines with CR LF
    if first.startswith(POLICY_LINE):  # the line that names the run's policy: tested in tests/commands/
        text = rest
    return status, text, out_path.read_bytes()


def test_not_a_terminal_means_no_progress_output_at_all(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    run = engage("evaluate", "batch.csv", "--as-of", AS_OF, "--out", "d.xlsx")
    assert run.status == 2
    assert run.stderr == BAD_LINE + "\n"  # byte for byte: only the error
    run = engage("evaluate", "batch.csv", "--as-of", AS_OF, "--format", "jsonl")
    assert run.stderr == BAD_LINE + "\n"


def test_a_terminal_shows_a_progress_bar_and_the_errors_stay_whole(folder: Path) -> None:
    status, shown, stdout = on_a_terminal(folder, "evaluate", "batch.csv", "--as-of", AS_OF, "--out", "d.xlsx")
    assert status == 2
    assert "150/150" in shown and "requests" in shown and "100%" in shown
    assert BAD_LINE in shown.replace("\r\n", "\n")
    assert stdout.endswith(b"wrote d.xlsx\n")


def test_quiet_means_no_bar_on_a_terminal(folder: Path) -> None:
    status, shown, stdout = on_a_terminal(folder, "evaluate", "batch.csv", "--as-of", AS_OF, "--out", "d.xlsx", "--quiet")
    assert status == 2
    assert shown.replace("\r\n", "\n") == BAD_LINE + "\n"
    assert stdout == b""


def test_a_short_batch_shows_no_bar(folder: Path) -> None:
    _, shown, _ = on_a_terminal(folder, "evaluate", "short.csv", "--as-of", AS_OF, "--out", "d.csv")
    assert shown == ""


def test_no_bar_when_the_decisions_scroll_on_the_same_terminal(folder: Path) -> None:
    _, shown, _ = on_a_terminal(folder, "evaluate", "batch.csv", "--as-of", AS_OF, stdout_tty=True)
    assert "R149: ENGAGE" in shown
    assert "requests/s" not in shown and "100%" not in shown
