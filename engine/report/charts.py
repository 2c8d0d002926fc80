"""Charts as inline SVG text (no script, no network): stacked columns, stacked bars, lines, histograms.

Each function returns one ``<svg>`` element sized by its ``viewBox``, so it scales to the
page and prints sharply.  Numbers are written with fixed precision: same data, same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family:Helvetica,Arial,sans-serif"
AXIS = "#555"
GRID = "#ddd"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round whole-number tick values from 0 to at least ``maximum`` (at most ``count`` + 1 of them)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))
    if step != int(step):
        step = math.ceil(step)
    top = math.ceil(maximum / step) * step
    return [i * step for i in range(round(top / step) + 1)]


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" style="{FONT};max-width:100%;height:auto">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 11, color: str = AXIS, extra: str = "") -> str:
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" fill="{color}"{extra}>{escape(text)}</text>'


def _label_step(count: int, room: float, per_label: float) -> int:
    """Show every n-th category label so that labels do not overlap."""
    return max(1, math.ceil(count * per_label / max(room, 1)))


def stacked_columns(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Mapping[str, float]],
    *,
    width: int = 680,
    height: int = 250,
    percent: bool = False,
) -> str:
    """One column per category, stacked by series (``values[i][series.key]``)."""
    left, right, top, bottom = 44, 10, 12, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(v.get(s.key, 0) for s in series) for v in values]
    ticks = [t / 100 for t in range(0, 101, 25)] if percent else nice_ticks(max(totals, default=0))
    top_value = ticks[-1] or 1
    body = []
    for tick in ticks:
        y = top + plot_h - plot_h * tick / top_value
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{_n(y)}" y2="{_n(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{tick:.0%}" if percent else _n(tick), anchor="end"))
    n = max(len(categories), 1)
    slot = plot_w / n
    bar = min(slot * 0.7, 48)
    step = _label_step(n, plot_w, 56)
    for i, (category, row) in enumerate(zip(categories, values, strict=True)):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for s in series:
            value = row.get(s.key, 0)
            if not value:
                continue
            h = plot_h * value / top_value
            y -= h
            body.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(h)}" fill="{s.color}">'
                f"<title>{escape(category)}: {escape(s.label)} {_n(value)}</title></rect>"
            )
        if totals[i] and not percent and bar >= 14:
            body.append(_text(x + bar / 2, y - 3, _n(totals[i]), size=10))
        if i % step == 0:
            body.append(_text(left + slot * i + slot / 2, top + plot_h + 16, category, size=10))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    return _svg(width, height, title, body)


def stacked_bars(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[Series],
    *,
    width: int = 680,
    label_width: int = 190,
) -> str:
    """One horizontal bar per row, stacked by series, with the row's total at its end."""
    bar_h, gap, top, bottom = 18, 8, 8, 26
    height = top + bottom + len(rows) * (bar_h + gap)
    plot_w = width - label_width - 40
    totals = [sum(v.get(s.key, 0) for s in series) for _, v in rows]
    ticks = nice_ticks(max(totals, default=0))
    top_value = ticks[-1] or 1
    body = []
    for tick in ticks:
        x = label_width + plot_w * tick / top_value
        body.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{height - bottom}" stroke="{GRID}"/>')
        body.append(_text(x, height - bottom + 14, _n(tick), size=10))
    for i, ((label, row), total) in enumerate(zip(rows, totals, strict=True)):
        y = top + i * (bar_h + gap)
        body.append(_text(label_width - 8, y + bar_h / 2 + 4, label, anchor="end"))
        x = float(label_width)
        for s in series:
            value = row.get(s.key, 0)
            if not value:
                continue
            w = plot_w * value / top_value
            body.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{bar_h}" fill="{s.color}">'
                f"<title>{escape(label)}: {escape(s.label)} {_n(value)}</title></rect>"
            )
            x += w
        body.append(_text(x + 4, y + bar_h / 2 + 4, _n(total), anchor="start", size=10))
    return _svg(width, height, title, body)


def lines(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Mapping[str, float | None]],
    *,
    width: int = 680,
    height: int = 220,
) -> str:
    """Shares (0 to 1) over the categories, one line per series; a gap where a value is None."""
    left, right, top, bottom = 44, 10, 12, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h - plot_h * tick
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{_n(y)}" y2="{_n(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{tick:.0%}", anchor="end"))
    n = max(len(categories), 1)
    slot = plot_w / n
    step = _label_step(n, plot_w, 56)
    for i, category in enumerate(categories):
        if i % step == 0:
            body.append(_text(left + slot * i + slot / 2, top + plot_h + 16, category, size=10))
    for s in series:
        points: list[list[tuple[float, float]]] = [[]]
        for i, row in enumerate(values):
            value = row.get(s.key)
            if value is None:
                points.append([])
                continue
            points[-1].append((left + slot * i + slot / 2, top + plot_h - plot_h * value))
        for run in points:
            if len(run) > 1:
                path = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                body.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>')
            for x, y in run:
                body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{s.color}"/>')
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    return _svg(width, height, title, body)
