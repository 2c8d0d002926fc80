"""engage log list / show and engage exceptions, on a recorded batch."""

from __future__ import annotations

import json
from pathlib import Path

from ..helpers.logsupport import ok, record_examples, run, write_requests


def test_list_shows_each_decision_in_force(db: str) -> None:
    record_examples(db)
    lines = ok("log", "list", "--db", db).splitlines()
    assert lines[0].split() == ["#", "as", "of", "request", "country", "region", "outcome", "score", "human", "decision"]
    assert lines[1].split() == ["#1", "2026-11-24", "REQ-2026-0101", "SLE", "africa", "engage", "90", "(awaiting)"]
    assert lines[-1] == "9 decisions"


def test_list_filters(db: str, tmp_path: Path) -> None:
    record_examples(db)
    later = write_requests(tmp_path / "later", {"01": {"id": "REQ-2026-0201"}, "08": {"id": "REQ-2026-0208"}}, only=("01", "08"))
    ok("evaluate", str(later), "--as-of", "2026-12-08", "--record", "--db", db)

    def ids(*args: str) -> list[str]:
        return [row["request_id"] for row in json.loads(ok("log", "list", "--db", db, "--format", "json", *args))]

    assert ids("--from", "2026-12-01") == ["REQ-2026-0201", "REQ-2026-0208"]
    assert ids("--to", "2026-11-30") == [f"REQ-2026-010{i}" for i in range(1, 10)]
    assert ids("--outcome", "engage") == ["REQ-2026-0101", "REQ-2026-0105", "REQ-2026-0201"]
    assert ids("--country", "SLE") == ["REQ-2026-0101", "REQ-2026-0201"]
    assert ids("--country", "SLE", "--from", "2026-12-01", "--to", "2026-12-31") == ["REQ-2026-0201"]
    assert ids("--region", "global") == ["REQ-2026-0108", "REQ-2026-0208"]
    assert ids("--outcome", "nothing") == []
    status, _, err = run("log", "list", "--db", db, "--from", "1 Dec")
    assert status == 2 and "'1 Dec' is not a date in the form YYYY-MM-DD" in err


def test_show_has_the_reasons_citations_request_and_ruleset(db: str) -> None:
    record_examples(db)
    ruleset = json.loads(ok("log", "list", "--db", db, "--format", "json"))[4]["ruleset_hash"]
    out = ok("log", "show", "REQ-2026-0105", "--db", db)
    assert out.startswith("#5: decision on REQ-2026-0105 (in force)\n")
    assert f"  ruleset {ruleset}\n" in out
    assert "REQ-2026-0105: ENGAGE (engage)" in out
    assert "(a) mandate integrity" in out.split("(b) country engagement strategy")[0]  # conditions in letter order
    assert "[E/CN.4/2006/104 para 23]" in out  # a citation
    assert "Exception applied: waives in_country_presence" in out
    assert "\nRequest as received:\n" in out and "\n  id: REQ-2026-0105\n" in out
    assert "human decision: none recorded yet" in out
    data = json.loads(ok("log", "show", "5", "--db", db, "--format", "json"))
    assert data["record"]["seq"] == 5 and data["record"]["ruleset_hash"] == ruleset
    assert data["decision"]["outcome"] == "engage" and data["decision"]["ruleset"]["hash"] == ruleset
    assert data["request"]["id"] == "REQ-2026-0105"
    assert data["status"] == "in force"
    status, _, err = run("log", "show", "REQ-NONE", "--db", db)
    assert status == 2 and err == "REQ-NONE: not-found: no such record or request in the decision log\n"


def test_show_a_human_decision_and_the_history(db: str) -> None:
    record_examples(db)
    ok("log", "decide", "6", "--decision", "engage", "--by", "Jane Doe", "--justification", "Board asked to go ahead", "--db", db)
    out = ok("log", "show", "10", "--db", db)
    assert out.startswith("#10: human decision on REQ-2026-0106 (in force)\n")
    assert "  decided engage by Jane Doe on engine decision #6\n  the engine recommended exception_review\n" in out
    assert "  justification: Board asked to go ahead\n" in out
    assert "History of REQ-2026-0106:" in out
    decision = ok("log", "show", "6", "--db", db)
    assert "human decision: #10: engage by Jane Doe (departs from the recommendation)" in decision


def test_the_exception_register(db: str) -> None:
    record_examples(db)
    out = ok("exceptions", "--db", db, "--as-of", "2026-11-24")
    blocks = out.split("\n\n")
    assert blocks[0].splitlines() == [
        "REQ-2026-0105: applied; waives in_country_presence",
        "  justification: The regional office will manage the project from the region until a presence is agreed; the"
        " commission asked for support before its review by its peers.",
        "  requested by Chief, Asia-Pacific Section; approved by Director, Field Operations and Technical Cooperation"
        " Division; expires 2027-06-30 (in 218 days)",
        "  decisions:",
        "    #5 as of 2026-11-24: applied -> engage",
    ]
    assert blocks[1].splitlines()[0] == "REQ-2026-0106: rejected; waives in_country_presence"
    assert "expired 2026-06-30 (147 days ago)" in blocks[1]
    assert out.endswith("2 exceptions: 1 applied in the decision in force\n")
    data = json.loads(ok("exceptions", "--db", db, "--as-of", "2026-11-24", "--format", "json"))
    assert [(e["request_id"], e["status"], [d["seq"] for d in e["decisions"]]) for e in data] == [
        ("REQ-2026-0105", "applied", [5]),
        ("REQ-2026-0106", "rejected", [6]),
    ]
    assert data[0]["requested_by"] == "Chief, Asia-Pacific Section" and data[0]["days_left"] == 218


def test_the_same_exception_seen_twice_is_one_entry_with_both_decisions(db: str) -> None:
    record_examples(db)
    # Evaluated again on a later day (the exception of REQ-2026-0105 has expired by then): each supersedes the first.
    record_examples(db, "2027-07-01", "tester", "--update")
    data = json.loads(ok("exceptions", "--db", db, "--as-of", "2027-07-01", "--format", "json"))
    first = data[0]
    assert first["request_id"] == "REQ-2026-0105"
    assert [(d["seq"], d["exception"], d["outcome"]) for d in first["decisions"]] == [
        (5, "applied", "engage"),
        (14, "rejected", "exception_review"),
    ]
    assert [d["superseded_by"] for d in first["decisions"]] == [14, None]
    assert first["status"] == "rejected"


def test_exceptions_expiring_within(db: str) -> None:
    record_examples(db)
    assert (
        ok("exceptions", "--db", db, "--as-of", "2026-11-24", "--expiring-within", "217")
        == "no exceptions expiring in that period\n"
    )
    out = ok("exceptions", "--db", db, "--as-of", "2026-11-24", "--expiring-within", "218")
    assert out.startswith("REQ-2026-0105: applied") and "REQ-2026-0106" not in out  # an expired one is not "expiring"
    status, _, err = run("exceptions", "--db", db, "--expiring-within", "-1")
    assert status == 2 and "DAYS must be 0 or more" in err
