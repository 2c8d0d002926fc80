"""The last day a date can be: a decision recorded as of 9999-12-31 must not break the report (issue 14)."""

from __future__ import annotations

from pathlib import Path

from ..helpers.clirun import engage
from ..helpers.support import ROOT


def test_report_and_expiring_exceptions_work_with_a_decision_as_of_9999_12_31(tmp_path: Path) -> None:
    db = str(tmp_path / "log.db")
    examples = str(ROOT / "examples")
    run = engage("evaluate", examples, "--as-of", "9999-12-31", "--record", "--db", db, "--quiet", "--user", "t")
    assert run.status == 0, run.stderr
    html = tmp_path / "r.html"
    run = engage("report", "--db", db, "--out", str(html))
    assert run.status == 0, run.stderr
    assert "internal error" not in run.stderr and "9999-12-31" in html.read_text("utf-8")
    run = engage("report", "--db", db, "--format", "csv")
    assert run.status == 0 and ",9999-12-31," in run.stdout
    for days in ("30", "3000000"):
        run = engage("exceptions", "--db", db, "--expiring-within", days, "--as-of", "9999-12-20")
        assert run.status == 0, (days, run.stderr)
    run = engage("exceptions", "--db", db, "--expiring-within", "3000000")
    assert run.status == 0, run.stderr
