"""Helpers shared by the tests: the shipped engine, built once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engine.evaluation.evaluator import Engine

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/helpers/ is two below it


@cache
def shipped_engine(cache_size: int = 0) -> Engine:
    """The shipped rules, compiled once.  ``cache_size=0``: every stage goes through durable-rules."""
    return Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=cache_size)


def copy_policy(target: Path) -> tuple[Path, Path]:
    """A writable copy of the shipped rules/ and criteria/ under ``target``."""
    import shutil

    rules, criteria = target / "rules", target / "criteria"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    shutil.copytree(ROOT / "criteria", criteria)
    return rules, criteria


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a file; fail loudly if ``old`` is not there."""
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), "utf-8")
