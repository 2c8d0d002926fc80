"""Every one-change mutant of the shipped policy must change a pinned decision or fail a case.

The mutation review of issue 14 changed one thing at a time in ``rules/`` and ``criteria/``
(a cited paragraph, a source, a quoted field, a score, a reason's wording) and 10 of 49
changes passed every decision test.  Here :mod:`tests.helpers.policy_mutants` makes such
changes systematically, and each must be noticed by the examples' pinned decisions (JSON
and text), the golden cases' pinned decisions, the golden cases or the authors' cases
(``engage test``).  A change nothing notices fails this test with its description, unless
:data:`EQUIVALENT` says why no decision can show it.

The run loads one engine per mutant, in this process; ``docs/mutation.md`` gives the score.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import Counter
from pathlib import Path

import pytest

from engine.authoring.cases import load_cases
from engine.evaluation.evaluator import Engine
from engine.policy.documents import load_file

from ..helpers.policy_mutants import PINNED, Mutant, Pinned, case_outputs, example_files, example_outputs, mutants, write_policy
from ..helpers.support import ROOT

# Mutants of rules/ that no request can tell from the shipped policy, by name, with the reason.
# A name listed here that is no longer generated, or that is now caught, fails the test.
EQUIVALENT: dict[str, str] = {
    "rules/exception.yaml rules[0].reason.en: reason.wording: last word of 'request asks for no exception.' dropped": (
        "exception.absent's reason is never shown: a decision without an exception lists none "
        "(engine/evaluation/reasons.py leaves out the absent exception's rule)"
    ),
    "rules/exception.yaml rules[0].cite[0].para: cite.para: 23 -> 22": "exception.absent's citation is never shown (as above)",
    "rules/exception.yaml rules[0].cite[0].source: cite.source: E/CN.4/2006/104 -> CHR-res-1999/73": (
        "exception.absent's citation is never shown (as above)"
    ),
    "rules/outcome.yaml rules[0]: outcome.order: lines 1 and 2 swapped": (
        "line 1 needs the mandate unmet, line 2 needs it unknown: no request meets both, so their order cannot show"
    ),
    "rules/outcome.yaml rules[3]: outcome.order: lines 4 and 5 swapped": (
        "line 4 needs a condition unknown, line 5 needs (b), (c) and (d) all met: no request meets both"
    ),
    "rules/outcome.yaml rules[7].when.any[1].all[1].in: when.operand: presence.type in: none added": (
        "line 8 also needs presence partial, and 'none' makes presence unmet (presence.none): the added value never matches"
    ),
}

# Parts of criteria/ that no decision shows (neither its JSON nor its text), each with where
# it is read instead.  A clause that no longer matches a surviving mutant fails the test.
_NEVER_ASKED = {  # fields no rule reads, so a decision never asks for them (missing, could_change)
    "id", "received", "country", "region", "requester.type", "requester.name", "request.title", "request.themes",
    "request.duration_months", "request.budget_usd", "partnership.nhri_involved", "partnership.un_partners",
    "priority.transition_to_democracy", "priority.least_developed_country", "priority.small_island_developing_state",
    "priority.development_plan_aligned", "priority.crisis_driven", "priority.recommendations",
}  # fmt: skip
_CONDITIONS = ("country_engagement_strategy", "in_country_presence", "mandate_integrity", "partnership")


def _outside_decisions(m: Mutant) -> str | None:
    """Why a decision cannot show the mutant's change, or None."""
    if m.file in {f"criteria/{c}.yaml" for c in _CONDITIONS}:
        if m.kind == "criterion.title":
            return "a condition's title is read by the Board report's figures and the web pages; decisions use its label"
        if m.where[:1] == ("cite",):
            return "a condition's own citations are read by the Rules page and explain; decisions cite the rules that fired"
    if (
        m.file == "criteria/priority.yaml"
        and m.where[:1] == ("factors",)
        and (m.kind == "score.factor_label" or "cite" in m.where)
    ):
        return "a factor's label and citations describe it on the Rules page; a decision's breakdown names the factor by id"
    if m.kind == "vocabulary.label" and m.where[0] in ("statuses", "themes", "regions", "mechanisms"):
        return "these labels are for the web form, the template and the report; decisions show the codes"
    if m.kind == "field.label":
        return "a field's label heads the template's column and the web form's input; decisions name fields by path"
    if m.kind in ("field.question", "field.answered_by"):
        field = _get_field(m)
        if field in _NEVER_ASKED:
            return "no rule reads this field, so no decision asks for it"
        if field.startswith("exception."):
            return "an exception with a field missing is invalid, not unknown: no decision asks for it"
    return None


def _get_field(m: Mutant) -> str:
    return str(m.change.split(":", 1)[0])


# Kinds where every mutant runs; of the others a fixed share, chosen by the hash of the name,
# so that the run stays within a minute or two on a loaded machine.  ENGAGE_MUTANTS=all runs all.
EVERY_ONE = {"cite.para", "reason.quote", "outcome.order"}
SHARE = 1.0 if os.environ.get("ENGAGE_MUTANTS") == "all" else 0.2


