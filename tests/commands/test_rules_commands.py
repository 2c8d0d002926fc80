"""``engage rules``: the whole life of a release through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from ..helpers.logsupport import EXAMPLES, execute_bypassing_triggers, query, run
from ..helpers.support import ROOT, copy_policy, edit

FIRST = EXAMPLES / "01-engage-nhri-programme.yaml"
MISSING = EXAMPLES / "07-missing-information.yaml"


def _changed(tmp_path: Path, name: str = "changed") -> tuple[Path, Path]:
    """The shipped rules (and their test cases) with line 2's reason reworded."""
    rules, criteria = copy_policy(tmp_path / name)
    subprocess.run(["cp", "-r", str(ROOT / "rules" / "tests"), str(rules / "tests")], check=True)
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    return rules, criteria


def _record(db: str, path: Path, as_of: str) -> tuple[int, str]:
    status, _, err = run("evaluate", str(path), "--as-of", as_of, "--record", "--db", db, "--user", "clerk")
    return status, err


def _made_by(db: str, request_id: str) -> tuple[int | None, str]:
    """The release a request's latest record names, and the ruleset that made its decision."""
    details, decision = query(db, "SELECT details, decision FROM log_records WHERE request_id = :r", r=request_id)[-1]
    return json.loads(details).get("release"), json.loads(decision)["ruleset"]["hash"]


def _hash(db: str, number: int) -> str:
    return str(json.loads(run("rules", "show", str(number), "--format", "json", "--db", db)[1])["hash"])


