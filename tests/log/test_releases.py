"""Releases in the log: proposed, approved by someone else, in force from their date; every step in the chain."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.log.audit import verify
from engine.log.releases import (
    ADOPTION_NOTE,
    ReleaseError,
    adopt_first,
    approve,
    propose,
    reject,
    releases,
    withdraw,
)
from engine.log.store import LogStore
from engine.policy.loader import load_policy
from engine.policy.model import Policy

from ..helpers.logsupport import execute_bypassing_triggers, query
from ..helpers.support import ROOT, copy_policy, edit

EFFECTIVE = date(2026, 12, 10)
RELEASES = ("release_records",)


def _shipped() -> Policy:
    return load_policy(ROOT / "rules", ROOT / "criteria")


def _changed(tmp_path: Path, name: str = "changed") -> Policy:
    """The shipped rules with one reason reworded: another ruleset hash, the same outcomes."""
    rules, criteria = copy_policy(tmp_path / name)
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    return load_policy(rules, criteria)


def _release_count(db: str) -> int:
    return int(query(db, "SELECT count(*) FROM release_records")[0][0])


def _codes(store: LogStore) -> list[str]:
    return [p.code for p in verify(store, replay=False).problems]


def test_a_new_log_adopts_its_first_rules_as_release_1_in_force_from_the_start(db: str) -> None:
    with LogStore.open(db) as store:
        first = adopt_first(store, _shipped(), "alice")
        again = adopt_first(store, _shipped(), "bob")  # a second first use adds nothing
        found = releases(store)
        assert len(found) == 1 and again == first
        assert (first.number, first.author, first.note, first.effective_from) == (1, "alice", ADOPTION_NOTE, None)
        assert first.approved and found.state(first, date(1990, 1, 1)) == "in force"
        assert found.in_force(date(1900, 1, 1)) == first
        assert store.count() == 0  # the decision log's numbers stay the decisions' own
        assert _release_count(db) == 1 and _codes(store) == []


def test_the_life_of_a_release_proposed_refused_to_its_author_approved_in_force_from_its_day(db: str, tmp_path: Path) -> None:
    changed = _changed(tmp_path)
    with LogStore.open(db) as store:
        adopt_first(store, _shipped(), "alice")
        second = propose(store, changed, by="carol", note="reword line 2", effective_from=EFFECTIVE)
        assert second.number == 2 and second.ruleset_hash == changed.hash and store.has_ruleset(changed.hash)
        assert releases(store).state(second, EFFECTIVE) == "proposed"
        with pytest.raises(ReleaseError) as refused:
            approve(store, 2, by="carol", justification="looks right")
        assert refused.value.code == "four-eyes"
        assert "carol proposed release 2 and cannot approve it too" in refused.value.message
        approved = approve(store, 2, by="dana", justification="the Board agreed on 1 December")
        assert approved.approval is not None and approved.approval.by == "dana"
        assert approved.approval.text == "the Board agreed on 1 December"
        found = releases(store)
        assert found.in_force(date(2026, 12, 9)).number == 1  # type: ignore[union-attr]
        assert found.in_force(EFFECTIVE).number == 2  # type: ignore[union-attr]
        assert found.state(found.get(2), date(2026, 12, 9)) == "approved"
        assert found.state(found.get(2), EFFECTIVE) == "in force"
        assert found.state(found.get(1), EFFECTIVE) == "superseded"
        with pytest.raises(ReleaseError) as twice:
            approve(store, 2, by="erin", justification="again")
        assert twice.value.code == "not-proposed" and "release 2 is approved already (by dana" in twice.value.message
        assert _release_count(db) == 3 and _codes(store) == []


def test_rejection_withdrawal_and_rollback(db: str, tmp_path: Path) -> None:
    shipped, changed = _shipped(), _changed(tmp_path)
    with LogStore.open(db) as store:
        adopt_first(store, shipped, "alice")
        propose(store, changed, by="carol", note="first try", effective_from=EFFECTIVE)
        assert reject(store, 2, by="dana", reason="not discussed yet").closing.text == "not discussed yet"  # type: ignore[union-attr]
        propose(store, changed, by="carol", note="second try", effective_from=EFFECTIVE)
        with pytest.raises(ReleaseError) as other:
            withdraw(store, 3, by="dana")
        assert other.value.code == "not-author"
        withdraw(store, 3, by="carol")
        propose(store, changed, by="carol", note="third try", effective_from=EFFECTIVE)
        approve(store, 4, by="dana", justification="agreed")
        # Rolling back is proposing release 1's rules again.
        back = propose(store, shipped, by="carol", note="roll back to release 1", effective_from=date(2026, 12, 20))
        approve(store, back.number, by="dana", justification="line 2 confused requesters")
        found = releases(store)
        assert [found.state(r, date(2026, 12, 20)) for r in found] == [
            "superseded",
            "rejected",
            "withdrawn",
            "superseded",
            "in force",
        ]
        assert found.in_force(date(2026, 12, 19)).number == 4  # type: ignore[union-attr]
        assert found.in_force(date(2026, 12, 20)).ruleset_hash == shipped.hash  # type: ignore[union-attr]
        with pytest.raises(ReleaseError) as closed:
            withdraw(store, 2, by="carol")
        assert closed.value.code == "not-proposed" and "release 2 is rejected already" in closed.value.message
        assert _codes(store) == []


def _life(db: str, tmp_path: Path) -> None:
    with LogStore.open(db) as store:
        adopt_first(store, _shipped(), "alice")
        propose(store, _changed(tmp_path), by="carol", note="reword", effective_from=EFFECTIVE)
        approve(store, 2, by="dana", justification="agreed")


def test_verify_names_an_edited_release_record(db: str, tmp_path: Path) -> None:
    _life(db, tmp_path)
    proposal = query(db, "SELECT details FROM release_records WHERE seq = 2")[0][0]
    edited = proposal.replace("2026-12-10", "2026-12-01")
    execute_bypassing_triggers(db, [("UPDATE release_records SET details = :d WHERE seq = 2", {"d": edited})], RELEASES)
    with LogStore.open(db) as store:
        problems = verify(store, replay=False).problems
    assert [str(p) for p in problems] == [
        "release record 2 (release 2 proposed): edited: its content does not give its hash:"
        " the row was changed after it was recorded"
    ]


def test_verify_names_an_approval_given_to_another_person_and_one_with_its_hash_recomputed(db: str, tmp_path: Path) -> None:
    _life(db, tmp_path)
    execute_bypassing_triggers(db, ["UPDATE release_records SET recorded_by = 'carol' WHERE seq = 3"], RELEASES)
    with LogStore.open(db) as store:
        assert [str(p) for p in verify(store, replay=False).problems] == [
            "release record 3 (release 2 approved): edited: its content does not give its hash:"
            " the row was changed after it was recorded"
        ]
    # Whoever also recomputes the hash is named by the rule it breaks: four eyes.
    from engine.log.releases import ReleaseRecord, chain
    from engine.log.store import record_hash

    with LogStore.open(db) as store, store.reading() as conn:
        forged = chain(conn)[2]
    digest = record_hash(forged.content(), forged.prev_hash)
    execute_bypassing_triggers(db, [("UPDATE release_records SET hash = :h WHERE seq = 3", {"h": digest})], RELEASES)
    with LogStore.open(db) as store:
        assert [str(p) for p in verify(store, replay=False).problems] == [
            "release record 3 (release 2 approved): four-eyes: release 2 is approved by its own author, carol"
        ]
    assert isinstance(forged, ReleaseRecord)


def test_verify_names_a_deleted_release_record(db: str, tmp_path: Path) -> None:
    _life(db, tmp_path)
    execute_bypassing_triggers(db, ["DELETE FROM release_records WHERE seq = 2"], RELEASES)
    with LogStore.open(db) as store:
        problems = verify(store, replay=False).problems
    assert [(p.where, p.code) for p in problems] == [("release record 3 (release 2 approved)", "missing")]


def test_the_release_chain_is_append_only_and_refuses_a_second_closing_step(db: str, tmp_path: Path) -> None:
    _life(db, tmp_path)
    rows = query(db, "SELECT release, step, closing FROM release_records ORDER BY seq")
    assert [tuple(r) for r in rows] == [(1, "adopted", 1), (2, "proposed", None), (2, "approved", 2)]
    from sqlalchemy.exc import DatabaseError, IntegrityError

    with pytest.raises(DatabaseError, match="append-only"):
        execute_bypassing_triggers(db, ["UPDATE release_records SET step = 'x' WHERE seq = 3"], ())
    with pytest.raises(IntegrityError):
        execute_bypassing_triggers(
            db,
            [
                "INSERT INTO release_records (seq, release, step, closing, recorded_at, recorded_by, ruleset_hash,"
                " details, log_seq, log_hash, prev_hash, hash)"
                " VALUES (4, 2, 'approved', 2, 'now', 'erin', 'h', '{}', 0, 'h', 'h', 'h')"
            ],
            (),
        )


def approving_worker(url: str, name: str, barrier: Any) -> str:
    store = LogStore.open(url)
    try:
        barrier.wait(timeout=120)
        try:
            approve(store, 2, by=name, justification=f"{name} agrees")
        except ReleaseError as exc:
            return exc.code
        return "approved"
    finally:
        store.close()


def test_approvals_of_one_release_at_once_give_one_approval(db: str, tmp_path: Path) -> None:
    workers = 4
    with LogStore.open(db) as store:
        adopt_first(store, _shipped(), "alice")
        propose(store, _changed(tmp_path), by="carol", note="reword", effective_from=EFFECTIVE)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(workers) as pool:
        barrier = manager.Barrier(workers)
        results = pool.starmap(approving_worker, [(db, f"board-{w}", barrier) for w in range(workers)])
    assert sorted(results) == ["approved"] + ["not-proposed"] * (workers - 1)
    assert _release_count(db) == 3
    with LogStore.open(db) as store:
        assert _codes(store) == []
