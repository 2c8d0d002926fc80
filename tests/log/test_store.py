"""Recording decisions: what a record holds, the hash chain, rulesets by content, concurrent writers."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import shutil
from pathlib import Path

from engine.evaluation.evaluator import Engine
from engine.log.audit import verify
from engine.log.store import GENESIS, LogStore, record_hash, store_json

from ..helpers.logsupport import EXAMPLES, concurrent_writer, ok, query, record_examples, run, write_requests
from ..helpers.support import ROOT


def test_evaluate_record_stores_request_decision_user_and_ruleset(db: str) -> None:
    err = record_examples(db, user="alice")
    assert "recorded 9 decisions" in err and "(#1 to #9)" in err
    engine = Engine.load()
    with LogStore.open(db) as store, store.reading() as conn:
        records = list(store.walk(conn))
    assert [r.seq for r in records] == list(range(1, 10))
    first = records[0]
    assert first.kind == "decision" and first.recorded_by == "alice" and first.as_of == "2026-11-24"
    assert first.ruleset_hash == engine.policy.hash
    assert first.info["source"].endswith("01-engage-nhri-programme.yaml")
    # The request as received (nulls and all), and the decision as evaluate prints it.
    received = json.loads(first.request)
    assert received["id"] == "REQ-2026-0101" and received["country"] == "SLE"
    status, printed, _ = run(
        "evaluate", str(EXAMPLES / "01-engage-nhri-programme.yaml"), "--as-of", "2026-11-24", "--format", "json"
    )
    assert status == 0
    assert json.loads(printed) == json.loads(first.decision)
    assert first.decision == store_json(json.loads(printed))
    engine.close()


def test_records_form_a_hash_chain(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store, store.reading() as conn:
        records = list(store.walk(conn))
    prev = GENESIS
    for record in records:
        assert record.prev_hash == prev
        assert record.hash == record_hash(record.content(), prev)
        prev = record.hash
    assert len({r.hash for r in records}) == len(records)


def test_a_ruleset_is_stored_once_and_each_file_once_by_content(db: str, tmp_path: Path) -> None:
    record_examples(db)
    record_examples(db)  # same rules again: nothing new stored
    assert query(db, "SELECT count(*) FROM rulesets")[0][0] == 1
    files = query(db, "SELECT count(*) FROM ruleset_files")[0][0]
    assert files == len(list((ROOT / "rules").glob("*.yaml"))) + len(list((ROOT / "criteria").glob("*.yaml")))
    assert query(db, "SELECT count(*) FROM policy_blobs")[0][0] == files

    # A second ruleset that differs in one file adds one blob, and its own file list.
    rules = shutil.copytree(ROOT / "rules", tmp_path / "rules")
    outcome = rules / "outcome.yaml"
    outcome.write_text(outcome.read_text() + "\n# a comment changes the ruleset's hash\n")
    status, _, err = run(
        "evaluate",
        str(EXAMPLES),
        "--rules",
        str(rules),
        "--as-of",
        "2026-11-24",
        "--record",
        "--update",  # the same requests under other rules: they supersede the first records
        "--unreleased",  # other rules than release 1, adopted by the first recording
        "--db",
        db,
        "--format",
        "jsonl",
    )
    assert status == 0, err
    assert query(db, "SELECT count(*) FROM rulesets")[0][0] == 2
    assert query(db, "SELECT count(*) FROM ruleset_files")[0][0] == 2 * files
    assert query(db, "SELECT count(*) FROM policy_blobs")[0][0] == files + 1
    with LogStore.open(db) as store:
        stored = {(f.kind, f.path): f.content for f in store.ruleset_files(Engine.load(rules_dir=rules).policy.hash)}
    assert stored[("rules", "outcome.yaml")] == outcome.read_bytes()


def test_only_valid_requests_are_recorded_and_the_rest_still_reported(db: str, tmp_path: Path) -> None:
    folder = write_requests(tmp_path / "in", only=("01", "02"))
    (folder / "zz-broken.yaml").write_text("id: X\nreceived: not-a-date\n")
    status, _, err = run("evaluate", str(folder), "--as-of", "2026-11-24", "--record", "--db", db, "--format", "jsonl")
    assert status == 2
    assert "zz-broken.yaml" in err and "recorded 2 decisions" in err
    assert query(db, "SELECT count(*) FROM log_records")[0][0] == 2


def test_without_record_nothing_is_written(db: str) -> None:
    ok("evaluate", str(EXAMPLES), "--as-of", "2026-11-24", "--db", db)
    with LogStore.open(db) as store:
        assert store.count() == 0


def test_concurrent_writers_in_several_processes_never_fork_the_chain_or_lose_a_record(db: str) -> None:
    workers, rounds = 4, 5
    LogStore.open(db).close()  # migrations are tested concurrently in the next test
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(workers) as pool:
        barrier = manager.Barrier(workers)
        written = pool.starmap(concurrent_writer, [(db, w, rounds, barrier) for w in range(workers)])
    expected = workers * rounds * 9
    assert sum(written) == expected
    with LogStore.open(db) as store:
        assert store.count() == expected
        with store.reading() as conn:
            ids = [r.request_id for r in store.walk(conn)]
        result = verify(store)
    assert len(set(ids)) == expected
    assert result.ok, [str(p) for p in result.problems]
    assert result.records == expected and result.head_seq == expected and result.replayed == expected
    # The writers really interleaved: each worker's records are not one contiguous run.
    runs = sum(1 for a, b in itertools.pairwise(ids) if a.split("-")[0] != b.split("-")[0])
    assert runs >= workers


def test_concurrent_first_use_creates_the_schema_once(db: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        written = pool.starmap(concurrent_writer, [(db, w, 1) for w in range(3)])
    assert sum(written) == 27
    with LogStore.open(db) as store:
        assert verify(store).ok
    assert query(db, "SELECT count(*) FROM rulesets")[0][0] == 1


def test_the_recorder_defaults_to_the_login_name(db: str) -> None:
    import getpass

    ok("evaluate", str(EXAMPLES / "01-engage-nhri-programme.yaml"), "--record", "--db", db)
    with LogStore.open(db) as store:
        record = store.get(1)
    assert record is not None and record.recorded_by == getpass.getuser()
    assert record.info["source"].endswith("01-engage-nhri-programme.yaml")


def test_rules_changed_after_loading_are_not_recorded_as_if_they_had_decided(db: str, tmp_path: Path) -> None:
    import pytest

    from engine.errors import EngageError

    rules = shutil.copytree(ROOT / "rules", tmp_path / "rules")
    engine = Engine.load(rules_dir=rules)
    (rules / "outcome.yaml").write_text((rules / "outcome.yaml").read_text() + "\n# edited meanwhile\n")
    with LogStore.open(db) as store, pytest.raises(EngageError, match="changed after the rules were loaded") as caught:
        store.save_ruleset(engine.policy, "t")
    assert caught.value.code == "rules-changed" and str(rules / "outcome.yaml") in str(caught.value)
    assert query(db, "SELECT count(*) FROM rulesets")[0][0] == 0
    engine.close()


def test_an_unusable_log_stops_evaluate_record_before_anything_is_printed() -> None:
    status, out, err = run(
        "evaluate", str(EXAMPLES), "--record", "--db", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"
    )
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "cannot use the decision log" in err
