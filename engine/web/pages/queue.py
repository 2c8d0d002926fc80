"""The queue: every request in the decision log, grouped by outcome, highest priority first.

Filters (region, country, outcome, evaluation dates) are the same as ``engage log list``;
each line shows the human decision when there is one, and how long the request has waited for
the requester's answer since information was first requested on its decision in force (one
``GROUP BY`` in the database: :func:`engine.log.inforequests.first_requested`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request, Response

from ...log.inforequests import first_requested
from ...log.logview import Entry, entries
from ..present import country_names
from ..routing import Pages, web
from ..views import render

QUEUE_ROLES = ("intake", "board")
MAX_PER_GROUP = 500


@dataclass(frozen=True)
class Line:
    entry: Entry
    title: str
    requester: str
    asked_on: date | None = None  # the day information was first requested from the requester
    waiting_days: int | None = None  # days since then, to today


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


def _line(entry: Entry, asked: str | None, today: date) -> Line:
    data: Any = entry.record.request_data()
    data = data if isinstance(data, dict) else {}
    request = data.get("request") or {}
    requester = data.get("requester") or {}
    day = _day(asked[:10]) if asked else None
    waited = None if day is None else max((today - day).days, 0)
    return Line(entry, str(request.get("title") or ""), str(requester.get("name") or ""), day, waited)


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
            asked = first_requested(conn, [e.seq for e in found])
        if human == "awaiting":
            found = [e for e in found if e.human is None]
        elif human == "decided":
            found = [e for e in found if e.human is not None]
        today = w.config.today()
        order = list(w.engine.policy.vocab.outcomes)
        order += sorted({e.outcome for e in found} - set(order))
        groups = []
        for outcome in order:
            inside = sorted((e for e in found if e.outcome == outcome), key=lambda e: (-e.priority_score, e.as_of, e.seq))
            if inside:
                lines = tuple(_line(e, asked.get(e.seq), today) for e in inside[:MAX_PER_GROUP])
                groups.append(QueueGroup(outcome, lines, len(inside)))
        names = country_names()  # the filter lists countries as people look for them: by name
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
