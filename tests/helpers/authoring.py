"""Helpers for the tests of the policy authors' tools: copies of the shipped rules and criteria
edited one thing at a time, the base request of ``rules/tests/``, and running a command."""

from __future__ import annotations

import copy
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.cli import main

from .clirun import split_policy_line
from .support import ROOT

_BASE = yaml.safe_load((ROOT / "rules" / "tests" / "requests" / "complete.yaml").read_text("utf-8"))
_BASE["received"] = str(_BASE["received"])


def base_request(**patch: Any) -> dict[str, Any]:
    """The base request of rules/tests/ (every condition met), with ``a__b=value`` set (None: unknown)."""
    out = copy.deepcopy(_BASE)
    for path, value in patch.items():
        node = out
        *parents, last = path.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return out


@dataclass(frozen=True)
class PolicyCopy:
    root: Path

    @property
    def rules(self) -> Path:
        return self.root / "rules"

    @property
    def criteria(self) -> Path:
        return self.root / "criteria"

    def path(self, name: str) -> Path:
        return self.root / name

    def replace(self, name: str, old: str, new: str) -> PolicyCopy:
        """Replace the one occurrence of ``old`` in ``name`` (relative to the copy) by ``new``."""
        file = self.path(name)
        text = file.read_text("utf-8")
        count = text.count(old)
        assert count == 1, f"{old!r} occurs {count} times in {name}"
        file.write_text(text.replace(old, new), "utf-8")
        return self

    def write(self, name: str, text: str | bytes) -> PolicyCopy:
        file = self.path(name)
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            file.write_bytes(text)
        else:
            file.write_text(text, "utf-8")
        return self

    def delete(self, name: str) -> PolicyCopy:
        self.path(name).unlink()
        return self

    def copy(self, name: str, to: str) -> PolicyCopy:
        shutil.copyfile(self.path(name), self.path(to))
        return self


def copy_policy(target: Path) -> PolicyCopy:
    """The shipped rule files (not rules/tests/) and criteria files, copied under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("rules", "criteria"):
        (target / name).mkdir()
        for file in sorted((ROOT / name).glob("*.yaml")):
            shutil.copyfile(file, target / name / file.name)
    return PolicyCopy(target)


def run_command(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    """``engage ARGV...``: the exit status, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err, io.StringIO(stdin) if stdin is not None else None)
    return status, out.getvalue(), split_policy_line(err.getvalue())[0]
