"""The installed package (a wheel, not the checkout) carries the rules, runs from anywhere, and follows a checkout's edits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers.support import ROOT, edit

EXAMPLE = "06-exception-expired.yaml"
AS_OF = ("--as-of", "2026-11-24")


@dataclass(frozen=True)
class Installed:
    """The wheel of this checkout installed (not editable) into ``site``; ``engage`` run with it alone."""

    site: Path

    def engage(self, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ENGAGE_POLICY"}
        env["PYTHONPATH"] = str(self.site)  # the installed copy, not the editable install of the venv
        return subprocess.run(
            [str(self.site / "bin" / "engage"), *argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One build and one install for every test of this module: the build is the slow part."""
    tmp = tmp_path_factory.mktemp("install")
    dist, site = tmp / "dist", tmp / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(dist)], check=True)
    (wheel,) = dist.glob("engage-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    return Installed(site)


@pytest.mark.slow
def test_the_wheel_carries_rules_and_criteria_and_engage_runs_from_any_directory(installed: Installed, tmp_path: Path) -> None:
    site = installed.site
    assert (site / "engine" / "_shipped" / "rules" / "outcome.yaml").is_file()
    assert (site / "engine" / "_shipped" / "criteria" / "priority.yaml").is_file()
    assert (site / "engine" / "schemas" / "request.schema.json").is_file()
    assert (site / "engine" / "py.typed").is_file()

    shutil.copy(ROOT / "examples" / EXAMPLE, tmp_path / "request.yaml")
    env = dict(os.environ, PYTHONPATH=str(site))
    where = subprocess.run(
        [sys.executable, "-c", "import engine.policy.shipped as s; print(s.shipped_dir('rules'))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "engine" / "_shipped" / "rules")
    result = installed.engage("evaluate", "request.yaml", *AS_OF, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "REQ-2026-0106: SEND TO EXCEPTION REVIEW (exception_review)" in result.stdout
    assert result.stderr.startswith(f"engage: policy {site / 'engine' / '_shipped'} (shipped), ruleset sha256:")


@pytest.mark.slow
def test_an_installed_engage_follows_the_edits_of_the_checkout_it_runs_in(installed: Installed, tmp_path: Path) -> None:
    co, elsewhere = tmp_path / "co", tmp_path / "elsewhere"
    shutil.copytree(ROOT / "rules", co / "rules")  # with rules/tests/, the cases engage test runs
    shutil.copytree(ROOT / "criteria", co / "criteria")
    elsewhere.mkdir()
    request = elsewhere / "request.yaml"
    shutil.copy(ROOT / "examples" / "01-engage-nhri-programme.yaml", request)
    shipped = installed.site / "engine" / "_shipped"

    def score(cwd: Path) -> float:
        run = installed.engage("evaluate", str(request), *AS_OF, "--format", "json", cwd=cwd)
        assert run.returncode == 0, run.stderr
        value: float = json.loads(run.stdout)["priority_score"]
        return value

    before = score(co)
    assert installed.engage("test", cwd=co).returncode == 0

    # A weight changed in criteria/priority.yaml changes the score, the cases that pin it, and impact.
    edit(co / "criteria" / "priority.yaml", "    met: 20", "    met: 30")
    after = score(co)
    assert after != before
    assert score(elsewhere) == before  # outside the checkout: the shipped copy
    test = installed.engage("test", cwd=co)
    assert test.returncode == 1 and "priority_score" in test.stdout, test.stdout
    impact = installed.engage("impact", "--base", str(shipped), str(request), *AS_OF, "--format", "json", cwd=co)
    assert impact.returncode == 0, impact.stderr
    report = json.loads(impact.stdout)
    assert report["ruleset"]["source"] == "checkout" and report["ruleset"]["directory"] == str(co)
    assert [(c["old_score"], c["new_score"]) for c in report["score_changes"]] == [(before, after)]
    explained = installed.engage("explain", str(request), *AS_OF, "--format", "json", cwd=co)
    assert explained.returncode == 0, explained.stderr
    edited_hash = json.loads(explained.stdout)["ruleset"]["hash"]
    assert f"ruleset {edited_hash[:19]}" in explained.stderr.splitlines()[0]
    assert installed.engage("lint", cwd=co).returncode == 0

    # `equals` misspelt `equal` in rules/partnership.yaml: lint fails and says where; the others refuse to run.
    edit(co / "rules" / "partnership.yaml", "equals: true}", "equal: true}")
    text = (co / "rules" / "partnership.yaml").read_text().splitlines()
    at = next(n for n, line in enumerate(text, 1) if "equal: true}" in line)
    lint = installed.engage("lint", cwd=co)
    assert lint.returncode == 1
    said = "error: rule 'partnership.full': when.all[0].equal: not a rule file field"
    assert f"rules/partnership.yaml:{at}:55: {said}" in lint.stdout
    assert "(did you mean 'equals'?) [unknown-field]" in lint.stdout
    for verb in (("test",), ("explain", str(request), *AS_OF), ("evaluate", str(request), *AS_OF)):
        refused = installed.engage(*verb, cwd=co)
        assert refused.returncode == 2 and f"rules/partnership.yaml:{at}:55: unknown-field:" in refused.stderr, verb
    assert installed.engage("lint", cwd=elsewhere).returncode == 0  # the shipped copy is untouched


@pytest.mark.slow
def test_the_wheel_carries_every_catalogue_compiled_and_reads_the_compiled_one(installed: Installed, tmp_path: Path) -> None:
    site = installed.site
    for po in sorted((ROOT / "engine" / "locale").glob("*/LC_MESSAGES/*.po")):
        rel = po.relative_to(ROOT)
        assert (site / rel.with_suffix(".mo")).is_file(), rel  # compiled by hatch_build.py at build time
    assert not list((ROOT / "engine" / "locale").glob("*/LC_MESSAGES/*.mo"))  # never written into the checkout
    code = (
        "from engine.i18n import catalogues as c\n"
        "print(c.source('engage', 'fr').name, c.translations('engage', 'fr').text('language.name'))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert done.stdout == "engage.mo Français\n"
    shutil.copy(ROOT / "examples" / EXAMPLE, tmp_path / "request.yaml")
    french = installed.engage("evaluate", "request.yaml", *AS_OF, "--lang", "fr", cwd=tmp_path)
    assert french.returncode == 0, french.stderr
    assert "REQ-2026-0106: SOUMETTRE À L'EXAMEN DES EXCEPTIONS (exception_review)" in french.stdout  # the shipped policy's
    assert "  priorité 55/100   au 24 novembre 2026 (indiquée)" in french.stdout  # the compiled catalogue's, and Babel's