def sample(generated: list[Mutant]) -> list[Mutant]:
    """Every mutant of the kinds in EVERY_ONE; of each other kind SHARE of them (at least one), by hash of the name."""
    by_kind: dict[str, list[Mutant]] = {}
    for mutant in generated:
        by_kind.setdefault(mutant.kind, []).append(mutant)
    keep: set[str] = set()
    for kind, group in by_kind.items():
        ranked = sorted(group, key=lambda m: hashlib.sha256(m.name.encode()).hexdigest())
        count = len(group) if kind in EVERY_ONE else max(1, math.ceil(SHARE * len(group)))
        keep.update(m.name for m in ranked[:count])
    return [m for m in generated if m.name in keep]


@pytest.fixture(scope="module")
def generated() -> list[Mutant]:
    return mutants()


def test_the_in_process_outputs_are_the_pinned_bytes() -> None:
    # The mutants are judged in-process; this is what makes that judgement the CLI's (hash included).
    engine = Engine.load(ROOT / "rules", ROOT / "criteria")
    for example in example_files():
        as_json, as_text = example_outputs(engine, example)
        assert as_json == (PINNED / "examples" / f"{example.stem}.json").read_text("utf-8"), example
        assert as_text == (PINNED / "examples" / f"{example.stem}.txt").read_text("utf-8"), example
    for cases in sorted((ROOT / "tests" / "golden").glob("*.yaml")):
        as_json, as_text = case_outputs(engine, load_cases(cases), str(cases))
        assert as_json == (PINNED / "cases" / f"{cases.stem}.json").read_text("utf-8"), cases
        assert as_text == (PINNED / "cases" / f"{cases.stem}.txt").read_text("utf-8"), cases


def test_the_shipped_policy_passes_every_check() -> None:
    assert Pinned().caught_by(ROOT / "rules", ROOT / "criteria") is None


def test_every_cited_paragraph_and_source_gets_a_mutant(generated: list[Mutant]) -> None:
    cited: set[tuple[str, tuple[str | int, ...]]] = set()
    for folder in ("rules", "criteria"):
        for path in sorted((ROOT / folder).glob("*.yaml")):
            data = load_file(path)[0].data
            cited.update((f"{folder}/{path.name}", at) for at in _cite_places(data, ()))
    paras = {(m.file, m.where[:-1]) for m in generated if m.kind == "cite.para"}
    sources = {(m.file, m.where[:-1]) for m in generated if m.kind == "cite.source"}
    with_para = {c for c in cited if "para" in _at(c)}
    assert with_para and with_para <= paras
    assert cited <= sources


def _cite_places(node: object, at: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cite":
                found.extend(at + (key, i) for i in range(len(value)))
            else:
                found.extend(_cite_places(value, at + (key,)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_cite_places(value, at + (i,)))
    return found


def _at(place: tuple[str, tuple[str | int, ...]]) -> dict[str, object]:
    data: object = load_file(ROOT / place[0])[0].data
    for part in place[1]:
        data = data[part]  # type: ignore[index]
    return data  # type: ignore[return-value]


def test_every_kind_of_change_is_made(generated: list[Mutant]) -> None:
    kinds = Counter(m.kind for m in generated)
    for kind in (
        "cite.para", "cite.source", "cite.dropped", "reason.wording", "reason.quote", "sets.status", "sets.outcome",
        "sets.exception", "sets.covers", "sets.exception_decision", "when.operand", "when.operator", "when.joint",
        "when.dropped", "outcome.order", "score.condition_points", "score.factor_points", "score.outcome_score",
        "score.range", "vocabulary.status_score", "vocabulary.label", "criterion.letter", "criterion.waivable",
        "field.label", "field.question", "field.answered_by", "source.url",
    ):  # fmt: skip
        assert kinds[kind] > 0, kind
    assert {m.name for m in sample(generated)} >= {m.name for m in generated if m.kind in EVERY_ONE}


def test_every_policy_mutant_is_caught(generated: list[Mutant], tmp_path: Path) -> None:
    pinned = Pinned()
    chosen = sample(generated)
    assert {m.kind for m in chosen} == {m.kind for m in generated}  # the sample keeps every kind
    survivors: list[str] = []
    caught: list[str] = []
    used: set[str] = set()
    killed = 0
    for mutant in chosen:
        outside = _outside_decisions(mutant)
        if outside is not None and SHARE < 1.0:
            continue  # no check reads it, so running it could not fail this test; the full run counts them
        rules, criteria = write_policy(mutant, tmp_path / "policy")
        by = pinned.caught_by(rules, criteria)
        if by is not None:
            killed += 1
            if mutant.name in EQUIVALENT:
                caught.append(mutant.name)
        elif outside is not None:
            used.add(outside)
        elif mutant.name not in EQUIVALENT:
            survivors.append(mutant.name)
    equivalent = len(chosen) - killed - len(survivors)  # with the sample: also those outside decisions, not run
    print(f"policy mutants: {killed} of {len(chosen)} caught, {equivalent} equivalent, {len(survivors)} survived")
    assert not survivors, f"{len(survivors)} of {len(chosen)} policy mutants changed no pinned decision:\n" + "\n".join(survivors)
    assert not caught, "listed as equivalent but now caught (remove them from EQUIVALENT):\n" + "\n".join(caught)
    names = {m.name for m in generated}
    assert not [n for n in EQUIVALENT if n not in names], "EQUIVALENT names a mutant that is no longer generated"
    if SHARE == 1.0:  # every clause of _outside_decisions still describes some mutant
        assert len(used) == 7, used
