"""The Board's audit report: one self-contained HTML file (inline CSS and SVG, nothing fetched), or CSV.

The HTML reads on screen and prints on A4.  Every figure sits in a table cell with a
``data-figure`` attribute naming it, so tools (and the tests) read figures from the HTML
without scraping prose.  Same log, same period: the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any, TextIO

import sqlalchemy as sa

from ..evaluation.render import spreadsheet_text
from ..i18n.catalogues import translations
from ..i18n.formats import format_date, format_decimal, format_percent
from ..log.logview import Entry, HumanDecision, entries, superseded
from ..log.register import RegisterEntry, build_register
from ..log.releases import Releases, read_releases
from ..log.rulesets import load_stored
from ..log.store import LogStore, records
from .charts import Series, lines, stacked_bars, stacked_columns
from .figures import Figures, Labels, compute, register_in_period

OUTCOME_COLORS = {
    "engage": "#009E73",
    "respond_ad_hoc": "#56B4E9",
    "assess_needs": "#0072B2",
    "consider_in_strategy": "#CC79A7",
    "exception_review": "#E69F00",
    "request_information": "#B8A200",
    "decline": "#D55E00",
}
EXTRA_COLORS = ("#777777", "#999933", "#882255", "#44AA99")
STATUS_COLORS = {"unmet": "#D55E00", "partial": "#E69F00", "unknown": "#999999"}


@dataclass(frozen=True)
class LogInfo:
    """What the report says about the log it came from."""

    where: str
    records: int
    head_seq: int
    head_hash: str
    chain_ok: bool | None  # None: not checked
    chain_problems: tuple[str, ...] = ()


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}"


def _outcome_series(figures: Figures, labels: Labels) -> list[Series]:
    out = []
    extra = iter(EXTRA_COLORS * 4)
    for code in figures.outcomes:
        out.append(Series(code, labels.outcome(code), OUTCOME_COLORS.get(code) or next(extra)))
    return out


def _legend(series: Sequence[Series]) -> str:
    items = "".join(f'<li><span class="swatch" style="background:{s.color}"></span>{escape(s.label)}</li>' for s in series)
    return f'<ul class="legend">{items}</ul>'


def _fig(name: str, value: str) -> str:
    return f'<td class="num" data-figure="{escape(name)}">{escape(value)}</td>'


CSS = """
@page { size: A4; margin: 14mm 13mm 16mm 13mm; }
* { box-sizing: border-box; }
html { background: #eceff1; }
body { font: 10.5pt/1.45 Helvetica, Arial, sans-serif; color: #1d1d1d; background: #fff;
       max-width: 210mm; margin: 0 auto; padding: 14mm 13mm; }
h1 { font-size: 19pt; margin: 0 0 2mm; color: #0b3d5c; }
h2 { font-size: 13.5pt; margin: 9mm 0 2.5mm; color: #0b3d5c; border-bottom: 1.5pt solid #0b3d5c; padding-bottom: 1mm; }
h3 { font-size: 11pt; margin: 5mm 0 1.5mm; }
p { margin: 1.5mm 0; }
.meta { color: #444; font-size: 9.5pt; }
.meta code, .hash { font-size: 8pt; word-break: break-all; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; margin: 5mm 0; }
.card { border: 1pt solid #c9d3da; border-radius: 2mm; padding: 2.5mm 3mm; }
.card .value { font-size: 17pt; font-weight: bold; color: #0b3d5c; }
.card .what { font-size: 8.5pt; color: #444; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 9pt; }
th, td { border-bottom: 0.6pt solid #cfd6db; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eef2f5; font-weight: bold; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num, .id { white-space: nowrap; }
table.matrix { table-layout: fixed; font-size: 8.5pt; }
table.matrix th:first-child { width: 24%; }
table.matrix th { font-size: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.legend { list-style: none; padding: 0; margin: 1mm 0 2mm; font-size: 8.5pt; display: flex; flex-wrap: wrap; gap: 1mm 4mm; }
.legend .swatch { display: inline-block; width: 3mm; height: 3mm; margin-right: 1.2mm; vertical-align: -0.3mm; }
figure { margin: 2mm 0 3mm; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 8.5pt; color: #555; }
.ok { color: #0a6b3b; font-weight: bold; }
.bad { color: #b00020; font-weight: bold; }
.decision { border-top: 0.6pt solid #cfd6db; padding: 2mm 0; break-inside: avoid; page-break-inside: avoid; }
.decision h3 { margin: 0 0 1mm; font-size: 10.5pt; }
.decision ul { margin: 0.5mm 0 1mm 5mm; padding: 0; font-size: 9pt; }
.cite { color: #555; font-size: 8.5pt; }
.who { color: #555; font-size: 8pt; margin-top: 0.5mm; }
table.register th:nth-child(5) { width: 44%; }
table.register td:nth-child(2) { min-width: 24mm; }
.small { font-size: 8.5pt; }
/* Underlined: a link in a line of text must not be told apart by its colour alone (WCAG 1.4.1). */
a { color: #0b5e8c; text-decoration: underline; }
.pagebreak { break-before: page; page-break-before: always; }
.print-choice { background: #eef2f5; border-radius: 1.5mm; padding: 1.5mm 3mm; font-size: 9.5pt; }
.print-only { display: none; }
@media print {
  html { background: #fff; }
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; }
  .no-print { display: none; }
  /* Section 8 runs to about a page per three decisions: on paper only when asked for. */
  body:not(:has(#print-reasons:checked)) #reasons { display: none; }
  body:not(:has(#print-reasons:checked)) .print-only { display: block; }
}
"""


@dataclass(frozen=True)
class ReleaseUse:
    """A release in force on some day of the period, its approval, and the decisions of the period it made."""

    number: int
    effective_from: str
    author: str
    approved_by: str
    approved_at: str
    justification: str
    decisions: int


def releases_in_period(found: Releases, chosen: Sequence[Entry], start: date, end: date) -> tuple[ReleaseUse, ...]:
    """The release in force on the first day and each that came into force later in the period, oldest first."""
    made: dict[object, int] = {}
    for e in chosen:
        key = e.record.info.get("release")
        made[key] = made.get(key, 0) + 1
    return releases_made(found, made, start, end)


def releases_made(found: Releases, made: Mapping[object, int], start: date, end: date) -> tuple[ReleaseUse, ...]:
    """:func:`releases_in_period`, given how many of the period's decisions each release number made."""
    days = [start] + [
        r.effective_from for r in found if r.approved and r.effective_from is not None and start < r.effective_from <= end
    ]
    in_force = {r.number: r for r in (found.in_force(day) for day in days) if r is not None}
    rows = []
    for _, release in sorted(in_force.items()):
        approval = release.approval
        rows.append(
            ReleaseUse(
                release.number,
                release.effective_text(),
                release.author,
                "" if approval is None else approval.by,
                "" if approval is None else approval.at[:10],
                "" if approval is None or approval.step == "adopted" else (approval.text or ""),
                made.get(release.number, 0),
            )
        )
    return tuple(rows)


def render_html(
    figures: Figures,
    entries: Sequence[Entry],
    register: Sequence[RegisterEntry],
    labels: Labels,
    log: LogInfo,
    releases: Sequence[ReleaseUse] = (),
    lang: str | None = None,
    entries_total: int | None = None,
    register_total: int | None = None,
) -> str:
    """The report as one HTML document, in ``lang`` (default English; the policy's words come with ``labels``).

    ``entries``: the decisions listed in sections 7 and 8; ``entries_total``: how many the period
    holds, when only the first of them are listed (the CSV has every one).  The exception register
    and the departures are cut at ``LIST_SHOWN`` the same way, so that the document stays printable.
    """
    t = _Words(lang)
    total_entries = len(entries) if entries_total is None else entries_total

    def T(text: str, **values: Any) -> str:  # a marker of translated text
        return escape(t(text, **values), quote=False)  # text, never an attribute: quotes stay as written

    series = _outcome_series(figures, labels)
    period = t("{start} to {end}", start=t.date(figures.date_from), end=t.date(figures.date_to))
    per = t(figures.granularity)
    _pct = t.pct
    _num = t.num
    parts: list[str] = []
    add = parts.append
    add("<!DOCTYPE html>")
    add(f'<html lang="{t.lang}"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{T('Engage: decisions from {period}', period=period)}</title>")
    add(f"<style>{CSS}</style></head><body>")
    add("<header>")
    add(f"<h1>{T('Technical cooperation requests: how they were decided')}</h1>")
    add(f'<p class="meta">{T("Report for the Board of Trustees. Decisions evaluated from")} <strong>{escape(period)}</strong>.')
    add(" " + T("Recommendations are the engine's; the final decisions are people's. Dates are evaluation dates.") + "</p>")
    if log.chain_ok is True:
        chain = f'<span class="ok">{T("intact")}</span>'
    elif log.chain_ok is False:
        chain = f'<span class="bad">{T("BROKEN: run engage log verify")}</span>'
    else:
        chain = T("not checked")
    add(
        f'<p class="meta">{T("Decision log: {records} records, hash chain", records=log.records)} {chain}. {T("Head record")}'
        f' <span data-figure="log.head_seq">#{log.head_seq}</span>, {T("hash")} '
        f'<code class="hash">{escape(log.head_hash)}</code>.'
        f" {T('Keep this number and hash:')} <code>engage log verify --anchor N:HASH</code>"
        f" {T('shows later whether the log was cut or rewritten.')}</p>"
    )
    print_choice = T(
        "When printing, include section 8, the reasons for each of the {count} decisions (about a page for every three)",
        count=len(entries),
    )
    add(f'<p class="print-choice no-print"><label><input type="checkbox" id="print-reasons"> {print_choice}</label></p>')
    add("</header>")
    # Every section inside the one main landmark, so that a screen reader can jump to the content.
    add("<main>")

    add('<section class="cards">')
    cards = (
        ("total", str(figures.total), t("decisions in the period")),
        ("exception_rate", _pct(figures.exception_rate), t("of decisions came with an exception")),
        (
            "follow_rate",
            _pct(figures.follow_rate),
            t("of {count} human decisions follow the engine", count=figures.human_decided),
        ),
        ("departures", str(figures.departures_total), t("departures from the recommendation")),
    )
    for name, value, what in cards:
        add(
            f'<div class="card"><div class="value" data-figure="card.{name}">{escape(value)}</div>'
            f'<div class="what">{escape(what)}</div></div>'
        )
    add("</section>")

    # 1. outcomes
    add(f'<section id="outcomes"><h2>{T("1. Recommendations by outcome")}</h2>')
    add(
        f'<table><thead><tr><th>{T("Outcome")}</th><th class="num">{T("Decisions")}</th>'
        f'<th class="num">{T("Share")}</th></tr></thead><tbody>'
    )
    for code in figures.outcomes:
        count = figures.by_outcome.get(code, 0)
        share = count / figures.total if figures.total else None
        add(
            f"<tr><td>{escape(labels.outcome(code))}</td>{_fig(f'outcome.{code}', str(count))}"
            f"{_fig(f'outcome_share.{code}', _pct(share))}</tr>"
        )
    add(f"<tr><th>{T('All')}</th>{_fig('total', str(figures.total))}<td></td></tr></tbody></table>")
    over_time = stacked_columns(
        t("Decisions per {period} by outcome", period=per),
        [b.label for b in figures.buckets],
        series,
        [b.by_outcome for b in figures.buckets],
    )
    caption = T("Decisions per {period}, by outcome.", period=per)
    add(f"<figure>{over_time}{_legend(series)}<figcaption>{caption}</figcaption></figure>")
    add("</section>")

    # 2. regions
    add(f'<section id="regions"><h2>{T("2. By region")}</h2>')
    region_rows = [(labels.region(r), figures.by_region[r]) for r in figures.regions]
    if region_rows:
        add(f"<figure>{stacked_bars(t('Decisions per region by outcome'), region_rows, series)}{_legend(series)}</figure>")
    head = "".join(f'<th class="num">{escape(labels.outcome(o))}</th>' for o in figures.outcomes)
    add(f'<table class="matrix"><thead><tr><th>{T("Region")}</th>{head}<th class="num">{T("All")}</th></tr></thead><tbody>')
    for r in figures.regions:
        row = figures.by_region[r]
        key = r or "none"
        cells = "".join(_fig(f"region.{key}.{o}", str(row.get(o, 0))) for o in figures.outcomes)
        add(f"<tr><td>{escape(labels.region(r))}</td>{cells}{_fig(f'region.{key}', str(sum(row.values())))}</tr>")
    add("</tbody></table></section>")

    # 3. exceptions
    add(f'<section id="exceptions"><h2>{T("3. Exceptions (E/CN.4/2006/104 para 23)")}</h2>')
    add("<table><tbody>")
    add(f"<tr><td>{T('Decisions with an exception')}</td>{_fig('exceptions.with', str(figures.with_exception))}</tr>")
    add(f"<tr><td>{T('Exception rate')}</td>{_fig('exceptions.rate', _pct(figures.exception_rate))}</tr>")
    add(f"<tr><td>{T('Exception applied')}</td>{_fig('exceptions.applied', str(figures.exceptions_applied))}</tr>")
    add(f"<tr><td>{T('Exception rejected')}</td>{_fig('exceptions.rejected', str(figures.exceptions_rejected))}</tr>")
    add("</tbody></table>")
    trend_series = [
        Series("with", t("Share of decisions with an exception"), "#0072B2"),
        Series("applied", t("Share with an exception applied"), "#009E73"),
    ]
    labels_ = [b.label for b in figures.buckets]
    trend_values: list[Mapping[str, float | None]] = [
        {"with": b.exception_rate, "applied": None if not b.total else b.applied / b.total} for b in figures.buckets
    ]
    add(
        f"<figure>{lines(t('Exception rate per {period}', period=per), labels_, trend_series, trend_values)}"
        f"{_legend(trend_series)}<figcaption>"
        f"{T('Exception rate per {period} (no point: no decisions that {period}).', period=per)}</figcaption></figure>"
    )
    add(
        f'<table><thead><tr><th>{T("Period")}</th><th class="num">{T("Decisions")}</th><th class="num">{T("With exception")}</th>'
        f'<th class="num">{T("Rate")}</th></tr></thead><tbody>'
    )
    for b in figures.buckets:
        add(
            f"<tr><td>{escape(b.label)}</td>{_fig(f'trend.{b.label}.total', str(b.total))}"
            f"{_fig(f'trend.{b.label}.with', str(b.with_exception))}{_fig(f'trend.{b.label}.rate', _pct(b.exception_rate))}</tr>"
        )
    add("</tbody></table>")
    add(f"<h3>{T('Exception register')}</h3>")
    if register:
        whole = len(register) if register_total is None else register_total
        add(_more(t, len(register[:LIST_SHOWN]), whole, "exceptions", "engage exceptions --format json"))
        add(
            f'<table class="register"><thead><tr><th>{T("Request")}</th><th>{T("Waives")}</th>'
            f"<th>{T('Status')}</th><th>{T('Expires')}</th>"
            f"<th>{T('Justification; who asked and who approved')}</th><th>{T('Decisions')}</th></tr></thead><tbody>"
        )

        def waived(name: str) -> str:  # English keeps the code in words; a translation names the condition
            return name.replace("_", " ") if t.lang == "en" else labels.criterion_short(name).split(") ", 1)[-1]

        for item in register[:LIST_SHOWN]:
            uses = ", ".join(
                f'<a href="#d-{u.seq}">#{u.seq}</a> {escape(t(u.decision.replace("_", " ")))}'
                + (" " + T("(superseded by #{seq})", seq=u.superseded_by) if u.superseded_by else "")
                for u in item.uses
            )
            who = t(
                "requested by {who}; approved by {by}",
                who=item.requested_by or t("(nobody)"),
                by=item.approved_by or t("(not approved)"),
            )
            add(
                f'<tr data-exception="{escape(item.request_id)}"><td class="id">{escape(item.request_id)}</td>'
                f"<td>{escape(', '.join(waived(w) for w in item.waives))}</td>"
                f"<td>{escape(t(item.status.replace('_', ' ')))}</td>"
                f'<td class="num">{escape(t.date(item.expires) if item.expires else t("(none)"))}</td>'
                f'<td>{escape(item.justification or t("(no justification)"))}<div class="who">{escape(who)}</div></td>'
                f"<td>{uses}</td></tr>"
            )
        add("</tbody></table>")
    else:
        add(f"<p>{T('No exceptions in the period.')}</p>")
    add("</section>")

    # 4. conditions
    add(f'<section id="conditions"><h2>{T("4. Conditions most often not met (para 19)")}</h2>')
    status_series = [Series(k, labels.statuses.get(k, k), c) for k, c in STATUS_COLORS.items()]
    cond_rows = [
        (labels.criterion_short(c.name), {"unmet": c.unmet, "partial": c.partial, "unknown": c.unknown})
        for c in figures.conditions
    ]
    if cond_rows and figures.total:
        add(
            f"<figure>{stacked_bars('Conditions not met', cond_rows, status_series, label_width=260)}"
            f"{_legend(status_series)}</figure>"
        )
    add(
        f'<table><thead><tr><th>{T("Condition")}</th><th class="num">{T("Not met")}</th><th class="num">{T("Partly met")}</th>'
        f'<th class="num">{T("Unknown")}</th><th class="num">{T("Share not met")}</th></tr></thead><tbody>'
    )
    for c in figures.conditions:
        share = c.unmet / figures.total if figures.total else None
        add(
            f"<tr><td>{escape(labels.criterion(c.name))}</td>{_fig(f'condition.{c.name}.unmet', str(c.unmet))}"
            f"{_fig(f'condition.{c.name}.partial', str(c.partial))}{_fig(f'condition.{c.name}.unknown', str(c.unknown))}"
            f"{_fig(f'condition.{c.name}.unmet_share', _pct(share))}</tr>"
        )
    add("</tbody></table></section>")

    # 5. priority scores
    add(f'<section id="scores"><h2>{T("5. Priority scores")}</h2>')
    score_series = [Series("n", t("Decisions"), "#0b5e8c")]
    histogram = stacked_columns(
        t("Priority score distribution"),
        [b for b, _ in figures.score_bins],
        score_series,
        [{"n": n} for _, n in figures.score_bins],
    )
    add(f"<figure>{histogram}<figcaption>{T('Decisions by priority score (0-100; a decline scores 0).')}</figcaption></figure>")
    add("<table><tbody>")
    add(f"<tr><td>{T('Mean score')}</td>{_fig('score.mean', _num(figures.score_mean))}</tr>")
    add(f"<tr><td>{T('Median score')}</td>{_fig('score.median', _num(figures.score_median))}</tr>")
    add("</tbody></table>")
    add(f'<table><thead><tr><th>{T("Score")}</th><th class="num">{T("Decisions")}</th></tr></thead><tbody>')
    for label, count in figures.score_bins:
        add(f"<tr><td>{escape(label)}</td>{_fig(f'score.bin.{label}', str(count))}</tr>")
    add("</tbody></table></section>")

    # 6. human decisions
    add(f'<section id="human"><h2>{T("6. Human decisions: following the engine")}</h2>')
    add("<table><tbody>")
    add(f"<tr><td>{T('Decisions with a human decision recorded')}</td>{_fig('human.decided', str(figures.human_decided))}</tr>")
    following = T("Following the engine's recommendation")
    add(f"<tr><td>{following}</td>{_fig('human.followed', str(figures.human_followed))}</tr>")
    add(f"<tr><td>{T('Departing from it')}</td>{_fig('human.departures', str(figures.departures_total))}</tr>")
    add(f"<tr><td>{T('Follow rate')}</td>{_fig('human.follow_rate', _pct(figures.follow_rate))}</tr>")
    add(f"<tr><td>{T('Awaiting a human decision')}</td>{_fig('human.awaiting', str(figures.awaiting))}</tr>")
    add(f"<tr><td>{T('Decisions that correct an earlier record')}</td>{_fig('corrections', str(figures.corrections))}</tr>")
    add("</tbody></table>")
    add(f"<h3>{T('Every departure, with its justification')}</h3>")
    if figures.departures:
        add(_more(t, len(figures.departures[:LIST_SHOWN]), figures.departures_total, "departures", "the CSV"))
        add(
            f"<table><thead><tr><th>{T('Request')}</th><th>{T('Engine recommended')}</th>"
            f"<th>{T('Decided')}</th><th>{T('By')}</th>"
            f"<th>{T('Justification')}</th></tr></thead><tbody>"
        )
        for d in figures.departures[:LIST_SHOWN]:
            add(
                f'<tr data-departure="{d.entry.seq}">'
                f'<td class="id"><a href="#d-{d.entry.seq}">{escape(d.entry.request_id)}</a></td>'
                f"<td>{escape(labels.outcome(d.human.engine_outcome))}</td><td>{escape(labels.outcome(d.human.outcome))}</td>"
                f"<td>{escape(d.human.by)}</td><td>{escape(d.human.justification or t('(none recorded)'))}</td></tr>"
            )
        add("</tbody></table>")
    else:
        add(f"<p>{T('No departures in the period.')}</p>")
    add("</section>")

    # 7. decisions
    add(f'<section id="decisions" class="pagebreak"><h2>{T("7. Decisions")}</h2>')
    add(_more(t, len(entries), total_entries, "decisions", "the CSV (engage report --format csv)"))
    add(
        f"<table><thead><tr><th>{T('#')}</th><th>{T('As of')}</th><th>{T('Request')}</th>"
        f"<th>{T('Country')}</th><th>{T('Region')}</th><th>{T('Outcome')}</th>"
        f'<th class="num">{T("Score")}</th><th>{T("Exception")}</th><th>{T("Human decision")}</th></tr></thead><tbody>'
    )
    for e in entries:
        exc = ", ".join(t(str(x.get("decision", "")).replace("_", " ")) for x in e.exceptions) or "-"
        human = t("awaiting") if e.human is None else f"{labels.outcome(e.human.outcome)} ({e.human.by})"
        add(
            f'<tr data-decision="{e.seq}"><td><a href="#d-{e.seq}">#{e.seq}</a></td><td class="id">{escape(t.date(e.as_of))}</td>'
            f'<td class="id">{escape(e.request_id)}</td><td>{escape(e.country or "-")}</td>'
            f"<td>{escape(labels.region(e.region))}</td>"
            f'<td>{escape(labels.outcome(e.outcome))}</td><td class="num">{_num(e.priority_score)}</td>'
            f"<td>{escape(exc)}</td><td>{escape(human)}</td></tr>"
        )
    add("</tbody></table>")
    add(
        '<p class="print-only meta">'
        + T(
            "The reasons for each decision (section 8) are not in this printout: open the report in a browser,"
            ' tick "include section 8" at the top, and print again to have them.'
        )
        + "</p>"
    )
    add("</section>")

    # 8. reasons
    add(f'<section id="reasons" class="pagebreak"><h2>{T("8. Reasons for each decision")}</h2>')
    for e in entries:
        add(_decision_block(e, labels, t))
    add("</section>")

    # 9. the releases of the rules that decided
    add(f'<section id="releases"><h2>{T("9. Releases of the rules in force")}</h2>')
    if releases:
        add(
            f'<table><thead><tr><th scope="col">{T("Release")}</th><th scope="col">{T("In force from")}</th>'
            f'<th scope="col">{T("Proposed by")}</th>'
            f'<th scope="col">{T("Approved by")}</th><th scope="col">{T("Approved on")}</th>'
            f'<th scope="col">{T("Justification")}</th>'
            f'<th scope="col" class="num">{T("Decisions in the period")}</th></tr></thead><tbody>'
        )
        for use in releases:
            add(
                f"<tr><td>{use.number}</td><td>{escape(use.effective_from)}</td><td>{escape(use.author)}</td>"
                f"<td>{escape(use.approved_by)}</td><td>{escape(use.approved_at)}</td><td>{escape(use.justification)}</td>"
                f"{_fig(f'release.{use.number}.decisions', str(use.decisions))}</tr>"
            )
        add("</tbody></table>")
    else:
        add(f"<p>{T('No release of the rules was in force in this period.')}</p>")
    add("</section>")
    add("</main>")
    add(
        f'<footer class="meta small"><p>{T("Made by engage from the decision log {where}.", where=log.where)}'
        f" {T('Each decision can be replayed with the rules that made it: engage log verify.')}</p></footer>"
    )
    add("</body></html>")
    return "\n".join(parts) + "\n"


LIST_SHOWN = 500  # lines of a list in the HTML; the rest are counted, and every one is in the CSV


def _more(t: _Words, shown: int, total: int, what: str, where: str) -> str:
    """The line that says a list is cut, or nothing when it is whole."""
    if shown >= total:
        return ""
    line = t(
        "The first {shown} of {total} {what}, in log order, and {more} more: every one is in {where}.",
        shown=shown,
        total=total,
        what=t(what),
        more=total - shown,
        where=t(where),
    )
    return f'<p class="meta" data-figure="shown.{what}">{escape(line, quote=False)}</p>'


def _reason_items(reasons: Iterable[Mapping[str, Any]]) -> str:
    items = []
    for r in reasons:
        cites = "; ".join(str(c.get("text", "")) for c in r.get("citation", ()))
        items.append(
            f"<li>{escape(str(r.get('message', '')))} "
            f'<span class="cite">[{escape(cites)}] ({escape(str(r.get("rule", "")))})</span></li>'
        )
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def _decision_block(e: Entry, labels: Labels, t: _Words | None = None) -> str:
    t = t or _Words(None)
    d = e.decision
    out = [f'<div class="decision" id="d-{e.seq}"><h3>#{e.seq} {escape(e.request_id)}: {escape(labels.outcome(e.outcome))}</h3>']
    corrects = "; " + t("corrects #{seq}", seq=e.corrects) if e.corrects else ""
    out.append(
        f'<p class="small">{escape(t("As of {day}; priority {score};", day=t.date(e.as_of), score=t.num(e.priority_score)))}'
        f' {escape(t("ruleset"))} <span class="hash">{escape(e.record.ruleset_hash or "")}</span>{escape(corrects)}</p>'
    )
    out.append(_reason_items(d.get("reasons", ())[:1]))
    criteria = d.get("criteria", {})
    names = [n for n in labels.criteria if n in criteria] + sorted(set(criteria) - set(labels.criteria))
    rows = []
    for name in names:
        c = criteria[name]
        status = str(c.get("status", ""))
        rows.append(
            f"<li><strong>{escape(labels.criterion(name))}</strong>: {escape(labels.statuses.get(status, status))}"
            f"{_reason_items(c.get('reasons', ()))}</li>"
        )
    out.append("<ul>" + "".join(rows) + "</ul>")
    if d.get("missing"):
        out.append(f'<p class="small">{escape(t("Missing information: {fields}", fields=", ".join(d["missing"])))}</p>')
    for x in e.exceptions:
        text = t(
            "Exception {state}: waives {waives}; requested by {who}; approved by {by}; expires {day}.",
            state=t(str(x.get("decision", "")).replace("_", " ")),
            waives=", ".join(x.get("waives") or ()) or t("nothing"),
            who=str(x.get("requested_by")),
            by=str(x.get("approved_by")),
            day=t.date(str(x.get("expires"))) if x.get("expires") else str(x.get("expires")),
        )
        out.append(f'<p class="small">{escape(text)}</p>')
    if e.human is not None:
        h = e.human
        departs = "" if h.follows else " " + t("(departs: {why})", why=h.justification or "")
        human = t("Human decision #{seq}: {outcome} by {by}", seq=h.record.seq, outcome=labels.outcome(h.outcome), by=h.by)
        out.append(f'<p class="small">{escape(human + departs)}</p>')
    out.append("</div>")
    return "".join(out)


class _Words:
    """The report's fixed words in ``lang``: its own English is the msgid (catalogue ``report``), dates and numbers by Babel."""

    def __init__(self, lang: str | None) -> None:
        self.lang = lang or "en"
        self.catalogue = translations("report", self.lang)

    def __call__(self, text: str, /, **values: Any) -> str:
        return self.catalogue.text(text, **values)

    def date(self, day: date | str) -> str:
        if self.lang == "en":
            return day if isinstance(day, str) else day.isoformat()
        try:
            return format_date(day if isinstance(day, date) else date.fromisoformat(day), self.lang, "medium")
        except ValueError:
            return str(day)

    def pct(self, value: float | None) -> str:
        if self.lang == "en":
            return _pct(value)
        return self("n/a") if value is None else format_percent(value, self.lang, decimals=1)

    def num(self, value: float | None) -> str:
        if self.lang == "en":
            return _num(value)
        return self("n/a") if value is None else format_decimal(value, self.lang)


CSV_COLUMNS = (
    "seq",
    "as_of",
    "request_id",
    "country",
    "region",
    "outcome",
    "priority_score",
    "exception",
    "exception_waives",
    "human_decision",
    "decided_by",
    "follows_engine",
    "justification",
    "corrects",
    "recorded_at",
    "recorded_by",
    "ruleset_hash",
)


def render_csv(entries: Sequence[Entry], criteria: Sequence[str]) -> str:
    """One row per decision in force, with each condition's status: for a spreadsheet."""
    names = list(criteria) + sorted({n for e in entries for n in e.decision.get("criteria", {})} - set(criteria))
    buffer = io.StringIO()
    write_csv(entries, names, buffer)
    return buffer.getvalue()


def write_csv(entries: Iterable[Entry], names: Sequence[str], out: TextIO) -> None:
    """:func:`render_csv` written as it goes (``names``: the criteria's columns, in order)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS[:7], *names, *CSV_COLUMNS[7:]])
    for e in entries:
        h = e.human
        statuses = [str(e.decision.get("criteria", {}).get(n, {}).get("status", "")) for n in names]
        writer.writerow(
            [
                e.seq,
                e.as_of,
                spreadsheet_text(e.request_id),
                e.country or "",
                e.region or "",
                e.outcome,
                _num(e.priority_score),
                *statuses,
                ";".join(str(x.get("decision", "")) for x in e.exceptions),
                ";".join(",".join(x.get("waives") or ()) for x in e.exceptions),
                "" if h is None else h.outcome,
                "" if h is None else spreadsheet_text(h.by),
                "" if h is None else ("yes" if h.follows else "no"),
                "" if h is None else spreadsheet_text(h.justification or ""),
                e.corrects or "",
                e.record.recorded_at,
                spreadsheet_text(e.record.recorded_by),
                e.record.ruleset_hash or "",
            ]
        )


# -- gathering what the report shows (engage report and the web application's audit page) --------


@dataclass(frozen=True)
class ReportData:
    """The decisions in force in a period, the exception register, and the words of the ruleset in force."""

    entries: list[Entry]
    register: list[RegisterEntry]  # entries used by a decision of the period
    labels: Labels
    criteria: tuple[str, ...]
    outcomes: tuple[str, ...]
    date_from: date
    date_to: date
    releases: tuple[ReleaseUse, ...] = ()
    kept: Figures | None = None  # the figures from the log's kept counts (entries then holds the first few)
    entries_total: int | None = None  # the decisions of the period, when entries holds only the first
    register_total: int | None = None  # the register's entries, when register holds only the first

    def figures(self) -> Figures:
        if self.kept is not None:
            return self.kept
        return compute(self.entries, self.date_from, self.date_to, outcome_order=self.outcomes, criteria_order=self.criteria)


def gather(
    store: LogStore,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
    lang: str | None = None,
) -> ReportData:
    """What the report of a period shows; the period defaults to the first and last evaluation dates (``lang``: of the labels)."""
    with store.reading() as conn:
        found = entries(store, conn, date_from=date_from, date_to=date_to)
        every_decision = store.select(conn, records.c.decision.isnot(None))
        gone = superseded(conn)
        known = read_releases(conn)
    dates = sorted(e.as_of for e in found)
    start = date_from or (date.fromisoformat(dates[0]) if dates else today or date.today())
    end = date_to or (date.fromisoformat(dates[-1]) if dates else start)
    policy = None
    if found:
        newest = max(found, key=lambda e: (e.as_of, e.seq))
        loaded = load_stored(store, newest.record.ruleset_hash or "", cache_size=0)
        policy = loaded.policy
        if loaded.engine is not None:
            loaded.engine.close()
    register = register_in_period(build_register(every_decision, gone), start, end)
    return ReportData(
        found,
        register,
        Labels.of(policy, lang),
        policy.criterion_names if policy else (),
        tuple(policy.vocab.outcomes) if policy else (),
        start,
        end,
        releases_in_period(known, found, start, end),
    )


_WORDS: dict[tuple[str, str, str | None], tuple[Labels, tuple[str, ...], tuple[str, ...]]] = {}


def _words(store: LogStore, ruleset_hash: str | None, lang: str | None = None) -> tuple[Labels, tuple[str, ...], tuple[str, ...]]:
    """The labels (in ``lang``), criteria and outcomes of a stored ruleset, loaded once per log, hash and language."""
    if ruleset_hash is None:
        return Labels(), (), ()
    key = (store.where, ruleset_hash, lang)
    if key not in _WORDS:
        loaded = load_stored(store, ruleset_hash, cache_size=0)
        policy = loaded.policy
        if loaded.engine is not None:
            loaded.engine.close()
        words = (Labels.of(policy, lang), policy.criterion_names, tuple(policy.vocab.outcomes)) if policy else (Labels(), (), ())
        if policy is not None:
            _WORDS[key] = words
        return words
    return _WORDS[key]


def gather_counts(
    store: LogStore,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
    shown: int = 100,
    listed: int = 0,
    urgent: tuple[str, str] | None = None,
    lang: str | None = None,
) -> ReportData:
    """:func:`gather` without reading the decisions: the figures from the kept counts, the first ``shown`` departures
    and the first ``listed`` decisions (``entries``), the first ``shown`` entries of the exception register (in the
    order first seen, or with ``urgent``, today and the last day of "ending soon", the audit page's order).

    What the audit page shows, in time that does not grow with the log: a few SQL queries on
    ``log_entries`` and ``log_figures`` (engine/log/kept.py), and the records of the exception
    register's decisions only.
    """
    from ..log.kept import figure_counts, kept, register_entries
    from ..log.listing import load_entries
    from .figures import Departure, from_counts, granularity_of

    with store.reading() as conn:
        if not sa.inspect(conn).has_table("log_figures"):  # a read-only log of an older schema: counted as it is
            conn.rollback()
            return gather(store, date_from, date_to, today, lang=lang)
        # Two queries: min and max together made SQLite scan the index instead of reading its two ends.
        first = conn.execute(sa.select(sa.func.min(kept.c.as_of))).scalar()
        last = conn.execute(sa.select(sa.func.max(kept.c.as_of))).scalar()
        start = date_from or (date.fromisoformat(first) if first else today or date.today())
        end = date_to or (date.fromisoformat(last) if last else start)
        period = (kept.c.as_of >= start.isoformat(), kept.c.as_of <= end.isoformat())
        newest = conn.execute(
            sa.select(kept.c.ruleset_hash).where(*period).order_by(kept.c.as_of.desc(), kept.c.seq.desc()).limit(1)
        ).scalar()
        counts = figure_counts(conn, start.isoformat(), end.isoformat(), granularity_of(start, end) == "month")
        departing = (*period, kept.c.human_follows == 0)
        count = sum(n for _, name, n in counts if name == "departs")  # kept, not counted over the period's rows
        first_seqs = [int(x) for x in conn.scalars(sa.select(kept.c.seq).where(*departing).order_by(kept.c.seq).limit(shown))]
        departures = [Departure(e, e.human) for e in load_entries(conn, first_seqs) if e.human is not None]
        listed_seqs = [int(x) for x in conn.scalars(sa.select(kept.c.seq).where(*period).order_by(kept.c.seq).limit(listed))]
        listed_entries = list(load_entries(conn, listed_seqs))
        register, register_total = register_entries(conn, start.isoformat(), end.isoformat(), limit=shown, urgent=urgent)
        known = read_releases(conn)
    labels, criteria, outcomes = _words(store, newest, lang)
    figures = from_counts(
        counts, start, end, departures=departures, departure_count=count, outcome_order=outcomes, criteria_order=criteria
    )
    made: dict[object, int] = {}
    for _, name, n in counts:
        if name.startswith("release:"):
            number = name[len("release:") :]
            key = int(number) if number else None
            made[key] = made.get(key, 0) + n
    return ReportData(
        listed_entries,
        register,
        labels,
        criteria,
        outcomes,
        start,
        end,
        releases_made(known, made, start, end),
        figures,
        figures.total,
        register_total,
    )


def csv_names(data: ReportData) -> list[str]:
    """The criteria columns of the CSV: the ruleset's, then any other a decision of the period has."""
    seen = [c.name for c in data.figures().conditions]
    return list(data.criteria) + sorted(set(seen) - set(data.criteria))


def period_rows(store: LogStore, data: ReportData, names: Sequence[str], batch: int = 2000) -> Iterator[list[Any]]:
    """The CSV's rows (:func:`write_csv`'s, byte for byte) for every decision in force of the period, in log order.

    Read ``batch`` at a time from ``log_entries``, the exceptions' table and the human decisions'
    records, never the decisions' JSON (decoding it was most of the time: 250 µs a decision).
    The walk is on the primary key and the period checked here: a date condition in the query
    let SQLite read the period through the date index and sort it again for every batch.
    """
    from ..log.kept import exception_uses, kept

    low, high = data.date_from.isoformat(), data.date_to.isoformat()
    columns = (*(kept.c[n] for n in ("seq", "as_of", "request_id", "country", "region", "outcome", "priority")),)
    columns += (kept.c.statuses, kept.c.exceptions, kept.c.corrects, kept.c.ruleset_hash, kept.c.human_seq)
    query = sa.select(*columns, records.c.recorded_at, records.c.recorded_by).join(records, records.c.seq == kept.c.seq)
    with store.reading() as conn:
        after = 0
        while True:
            rows = conn.execute(query.where(kept.c.seq > after).order_by(kept.c.seq).limit(batch)).all()
            if not rows:
                return
            after = int(rows[-1].seq)
            rows = [r for r in rows if low <= r.as_of <= high]
            named = [int(r.seq) for r in rows if r.exceptions]
            exceptions: dict[int, list[Any]] = {}
            if named:
                found = sa.select(exception_uses.c.seq, exception_uses.c.decision, exception_uses.c.waives)
                for use in conn.execute(
                    found.where(exception_uses.c.seq.in_(named)).order_by(exception_uses.c.seq, exception_uses.c.idx)
                ):
                    exceptions.setdefault(int(use.seq), []).append(use)
            wanted = [int(r.human_seq) for r in rows if r.human_seq is not None]
            humans: dict[int, HumanDecision] = {}
            if wanted:
                for record in store.select(conn, records.c.seq.in_(wanted)):
                    humans[record.seq] = HumanDecision.of(record)
            for r in rows:
                h = None if r.human_seq is None else humans.get(int(r.human_seq))
                statuses = json.loads(r.statuses)
                uses = exceptions.get(int(r.seq), [])
                yield [
                    int(r.seq),
                    r.as_of,
                    spreadsheet_text(r.request_id),
                    r.country or "",
                    r.region or "",
                    r.outcome,
                    _num(float(r.priority)),
                    *(statuses.get(n, "") for n in names),
                    ";".join(u.decision for u in uses),
                    ";".join(",".join(json.loads(u.waives)) for u in uses),
                    "" if h is None else h.outcome,
                    "" if h is None else spreadsheet_text(h.by),
                    "" if h is None else ("yes" if h.follows else "no"),
                    "" if h is None else spreadsheet_text(h.justification or ""),
                    r.corrects or "",
                    r.recorded_at,
                    spreadsheet_text(r.recorded_by),
                    r.ruleset_hash or "",
                ]


def stream_csv(store: LogStore, data: ReportData, out: TextIO) -> None:
    """Every decision in force of the period as the CSV :func:`render_csv` gives, written as it is read."""
    names = csv_names(data)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS[:7], *names, *CSV_COLUMNS[7:]])
    writer.writerows(period_rows(store, data, names))


def csv_chunks(store: LogStore, data: ReportData, rows: int = 1000) -> Iterator[str]:
    """:func:`stream_csv`'s text, ``rows`` lines at a time (for an HTTP answer that streams)."""
    names = csv_names(data)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS[:7], *names, *CSV_COLUMNS[7:]])
    for n, row in enumerate(period_rows(store, data, names), 1):
        writer.writerow(row)
        if n % rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def report_html(store: LogStore, data: ReportData, lang: str | None = None) -> str:
    """The whole report as one HTML page, with the state of the chain (checked without replay)."""
    from ..log.audit import verify

    chain = verify(store, replay=False)
    info = LogInfo(store.where, chain.records, chain.head_seq, chain.head_hash, chain.ok, tuple(str(p) for p in chain.problems))
    figures = data.figures()
    return render_html(
        figures, data.entries, data.register, data.labels, info, data.releases, lang, data.entries_total, data.register_total
    )
