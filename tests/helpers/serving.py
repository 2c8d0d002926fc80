"""The real `engage serve` in a subprocess on a free loopback port, for the tests that need a server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .support import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def engage_serve(db: str, *extra: str) -> Iterator[tuple[str, int]]:
    """``engage serve --db DB`` until the block ends; yields its base address and port once it accepts connections."""
    with engage_serve_process(db, *extra) as (address, _process):
        yield address, int(address.rsplit(":", 1)[1])


@contextmanager
def engage_serve_process(db: str, *extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``engage serve --db DB`` until the block ends; yields its base address and its process."""
    port = free_port()
    command = [sys.executable, "-c", "from engine.cli import run; run()", "serve", "--port", str(port), "--db", db, *extra]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until it accepts connections (or has stopped)
            if process.poll() is not None:
                raise AssertionError(f"engage serve stopped: {process.stderr.read() if process.stderr else ''}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=30)
