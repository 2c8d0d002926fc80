"""``engage`` on the command line: called through ``main(argv, stdout, stderr, stdin)``."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from engine import __version__
from engine.cli import main

from ..helpers.clirun import split_policy_line
from ..helpers.support import ROOT, copy_policy, edit

EXAMPLES = ROOT / "examples"
GOOD = (EXAMPLES / "01-engage-nhri-programme.yaml").read_text()


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin))
    return code, out.getvalue(), split_policy_line(err.getvalue())[0]


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith(f"engage {__version__} (durable-rules 2.0.28")
    code, out, _ = run("evaluate", "--help")
    assert code == 0 and "--as-of" in out and "--format" in out


def test_evaluate_the_examples_as_text() -> None:
    code, out, err = run("evaluate", str(EXAMPLES), "--as-of", "2026-11-24")
    assert code == 0, err
    assert err == ""
    assert "REQ-2026-0101: ENGAGE (engage)" in out
    assert "(c) in-country presence          unknown" in out
    assert "  Missing information, needed to decide:\n    - Ask the Office: does the presence have the staff" in out
    assert "- Ask the requester: is civil society consulted or taking part?\n      (partnership.civil_society_involved)" in out
    assert "[E/CN.4/2006/104 para 26]" in out
    assert out.rstrip().endswith(
        "9 evaluated: 2 engage, 1 respond_ad_hoc, 1 assess_needs, 2 consider_in_strategy, 1 exception_review,"
        " 1 request_information, 1 decline"
    )


def test_json_is_one_object_for_one_request_and_an_array_for_several() -> None:
    code, out, _ = run("evaluate", str(EXAMPLES / "05-exception-applied.yaml"), "--as-of", "2026-11-24", "--format", "json")
    assert code == 0
    one = json.loads(out)
    assert one["outcome"] == "engage" and one["exceptions"][0]["decision"] == "applied"
    assert one["as_of"] == "2026-11-24" and one["as_of_source"] == "given"
    code, out, _ = run("evaluate", str(EXAMPLES), "--as-of", "2026-11-24", "--format", "json")
    many = json.loads(out)
    assert [d["request_id"] for d in many] == [f"REQ-2026-01{i:02d}" for i in range(1, 10)]


def test_jsonl_is_one_line_per_decision_in_input_order_and_byte_stable() -> None:
    args = ("evaluate", str(EXAMPLES), "--as-of", "2026-11-24", "--format", "jsonl")
    _, first, _ = run(*args)
    _, second, _ = run(*args)
    assert first == second
    lines = first.splitlines()
    assert len(lines) == 9 and all(json.loads(line)["request_id"] for line in lines)


def test_without_as_of_the_date_is_today_and_says_so() -> None:
    from datetime import date

    _, out, _ = run("evaluate", str(EXAMPLES / "02-advisory-ad-hoc.yaml"), "--format", "json")
    decision = json.loads(out)
    assert decision["as_of"] == date.today().isoformat() and decision["as_of_source"] == "today"


def test_standard_input_yaml_and_json() -> None:
    code, out, _ = run("evaluate", "-", "--format", "jsonl", "--as-of", "2026-11-24", stdin=GOOD)
    assert code == 0 and json.loads(out)["outcome"] == "engage"
    as_json = json.dumps({"id": "X-1", "received": "2026-01-01"})
    code, out, _ = run("evaluate", "-", "--format", "jsonl", stdin=as_json)
    assert code == 0 and json.loads(out)["outcome"] == "request_information"


BAD_INPUTS = {
    "invalid YAML": ("bad.yaml", "id: A\nreceived: [2026-01-01\n", "yaml-syntax", r":3:1: "),
    "duplicate key": ("bad.yaml", "id: A\nreceived: 2026-01-01\nid: B\n", "duplicate-key", r":3:1: "),
    "python tag": (
        "bad.yaml",
        "id: !!python/object/apply:os.system [echo]\nreceived: 2026-01-01\n",
        "unsupported-tag",
        r":1:5: ",
    ),
    "unknown field": (
        "bad.yaml",
        "id: A\nreceived: 2026-01-01\npresense: {type: none}\n",
        "unknown-field",
        r":3:1: unknown-field: presense: ",
    ),
    "wrong type": (
        "bad.yaml",
        "id: A\nreceived: 2026-01-01\nrequester: {government_endorsed: 'yes'}\n",
        "wrong-type",
        r":3:34: wrong-type: requester.government_endorsed: must be true or false",
    ),
    "value outside an enum": (
        "bad.yaml",
        "id: A\nreceived: 2026-01-01\npresence: {type: countri_office}\n",
        "not-in-vocabulary",
        r"presence.type: 'countri_office' is not one of: .*did you mean 'country_office'",
    ),
    "a date that is not a date": ("bad.yaml", "id: A\nreceived: 2026-02-30\n", "bad-date", r":2:11: bad-date: received: "),
    "non-UTF-8": (
        "bad.yaml",
        b"id: A\nreceived: 2026-01-01\nrequester: {name: Minist\xe8re}\n",
        "not-utf8",
        r":3:25: not-utf8: ",
    ),
    "empty file": ("bad.yaml", "", "empty-file", r":1:1: empty-file: "),
    "a list where a mapping belongs": (
        "bad.yaml",
        "id: A\nreceived: 2026-01-01\npresence: [country_office]\n",
        "wrong-type",
        r":3:11: wrong-type: presence: must be a mapping",
    ),
    "a list instead of a request": ("bad.json", '[{"id": "A"}]', "wrong-type", r"a request must be a mapping"),
    "JSON syntax": ("bad.json", '{"id": "A",}', "json-syntax", r":1:12: json-syntax: "),
    "missing required field": ("bad.yaml", "id: A\n", "missing-field", r"the required field 'received' is missing"),
    "blank text": (
        "bad.yaml",
        "id: A\nreceived: 2026-01-01\nrequester: {name: '  '}\n",
        "bad-text",
        r"requester.name: '  ' is blank",
    ),
    "waiver of mandate integrity": (
        "bad.yaml",
        "id: A\nreceived: 2026-01-01\nexception: {waives: [mandate_integrity]}\n",
        "waiver-not-allowed",
        r":3:22: waiver-not-allowed: exception.waives\[0\]: 'mandate_integrity' can never be waived",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_with_its_location_and_the_rest_is_still_evaluated(tmp_path: Path, case: str) -> None:
    name, content, code_name, pattern = BAD_INPUTS[case]
    bad = tmp_path / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, "utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, "utf-8")
    code, out, err = run("evaluate", str(bad), str(good), "--as-of", "2026-11-24")
    assert code == 2
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert lines and all(line.startswith(str(bad)) for line in lines), err
    assert f": {code_name}: " in lines[0], err
    assert re.search(pattern, lines[0]), lines[0]
    assert "REQ-2026-0101: ENGAGE (engage)" in out  # the valid request was evaluated
    assert "1 evaluated: 1 engage; 1 invalid" in out


def test_all_errors_of_one_request_at_once_best_first(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: A\nreceived: 2026-01-01\npresense: {}\nrequester: {type: govt, government_endorsed: 1}\n")
    code, _, err = run("evaluate", str(bad))
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 3
    assert {line.split(": ")[1] for line in lines} == {"unknown-field", "not-in-vocabulary", "wrong-type"}


def test_duplicate_ids_in_a_batch(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    code, out, err = run("evaluate", str(tmp_path), "--as-of", "2026-11-24")
    assert code == 2
    line = next(i for i, text in enumerate(GOOD.splitlines(), 1) if text.startswith("id:"))
    assert f"b.yaml:{line}:5: duplicate-id: id: the id 'REQ-2026-0101' was already used by" in err
    assert out.count("REQ-2026-0101: ENGAGE") == 1


def test_paths_that_are_not_requests(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = run("evaluate", str(tmp_path / "notes.txt"), str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "notes.txt: unsupported-format:" in err and "missing.yaml: file-not-found:" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run("evaluate", str(empty))
    assert code == 2 and "no-requests" in err


def test_a_bad_as_of_and_a_bad_command_are_usage_errors() -> None:
    code, _, err = run("evaluate", "x.yaml", "--as-of", "2026-13-01")
    assert code == 2 and "'2026-13-01' is not a date in the form YYYY-MM-DD" in err
    code, _, err = run("evaluat")
    assert code == 2 and "invalid choice" in err


def test_broken_rules_are_reported_all_at_once_with_exit_2(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(rules / "outcome.yaml", "outcome: assess_needs", "outcome: assess_need")
    edit(rules / "partnership.yaml", "source: A/HRC/35/20", "source: A/HRC/35/2O")
    code, out, err = run("evaluate", str(EXAMPLES), "--rules", str(rules), "--criteria", str(criteria))
    assert code == 2 and out == ""
    assert "unknown-outcome" in err and "unknown-source" in err
    assert all(re.match(r"^\S+\.yaml:\d+:\d+: [a-z-]+: ", line) for line in err.splitlines()), err


def test_a_gap_in_the_rules_is_a_finding_with_exit_1(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    text = (rules / "partnership.yaml").read_text()
    start = text.index("  - id: partnership.unknown")
    (rules / "partnership.yaml").write_text(text[:start])
    request = tmp_path / "r.yaml"
    request.write_text("id: G\nreceived: 2026-01-01\n")
    code, _, err = run("evaluate", str(request), "--rules", str(rules), "--criteria", str(criteria))
    assert code == 1
    assert "rule-gap: no rule gives partnership a status for this request" in err


def test_an_unexpected_failure_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.evaluation import reasons

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(reasons.Reasons, "assemble", broken)
    code, _, err = run("evaluate", str(EXAMPLES / "01-engage-nhri-programme.yaml"))
    assert code == 70 and err == "engage: internal error: RuntimeError: boom\n"


def test_lint_tells_a_failure_of_its_own_from_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's lint ran out of memory and exited 1, as for a finding: now 1 is a finding and 70 a failure."""
    from engine.authoring import lint

    rules, criteria = copy_policy(tmp_path)
    policy = ("--rules", str(rules), "--criteria", str(criteria))
    assert run("lint", *policy)[0] == 0
    edit(rules / "partnership.yaml", "equals: true}", "equal: true}")
    assert run("lint", *policy)[0] == 1
    edit(rules / "partnership.yaml", "equal: true}", "equals: true}")

    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(lint, "lint_policy", out_of_memory)
    code, out, err = run("lint", *policy)
    assert (code, out, err) == (70, "", "engage: internal error: MemoryError: \n")


