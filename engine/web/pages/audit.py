"""The audit (Board, admin): the decision log's figures and charts, the exception register,
chain verification, and the decisions as CSV or as the whole report.

Figures and charts are those of ``engage report`` (:mod:`engine.report.figures`, :mod:`engine.report.charts`);
the verification is ``engage log verify`` (:func:`engine.log.audit.verify`), chain and replay, run in
the background (:mod:`engine.web.verifying`): the page shows the run going on, and the last result kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from markupsafe import Markup

from ...log.register import RegisterEntry
from ...report.charts import Series, stacked_bars, stacked_columns
from ...report.document import (
    LIST_SHOWN,
    OUTCOME_COLORS,
    STATUS_COLORS,
    ReportData,
    csv_chunks,
    gather_counts,
    report_html,
)
from ...report.figures import Figures, Labels
from ..auth import Session
from ..i18n import DEFAULT
from ..routing import Pages, signed_in, web
from ..views import render, translator

AUDIT_ROLES = ("board", "admin")
EXTRA = "#777777"
REGISTER_SHOWN = 200  # lines of the exception register on the page; the rest in `engage exceptions`


@dataclass(frozen=True)
class RegisterLine:
    entry: RegisterEntry
    days_left: int | None
    state: str  # expired, expiring, in_force, no_date


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def _plus(day: date, days: int) -> date:
    return date.max if (date.max - day).days < days else day + timedelta(days=days)


def _period(request: Request) -> tuple[date | None, date | None]:
    q = request.query_params
    start, end = _day(q.get("from")), _day(q.get("to"))
    if start and end and start > end:
        start, end = end, start
    return start, end


def register_lines(register: list[RegisterEntry], today: date, within: int) -> list[RegisterLine]:
    out = []
    for entry in register:
        left = entry.days_left(today)
        if left is None:
            state = "no_date"
        elif left < 0:
            state = "expired"
        elif left <= within:
            state = "expiring"
        else:
            state = "in_force"
        out.append(RegisterLine(entry, left, state))
    rank = {"expiring": 0, "in_force": 1, "no_date": 2, "expired": 3}
    return sorted(out, key=lambda r: (rank[r.state], r.entry.expires or "", r.entry.request_id))


def charts(figures: Figures, labels: Labels, t_title: Mapping[str, str]) -> dict[str, Markup]:
    """The report's charts as inline SVG (charts.py escapes every text it writes)."""
    series = [Series(o, labels.outcome(o), OUTCOME_COLORS.get(o, EXTRA)) for o in figures.outcomes]
    out = {
        "over_time": stacked_columns(
            t_title["over_time"], [b.label for b in figures.buckets], series, [b.by_outcome for b in figures.buckets]
        ),
        "scores": stacked_columns(
            t_title["scores"],
            [b for b, _ in figures.score_bins],
            [Series("n", t_title["decisions"], "#0b5e8c")],
            [{"n": n} for _, n in figures.score_bins],
        ),
    }
    if figures.regions:
        rows = [(labels.region(r), figures.by_region[r]) for r in figures.regions]
        out["regions"] = stacked_bars(t_title["regions"], rows, series)
    if figures.total:
        status_series = [Series(k, labels.statuses.get(k, k), c) for k, c in STATUS_COLORS.items()]
        rows = [
            (labels.criterion_short(c.name), {"unmet": c.unmet, "partial": c.partial, "unknown": c.unknown})
            for c in figures.conditions
        ]
        out["conditions"] = stacked_bars(t_title["conditions"], rows, status_series, label_width=260)
    return {k: Markup(v) for k, v in out.items()}


def _page(request: Request) -> Response:
    w, t = web(request), translator(request)
    start, end = _period(request)
    soon = _plus(w.config.today(), w.config.expiring_days)
    urgent = (w.config.today().isoformat(), soon.isoformat())
    data: ReportData = gather_counts(w.store, start, end, w.config.today(), shown=REGISTER_SHOWN, urgent=urgent)
    figures = data.figures()
    # The ruleset's words at the end of the period; in another language the policy's words in that language.
    labels = data.labels if data.labels.outcomes and t.lang == DEFAULT else w.labels_in(t)
    today = w.config.today()
    titles = {
        "over_time": t(f"audit.chart_over_time.{figures.granularity}"),
        "scores": t("audit.chart_scores"),
        "decisions": t("audit.decisions"),
        "regions": t("audit.chart_regions"),
        "conditions": t("audit.chart_conditions"),
    }
    series = [(labels.outcome(o), OUTCOME_COLORS.get(o, EXTRA)) for o in figures.outcomes]
    status_series = [(labels.statuses.get(k, k), c) for k, c in STATUS_COLORS.items()]
    query = request.url.query
    lines = register_lines(data.register, today, w.config.expiring_days)
    return render(
        request,
        "audit.html",
        {
            "data": data,
            "figures": figures,
            "labels": labels,
            "charts": charts(figures, labels, titles),
            "outcome_legend": series,
            "status_legend": status_series,
            "register": lines,
            "register_total": data.register_total if data.register_total is not None else len(lines),
            "within": w.config.expiring_days,
            "today": today,
            "running": w.verifications.current(),
            "result": w.verifications.last(),
            "raw_from": request.query_params.get("from", ""),
            "raw_to": request.query_params.get("to", ""),
            "query": ("?" + query) if query else "",
        },
    )


def register(pages: Pages) -> None:
    @pages.get("/audit", roles=AUDIT_ROLES)
    def audit(request: Request) -> Response:
        return _page(request)

    @pages.post("/audit/verify", roles=AUDIT_ROLES)
    def verify_log(request: Request, session: Session = Depends(signed_in)) -> Response:  # noqa: B008
        # In the background: a large log takes minutes; a second click finds the run going on.
        web(request).verifications.start(session.account.name)
        query = request.url.query
        return RedirectResponse(f"/audit{'?' + query if query else ''}#verify", status_code=303)

    @pages.get("/audit/decisions.csv", roles=AUDIT_ROLES)
    def export_csv(request: Request) -> Response:
        store = web(request).store
        # Streamed a thousand rows at a time: a million decisions never sit in memory at once.
        return _download(request, "decisions", "csv", lambda data: csv_chunks(store, data))

    @pages.get("/audit/report.html", roles=AUDIT_ROLES)
    def full_report(request: Request) -> Response:
        lang = translator(request).lang  # the report in the page's language, as engage report --lang writes it
        return _download(
            request, "report", "html", lambda data: iter([report_html(web(request).store, data, lang)]), LIST_SHOWN, lang
        )


def _download(
    request: Request,
    stem: str,
    kind: str,
    make: Callable[[ReportData], Iterator[str]],
    listed: int = 0,
    lang: str | None = None,
) -> Response:
    """A file of the period's decisions, named by its period (``lang``: of the policy's words in it)."""
    start, end = _period(request)
    w = web(request)
    data = gather_counts(w.store, start, end, w.config.today(), shown=LIST_SHOWN, listed=listed, lang=lang)
    name = f"{stem}-{data.date_from.isoformat()}-{data.date_to.isoformat()}.{kind}"
    return StreamingResponse(
        make(data), media_type=f"text/{kind}; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
