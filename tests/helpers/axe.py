"""axe-core in a real Chromium: the accessibility findings of a page, with no network at test time.

axe-core's ``axe.min.js`` comes inside the ``axe-playwright-python`` package (a test
dependency in pyproject.toml, so .ci/run installs it); the file is read from disk and
evaluated in the page, never fetched.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]


def missing(reason: str) -> None:
    """Skip, saying why, unless ENGAGE_REQUIRE_CHROMIUM=1 (set by .ci/run) makes it a failure."""
    if os.environ.get("ENGAGE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(reason + "; ENGAGE_REQUIRE_CHROMIUM=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def axe_script() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        missing("axe-core is not installed (pip install '.[test]' brings axe-playwright-python, which ships it)")
        raise AssertionError("unreachable")
    found = Path(spec.origin).parent / "axe.min.js"
    if not found.is_file():
        missing(f"axe-core's axe.min.js is not where axe-playwright-python keeps it ({found})")
    return found.read_text("utf-8")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (Playwright's own browser downloads are never used)."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        missing("Chromium is not installed (apt-get install chromium; bash .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (pip install '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands (every rule axe runs by default)."""
    page.evaluate(axe_script())
    found: list[dict[str, Any]] = page.evaluate("axe.run(document).then(r => r.violations)")
    return found


def summary(found: list[dict[str, Any]]) -> list[str]:
    """One line per violation: rule, impact, how many nodes, the first node's selector."""
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes, first {v['nodes'][0]['target']}): {v['help']}" for v in found]
