"""People decide: human decisions on recorded decisions, justifications, corrections."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

from engine.log.audit import verify
from engine.log.review import ReviewError, correct
from engine.log.store import LogStore

from ..helpers.logsupport import ok, record_examples, run, write_requests


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
