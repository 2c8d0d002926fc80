"""A progress bar for long batches, on standard error, only when a person is watching.

:func:`open_progress` gives a real bar (tqdm) only when asked to; otherwise a stand-in
that draws nothing, so the output of a batch run in a pipe or a test is byte for byte
the same as before.  Messages written while the bar is shown go through it, so that they
do not tear the bar apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TextIO

LONG_BATCH = 100  # fewer requests than this finish before a bar would help


class Progress(Protocol):
    def advance(self, count: int = 1) -> None: ...

    def write(self, line: str) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Draws nothing; messages go straight to the stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def advance(self, count: int = 1) -> None:
        pass

    def write(self, line: str) -> None:
        self.stream.write(line + "\n")

    def close(self) -> None:
        pass


class Bar:
    """A tqdm bar on ``stream``: requests done, of about how many, and the rate."""

    def __init__(self, stream: TextIO, total: int | None, unit: str = " requests") -> None:
        from tqdm import tqdm

        self.stream = stream
        self._bar: Any = tqdm(total=total, file=stream, unit=unit, dynamic_ncols=True, mininterval=0.25, leave=True)

    def advance(self, count: int = 1) -> None:
        self._bar.update(count)

    def write(self, line: str) -> None:
        self._bar.write(line, file=self.stream)

    def close(self) -> None:
        if self._bar.total is not None and self._bar.n != self._bar.total:
            self._bar.total = self._bar.n  # the total was an estimate (blank rows, multi-line cells)
            self._bar.refresh()
        self._bar.close()


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def open_progress(
    stderr: TextIO,
    *,
    quiet: bool,
    count: Callable[[], int | None],
    stdout: TextIO | None = None,
    unit: str = " requests",
) -> Progress:
    """A bar when a person watches ``stderr`` and the batch is long (``count`` estimates how long).

    No bar with ``quiet``, when ``stderr`` is not a terminal, or when ``stdout`` is given and
    is the terminal the decisions scroll on (they show the progress themselves, and a bar
    would be torn by them).
    """
    if quiet or not _isatty(stderr) or (stdout is not None and _isatty(stdout)):
        return NoProgress(stderr)
    expected = count()  # only now: estimating reads the start of every input
    if expected is None or expected < LONG_BATCH:
        return NoProgress(stderr)
    return Bar(stderr, expected, unit)
