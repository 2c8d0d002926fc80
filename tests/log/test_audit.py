"""engage log verify: the chain names each tampered row, and replay catches changed stored rules.

Every test edits the database directly, as someone with access to it would, bypassing the
append-only triggers (and putting them back, so nothing looks disturbed).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from engine.bench.decisions import generate
from engine.cli import main
from engine.log.store import LogStore, record_hash

from ..helpers.logsupport import execute_bypassing_triggers, ok, query, record_examples, run, write_requests

TABLES = ("log_records", "policy_blobs", "ruleset_files", "rulesets")


def verify_output(db: str, *extra: str) -> tuple[int, list[str]]:
    status, out, err = run("log", "verify", "--db", db, *extra)
    assert err == ""
    return status, out.splitlines()


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("#") or line.startswith("log:")]


def test_an_untouched_log_verifies_and_replays(db: str) -> None:
    record_examples(db)
    status, lines = verify_output(db)
    assert status == 0
    assert problems(lines) == []
    assert "9 records, head #9 sha256:" in lines[0]
    assert lines[1] == "chain: intact"
    assert lines[2] == "replay: 9 decisions with 1 ruleset: every one identical"


def test_an_empty_log_verifies(db: str) -> None:
    status, lines = verify_output(db)
    assert status == 0 and "0 records" in lines[0]


def test_an_edited_row_is_named(db: str) -> None:
    record_examples(db)
    execute_bypassing_triggers(
        db,
        [
            "UPDATE log_records SET outcome = 'engage',"
            ' decision = replace(decision, \'"outcome":"decline"\', \'"outcome":"engage"\') WHERE seq = 8'
        ],
    )
    status, lines = verify_output(db, "--no-replay")
    assert status == 1
    assert problems(lines) == [
        "#8 (REQ-2026-0108): edited: its content does not give its hash: the row was changed after it was recorded"
    ]
    assert lines[-1].startswith("chain: BROKEN (1 problem;")


def test_an_edited_row_with_its_hash_recomputed_breaks_the_next_link(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        row = store.get(8)
    assert row is not None
    content = row.content() | {"recorded_by": "mallory"}
    forged = record_hash(content, row.prev_hash)
    execute_bypassing_triggers(db, [("UPDATE log_records SET recorded_by = 'mallory', hash = :h WHERE seq = 8", {"h": forged})])
    status, lines = verify_output(db, "--no-replay")
    assert status == 1
    assert problems(lines) == ["#9 (REQ-2026-0109): broken-link: does not follow #8: #8 was replaced after #9 was recorded"]


def test_a_deleted_row_is_named(db: str) -> None:
    record_examples(db)
    execute_bypassing_triggers(db, ["DELETE FROM log_records WHERE seq = 4"])
    status, lines = verify_output(db)
    assert status == 1
    assert problems(lines) == ["#5 (REQ-2026-0105): missing: #4 is missing: the row was deleted"]


def test_deleted_rows_with_the_rest_renumbered_are_named(db: str) -> None:
    record_examples(db)
    execute_bypassing_triggers(
        db,
        ["DELETE FROM log_records WHERE seq = 4"]
        + [f"UPDATE log_records SET seq = {n - 1} WHERE seq = {n}" for n in range(5, 10)],
    )
    status, lines = verify_output(db, "--no-replay")
    assert status == 1
    found = problems(lines)
    assert found[0] == "#4 (REQ-2026-0105): reordered: holds the record first written as #5: rows were reordered"
    assert len(found) == 5  # every renumbered record is named


@pytest.mark.parametrize(("a", "b"), [(3, 6), (5, 6)])
def test_reordered_rows_are_named(db: str, a: int, b: int) -> None:
    record_examples(db)
    ids = dict(query(db, "SELECT seq, request_id FROM log_records"))
    execute_bypassing_triggers(
        db,
        [
            f"UPDATE log_records SET seq = -1 WHERE seq = {a}",
            f"UPDATE log_records SET seq = {a} WHERE seq = {b}",
            f"UPDATE log_records SET seq = {b} WHERE seq = -1",
        ],
    )
    status, lines = verify_output(db)
    assert status == 1
    assert problems(lines) == [
        f"#{a} ({ids[b]}): reordered: holds the record first written as #{b}: rows were reordered",
        f"#{b} ({ids[a]}): reordered: holds the record first written as #{a}: rows were reordered",
    ]


def test_a_changed_stored_rule_file_is_caught_by_replay(db: str) -> None:
    record_examples(db)
    sha, content = query(
        db,
        "SELECT b.sha256, b.content FROM policy_blobs b JOIN ruleset_files f ON f.sha256 = b.sha256"
        " WHERE f.path = 'outcome.yaml'",
    )[0]
    changed = bytes(content).replace(b"All the conditions for technical cooperation engagement are met.", b"Everything is fine.")
    assert changed != bytes(content)
    execute_bypassing_triggers(
        db, [("UPDATE policy_blobs SET content = :c WHERE sha256 = :s", {"c": changed, "s": sha})], tables=TABLES
    )
    # The chain itself is intact: only the replay can tell.
    assert verify_output(db, "--no-replay")[0] == 0
    status, lines = verify_output(db)
    assert status == 1
    assert (
        f"log: ruleset-changed: ruleset {query(db, 'SELECT hash FROM rulesets')[0][0]}: stored file rules/outcome.yaml"
        in "\n".join(lines)
    )
    differ = [line for line in lines if ": replay-differs: " in line]
    assert len(differ) == 9  # the ruleset's hash changed, so every decision it made replays differently
    engaged = next(line for line in differ if line.startswith("#1 "))
    assert (
        'reasons[0].message: recorded "All the conditions for technical cooperation engagement are met.",'
        ' replay "Everything is fine."' in engaged
    )
    assert "ruleset.hash: recorded" in engaged
    assert lines[-1] == "replay: 9 decisions with 1 ruleset: 10 problems"


def test_a_stored_rule_file_that_no_longer_loads_makes_every_decision_unreplayable(db: str) -> None:
    record_examples(db)
    sha = query(db, "SELECT sha256 FROM ruleset_files WHERE path = 'outcome.yaml'")[0][0]
    execute_bypassing_triggers(
        db, [("UPDATE policy_blobs SET content = :c WHERE sha256 = :s", {"c": b"stage: [", "s": sha})], tables=TABLES
    )
    status, lines = verify_output(db)
    assert status == 1
    unreplayable = [line for line in lines if ": not-replayable: the stored ruleset does not load: rules/outcome.yaml:" in line]
    assert len(unreplayable) == 9


def test_an_anchor_catches_a_cut_log(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        seq, digest = store.head()
    assert ok("log", "verify", "--db", db, "--anchor", f"{seq}:{digest}").splitlines()[1] == "chain: intact"
    # Cut as one who knows the schema would: the record, and its row in the table of records in force.
    execute_bypassing_triggers(db, [f"DELETE FROM log_records WHERE seq = {seq}", f"DELETE FROM log_in_force WHERE seq = {seq}"])
    status, lines = verify_output(db, "--no-replay")
    assert status == 0  # the end of a chain can be cut without a trace in the chain itself ...
    status, lines = verify_output(db, "--no-replay", "--anchor", f"{seq}:{digest}")
    assert status == 1  # ... which is what the anchor is for
    assert problems(lines) == [f"#{seq}: anchor: the anchored record #{seq} is not in the log: the log was cut"]
    status, _, err = run("log", "verify", "--db", db, "--anchor", "nine")
    assert status == 2 and "bad-anchor" in err


def test_decisions_of_another_engine_version_replay_when_only_the_version_differs(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.evaluation.reasons.__version__", "0.0.1")
    record_examples(db)
    monkeypatch.undo()
    status, lines = verify_output(db)
    assert status == 0
    assert (
        lines[-1]
        == "replay: 9 decisions with 1 ruleset: every one identical (9 made by another engine version, identical apart from it)"
    )


def test_a_stored_path_outside_its_directory_is_named_and_not_written(db: str, tmp_path: Path) -> None:
    record_examples(db)
    execute_bypassing_triggers(
        db, ["UPDATE ruleset_files SET path = '../../escaped.yaml' WHERE path = 'outcome.yaml'"], tables=TABLES
    )
    status, lines = verify_output(db)
    assert status == 1
    text = "\n".join(lines)
    assert "stored file 'rules/../../escaped.yaml' has a path outside its directory" in text
    assert "not-replayable" in text
    assert not (tmp_path.parent / "escaped.yaml").exists() and not Path("/tmp/escaped.yaml").exists()


def test_an_anchor_with_another_hash_says_the_chain_was_rewritten(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        seq, digest = store.head()
    wrong = "sha256:" + ("0" if digest[-1] != "0" else "1") * 64
    status, lines = verify_output(db, "--no-replay", "--anchor", f"{seq}:{wrong}")
    assert status == 1
    assert problems(lines) == [f"#{seq}: anchor: has hash {digest}, not the anchored {wrong}: the chain was rewritten"]


def test_every_hash_is_the_formula_the_store_documents(db: str) -> None:
    # Recomputed here from the rows alone, without the store's code: sha256 of the canonical JSON
    # (sorted keys, no spaces, ASCII) of the record's content, a line end, and the previous hash.
    record_examples(db)
    ok("log", "decide", "1", "--decision", "engage", "--by", "Jane Doe", "--db", db)
    columns = [
        "seq", "kind", "request_id", "supersedes", "decides", "recorded_at", "recorded_by", "as_of", "outcome",
        "country", "region", "ruleset_hash", "request", "decision", "details",
    ]  # fmt: skip
    rows = query(db, f"SELECT {', '.join(columns)}, prev_hash, hash FROM log_records ORDER BY seq")
    assert len(rows) == 10
    previous = "sha256:" + "0" * 64
    for row in rows:
        content = dict(zip(columns, row[: len(columns)], strict=True))
        text = json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n" + previous
        assert row[-2] == previous
        assert row[-1] == "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest(), row[0]
        previous = row[-1]


def test_a_log_longer_than_one_read_batch_is_walked_to_its_end(db: str, tmp_path: Path) -> None:
    # verify reads the chain 2,000 records at a time: an edit past the first batch must be found,
    # and every record after it still checked.
    batch = tmp_path / "many.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in generate(2_300, seed=5)), "utf-8")
    status, _, err = run("evaluate", str(batch), "--as-of", "2026-11-24", "--record", "--db", db, "--format", "jsonl")
    assert status in (0, 1), err  # 1 when some generated request is invalid: those are not recorded
    (count,) = query(db, "SELECT count(*) FROM log_records")[0]
    assert count > 2_100
    status, lines = verify_output(db, "--no-replay")
    assert status == 0 and f"{count} records" in lines[0]
    target = 2_050
    execute_bypassing_triggers(db, [f"UPDATE log_records SET country = 'ZZZ' WHERE seq = {target}"])
    status, lines = verify_output(db, "--no-replay")
    assert status == 1
    found = problems(lines)
    assert len(found) == 1 and found[0].startswith(f"#{target} (") and ": edited: " in found[0]


def test_verify_from_checks_the_range_joined_to_the_stored_hash_before_it(db: str) -> None:
    record_examples(db)
    ok("log", "correct", "2", "--db", db, "--by", "Board", "--reason", "withdrawn by the requester")
    execute_bypassing_triggers(db, ["UPDATE log_records SET country = 'FRA' WHERE seq = 3"])
    status, lines = verify_output(db, "--no-replay")
    assert status == 1 and [p.split(":")[0] for p in problems(lines)] == ["#3 (REQ-2026-0103)"]
    # From #4 on the chain joins #3's stored hash, and the correction #10 of #2 (before the range) is not
    # taken for a reference to a record that does not exist.
    status, lines = verify_output(db, "--from", "4")
    assert status == 0, lines
    assert lines[0] == "checked records #4 to the head, joined to #3 as stored"
    assert "7 records, head #10 sha256:" in lines[1] and lines[2] == "chain: intact"
    assert lines[3] == "replay: 6 decisions with 1 ruleset: every one identical"
    status, lines = verify_output(db, "--from", "3", "--no-replay")
    assert status == 1 and [p.split(":")[0] for p in problems(lines)] == ["#3 (REQ-2026-0103)"]


@pytest.mark.parametrize(("given", "words"), [("0", "is not a record number"), ("x", "is not a record number")])
def test_verify_from_needs_a_record_number(given: str, words: str) -> None:
    status, out, err = run("log", "verify", "--from", given)
    assert status == 2 and out == "" and words in err


def test_verify_from_past_the_head_is_refused(db: str) -> None:
    record_examples(db)
    status, out, err = run("log", "verify", "--db", db, "--from", "12")
    assert status == 2 and out == ""
    assert err.endswith("--from: bad-range: --from 12: there is no record #11 to join the range to\n"), err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_verify_draws_a_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    requests = tmp_path / "many.jsonl"
    requests.write_text("".join(json.dumps(r, default=str) + "\n" for r in generate(150)))
    assert (
        run(
            "evaluate",
            str(requests),
            "--as-of",
            "2026-11-24",
            "--record",
            "--db",
            db,
            "--format",
            "jsonl",
            "--out",
            str(tmp_path / "out.jsonl"),
            "--quiet",
        )[0]
        == 0
    )
    err = _Terminal()
    status = main(["log", "verify", "--db", db, "--no-replay"], io.StringIO(), err, io.StringIO())
    assert status == 0
    assert "150/150" in err.getvalue() and " records" in err.getvalue()
    status, _, plain = run("log", "verify", "--db", db, "--no-replay")
    assert status == 0 and plain == ""
    quiet = _Terminal()
    assert main(["log", "verify", "--db", db, "--no-replay", "--quiet"], io.StringIO(), quiet, io.StringIO()) == 0
    assert quiet.getvalue() == ""


def test_a_replay_that_differs_names_each_difference_and_shortens_long_values(db: str) -> None:
    # A stored decision edited in place: besides the edit, the replay names each field that differs,
    # by its path, with values of more than 80 characters (as JSON) cut to 77 and "...".
    record_examples(db)
    (text,) = query(db, "SELECT decision FROM log_records WHERE seq = 1")[0]
    stored = json.loads(text)
    stored["could_change"] = ["x"]  # a list of another length
    stored["criteria"]["country_engagement_strategy"]["reasons"][0]["message"] = "a" * 78  # 80 characters as JSON
    stored["criteria"]["in_country_presence"]["reasons"][0]["message"] = "b" * 79  # 81
    stored["criteria"]["partnership"]["note"] = 1  # a field the replay does not have
    edited = json.dumps(stored, sort_keys=True, separators=(",", ":"))
    execute_bypassing_triggers(db, [("UPDATE log_records SET decision = :d WHERE seq = 1", {"d": edited})])
    status, lines = verify_output(db)
    assert status == 1
    ruleset = query(db, "SELECT hash FROM rulesets")[0][0]
    assert problems(lines) == [
        "#1 (REQ-2026-0101): edited: its content does not give its hash: the row was changed after it was recorded",
        f"#1 (REQ-2026-0101): replay-differs: replaying with ruleset {ruleset} gives another decision:"
        ' could_change: recorded ["x"], replay [];'
        f' criteria.country_engagement_strategy.reasons[0].message: recorded "{"a" * 78}",'
        ' replay "The request fits the priorities of the adopted country engagement strategy.";'
        f' criteria.in_country_presence.reasons[0].message: recorded "{"b" * 76}...,'
        ' replay "The Office has an adequately staffed country office in the country with long...;'
        " criteria.partnership.note: recorded 1, replay null",
    ]


def test_an_anchor_is_read_as_number_colon_hash_with_or_without_the_number_sign(db: str) -> None:
    record_examples(db)
    with LogStore.open(db) as store:
        seq, digest = store.head()
    for anchor in (f"{seq}:{digest}", f"#{seq}:{digest}"):
        status, lines = verify_output(db, "--no-replay", "--anchor", anchor)
        assert status == 0 and lines[1] == "chain: intact", anchor
    for wrong in (f"{seq}:{digest[len('sha256:') :]}", f"x{seq}:{digest}", f"{seq}{digest}", f"{seq}-{digest}"):
        status, out, err = run("log", "verify", "--db", db, "--no-replay", "--anchor", wrong)
        assert (status, out, err) == (2, "", f"--anchor: bad-anchor: '{wrong}' is not N:sha256:HEX\n"), wrong
    cut = f"{seq + 1}:{digest}"
    status, lines = verify_output(db, "--no-replay", "--anchor", cut)
    assert status == 1
    assert problems(lines) == [f"#{seq + 1}: anchor: the anchored record #{seq + 1} is not in the log: the log was cut"]


def test_each_difference_between_log_in_force_and_the_chain_is_named_in_record_order(db: str, tmp_path: Path) -> None:
    record_examples(db)
    # REQ-2026-0102's decision in force becomes #10, after the others: record order is not id order.
    request = next(write_requests(tmp_path / "again", only=("02",)).iterdir())
    ok("log", "correct", "2", "--by", "Board", "--reason", "re-sent", "--request", str(request), "--db", db)
    execute_bypassing_triggers(
        db,
        [
            "DELETE FROM log_in_force WHERE request_id IN ('REQ-2026-0102', 'REQ-2026-0103')",
            "UPDATE log_in_force SET seq = 3 WHERE request_id = 'REQ-2026-0104'",
            "UPDATE log_in_force SET seq = 2 WHERE request_id = 'REQ-2026-0105'",
            "INSERT INTO log_in_force (request_id, seq, fingerprint)"
            " VALUES ('REQ-2026-0999', 11, 'x'), ('REQ-2026-0000', 12, 'y')",
            "UPDATE log_in_force SET request_id = 'REQ-2026-0998' WHERE request_id = 'REQ-2026-0106'",
        ],
        tables=(),
    )
    status, lines = verify_output(db, "--no-replay")
    assert status == 1
    not_in_table = "in-force-differs: the decision in force is not in log_in_force: a second one for this id would not be refused"
    not_in_chain = "in-force-differs: log_in_force names it, but the chain has no decision in force for this id"
    assert problems(lines) == [
        f"#3 (REQ-2026-0103): {not_in_table}",
        "#4 (REQ-2026-0104): in-force-differs: log_in_force names #3 instead: the table of records in force was changed",
        "#5 (REQ-2026-0105): in-force-differs: log_in_force names #2 instead: the table of records in force was changed",
        f"#6 (REQ-2026-0106): {not_in_table}",
        f"#10 (REQ-2026-0102): {not_in_table}",
        f"#6 (REQ-2026-0998): {not_in_chain}",
        f"#11 (REQ-2026-0999): {not_in_chain}",
        f"#12 (REQ-2026-0000): {not_in_chain}",
    ]
    assert lines[-1].startswith("guards: 8 problems")
