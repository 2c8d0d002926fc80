"""Helpers shared by the tests: the shipped engine, built once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from engine.evaluator import Engine

ROOT = Path(__file__).resolve().parent.parent


@cache
def shipped_engine(cache_size: int = 0) -> Engine:
    """The shipped rules, compiled once.  ``cache_size=0``: every stage goes through durable-rules."""
    return Engine.load(ROOT / "rules", ROOT / "criteria", cache_size=cache_size)
