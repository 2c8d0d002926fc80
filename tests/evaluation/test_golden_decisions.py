"""Whole decisions, pinned: what intake staff and the Board read, byte for byte.

For every shipped example, ``tests/golden/decisions/examples/`` holds the decision's JSON
(``engage evaluate --format json``) and its text (``engage evaluate``); for every golden case
(``tests/golden/*.yaml``), ``tests/golden/decisions/cases/`` holds each case's complete
decision, as JSON and as text.  So a changed reason, cited paragraph, source, score, condition score, exception
detail or breakdown fails here even where no case asserts it.

When a change is meant, rewrite them with ``pytest tests/evaluation/test_golden_decisions.py
--update-golden`` and have a person review the diff (``git diff tests/golden/decisions``)
before committing it.  A failure shows the diff.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from engine.authoring.cases import load_cases
from engine.evaluation.evaluator import Engine

from ..helpers.clirun import engage
from ..helpers.policy_mutants import case_outputs
from ..helpers.support import ROOT, copy_policy, edit, shipped_engine

AS_OF = "2026-11-24"
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
PINNED = GOLDEN / "decisions"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".yaml", ".json"})
CASE_FILES = sorted(GOLDEN.glob("*.yaml"))


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _compare(path: Path, got: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, "utf-8")
        return
    if not path.exists():
        pytest.fail(f"{_shown(path)} is missing: run with --update-golden and review it", pytrace=False)
    want = path.read_text("utf-8")
    if want != got:
        diff = difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True), _shown(path), "now")
        pytest.fail("the decision changed (review, then --update-golden):\n" + "".join(diff), pytrace=False)


def example_outputs(example: Path, *extra: str) -> tuple[str, str]:
    as_json = engage("evaluate", str(example), "--as-of", AS_OF, "--format", "json", *extra)
    as_text = engage("evaluate", str(example), "--as-of", AS_OF, "--quiet", *extra)
    assert as_json.status == 0 and as_text.status == 0, as_json.stderr + as_text.stderr
    return as_json.stdout, as_text.stdout


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_each_example_decision_is_pinned_whole(example: Path, request: pytest.FixtureRequest) -> None:
    update = bool(request.config.getoption("--update-golden"))
    as_json, as_text = example_outputs(example)
    _compare(PINNED / "examples" / f"{example.stem}.json", as_json, update)
    _compare(PINNED / "examples" / f"{example.stem}.txt", as_text, update)


@pytest.mark.parametrize("cases", CASE_FILES, ids=lambda p: p.stem)
def test_each_golden_case_decision_is_pinned_whole(cases: Path, request: pytest.FixtureRequest) -> None:
    update = bool(request.config.getoption("--update-golden"))
    as_json, as_text = case_outputs(shipped_engine(), load_cases(cases), str(cases))
    _compare(PINNED / "cases" / f"{cases.stem}.json", as_json, update)
    _compare(PINNED / "cases" / f"{cases.stem}.txt", as_text, update)


def test_the_default_cached_engine_gives_the_pinned_case_decisions() -> None:
    # The pinned files come from the engine without reuse; the default engine must give the same bytes.
    engine = Engine.load()
    for cases in CASE_FILES:
        as_json, as_text = case_outputs(engine, load_cases(cases), str(cases))
        assert as_json == (PINNED / "cases" / f"{cases.stem}.json").read_text("utf-8"), cases
        assert as_text == (PINNED / "cases" / f"{cases.stem}.txt").read_text("utf-8"), cases


def test_a_changed_cited_paragraph_fails_against_the_pinned_decisions(tmp_path: Path) -> None:
    # What the mutation review found passing every decision test: 19(b) -> 19(c) in one citation.
    rules, criteria = copy_policy(tmp_path / "policy")
    edit(rules / "country_engagement_strategy.yaml", "para: 19(b)", "para: 19(c)")
    example = EXAMPLES / "05-exception-applied.yaml"
    as_json, as_text = example_outputs(example, "--rules", str(rules), "--criteria", str(criteria))
    pinned = PINNED / "examples" / f"{example.stem}"
    assert as_json != pinned.with_suffix(".json").read_text("utf-8")
    assert "para 19(c)" in as_text and as_text != pinned.with_suffix(".txt").read_text("utf-8")


def test_update_golden_rewrites_a_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    _compare(target, "now\n", update=True)
    assert target.read_text("utf-8") == "now\n"
    shutil.copy(target, tmp_path / "y.txt")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)-now.*\+then"):
        _compare(tmp_path / "y.txt", "then\n", update=False)
