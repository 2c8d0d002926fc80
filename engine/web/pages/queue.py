"""The queue: every request in the decision log, grouped by outcome, highest priority first.

Filters (region, country, outcome, evaluation dates) are the same as ``engage log list``;
each line shows the human decision when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request, Response

from ...log.logview import Entry, entries
from ..present import country_names
from ..routing import Pages, web
from ..views import render, translator

QUEUE_ROLES = ("intake", "board")
MAX_PER_GROUP = 500


@dataclass(frozen=True)
class Line:
    entry: Entry
    title: str
    requester: str


@dataclass(frozen=True)
class QueueGroup:
    outcome: str
    lines: tuple[Line, ...]
    total: int


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def _line(entry: Entry) -> Line:
    data: Any = entry.record.request_data()
    data = data if isinstance(data, dict) else {}
    request = data.get("request") or {}
    requester = data.get("requester") or {}
    return Line(entry, str(request.get("title") or ""), str(requester.get("name") or ""))


def register(pages: Pages) -> None:
    @pages.get("/queue", roles=QUEUE_ROLES)
    def queue(request: Request) -> Response:
        w = web(request)
        q = request.query_params
        outcome, region = q.get("outcome") or None, q.get("region") or None
        country = (q.get("country") or "").upper() or None
        human = q.get("human") or None
        with w.store.reading() as conn:
            found = entries(
                w.store,
                conn,
                date_from=_day(q.get("from")),
                date_to=_day(q.get("to")),
                outcome=outcome,
                country=country,
                region=region,
            )
            every = entries(w.store, conn)
        if human == "awaiting":
            found = [e for e in found if e.human is None]
        elif human == "decided":
            found = [e for e in found if e.human is not None]
        order = list(w.engine.policy.vocab.outcomes)
        order += sorted({e.outcome for e in found} - set(order))
        groups = []
        for outcome in order:
            inside = sorted((e for e in found if e.outcome == outcome), key=lambda e: (-e.priority_score, e.as_of, e.seq))
            if inside:
                groups.append(QueueGroup(outcome, tuple(_line(e) for e in inside[:MAX_PER_GROUP]), len(inside)))
        names = country_names(translator(request).lang)  # the filter lists countries by name, in the page's language
        countries = sorted({e.country for e in every if e.country}, key=lambda c: ((names.get(c) or c).casefold(), c))
        regions = [r for r in w.engine.policy.vocab.regions if any(e.region == r for e in every)]
        return render(
            request,
            "queue.html",
            {
                "groups": groups,
                "total": len(found),
                "raw": {k: q.get(k, "") for k in ("outcome", "region", "country", "from", "to", "human")},
                "outcomes": order,
                "regions": regions,
                "countries": countries,
                "max_per_group": MAX_PER_GROUP,
                "policy": w.engine.policy,
            },
        )
