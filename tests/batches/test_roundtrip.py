"""The issue's round trip: 10,000 requests typed into the intake template become a decisions
workbook with 10,000 rows, and every row says what the engine says of the same request as a dict."""

from __future__ import annotations

import csv
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.batches.template import template_columns
from engine.evaluation.evaluator import Engine

from ..helpers.clirun import engage
from ..helpers.sheet_requests import random_requests, to_cells
from ..helpers.support import ROOT

AS_OF = "2026-11-24"
ROWS = 10_000
SEED = 20261124


def fill_template(template: Path, target: Path, requests: list[dict[str, Any]], columns: Any, seed: int) -> None:
    """Type the requests into the template, below its header, as intake staff would."""
    book = openpyxl.load_workbook(template)
    sheet = book["Requests"]
    assert [c.value for c in sheet[1]] == [c.name for c in columns]
    rng = random.Random(seed)
    for request in requests:
        sheet.append(to_cells(request, columns, rng, xlsx=True))
    book.save(target)


def reference(requests: list[dict[str, Any]]) -> dict[str, Any]:
    """The decisions of the same requests as dicts, through the Python API."""
    engine = Engine.load(ROOT / "rules", ROOT / "criteria")
    when = date.fromisoformat(AS_OF)
    return {r["id"]: engine.evaluate(r, when) for r in requests}


@pytest.mark.slow
def test_ten_thousand_rows_from_the_template_round_trip_to_a_decisions_workbook(tmp_path: Path) -> None:
    engine = Engine.load(ROOT / "rules", ROOT / "criteria")
    columns = template_columns(engine.policy)
    requests = random_requests(SEED, ROWS, engine.policy)
    expected = reference(requests)
    assert {d.outcome for d in expected.values()} == set(engine.policy.vocab.outcomes)  # every outcome is covered

    template, filled, out = tmp_path / "intake.xlsx", tmp_path / "filled.xlsx", tmp_path / "decisions.xlsx"
    assert engage("template", "--out", str(template)).status == 0
    fill_template(template, filled, requests, columns, SEED)

    run = engage("evaluate", str(filled), "--as-of", AS_OF, "--out", str(out))
    assert (run.status, run.stderr) == (0, "")
    assert run.stdout.startswith(f"{ROWS} evaluated: ")

    book = openpyxl.load_workbook(out, read_only=True)
    sheet = book["Decisions"]
    table = list(sheet.iter_rows(values_only=True))
    book.close()
    header, body = table[0], table[1:]
    assert len(body) == ROWS
    col = {title: i for i, title in enumerate(header)}
    criteria = [c.name for c in engine.policy.criteria]
    for number, (row, request) in enumerate(zip(body, requests, strict=True), start=2):
        decision = expected[request["id"]]
        assert row[col["Request"]] == request["id"]
        assert row[col["Outcome code"]] == decision.outcome, (number, request)
        assert row[col["Recommendation"]] == engine.policy.vocab.outcomes[decision.outcome].label
        assert row[col["Priority (0-100)"]] == decision.priority_score
        statuses = [row[col[f"({engine.policy.criterion(n).letter}) {engine.policy.criterion(n).label}"]] for n in criteria]
        assert statuses == [c.status for c in decision.criteria]
        assert (row[col["Missing information"]] or "") == "; ".join(decision.missing)
        assert row[col["Source"]] == f"{filled}:row {number}"


def test_a_csv_and_a_jsonl_batch_give_byte_identical_decisions_to_the_dicts(tmp_path: Path) -> None:
    """Smaller, and stricter: the whole decision, as JSON, for 400 generated requests."""
    engine = Engine.load(ROOT / "rules", ROOT / "criteria")
    columns = template_columns(engine.policy)
    requests = random_requests(SEED + 1, 400, engine.policy)
    want = [engine.evaluate(r, date.fromisoformat(AS_OF)).to_json(indent=None) for r in requests]

    rng = random.Random(SEED)
    with (tmp_path / "b.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in columns])
        for request in requests:
            writer.writerow(["" if v is None else v for v in to_cells(request, columns, rng, xlsx=False)])
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    for name in ("b.csv", "b.jsonl"):
        out = tmp_path / f"{name}.out.jsonl"
        run = engage("evaluate", str(tmp_path / name), "--as-of", AS_OF, "--out", str(out))
        assert (run.status, run.stderr) == (0, ""), name
        assert out.read_text(encoding="utf-8").splitlines() == want, name
