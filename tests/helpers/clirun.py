"""Running the ``engage`` command in-process, as the tests of the spreadsheet features do."""

from __future__ import annotations

import io
from dataclasses import dataclass

from engine.cli import main

POLICY_LINE = "engage: policy "  # how the line that names the policy of a run begins (engine/commands/common.py)


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str  # standard error without the policy line, so that tests of errors compare it byte for byte
    policy: str = ""  # the policy line, when the verb printed one (its own tests read it)


def split_policy_line(stderr: str) -> tuple[str, str]:
    """(standard error without the policy line, the policy line): the line is first when a verb prints it."""
    first, _, rest = stderr.partition("\n")
    if first.startswith(POLICY_LINE):
        return rest, first
    return stderr, ""


def engage(*argv: str, stdin: str = "") -> Run:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err, stdin=io.StringIO(stdin))
    rest, policy = split_policy_line(err.getvalue())
    return Run(status, out.getvalue(), rest, policy)
