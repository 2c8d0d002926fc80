"""The decision text and the batch summary, rendered in the test's own process.

The pinned text of every example (``tests/golden/decisions/examples/*.txt``, reviewed by a
person) is compared whole with :func:`render_decision`'s output, so a changed line, label,
wrap or citation fails here quickly; the summary line's every part is spelled out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.authoring.cases import load_cases
from engine.evaluation.render import render_decision, render_summary, spreadsheet_text
from engine.policy.documents import load_file

from ..helpers.policy_mutants import case_outputs
from ..helpers.support import ROOT, shipped_engine

GOLDEN = ROOT / "tests" / "golden"
PINNED = GOLDEN / "decisions" / "examples"
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in {".yaml", ".json"})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_renders_as_its_pinned_text(example: Path) -> None:
    engine = shipped_engine()
    texts = []
    for doc in load_file(example):
        decision = engine.evaluate(doc.data, date(2026, 11, 24))
        texts.append(render_decision(decision, engine.policy, doc.data))
    assert "\n\n".join(texts) + "\n" == (PINNED / f"{example.stem}.txt").read_text("utf-8")


@pytest.mark.parametrize("cases", sorted(GOLDEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_golden_case_renders_as_its_pinned_text(cases: Path) -> None:
    # Exceptions, questions, what could change the outcome, titles: the cases hold what the examples lack.
    text = case_outputs(shipped_engine(), load_cases(cases), str(cases))[1]
    assert text == (GOLDEN / "decisions" / "cases" / f"{cases.stem}.txt").read_text("utf-8")


def test_the_summary_names_each_outcome_in_the_vocabularys_order_and_each_problem() -> None:
    policy = shipped_engine().policy
    outcomes = {"decline": 1, "engage": 2, "advisory_only": 0}
    assert render_summary({}, 0, policy) == "0 evaluated"
    assert render_summary(outcomes, 0, policy) == "3 evaluated: 2 engage, 1 decline"
    assert render_summary(outcomes, 2, policy) == "3 evaluated: 2 engage, 1 decline; 2 invalid (see the messages above)"
    assert render_summary({}, 0, policy, unread=1) == "0 evaluated; 1 file not read (see the messages above)"
    assert render_summary({}, 1, policy, 2, 3) == (
        "0 evaluated; 1 invalid, 2 files not read, 3 files without requests (see the messages above)"
    )
    assert render_summary({}, 0, policy, empty=1) == "0 evaluated; 1 file without requests (see the messages above)"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_is_quoted(start: str) -> None:
    assert spreadsheet_text(f"{start}1+1") == f"'{start}1+1"
    assert spreadsheet_text(f"a{start}1") == f"a{start}1"


def test_a_decision_rendered_without_its_request_has_no_title_line() -> None:
    engine = shipped_engine()
    example = ROOT / "examples" / "05-exception-applied.yaml"
    decision = engine.evaluate(load_file(example)[0].data, date(2026, 11, 24))
    pinned = (PINNED / "05-exception-applied.txt").read_text("utf-8").splitlines()
    assert render_decision(decision, engine.policy).splitlines() == [pinned[0], *pinned[2:]]
