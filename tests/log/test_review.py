"""People decide: human decisions on recorded decisions, justifications, corrections."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from engine.log.audit import verify
from engine.log.review import ReviewError, correct, decide
from engine.log.store import Draft, LogRecord, LogStore

from ..helpers.logsupport import execute_bypassing_triggers, ok, query, record_examples, run, write_requests


def listing(db: str) -> list[dict[str, object]]:
    return json.loads(ok("log", "list", "--db", db, "--format", "json"))  # type: ignore[no-any-return]


def test_a_decision_that_follows_the_engine_needs_no_justification(db: str) -> None:
    record_examples(db)
    out = ok("log", "decide", "1", "--decision", "engage", "--by", "Jane Doe", "--db", db, "--user", "clerk")
    assert out == "#10: REQ-2026-0101: decided engage by Jane Doe on #1 (follows the engine's recommendation)\n"
    human = listing(db)[0]["human_decision"]
    assert human == {"seq": 10, "decision": "engage", "by": "Jane Doe", "justification": None, "follows": True}
    with LogStore.open(db) as store:
        record = store.get(10)
    assert record is not None and record.kind == "human_decision" and record.recorded_by == "clerk" and record.decides == 1


def test_departing_from_the_engine_needs_a_justification(db: str) -> None:
    record_examples(db)
    status, out, err = run("log", "decide", "REQ-2026-0101", "--decision", "decline", "--by", "Jane Doe", "--db", db)
    assert status == 2 and out == ""
    assert err == (
        "REQ-2026-0101: justification-required: deciding 'decline' departs from the engine's recommendation 'engage':"
        " give --justification\n"
    )
    status, _, err = run("log", "decide", "1", "--decision", "decline", "--by", "J", "--justification", "  ", "--db", db)
    assert status == 2 and "justification-required" in err
    out = ok(
        "log", "decide", "REQ-2026-0101", "--decision", "decline", "--by", "Jane Doe", "--justification", "No funds", "--db", db
    )
    assert "(departs from the engine's recommendation 'engage')" in out
    human = listing(db)[0]["human_decision"]
    assert human == {"seq": 10, "decision": "decline", "by": "Jane Doe", "justification": "No funds", "follows": False}


def test_unknown_outcomes_and_records_are_refused(db: str) -> None:
    record_examples(db)
    status, _, err = run("log", "decide", "1", "--decision", "maybe", "--by", "J", "--db", db)
    assert status == 2 and "'maybe' is not an outcome; choose one of: engage, respond_ad_hoc" in err
    status, _, err = run("log", "decide", "99", "--decision", "engage", "--by", "J", "--db", db)
    assert status == 2 and err == "#99: not-found: no such record or request in the decision log\n"
    status, _, err = run("log", "decide", "REQ-NONE", "--decision", "engage", "--by", "J", "--db", db)
    assert status == 2 and "not-found" in err


def test_a_request_is_decided_once_then_corrected(db: str) -> None:
    record_examples(db)
    ok("log", "decide", "1", "--decision", "engage", "--by", "Jane Doe", "--db", db)
    status, _, err = run("log", "decide", "1", "--decision", "decline", "--by", "Joe", "--justification", "x", "--db", db)
    assert status == 2
    assert "already-decided: #1 was decided in #10 (engage, by Jane Doe); to change that, correct it" in err
    status, _, err = run("log", "decide", "10", "--decision", "engage", "--by", "Joe", "--db", db)
    assert status == 2 and "#10 is a human decision, not an engine decision" in err

    # Correcting a human decision: the same departure rule applies.
    status, _, err = run("log", "correct", "10", "--by", "Jane Doe", "--reason", "typo", "--decision", "decline", "--db", db)
    assert status == 2 and "justification-required" in err
    out = ok(
        "log", "correct", "10", "--by", "Jane Doe", "--reason", "recorded the wrong outcome", "--decision", "decline",
        "--justification", "Funds withdrawn", "--db", db,
    )  # fmt: skip
    assert out.startswith("#11: REQ-2026-0101: supersedes #10 (recorded the wrong outcome); decided decline by Jane Doe on #1")
    human = listing(db)[0]["human_decision"]
    assert human == {"seq": 11, "decision": "decline", "by": "Jane Doe", "justification": "Funds withdrawn", "follows": False}
    status, _, err = run("log", "correct", "10", "--by", "J", "--reason", "again", "--decision", "engage", "--db", db)
    assert status == 2 and "#10 was superseded by #11; use #11" in err
    with LogStore.open(db) as store:
        assert verify(store).ok


def test_a_corrected_request_replaces_the_engine_decision(db: str, tmp_path: Path) -> None:
    record_examples(db)
    ok("log", "decide", "7", "--decision", "request_information", "--by", "Jane Doe", "--db", db)
    fixed = write_requests(
        tmp_path / "fixed",
        {"07": {"presence": {"type": "country_office", "adequately_staffed": True, "long_term_programming": True},
                "partnership": {"government_counterpart": True, "civil_society_involved": True}}},
        only=("07",),
    )  # fmt: skip
    request = next(fixed.iterdir())
    status, _, err = run(
        "log", "correct", "REQ-2026-0101", "--by", "J", "--reason", "wrong file", "--request", str(request), "--db", db
    )  # fmt: skip
    assert status == 2 and "the corrected request is REQ-2026-0107, but #1 is about REQ-2026-0101" in err
    out = ok(
        "log", "correct", "REQ-2026-0107", "--by", "Jane Doe", "--reason", "the requester sent the missing facts",
        "--request", str(request), "--as-of", "2026-11-24", "--db", db,
    )  # fmt: skip
    assert out == "#11: REQ-2026-0107: supersedes #7 (the requester sent the missing facts); engine: engage\n"
    rows = {r["request_id"]: r for r in listing(db)}
    assert rows["REQ-2026-0107"]["seq"] == 11 and rows["REQ-2026-0107"]["outcome"] == "engage"
    assert rows["REQ-2026-0107"]["corrects"] == 7
    assert rows["REQ-2026-0107"]["human_decision"] is None  # people decide again on the new recommendation
    assert len(rows) == 9
    status, _, err = run("log", "decide", "7", "--decision", "engage", "--by", "J", "--db", db)
    assert status == 2 and "#7 was superseded by #11; use #11" in err
    ok("log", "decide", "REQ-2026-0107", "--decision", "engage", "--by", "Jane Doe", "--db", db)
    with LogStore.open(db) as store:
        result = verify(store)
    assert result.ok and result.replayed == 10


def test_a_record_made_in_error_is_withdrawn(db: str) -> None:
    record_examples(db)
    out = ok("log", "correct", "3", "--by", "Jane Doe", "--reason", "recorded twice by mistake", "--db", db)
    assert out == "#10: REQ-2026-0103: supersedes #3 (recorded twice by mistake); withdraws it\n"
    assert [r["seq"] for r in listing(db)] == [1, 2, 4, 5, 6, 7, 8, 9]
    every = ok("log", "list", "--all", "--db", db)
    assert "[superseded by #10]" in every and "10 records" in every
    status, _, err = run("log", "correct", "3", "--by", "J", "--reason", "", "--db", db)
    assert status == 2 and "--reason must say why" in err


ROUNDS = 3


def correcting_worker(url: str, name: str, targets: list[int], barrier: Any) -> list[str]:
    """Correct each of ``targets`` in turn, all the workers at once (they meet at the barrier before each)."""
    store = LogStore.open(url)
    told = []
    try:
        for seq in targets:
            barrier.wait(timeout=120)
            try:
                made = correct(
                    store,
                    str(seq),
                    by=name,
                    reason=f"{name} saw it wrong",
                    recorded_by=name,
                    outcome="engage",
                    justification="the Board asked to proceed",
                )
            except ReviewError as exc:
                told.append(str(exc))
            else:
                told.append(f"corrected by #{made.seq}")
    finally:
        store.close()
    return told


def test_corrections_of_one_record_at_once_give_one_correction_and_tell_the_others(db: str) -> None:
    workers = 4
    record_examples(db)  # nine engine decisions, #1 to #9
    for seq in range(1, ROUNDS + 1):  # a human decision on each of the first three, #10 to #12
        ok("log", "decide", str(seq), "--decision", "decline", "--by", "Jane Doe", "--justification", "no funds", "--db", db)
    targets = list(range(10, 10 + ROUNDS))
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(workers) as pool:
        barrier = manager.Barrier(workers)
        results = pool.starmap(correcting_worker, [(db, f"officer-{w}", targets, barrier) for w in range(workers)])
    with LogStore.open(db) as store:
        assert verify(store).ok
        for n, seq in enumerate(targets):
            told = [r[n] for r in results]
            won = [t for t in told if t.startswith("corrected by #")]
            assert len(won) == 1, told
            winner = won[0].removeprefix("corrected by #")
            lost = f"#{seq}: superseded: #{seq} was superseded by #{winner}; use #{winner}"
            assert sorted(told) == sorted([won[0]] + [lost] * (workers - 1)), told
            made = store.get(int(winner))
            assert made is not None and made.supersedes == seq
    corrections = [r for r in json.loads(ok("log", "list", "--all", "--db", db, "--format", "json")) if r["kind"] == "correction"]
    assert sorted(r["supersedes"] for r in corrections) == targets  # one correction of each record, no more
    humans = {e["request_id"]: e["human_decision"] for e in listing(db)}
    assert [humans[f"REQ-2026-010{n}"]["decision"] for n in range(1, ROUNDS + 1)] == ["engage"] * ROUNDS


def shown(db: str, ident: str) -> dict[str, object]:
    """The record as ``engage log show --format json`` prints it, without what changes from run to run."""
    record = json.loads(ok("log", "show", ident, "--db", db, "--format", "json"))["record"]
    return {k: v for k, v in record.items() if k not in ("hash", "prev_hash", "recorded_at", "ruleset_hash")}


def refusal(db: str, *argv: str) -> str:
    status, out, err = run(*argv, "--db", db)
    assert status == 2 and out == "", (status, out, err)
    return err


def test_every_refusal_names_the_record_what_is_wrong_and_what_to_do(db: str, tmp_path: Path) -> None:
    record_examples(db)
    decide_1 = ("log", "decide", "1", "--decision")
    choose = "engage, respond_ad_hoc, assess_needs, consider_in_strategy, exception_review, request_information, decline"
    assert refusal(db, *decide_1, "engage", "--by", "  ") == "#1: missing-name: --by must name who decided\n"
    assert refusal(db, *decide_1, "maybe", "--by", "J") == (
        f"#1: unknown-outcome: 'maybe' is not an outcome; choose one of: {choose}\n"
    )
    assert refusal(db, *decide_1, "decline", "--by", "J") == (
        "#1: justification-required: deciding 'decline' departs from the engine's recommendation 'engage': give --justification\n"
    )
    # A record is named as '#N' however the number was typed; anything else as typed.
    not_found = "not-found: no such record or request in the decision log\n"
    assert refusal(db, "log", "decide", "##99", "--decision", "engage", "--by", "J") == f"#99: {not_found}"
    assert refusal(db, "log", "decide", " 99 ", "--decision", "engage", "--by", "J") == f"#99: {not_found}"
    assert refusal(db, "log", "decide", "99#", "--decision", "engage", "--by", "J") == f"99#: {not_found}"
    assert refusal(db, "log", "decide", "X7", "--decision", "engage", "--by", "J") == f"X7: {not_found}"

    ok("log", "decide", "#1", "--decision", "engage", "--by", "Jane Doe", "--db", db)  # #10
    assert refusal(db, "log", "decide", "#1", "--decision", "decline", "--by", "Joe", "--justification", "x") == (
        "#1: already-decided: #1 was decided in #10 (engage, by Jane Doe); to change that, correct it:"
        " engage log correct 10 ...\n"
    )
    assert refusal(db, "log", "decide", "#10", "--decision", "engage", "--by", "Joe") == (
        "#10: not-a-decision: #10 is a human decision, not an engine decision\n"
    )
    assert refusal(db, "log", "correct", "#10", "--by", "Jane Doe", "--reason", " ") == (
        "#10: missing-reason: --reason must say why the record is corrected\n"
    )
    assert refusal(db, "log", "correct", "#10", "--by", " ", "--reason", "typo") == (
        "#10: missing-name: --by must name who corrects it\n"
    )
    assert refusal(db, "log", "correct", "#10", "--by", "J", "--reason", "typo", "--decision", "maybe") == (
        f"#10: unknown-outcome: 'maybe' is not an outcome; choose one of: {choose}\n"
    )
    assert refusal(db, "log", "correct", "#10", "--by", "J", "--reason", "typo", "--decision", "decline") == (
        "#10: justification-required: deciding 'decline' departs from the engine's recommendation 'engage':"
        " give --justification\n"
    )
    request = next(write_requests(tmp_path / "again", only=("01",)).iterdir())
    assert refusal(db, "log", "correct", "#10", "--by", "J", "--reason", "typo", "--request", str(request)) == (
        "#10: wrong-correction: #10 is a human decision: correct it with --decision\n"
    )
    assert refusal(db, "log", "correct", "#1", "--by", "J", "--reason", "typo", "--decision", "engage") == (
        "#1: wrong-correction: #1 is an engine decision: correct it with --request FILE\n"
    )
    other = next(write_requests(tmp_path / "other", only=("02",)).iterdir())
    assert refusal(db, "log", "correct", "#1", "--by", "J", "--reason", "typo", "--request", str(other)) == (
        "#1: other-request: the corrected request is REQ-2026-0102, but #1 is about REQ-2026-0101\n"
    )

    ok("log", "correct", "#3", "--by", "Jane Doe", "--reason", "sent twice", "--db", db)  # #11 withdraws #3
    assert refusal(db, "log", "correct", "#11", "--by", "J", "--reason", "undo") == (
        "#11: withdrawn: #11 withdraws a record; there is nothing in it to correct\n"
    )
    assert refusal(db, "log", "correct", "#3", "--by", "J", "--reason", "again") == (
        "#3: superseded: #3 was superseded by #11; use #11\n"
    )
    assert refusal(db, "log", "decide", "#3", "--decision", "engage", "--by", "J") == (
        "#3: superseded: #3 was superseded by #11; use #11\n"
    )
    assert [r["seq"] for r in listing(db)] == [1, 2, 4, 5, 6, 7, 8, 9]  # nothing refused was recorded


def test_each_record_of_a_review_keeps_who_did_what_on_which_decision(db: str, tmp_path: Path) -> None:
    record_examples(db)
    ok("log", "decide", "1", "--decision", "engage", "--by", "  Jane Doe ", "--db", db, "--user", "clerk")
    assert shown(db, "10") == {
        "seq": 10, "kind": "human_decision", "request_id": "REQ-2026-0101", "supersedes": None, "decides": 1,
        "recorded_by": "clerk", "as_of": None, "outcome": "engage", "country": "SLE", "region": "africa",
        "details": {"by": "Jane Doe", "justification": None, "engine_outcome": "engage"},
    }  # fmt: skip
    ok(
        "log", "correct", "10", "--by", " Joe Bloggs ", "--reason", "  wrong outcome ", "--decision", "decline",
        "--justification", "  Funds withdrawn  ", "--db", db, "--user", "registrar",
    )  # fmt: skip
    assert shown(db, "11") == {
        "seq": 11, "kind": "correction", "request_id": "REQ-2026-0101", "supersedes": 10, "decides": 1,
        "recorded_by": "registrar", "as_of": None, "outcome": "decline", "country": "SLE", "region": "africa",
        "details": {"by": "Joe Bloggs", "justification": "Funds withdrawn", "engine_outcome": "engage",
                    "reason": "wrong outcome"},
    }  # fmt: skip
    ok("log", "correct", "11", "--by", "Joe Bloggs", "--reason", "decided too early", "--db", db, "--user", "registrar")
    assert shown(db, "12") == {
        "seq": 12, "kind": "correction", "request_id": "REQ-2026-0101", "supersedes": 11, "decides": None,
        "recorded_by": "registrar", "as_of": None, "outcome": None, "country": None, "region": None,
        "details": {"by": "Joe Bloggs", "reason": "decided too early"},
    }  # fmt: skip
    assert listing(db)[0]["human_decision"] is None  # the human decision withdrawn, the engine's stands

    request = next(write_requests(tmp_path / "fixed", only=("02",)).iterdir())
    ok(
        "log", "correct", "2", "--by", " Jane Doe ", "--reason", " the file was re-sent ", "--request", str(request),
        "--as-of", "2026-11-25", "--db", db, "--user", "registrar",
    )  # fmt: skip
    engine = shown(db, "2")
    corrected = shown(db, "13")
    assert corrected["details"] == {"by": "Jane Doe", "reason": "the file was re-sent"}
    assert (corrected["kind"], corrected["supersedes"], corrected["recorded_by"], corrected["as_of"]) == (
        "correction",
        2,
        "registrar",
        "2026-11-25",
    )
    assert {k: corrected[k] for k in ("request_id", "outcome", "country", "region")} == {
        k: engine[k] for k in ("request_id", "outcome", "country", "region")
    }
    ok("log", "correct", "4", "--by", " Ana ", "--reason", " duplicate ", "--db", db, "--user", "registrar")
    assert shown(db, "14") == {
        "seq": 14, "kind": "correction", "request_id": "REQ-2026-0104", "supersedes": 4, "decides": None,
        "recorded_by": "registrar", "as_of": None, "outcome": None, "country": None, "region": None,
        "details": {"by": "Ana", "reason": "duplicate"},
    }  # fmt: skip


class _Racing(LogStore):
    """A log on which another person's write lands between this one's reading and its writing (once)."""

    other: Callable[[LogStore], object] | None = None

    def append(self, drafts: Sequence[Draft], check: Callable[[Connection], None] | None = None) -> list[LogRecord]:
        other, self.other = self.other, None
        if other is not None:
            other(self)
        return super().append(drafts, check)


def _race(db: str, other: Callable[[LogStore], object], mine: Callable[[LogStore], object]) -> ReviewError:
    with _Racing.open(db) as store:
        store.other = other
        with pytest.raises(ReviewError) as refused:
            mine(store)
        assert verify(store, replay=False).ok
    return refused.value


def test_two_people_deciding_or_correcting_one_record_at_once_one_is_refused(db: str) -> None:
    record_examples(db)
    # Jane's human decision lands first: Joe's, checked again under the lock, is refused.
    refused = _race(
        db,
        lambda s: decide(s, "1", "engage", "Jane Doe", None, "clerk"),
        lambda s: decide(s, "1", "decline", "Joe", "no funds", "clerk"),
    )
    assert str(refused) == (
        "#1: already-decided: #1 was decided in #10 (engage, by Jane Doe); to change that, correct it: engage log correct 10 ..."
    )
    # The engine decision is withdrawn while Joe decides on it.
    refused = _race(
        db,
        lambda s: correct(s, "#2", by="Jane Doe", reason="sent twice", recorded_by="clerk"),
        lambda s: decide(s, "#2", "respond_ad_hoc", "Joe", None, "clerk"),
    )
    assert str(refused) == "#2: superseded: #2 was superseded by #11; use #11"
    # Two corrections of one record: the second is refused.
    refused = _race(
        db,
        lambda s: correct(s, "#3", by="Jane Doe", reason="sent twice", recorded_by="clerk"),
        lambda s: correct(s, "#3", by="Joe", reason="duplicate", recorded_by="clerk"),
    )
    assert str(refused) == "#3: superseded: #3 was superseded by #12; use #12"
    assert [r["seq"] for r in listing(db)] == [1, 4, 5, 6, 7, 8, 9]
    assert listing(db)[0]["human_decision"] == {
        "seq": 10, "decision": "engage", "by": "Jane Doe", "justification": None, "follows": True,
    }  # fmt: skip


def test_a_decision_whose_stored_rules_no_longer_load_can_still_be_decided(db: str) -> None:
    # The outcomes offered come from the stored ruleset; when it does not load, none is refused as
    # unknown, and departing from the engine still needs a justification.
    record_examples(db)
    sha = query(db, "SELECT sha256 FROM ruleset_files WHERE path = 'outcome.yaml'")[0][0]
    execute_bypassing_triggers(
        db,
        [("UPDATE policy_blobs SET content = :c WHERE sha256 = :s", {"c": b"stage: [", "s": sha})],
        tables=("log_records", "policy_blobs", "ruleset_files", "rulesets"),
    )
    assert refusal(db, "log", "decide", "1", "--decision", "decline", "--by", "J") == (
        "#1: justification-required: deciding 'decline' departs from the engine's recommendation 'engage': give --justification\n"
    )
    out = ok("log", "decide", "1", "--decision", "engage", "--by", "Jane Doe", "--db", db)
    assert out == "#10: REQ-2026-0101: decided engage by Jane Doe on #1 (follows the engine's recommendation)\n"
    out = ok(
        "log", "correct", "10", "--by", "Jane Doe", "--reason", "r", "--decision", "decline", "--justification", "x", "--db", db
    )
    assert out.startswith("#11: REQ-2026-0101: supersedes #10 (r); decided decline by Jane Doe on #1")