def test_lint_of_a_directory_that_is_not_there_is_a_user_error(tmp_path: Path) -> None:
    code, out, _ = run("lint", "--rules", str(tmp_path / "nowhere"))
    assert code == 2 and "the rules directory does not exist [not-a-directory]" in out
    (tmp_path / "empty").mkdir()
    code, out, _ = run("lint", "--rules", str(tmp_path / "empty"))
    assert code == 2 and "holds no rule files (*.yaml) [no-files]" in out


def test_the_readme_table_of_exit_codes_is_the_one_the_code_uses() -> None:
    from engine import errors

    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme[readme.index("## Exit status\n") :].split("\n## ")[0]
    rows = re.findall(r"^\| `(\d+)` \| ([a-z ]+) \|", table, flags=re.MULTILINE)
    named = {"done": errors.EXIT_OK, "findings": errors.EXIT_FINDINGS, "user error": errors.EXIT_INPUT}
    named["internal error"] = errors.EXIT_INTERNAL
    assert {meaning: int(code) for code, meaning in rows} == named
    assert len(set(named.values())) == 4
    code, _, err = run("evaluate", str(EXAMPLES), "--no-such-option")
    assert code == errors.EXIT_INPUT and "unrecognized arguments: --no-such-option" in err


def test_runs_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLES / "03-needs-assessment.yaml", tmp_path / "r.yaml")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("evaluate", "r.yaml")
    assert code == 0 and "ASSESS NEEDS FIRST" in out


def test_every_verb_is_listed_with_its_modules_help_line() -> None:
    from engine.commands import COMMANDS

    code, out, _ = run("--help")
    assert code == 0
    for command in COMMANDS:
        module = command.load()
        assert command.name == module.NAME and command.help == module.HELP
        assert command.name in out


def test_evaluating_one_file_loads_no_database_spreadsheet_or_web_library() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, io\n"
        "from engine.cli import main\n"
        f"code = main(['evaluate', {str(EXAMPLES / '01-engage-nhri-programme.yaml')!r}], io.StringIO(), io.StringIO())\n"
        "heavy = ('sqlalchemy', 'alembic', 'psycopg', 'openpyxl', 'tqdm', 'fastapi', 'uvicorn', 'engine.authoring.domains')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0 []"
