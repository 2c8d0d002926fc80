"""Intake tables for the tests: one request that engages, as YAML and as cells, written as .csv or .xlsx."""

from __future__ import annotations

import codecs
import csv
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

# One request that engages, as YAML would give it, and the same as intake cells.
REQUEST: dict[str, Any] = {
    "id": "R1",
    "received": "2026-01-05",
    "country": "GTM",
    "requester": {"type": "government", "government_endorsed": True},
    "request": {"kind": "programme", "themes": ["nhri", "elections"], "funding_only": False, "budget_usd": 1250.5},
    "mandate": {"restricts_monitoring": False, "contrary_to_standards": False},
    "presence": {"type": "country_office", "adequately_staffed": True, "long_term_programming": True},
    "strategy": {"status": "adopted", "request_in_strategy": True},
    "partnership": {"government_counterpart": True, "civil_society_involved": True},
    "priority": {"recommendations": [{"mechanism": "upr", "reference": "A/HRC/44/5 para 12"}, {"mechanism": "treaty_body"}]},
}
ROW = {
    "id": "R1",
    "received": "2026-01-05",
    "country": "GTM",
    "requester.type": "government",
    "requester.government_endorsed": "Yes",
    "request.kind": "programme",
    "request.themes": "nhri; elections",
    "request.funding_only": "FALSE",
    "request.budget_usd": "1250.50",
    "mandate.restricts_monitoring": "no",
    "mandate.contrary_to_standards": "No",
    "presence.type": "country_office",
    "presence.adequately_staffed": "yes",
    "presence.long_term_programming": "true",
    "strategy.status": "adopted",
    "strategy.request_in_strategy": "YES",
    "partnership.government_counterpart": "yes",
    "partnership.civil_society_involved": "yes",
    "priority.recommendations": "upr:A/HRC/44/5 para 12; treaty_body",
}


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    names = header or list(ROW)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in rows:
            writer.writerow([row.get(n, "") for n in names])
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None, sheet: str = "Requests") -> Path:
    names = header or list(ROW)
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(names)
    for row in rows:
        ws.append([row.get(n) for n in names])
    book.save(path)
    return path


# What a French office types: accents, an ñ, a euro sign, a decimal comma, a list cell that Excel quotes.
LOCAL = dict(
    ROW,
    **{
        "requester.name": "Ministère de la Justice et des Droits de l'Homme",
        "request.title": "Formación para niñas y niños, 350 000 € sur 24 mois",
        "request.budget_usd": "350000,50",
        "request.duration_months": "24",
    },
)


def excel_csv(path: Path, rows: list[dict[str, Any]], encoding: str, separator: str = ";", bom: bool = False) -> Path:
    """A table as Excel writes it: CRLF line ends, cells quoted only when they hold the separator or a quote."""

    def cell(value: str) -> str:
        return f'"{value.replace(chr(34), chr(34) * 2)}"' if separator in value or '"' in value else value

    names = list(rows[0])
    lines = [separator.join(names)] + [separator.join(cell(str(r.get(n, ""))) for n in names) for r in rows]
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + ("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def rewrite(path: Path, part: str, change: object) -> Path:
    """Rewrite one part of the archive at ``path`` with ``change(bytes) -> bytes``, the others as they are."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info, change(data) if info.filename == part and callable(change) else data)
    return path
