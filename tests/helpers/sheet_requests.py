"""Generated requests and their spreadsheet rows, for the spreadsheet tests.

``random_request`` draws a request from a fixed-seed generator, biased so that a few
thousand of them reach every outcome of policy v1; ``to_cells`` writes it as the cells of
an intake row the way a person might (yes/YES/true, real date cells or ISO text, lists
with ``;``), so that reading the row back must give the same request.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from engine.batches.columns import Column
from engine.batches.template import template_columns
from engine.policy.model import Policy

UN_PARTNERS = ("UNDP", "UNICEF", "UN-Women", "UNFPA", "UNHCR")
NAMES = ("Ministry of Justice", "National Assembly", "Supreme Court", "Human rights commission", "Ministry of Interior")
TITLES = ("Human rights indicators", "Training of judges", "Complaints handling: design", "Prison monitoring, phase 2")


def _maybe(rng: random.Random, unknown: float) -> bool:
    return rng.random() >= unknown


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    group, _, name = path.rpartition(".")
    node = data.setdefault(group, {}) if group else data
    node[name] = value


def random_requests(seed: int, count: int, policy: Policy) -> list[dict[str, Any]]:
    """``count`` requests from a generator seeded with ``seed``: the same list every time."""
    rng = random.Random(seed)
    columns = {c.name: c for c in template_columns(policy)}
    return [random_request(rng, number, policy, columns) for number in range(1, count + 1)]


def random_request(rng: random.Random, number: int, policy: Policy, columns: dict[str, Column]) -> dict[str, Any]:
    """One request; about one field in ten is unknown, the rest biased towards engaging."""
    waivable = [c.name for c in policy.criteria if c.waivable]
    data: dict[str, Any] = {
        "id": f"REQ-{number:05d}",
        "received": (date(2026, 1, 1) + timedelta(days=rng.randrange(330))).isoformat(),
    }

    def pick(path: str, unknown: float = 0.1) -> None:
        if _maybe(rng, unknown):
            _put(data, path, rng.choice(columns[path].values or ()))

    def flag(path: str, true: float, unknown: float = 0.08) -> None:
        if _maybe(rng, unknown):
            _put(data, path, rng.random() < true)

    pick("country", 0.2)
    pick("region", 0.3)
    pick("requester.type")
    if _maybe(rng, 0.3):
        _put(data, "requester.name", rng.choice(NAMES))
    flag("requester.government_endorsed", 0.93, 0.03)
    pick("request.kind", 0.05)
    if _maybe(rng, 0.4):
        _put(data, "request.title", rng.choice(TITLES))
    if _maybe(rng, 0.4):
        _put(data, "request.themes", rng.sample(list(columns["request.themes"].values or ()), rng.randint(1, 3)))
    if _maybe(rng, 0.5):
        _put(data, "request.duration_months", rng.randrange(0, 60))
    if _maybe(rng, 0.5):
        _put(data, "request.budget_usd", round(rng.uniform(0, 2_000_000), 2) if rng.random() < 0.5 else rng.randrange(0, 500_000))
    flag("request.funding_only", 0.05, 0.03)
    flag("mandate.restricts_monitoring", 0.05, 0.03)
    flag("mandate.contrary_to_standards", 0.03, 0.03)
    pick("presence.type", 0.06)
    flag("presence.adequately_staffed", 0.8)
    flag("presence.long_term_programming", 0.8)
    pick("strategy.status", 0.06)
    flag("strategy.request_in_strategy", 0.8)
    flag("partnership.government_counterpart", 0.85)
    flag("partnership.civil_society_involved", 0.8)
    flag("partnership.nhri_involved", 0.5, 0.4)
    if _maybe(rng, 0.6):
        _put(data, "partnership.un_partners", rng.sample(UN_PARTNERS, rng.randint(1, 2)))
    for name in (
        "transition_to_democracy",
        "least_developed_country",
        "small_island_developing_state",
        "development_plan_aligned",
    ):
        flag(f"priority.{name}", 0.3, 0.4)
    flag("priority.crisis_driven", 0.2, 0.4)
    if _maybe(rng, 0.6):
        mechanisms = columns["priority.recommendations"].values or ()
        recs = []
        for i in range(rng.randint(1, 3)):
            rec = {"mechanism": rng.choice(mechanisms)}
            if rng.random() < 0.7:
                rec["reference"] = f"A/HRC/{40 + i}/{rng.randrange(1, 99)} para {rng.randrange(1, 150)}"
            recs.append(rec)
        _put(data, "priority.recommendations", recs)
    flag("expertise_available", 0.5, 0.2)
    if rng.random() < 0.3:
        exception: dict[str, Any] = {"waives": rng.sample(waivable, rng.randint(1, len(waivable)))}
        if rng.random() < 0.85:
            exception["justification"] = "The regional office will manage the work until a presence is agreed;\nsee the note."
        if rng.random() < 0.9:
            exception["requested_by"] = "Chief, Asia-Pacific Section"
        if rng.random() < 0.75:
            exception["approved_by"] = "Director, Field Operations"
        if rng.random() < 0.9:
            exception["expires"] = (date(2026, 6, 1) + timedelta(days=rng.randrange(400))).isoformat()
        data["exception"] = exception
    return data


def _lookup(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def to_cells(request: dict[str, Any], columns: Sequence[Column], rng: random.Random, *, xlsx: bool) -> list[Any]:
    """The cells of one intake row holding ``request``, written in the varied ways people write them."""
    out: list[Any] = []
    for column in columns:
        value = _lookup(request, column.name)
        if value is None:
            out.append(rng.choice((None, "", "  ")) if not xlsx else None)
            continue
        if column.kind == "bool":
            words = ("yes", "Yes", "YES", "true", "TRUE") if value else ("no", "No", "NO", "false", "False")
            out.append(value if xlsx and rng.random() < 0.2 else rng.choice(words))
        elif column.kind == "date":
            out.append(date.fromisoformat(value) if xlsx and rng.random() < 0.5 else value)
        elif column.kind == "list":
            out.append(rng.choice(("; ", ";", " ; ")).join(value))
        elif column.kind == "records":
            parts = [f"{r['mechanism']}:{r['reference']}" if "reference" in r else r["mechanism"] for r in value]
            out.append("; ".join(parts))
        elif column.kind in ("integer", "number"):
            out.append(value if xlsx or rng.random() < 0.5 else str(value))
        else:
            out.append(value)
    return out
