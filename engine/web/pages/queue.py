"""The queue: every request in the decision log, grouped by outcome, highest priority first.

Filters (region, country, outcome, evaluation dates, human decision) are those of
``engage log list``, applied in SQL to ``log_entries``; each group shows a page of
``PAGE_SIZE`` lines with "next" and "previous" links (keyset pagination: a cursor of the
last line's sort key, so a deep page costs what the first does), and its count comes from
one ``GROUP BY``.  Without an outcome filter each group shows its first page and links to
the rest of that group; with one, the page is that group's, at the cursor.

Each line also shows how long the request has waited for the requester's answer since
information was first requested on its decision in force (one ``GROUP BY`` over the page's
lines: :func:`engine.log.inforequests.first_requested`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from ...log.inforequests import first_requested
from ...log.listing import AWAITING, DECIDED, PAGE_SIZE, Cursor, Filters, counts_by_outcome, distinct_values, queue_page
from ...log.logview import Entry
from ..present import country_names
from ..routing import Pages, web
from ..views import render, translator

QUEUE_ROLES = ("intake", "board")
FILTERS = ("outcome", "region", "country", "from", "to", "human")


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
    next_href: str | None = None
    previous_href: str | None = None


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


def _href(raw: dict[str, str], outcome: str, key: str, cursor: Cursor) -> str:
    query = {k: v for k, v in raw.items() if v and k != "outcome"}
    return "/queue?" + urlencode({"outcome": outcome, **query, key: cursor.text()})


def register(pages: Pages) -> None:
    @pages.get("/queue", roles=QUEUE_ROLES)
    def queue(request: Request) -> Response:
        w = web(request)
        q = request.query_params
        raw = {k: q.get(k, "") for k in FILTERS}
        human = q.get("human")
        filters = Filters(
            date_from=_day(q.get("from")),
            date_to=_day(q.get("to")),
            outcome=q.get("outcome") or None,
            country=(q.get("country") or "").upper() or None,
            region=q.get("region") or None,
            human=human if human in (AWAITING, DECIDED) else None,
        )
        after, before = Cursor.parse(q.get("after")), Cursor.parse(q.get("before"))
        groups = []
        today = w.config.today()
        with w.store.reading() as conn:
            counts = counts_by_outcome(conn, filters)
            order = list(w.engine.policy.vocab.outcomes)
            order += sorted(set(counts) - set(order))
            for outcome in order:
                if not counts.get(outcome):
                    continue
                here = Filters(**{**filters.__dict__, "outcome": outcome})
                at = filters.outcome == outcome
                page = queue_page(conn, here, after=after if at else None, before=before if at else None)
                asked = first_requested(conn, [e.seq for e in page.entries])
                groups.append(
                    QueueGroup(
                        outcome,
                        tuple(_line(e, asked.get(e.seq), today) for e in page.entries),
                        counts[outcome],
                        None if page.next is None else _href(raw, outcome, "after", page.next),
                        None if page.previous is None else _href(raw, outcome, "before", page.previous),
                    )
                )
            present_countries = distinct_values(conn, "country")
            present_regions = set(distinct_values(conn, "region"))
        names = country_names(translator(request).lang)  # the filter lists countries by name, in the page's language
        countries = sorted(present_countries, key=lambda c: ((names.get(c) or c).casefold(), c))
        regions = [r for r in w.engine.policy.vocab.regions if r in present_regions]
        return render(
            request,
            "queue.html",
            {
                "groups": groups,
                "total": sum(counts.values()),
                "raw": raw,
                "outcomes": order,
                "regions": regions,
                "countries": countries,
                "page_size": PAGE_SIZE,
                "policy": w.engine.policy,
            },
        )
