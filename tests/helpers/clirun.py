"""Running the ``engage`` command in-process, as the tests of the spreadsheet features do."""

from __future__ import annotations

import io
from dataclasses import dataclass

from engine.cli import main


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str


def engage(*argv: str, stdin: str = "") -> Run:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return Run(status, out.getvalue(), err.getvalue())