def test_the_whole_life_of_a_release(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0  # adopts the shipped rules as release 1
    rules, criteria = _changed(tmp_path)
    propose = ("rules", "propose", "--rules", str(rules), "--criteria", str(criteria), "--db", db)
    status, out, err = run(*propose, "--effective", "2026-12-10", "--by", "carol", "--note", "reword line 2")
    assert (status, out) == (0, "2\n"), err
    assert "proposed release 2" in err and "once approved by someone other than carol" in err

    status, _, err = run("rules", "approve", "2", "--by", "carol", "--justification", "mine", "--db", db)
    assert status == 2 and err.startswith("release 2: four-eyes: carol proposed release 2 and cannot approve it too")
    status, out, _ = run("rules", "approve", "2", "--by", "dana", "--justification", "Board, 1 December", "--db", db)
    assert (status, out) == (0, "approved release 2: in force from 2026-12-10\n")

    # The day before its date release 1 decides; on the day, release 2; each record names its release.
    assert _record(db, MISSING, "2026-12-09")[0] == 0
    assert _made_by(db, "REQ-2026-0107") == (1, _hash(db, 1))
    status, _, err = run("evaluate", str(MISSING), "--as-of", "2026-12-10", "--record", "--update", "--db", db, "--user", "clerk")
    assert status == 0 and "under release 2" in err, err
    assert _made_by(db, "REQ-2026-0107") == (2, _hash(db, 2))
    assert _hash(db, 2) != _hash(db, 1)

    listed = run("rules", "list", "--db", db, "--on", "2026-12-10")[1].splitlines()
    assert listed[1].split()[:2] == ["1", "superseded"] and listed[2].split()[:2] == ["2", "in"]
    assert "dana" in listed[2] and listed[-1] == "2 releases"
    shown = json.loads(run("rules", "show", "2", "--format", "json", "--db", db, "--on", "2026-12-09")[1])
    assert shown["state"] == "approved" and shown["approvals"][0]["by"] == "dana"
    assert shown["report"]["lint"]["errors"] == 0 and shown["report"]["cases"]["failed"] == []
    assert shown["report"]["cases"]["run"] > 0 and shown["report"]["impact"]["against"] == 1
    assert shown["report"]["impact"]["requests"] == 1  # the one request in the log at the time
    text = run("rules", "show", "2", "--db", db)[1]
    assert "test cases:" in text and "impact over 1 requests in the log" in text

    diff = run("rules", "diff", "1", "2", "--db", db)[1].splitlines()
    assert diff[0] == "release 1 -> release 2: 1 change" and diff[1] == "changed rule outcome.mandate_unknown"
    assert any(line.startswith("  -      en: Information is missing") for line in diff)
    assert any(line.startswith("  +      en: Information is lacking") for line in diff)

    # Rejection, withdrawal, rollback (proposing release 1's rules again).
    args = ("--effective", "2026-12-20", "--by", "carol", "--note")
    assert run(*propose, *args, "again")[1] == "3\n"
    assert run("rules", "reject", "3", "--by", "dana", "--reason", "nothing new", "--db", db)[0] == 0
    assert run(*propose, *args, "once more")[1] == "4\n"
    status, _, err = run("rules", "withdraw", "4", "--by", "dana", "--db", db)
    assert status == 2 and "not-author" in err
    assert run("rules", "withdraw", "4", "--by", "carol", "--db", db)[0] == 0
    status, out, err = run("rules", "propose", "--release", "1", *args, "roll back", "--db", db)
    assert (status, out) == (0, "5\n"), err
    # The rollback's files were written to a scratch folder: its report names them as the release's, not by that path.
    rolled = json.loads(run("rules", "show", "5", "--format", "json", "--db", db)[1])["report"]
    assert rolled["source"] == "release 1's rules" and rolled["cases"]["note"] == "no test cases in rules/tests"
    assert "engage-propose" not in json.dumps(rolled)
    assert run("rules", "approve", "5", "--by", "dana", "--justification", "back", "--db", db)[0] == 0
    states = [line.split()[1] for line in run("rules", "list", "--db", db, "--on", "2026-12-20")[1].splitlines()[1:-1]]
    assert states == ["superseded", "superseded", "rejected", "withdrawn", "in"]
    assert (
        json.loads(run("rules", "show", "5", "--format", "json", "--db", db)[1])["hash"]
        == json.loads(run("rules", "show", "1", "--format", "json", "--db", db)[1])["hash"]
    )
    status, _, err = run("evaluate", str(MISSING), "--as-of", "2026-12-20", "--record", "--update", "--db", db, "--user", "clerk")
    assert status == 0 and "under release 5" in err
    assert _made_by(db, "REQ-2026-0107") == (5, _hash(db, 1))

    status, out, _ = run("log", "verify", "--db", db)
    assert status == 0 and "; 9 release records" in out.splitlines()[0] and "chain: intact" in out

    # An approval given to another name, by someone with the database: verify names it, exit 1.
    execute_bypassing_triggers(db, ["UPDATE release_records SET recorded_by = 'carol' WHERE seq = 3"], ("release_records",))
    status, out, _ = run("log", "verify", "--db", db, "--no-replay")
    assert status == 1
    assert out.splitlines()[0] == (
        "release record 3 (release 2 approved): edited: its content does not give its hash:"
        " the row was changed after it was recorded"
    )


def test_a_proposal_with_lint_errors_or_failing_cases_is_refused_saying_why(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    rules, criteria = _changed(tmp_path)
    edit(rules / "outcome.yaml", "when: {field: status.mandate_integrity, equals: unknown}", "when: {field: nothing}")
    args = ("--effective", "2026-12-10", "--by", "carol", "--note", "x", "--db", db)
    status, out, err = run("rules", "propose", "--rules", str(rules), "--criteria", str(criteria), *args)
    assert (status, out) == (2, "")
    assert "lint-errors: the proposed rules have" in err and "nothing proposed" in err and "outcome.yaml:" in err
    assert re.search(r"the proposed rules have \d+ lint errors?; ", err) and "(s)" not in err

    rules, criteria = _changed(tmp_path, "failing")
    edit(rules / "outcome.yaml", "outcome: request_information", "outcome: assess_needs")
    status, _, err = run("rules", "propose", "--rules", str(rules), "--criteria", str(criteria), *args)
    assert status == 2 and "failing-cases:" in err and "test cases fail" in err, err
    assert query(db, "SELECT count(*) FROM release_records")[0][0] == 1  # release 1 only


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        check=True,
        capture_output=True,
    )


def test_a_proposal_from_a_git_revision_and_its_diff(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    repo = tmp_path / "policy"
    rules, _ = _changed(repo.parent, "policy")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "reworded")
    edit(rules / "outcome.yaml", "Information is lacking to establish", "Uncommitted words to establish")
    args = ("--effective", "2026-12-10", "--by", "carol", "--note", "from git", "--db", db)
    status, out, err = run("rules", "propose", "--revision", "HEAD", "--repo", str(repo), *args)
    assert (status, out) == (0, "2\n"), err
    shown = json.loads(run("rules", "show", "2", "--format", "json", "--db", db)[1])
    assert shown["report"]["source"].startswith("revision HEAD (") and shown["state"] == "proposed"
    diff = run("rules", "diff", "1", "2", "--db", db)[1]
    assert "+      en: Information is lacking to establish" in diff and "Uncommitted" not in diff
    status, _, err = run("rules", "propose", "--revision", "HEAD", "--rules", str(rules), *args)
    assert status == 2 and "bad-arguments" in err


def test_the_diff_lists_a_rule_added_and_one_removed_with_their_lines(db: str, tmp_path: Path) -> None:
    assert _record(db, FIRST, "2026-11-24")[0] == 0
    rules, criteria = copy_policy(tmp_path / "renamed")
    edit(rules / "outcome.yaml", "  - id: outcome.ad_hoc\n", "  - id: outcome.advice_at_once\n")
    propose = ("rules", "propose", "--rules", str(rules), "--criteria", str(criteria), "--db", db)
    status, out, err = run(*propose, "--effective", "2026-12-10", "--by", "carol", "--note", "rename line 3")
    assert (status, out) == (0, "2\n"), err
    lines = run("rules", "diff", "1", "2", "--db", db)[1].splitlines()
    assert lines[0] == "release 1 -> release 2: 2 changes"
    added, removed = lines.index("added rule outcome.advice_at_once"), lines.index("removed rule outcome.ad_hoc")
    # The rule's own lines: from its `- id:` to the line before the next rule's.
    shipped = (ROOT / "rules" / "outcome.yaml").read_text("utf-8").splitlines()
    start = shipped.index("  - id: outcome.ad_hoc")
    size = next(i for i in range(start + 1, len(shipped)) if shipped[i].startswith("  - id: ")) - start
    while not shipped[start + size - 1].strip():
        size -= 1  # the blank lines between two rules belong to neither
    assert lines[added + 1] == f"  @@ -0,0 +1,{size} @@" and lines[added + 2] == "  +  - id: outcome.advice_at_once"
    assert lines[removed + 1] == f"  @@ -1,{size} +0,0 @@" and lines[removed + 2] == "  -  - id: outcome.ad_hoc"
    body = lines[added + 2 : removed] if added < removed else lines[added + 2 :]
    assert all(line.startswith("  +") for line in body) and "  +    outcome: respond_ad_hoc" in body
    assert body[-1] == '  +        para: "21"'  # its own lines only: the next rule is not in it
    back = run("rules", "diff", "2", "1", "--db", db)[1].splitlines()  # the other way round
    assert "added rule outcome.ad_hoc" in back and "removed rule outcome.advice_at_once" in back
