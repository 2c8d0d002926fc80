"""Verify's hashing and replay by units, in this process or in workers: the same problems either way.

The tamperings are those of ``test_audit.py``; here each log is verified in one process and in
two worker processes with units of two records, so that every unit boundary and the merge of
the workers' answers are exercised on a small log.
"""

from __future__ import annotations

import pytest

from engine.batches.processes import worker_pool
from engine.log.audit import verify
from engine.log.checking import fast_hash
from engine.log.store import LogRecord, LogStore, record_hash

from ..helpers.logsupport import execute_bypassing_triggers, query, record_examples

TABLES = ("log_records", "policy_blobs", "ruleset_files", "rulesets")

TAMPERINGS: dict[str, list[str]] = {
    "untouched": [],
    "edited": [
        "UPDATE log_records SET outcome = 'engage',"
        ' decision = replace(decision, \'"outcome":"decline"\', \'"outcome":"engage"\') WHERE seq = 8'
    ],
    "deleted": ["DELETE FROM log_records WHERE seq = 4"],
    "renumbered": ["DELETE FROM log_records WHERE seq = 4"]
    + [f"UPDATE log_records SET seq = {n - 1} WHERE seq = {n}" for n in range(5, 10)],
    "swapped": [
        "UPDATE log_records SET seq = -1 WHERE seq = 3",
        "UPDATE log_records SET seq = 3 WHERE seq = 6",
        "UPDATE log_records SET seq = 6 WHERE seq = -1",
    ],
    "column-only": ["UPDATE log_records SET country = 'FRA' WHERE seq = 2"],
    "stored-decision-not-json": ["UPDATE log_records SET decision = 'not json' WHERE seq = 5"],
}


def problems(db: str, **options: int) -> list[str]:
    with LogStore.open(db) as store:
        result = verify(store, pool=worker_pool, **options)  # type: ignore[arg-type]
        assert result.records > 0
        return [str(p) for p in result.problems] + [f"replayed {result.replayed}", f"rulesets {len(result.rulesets)}"]


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_workers_find_what_one_process_finds(db: str, tampering: str) -> None:
    record_examples(db)
    execute_bypassing_triggers(db, TAMPERINGS[tampering])
    alone = problems(db, jobs=1)
    assert problems(db, jobs=2, unit=2) == alone
    assert problems(db, jobs=1, unit=3) == alone
    assert (alone[:-2] == []) == (tampering == "untouched")


def test_a_changed_rule_file_is_named_once_with_workers(db: str) -> None:
    record_examples(db)
    sha, content = query(
        db,
        "SELECT b.sha256, b.content FROM policy_blobs b JOIN ruleset_files f ON f.sha256 = b.sha256"
        " WHERE f.path = 'outcome.yaml'",
    )[0]
    changed = bytes(content).replace(b"All the conditions for technical cooperation engagement are met.", b"Fine.")
    execute_bypassing_triggers(
        db, [("UPDATE policy_blobs SET content = :c WHERE sha256 = :s", {"c": changed, "s": sha})], tables=TABLES
    )
    found = problems(db, jobs=2, unit=2)
    assert found == problems(db, jobs=1)
    assert sum(": ruleset-changed: " in line for line in found) == 1  # each unit met it; the merge names it once
    assert sum(": replay-differs: " in line for line in found) == 9


def test_the_fast_hash_is_the_stored_formula(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store, store.reading() as conn:
        rows = list(store.walk(conn))
    odd = LogRecord(**{**rows[0].__dict__, "request_id": 'q"u\\o\u00e9\n\u2603', "supersedes": 3, "details": None})
    for record in [*rows, odd]:
        values = tuple(record.__dict__.values())
        assert fast_hash(values) == record_hash(record.content(), record.prev_hash)
    assert all(fast_hash(tuple(r.__dict__.values())) == r.hash for r in rows)


def test_log_verify_jobs_prints_what_one_process_prints(db: str) -> None:
    from ..helpers.logsupport import run

    record_examples(db)
    execute_bypassing_triggers(db, TAMPERINGS["edited"])
    alone = run("log", "verify", "--db", db, "--jobs", "1")
    assert alone[0] == 1 and "#8 (REQ-2026-0108): edited" in alone[1]
    assert run("log", "verify", "--db", db, "--jobs", "2") == alone
    status, _, err = run("log", "verify", "--db", db, "--jobs", "0")
    assert status == 2 and "'0' is not a number of processes" in err


def test_the_replays_text_is_the_text_a_recording_stores() -> None:
    """What verify compares a stored decision with: store_json of the decision, ASCII escapes and all."""
    from datetime import date

    from engine.batches.inputs import read_requests
    from engine.evaluation.evaluator import Engine
    from engine.log.checking import _stored_text
    from engine.log.store import store_json

    from ..helpers.logsupport import EXAMPLES

    requests = [dict(item.doc.data) for item in read_requests([str(EXAMPLES)]) if item.doc is not None]
    accented = {**next(r for r in requests if "exception" in r), "id": "REQ-ÉTÉ-1"}
    accented["exception"] = {**accented["exception"], "justification": "Le bureau régional gère le projet \u2603"}
    with Engine.load() as engine:
        decisions = [engine.evaluate(r, date(2026, 11, 1)) for r in [*requests, accented]]
    texts = [_stored_text(d) for d in decisions]
    assert texts == [store_json(d.to_dict()) for d in decisions]
    assert "\\u00e9" in texts[-1] and "\\u2603" in texts[-1]  # escaped as the log stores it, not the compact form's é
