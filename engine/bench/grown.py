"""Policies grown from version 1, for the benchmark of the authors' tools and their tests.

A grown policy is the shipped one with, at growth ``factor`` (1 to 10, the number of rules
relative to version 1):

* ``lines`` more outcome lines (10 at factor 10), each with four field tests on fields
  version 1 does not read (``request.kind``, two bounds on ``request.duration_months``, one
  yes/no priority), inserted before the last line; their duration ranges do not overlap,
  so every line decides for some request;
* condition rules up to ``factor`` times the rules of version 1: refinements of the shipped
  rules, each the shipped condition and one more test on another unread field
  (``request.budget_usd``, ``request.duration_months``, ``region``, the priorities), with the
  shipped rule's effect.  A refinement fires only where its rule fires, so it adds neither
  a conflict nor a gap: a grown policy lints clean, and any finding on it was planted.

The growth reads more fields and more constants, which is what made the enumeration's cost
(the product of the domains) explode.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from ..policy.shipped import shipped_dir

V1_RULES = 42
BOOLS = (
    "priority.transition_to_democracy",
    "priority.least_developed_country",
    "priority.small_island_developing_state",
    "priority.development_plan_aligned",
    "partnership.nhri_involved",
)
REGIONS = ("africa", "arab", "asia_pacific", "europe_north_america", "latin_america_caribbean", "global")
LAST_LINE = "  - id: outcome.consider_in_strategy\n"


def grown_lines(factor: int) -> int:
    """The outcome lines added at ``factor``: 10 at factor 10 (40 more field tests), none at 1."""
    return round(10 * (factor - 1) / 9)


def _line(j: int) -> str:
    flag = BOOLS[j % len(BOOLS)]
    outcome = "assess_needs" if j % 2 else "request_information"
    return (
        f"  - id: outcome.grown_{j}\n"
        f"    description: {{en: Grown line {j}., fr: Ligne ajoutée {j}., es: Línea añadida {j}.}}\n"
        "    when:\n      all:\n"
        "        - {field: request.kind, equals: training}\n"
        f"        - {{field: request.duration_months, gt: {6 * (j - 1)}}}\n"
        f"        - {{field: request.duration_months, le: {6 * j}}}\n"
        f"        - {{field: {flag}, equals: true}}\n"
        f"    outcome: {outcome}\n"
        # in each language the shipped policy declares, so that a grown policy lints as clean as the shipped one
        f"    reason: {{en: Grown line {j} of the benchmark., fr: Ligne {j} ajoutée pour le banc d'essai.,"
        f" es: Línea {j} añadida para la prueba.}}\n"
        "    cite:\n      - {source: E/CN.4/2006/104, para: '21'}\n\n"
    )


def _extra_test(k: int) -> dict[str, Any]:
    """The ``k``-th test a refinement adds: each kind of field in turn, with its own constant."""
    kind = k % 4
    if kind == 0:
        return {"field": "request.budget_usd", "ge": 1000 * (k + 1)}
    if kind == 1:
        return {"field": "request.duration_months", "lt": 2 + k}
    if kind == 2:
        return {"field": "region", "equals": REGIONS[k % len(REGIONS)]}
    return {"field": BOOLS[k % len(BOOLS)], "equals": k % 8 != 3}


def grow(target: Path, factor: int) -> tuple[Path, Path]:
    """Write the policy grown by ``factor`` under ``target``; returns its rules and criteria directories."""
    if not 1 <= factor <= 10:
        raise ValueError("factor is 1 to 10")
    rules, criteria = target / "rules", target / "criteria"
    shutil.copytree(shipped_dir("criteria"), criteria, ignore=shutil.ignore_patterns("tests"))
    rules.mkdir(parents=True)
    for file in sorted(shipped_dir("rules").glob("*.yaml")):
        shutil.copyfile(file, rules / file.name)
    lines = grown_lines(factor)
    outcome = (rules / "outcome.yaml").read_text("utf-8")
    if lines:
        outcome = outcome.replace(LAST_LINE, "".join(_line(j) for j in range(1, lines + 1)) + LAST_LINE)
        (rules / "outcome.yaml").write_text(outcome, "utf-8")
    refinements = V1_RULES * factor - V1_RULES - lines
    files = sorted(p for p in rules.glob("*.yaml") if p.name not in ("outcome.yaml", "exception.yaml"))
    docs = [yaml.safe_load(p.read_text("utf-8")) for p in files]
    grown: list[list[dict[str, Any]]] = [[] for _ in docs]
    for k in range(refinements):
        which = k % len(docs)
        base_rules = docs[which]["rules"]
        base = base_rules[(k // len(docs)) % len(base_rules)]
        grown[which].append(
            {
                "id": f"{base['id']}.grown_{k}",
                "when": {"all": [base["when"], _extra_test(k)]},
                "status": base["status"],
                "reason": base["reason"],
                "cite": base["cite"],
            }
        )
    for doc, added in zip(docs, grown, strict=True):
        if added:
            out = {"stage": "condition", "criterion": doc["criterion"], "rules": added}
            (rules / f"grown_{doc['criterion']}.yaml").write_text(yaml.safe_dump(out, sort_keys=False), "utf-8")
    return rules, criteria
