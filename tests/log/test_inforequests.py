"""Requests for information in the decision log: recorded on a decision in force, chained, verified, counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.log.audit import verify
from engine.log.inforequests import InformationRequestError, first_requested, record_request, requests_on
from engine.log.store import INFORMATION_REQUEST, Draft, LogStore, store_json

from ..helpers.logsupport import ok, record_examples, write_requests

ASKED = ["partnership.civil_society_involved"]


def ask(store: LogStore, seq: int, by: str = "a.officer") -> int:
    return record_request(store, seq, by=by, language="fr", fields=ASKED, recorded_by=by).seq


def test_a_request_for_information_is_a_chained_record_on_its_decision(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        first = ask(store, 7)
        second = ask(store, 7, "b.officer")
        with store.reading() as conn:
            asked = requests_on(store, conn, 7)
            since = first_requested(conn)
            assert first_requested(conn, [1, 2]) == {}
        expected = [("a.officer", "fr", tuple(ASKED)), ("b.officer", "fr", tuple(ASKED))]
        assert [(a.by, a.language, a.fields) for a in asked] == expected
        assert [a.record.seq for a in asked] == [first, second] == [10, 11]
        assert asked[0].record.kind == INFORMATION_REQUEST and asked[0].record.role == INFORMATION_REQUEST
        assert since == {7: asked[0].at}  # the first one, not the latest
        result = verify(store)
        assert result.ok and result.records == 11 and result.replayed == 9  # nothing to replay in a request for information


def test_only_an_engine_decision_in_force_is_asked_about(db: str, tmp_path: Path) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        with pytest.raises(InformationRequestError) as raised:
            ask(store, 99)
        assert raised.value.code == "not-a-decision"
        with pytest.raises(InformationRequestError) as raised:
            record_request(store, 7, by=" ", language="en", fields=ASKED, recorded_by="x")
        assert raised.value.code == "missing-name"
    corrected = write_requests(tmp_path / "new", {"07": {"presence": {"adequately_staffed": True}}}, only=("07",))
    ok("evaluate", str(corrected), "--as-of", "2026-11-24", "--record", "--update", "--db", db)
    with LogStore.open(db) as store:
        with pytest.raises(InformationRequestError) as raised:
            ask(store, 7)
        assert raised.value.code == "superseded" and "#10" in raised.value.message
        ask(store, 10)
        with store.reading() as conn:  # the wait is counted on the decision in force
            assert set(first_requested(conn)) == {10}


def test_verify_names_a_request_for_information_that_names_no_engine_decision(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        ok("log", "decide", "7", "--decision", "request_information", "--by", "J. Doe", "--db", db)
        forged = Draft(
            kind=INFORMATION_REQUEST,
            request_id="REQ-2026-0107",
            recorded_by="mallory",
            decides=10,  # the human decision, not an engine decision
            details=store_json({"by": "mallory", "language": "en", "fields": ASKED}),
        )
        (added,) = store.append([forged])
        result = verify(store, replay=False)
    assert [(p.seq, p.code) for p in result.problems] == [(added.seq, "bad-reference")]
    assert "not an earlier engine decision" in result.problems[0].message
