"""Recording follows the release in force on the evaluation date, wherever the command runs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.log.audit import verify
from engine.log.releases import approve, propose, releases
from engine.log.store import LogStore
from engine.policy.loader import load_policy

from ..helpers.logsupport import EXAMPLES, execute_bypassing_triggers, query, run
from ..helpers.support import copy_policy, edit

FIRST = EXAMPLES / "01-engage-nhri-programme.yaml"
SECOND = EXAMPLES / "02-advisory-ad-hoc.yaml"


def _record(db: str, path: Path, as_of: str, *extra: str) -> tuple[int, str]:
    status, _, err = run("evaluate", str(path), "--as-of", as_of, "--record", "--db", db, "--user", "clerk", *extra)
    return status, err


def _details(db: str, request_id: str) -> tuple[dict[str, object], str]:
    details, ruleset = query(db, "SELECT details, ruleset_hash FROM log_records WHERE request_id = :r", r=request_id)[-1]
    return json.loads(details), str(ruleset)


def _changed(tmp_path: Path) -> tuple[Path, Path]:
    rules, criteria = copy_policy(tmp_path / "changed")
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    return rules, criteria


def test_the_first_recording_adopts_the_rules_and_names_release_1(db: str) -> None:
    status, err = _record(db, FIRST, "2026-11-24")
    assert status == 0 and "recorded 1 decision in" in err and "(#1) under release 1" in err
    info, _ = _details(db, "REQ-2026-0101")
    assert info["release"] == 1
    with LogStore.open(db) as store:
        first = releases(store).get(1)
    assert (first.author, first.note, first.effective_from) == ("clerk", "adopted at first use", None)
    shown = run("log", "show", "1", "--db", db)[1]
    assert "\n  release 1\n" in shown


def test_other_rules_given_are_refused_unless_unreleased_and_then_marked(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    rules, criteria = _changed(tmp_path)
    status, err = _record(db, SECOND, "2026-11-24", "--rules", str(rules), "--criteria", str(criteria))
    assert status == 2
    assert err.startswith("--rules/--criteria: not-released: the rules given (ruleset sha256:")
    assert "are not release 1, in force on 2026-11-24" in err and "--unreleased" in err
    assert query(db, "SELECT count(*) FROM log_records")[0][0] == 1
    status, err = _record(db, SECOND, "2026-11-24", "--rules", str(rules), "--criteria", str(criteria), "--unreleased")
    assert status == 0 and "under unreleased rules" in err
    info, ruleset = _details(db, "REQ-2026-0102")
    assert info.get("unreleased") is True and "release" not in info
    assert ruleset == load_policy(rules, criteria).hash
    assert "unreleased rules (recorded with --unreleased" in run("log", "show", "2", "--db", db)[1]
    with LogStore.open(db) as store:
        assert verify(store).ok


def test_a_checkout_records_with_the_release_in_force_from_its_day(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    rules, criteria = _changed(tmp_path)
    changed = load_policy(rules, criteria)
    with LogStore.open(db) as store:
        shipped_hash = releases(store).get(1).ruleset_hash
        propose(store, changed, by="carol", note="reword line 2", effective_from=date(2026, 12, 10))
        approve(store, 2, by="dana", justification="agreed")
    # In a checkout of the changed rules, release 1 decides the day before release 2 comes into force.
    monkeypatch.chdir(tmp_path / "changed")
    status, err = _record(db, SECOND, "2026-12-09")
    assert status == 0 and "under release 2" not in err and "under release 1" in err
    assert _details(db, "REQ-2026-0102") == ({"release": 1, "source": str(SECOND)}, shipped_hash)
    status, err = _record(db, EXAMPLES / "03-needs-assessment.yaml", "2026-12-10")
    assert status == 0 and "under release 2" in err
    info, ruleset = _details(db, "REQ-2026-0103")
    assert info["release"] == 2 and ruleset == changed.hash
    monkeypatch.chdir(tmp_path)  # no checkout: the shipped files are found, release 2 decides
    status, _, err = run(
        "evaluate", str(EXAMPLES / "04-strategy-in-development.yaml"), "--as-of", "2026-12-11", "--record", "--db", db
    )
    assert status == 0, err
    assert _details(db, "REQ-2026-0104")[1] == changed.hash
    with LogStore.open(db) as store:
        assert verify(store).ok


def test_worker_processes_decide_with_the_release_in_force_too(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    rules, criteria = _changed(tmp_path)
    changed = load_policy(rules, criteria)
    with LogStore.open(db) as store:
        propose(store, changed, by="carol", note="reword line 2", effective_from=date(2026, 12, 10))
        approve(store, 2, by="dana", justification="agreed")
    status, _, err = run(
        "evaluate", str(EXAMPLES), "--as-of", "2026-12-10", "--record", "--update", "--jobs", "2", "--db", db, "--quiet"
    )
    assert status == 0, err
    assert "recorded 9 decisions" in err and "under release 2" in err
    made = query(db, "SELECT DISTINCT ruleset_hash FROM log_records WHERE seq > 1")
    assert [tuple(r) for r in made] == [(changed.hash,)]
    with LogStore.open(db) as store:
        assert verify(store).ok


def _forge_release(db: str, seq: int, number: int) -> None:
    """Say release ``number`` made record ``seq``, recomputing its hash, as someone with the database could."""
    from engine.log.store import record_hash

    with LogStore.open(db) as store:
        record = store.get(seq)
    assert record is not None and record.details is not None
    details = record.details.replace('"release":1', f'"release":{number}')
    digest = record_hash(record.content() | {"details": details}, record.prev_hash)
    statement = ("UPDATE log_records SET details = :d, hash = :h WHERE seq = :s", {"d": details, "h": digest, "s": seq})
    execute_bypassing_triggers(db, [statement])


def test_verify_names_a_decision_naming_a_release_that_did_not_make_it_and_a_rewritten_anchor(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    with LogStore.open(db) as store:
        propose(store, load_policy(*_changed(tmp_path)), by="carol", note="x", effective_from=date(2026, 12, 10))
        approve(store, 2, by="dana", justification="agreed")
    assert _record(db, SECOND, "2026-12-09")[0] == 0  # #2, by release 1
    _forge_release(db, 2, 2)
    with LogStore.open(db) as store:
        problems = [str(p) for p in verify(store, replay=False).problems]
    assert len(problems) == 1 and problems[0].startswith("#2 (REQ-2026-0102): decision-release: names release 2 (ruleset")
    assert "but was made by ruleset" in problems[0]
    # #1 is older than the release steps, which hold its hash: rewriting it is seen through them.
    _forge_release(db, 1, 7)
    with LogStore.open(db) as store:
        problems = [str(p) for p in verify(store, replay=False).problems]
    assert problems[0].startswith("#2 (REQ-2026-0102): broken-link")
    assert any(
        p.startswith(
            "release record 2 (release 2 proposed): release-anchor: was taken when the decision log's last record was #1"
        )
        and p.endswith("the decision log was rewritten")
        for p in problems
    )
