"""The installed package (a wheel, not the checkout) carries the rules and runs from anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers.support import ROOT


@pytest.mark.slow
def test_the_wheel_carries_rules_and_criteria_and_engage_runs_from_any_directory(tmp_path: Path) -> None:
    dist, site, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(dist)], check=True)
    (wheel,) = dist.glob("engage-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    assert (site / "engine" / "_shipped" / "rules" / "outcome.yaml").is_file()
    assert (site / "engine" / "_shipped" / "criteria" / "priority.yaml").is_file()
    assert (site / "engine" / "schemas" / "request.schema.json").is_file()
    assert (site / "engine" / "py.typed").is_file()

    shutil.copy(ROOT / "examples" / "06-exception-expired.yaml", elsewhere / "request.yaml")
    env = dict(os.environ, PYTHONPATH=str(site))
    where = subprocess.run(
        [sys.executable, "-c", "import engine.policy.shipped as s; print(s.shipped_dir('rules'))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "engine" / "_shipped" / "rules")
    result = subprocess.run(
        [str(site / "bin" / "engage"), "evaluate", "request.yaml", "--as-of", "2026-11-24"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "REQ-2026-0106: SEND TO EXCEPTION REVIEW (exception_review)" in result.stdout
