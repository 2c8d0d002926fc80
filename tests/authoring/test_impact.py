"""``engage impact``: a one-line change of a rule gives exactly the expected transitions on a corpus built for it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ..helpers.authoring import base_request, copy_policy, run_command

LINE_BEFORE = "        - {field: request.kind, equals: advisory}\n"
LINE_AFTER = "        - {field: request.kind, equals: training}\n"  # line 3 of the table now answers training ad hoc

# A corpus built for that change: what each request gets before and after.
CORPUS = {
    "a-advice-all-met": (dict(request__kind="advisory", expertise_available=True), "respond_ad_hoc", "engage"),
    "b-training-no-strategy": (
        dict(request__kind="training", expertise_available=True, strategy__status="none", strategy__request_in_strategy=None),
        "consider_in_strategy",
        "respond_ad_hoc",
    ),
    "c-advice-no-strategy": (
        dict(request__kind="advisory", expertise_available=True, strategy__status="none", strategy__request_in_strategy=None),
        "respond_ad_hoc",
        "consider_in_strategy",
    ),
    "d-training-no-expertise": (dict(request__kind="training", expertise_available=False), "engage", "engage"),
    "e-programme-expertise": (dict(expertise_available=True), "engage", "engage"),
    "f-training-funding-only": (
        dict(request__kind="training", expertise_available=True, request__funding_only=True),
        "decline",
        "decline",
    ),
}
TRANSITIONS = [
    {"from": "engage", "to": "engage", "count": 2},
    {"from": "respond_ad_hoc", "to": "engage", "count": 1},
    {"from": "respond_ad_hoc", "to": "consider_in_strategy", "count": 1},
    {"from": "consider_in_strategy", "to": "respond_ad_hoc", "count": 1},
    {"from": "decline", "to": "decline", "count": 1},
]


def run(*argv: str) -> tuple[int, str, str]:
    return run_command("impact", *argv)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, (patch, _, _) in CORPUS.items():
        request = base_request(**patch)
        request["id"] = name.upper()
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(request, sort_keys=False), "utf-8")
    return folder


@pytest.fixture
def old_and_new(tmp_path: Path) -> tuple[Path, Path]:
    old = copy_policy(tmp_path / "old")
    new = copy_policy(tmp_path / "new")
    new.replace("rules/outcome.yaml", LINE_BEFORE, LINE_AFTER)
    return old.root, new.root


def test_one_line_change_gives_exactly_the_expected_transitions(corpus: Path, old_and_new: tuple[Path, Path]) -> None:
    old, new = old_and_new
    status, out, err = run("--base", str(old), "--head", str(new), str(corpus), "--as-of", "2026-11-24", "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["requests"] == len(CORPUS)
    assert data["transitions"] == TRANSITIONS
    changed = {c["request_id"]: c for c in data["changed"]}
    expected = {name.upper(): (before, after) for name, (_, before, after) in CORPUS.items() if before != after}
    assert {k: (c["old_outcome"], c["new_outcome"]) for k, c in changed.items()} == expected
    a = changed["A-ADVICE-ALL-MET"]
    assert a["no_longer_firing"] == ["outcome.ad_hoc"]
    assert a["now_firing"] == ["outcome.engage"]
    assert a["changed_rules"] == ["outcome.ad_hoc"]
    b = changed["B-TRAINING-NO-STRATEGY"]
    assert (b["now_firing"], b["no_longer_firing"]) == (["outcome.ad_hoc"], ["outcome.consider_in_strategy"])
    assert data["score_changes"] == []  # the outcome table does not weigh in the score


def test_text_report(corpus: Path, old_and_new: tuple[Path, Path]) -> None:
    old, new = old_and_new
    status, out, _ = run("--base", str(old), "--head", str(new), str(corpus), "--as-of", "2026-11-24")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"Impact of {old} -> {new} on 6 requests, as of 2026-11-24 (given)"
    assert lines[2:8] == [
        "Outcome transitions:",
        "  2  engage -> engage",
        "  1  respond_ad_hoc -> engage   changed",
        "  1  respond_ad_hoc -> consider_in_strategy   changed",
        "  1  consider_in_strategy -> respond_ad_hoc   changed",
        "  1  decline -> decline",
    ]
    assert "Requests whose outcome changed (3):" in lines
    assert "      no longer firing: outcome.ad_hoc" in lines
    assert lines[-1] == "No score changes beyond 0."


def test_csv_has_one_row_per_request(corpus: Path, old_and_new: tuple[Path, Path]) -> None:
    old, new = old_and_new
    status, out, _ = run("--base", str(old), "--head", str(new), str(corpus), "--as-of", "2026-11-24", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["request_id"], r["old_outcome"], r["new_outcome"], r["outcome_changed"]) for r in rows] == [
        (name.upper(), before, after, "yes" if before != after else "no") for name, (_, before, after) in CORPUS.items()
    ]
    assert rows[0]["no_longer_firing"] == "outcome.ad_hoc"


def test_score_changes_beyond_a_threshold(corpus: Path, tmp_path: Path) -> None:
    old = copy_policy(tmp_path / "w-old")
    new = copy_policy(tmp_path / "w-new")
    new.replace("criteria/priority.yaml", "    met: 20\n", "    met: 25\n")
    status, out, _ = run(
        "--base", str(old.root), "--head", str(new.root), str(corpus), "--as-of", "2026-11-24", "--format", "json"
    )
    assert status == 0
    data = json.loads(out)
    assert data["changed"] == []
    moved = {r["request_id"]: r["score_change"] for r in data["score_changes"]}
    # Three met conditions gain 5 each; two gain 10; a declined request stays at 0.
    assert moved == {
        "A-ADVICE-ALL-MET": 15,
        "B-TRAINING-NO-STRATEGY": 10,
        "C-ADVICE-NO-STRATEGY": 10,
        "D-TRAINING-NO-EXPERTISE": 15,
        "E-PROGRAMME-EXPERTISE": 15,
    }
    status, out, _ = run(
        "--base", str(old.root), "--head", str(new.root), str(corpus), "--as-of", "2026-11-24", "--threshold", "10"
    )
    lines = out.splitlines()
    start = lines.index("Score changes beyond 10 (3):")
    assert lines[start + 1] == "  A-ADVICE-ALL-MET: 60 -> 75 (+15); respond_ad_hoc -> respond_ad_hoc"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_revisions_are_read_without_touching_the_work_tree(corpus: Path, tmp_path: Path) -> None:
    repo = copy_policy(tmp_path / "repo")
    _git(repo.root, "init", "-q")
    _git(repo.root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "rules", "criteria")
    _git(repo.root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "policy v1")
    repo.replace("rules/outcome.yaml", LINE_BEFORE, LINE_AFTER)
    _git(repo.root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "line 3 answers training")
    _git(repo.root, "tag", "v2")
    # An uncommitted edit in the work tree must survive, and must not leak into either side.
    repo.replace("rules/partnership.yaml", "status: met\n", "status: partial\n")
    before = _git(repo.root, "status", "--porcelain")
    snapshot = {p: p.read_bytes() for p in sorted(repo.root.rglob("*.yaml"))}
    status, out, err = run(
        "--base", "HEAD~1", "--head", "v2", "--repo", str(repo.root), str(corpus), "--as-of", "2026-11-24", "--format", "json"
    )
    assert (status, err) == (0, "")
    assert json.loads(out)["transitions"] == TRANSITIONS
    assert _git(repo.root, "status", "--porcelain") == before == " M rules/partnership.yaml\n"
    assert {p: p.read_bytes() for p in sorted(repo.root.rglob("*.yaml"))} == snapshot
    # A revision against a directory: the work tree's own edit shows as a change.
    status, out, _ = run("--base", "v2", "--head", str(repo.root), "--repo", str(repo.root), str(corpus), "--as-of", "2026-11-24")
    assert status == 0
    assert "  3  engage -> consider_in_strategy   changed" in out.splitlines()


def test_bad_rule_sets_and_bad_inputs(corpus: Path, old_and_new: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = old_and_new
    status, out, err = run("--base", "no-such-revision", "--head", str(new), "--repo", str(tmp_path), str(corpus))
    assert (status, out) == (2, "")
    assert err == "no-such-revision: not-a-ruleset: neither a directory nor a git revision (not inside a git repository)\n"
    status, _, err = run("--base", str(tmp_path), "--head", str(new), str(corpus))
    assert status == 2
    assert err == f"{tmp_path}: not-a-ruleset: this directory has no rules/ and criteria/ directories in it\n"
    broken = copy_policy(tmp_path / "broken")
    broken.replace("rules/outcome.yaml", "TC-Report-1998", "TC-Report-1999")
    status, _, err = run("--base", str(old), "--head", str(broken.root), str(corpus))
    assert status == 2
    assert err.splitlines()[0] == f"engage impact: the new rules ({broken.root}) do not load:"
    assert "unknown-source" in err.splitlines()[1]
    (corpus / "z-invalid.yaml").write_text("id: Z\nreceived: 2026-01-01\npresense: {type: none}\n", "utf-8")
    status, out, err = run("--base", str(old), "--head", str(new), str(corpus), "--as-of", "2026-11-24", "--format", "json")
    assert status == 2
    assert json.loads(out)["requests"] == len(CORPUS)
    assert err.endswith("z-invalid.yaml:3:1: unknown-field: presense: not a request field (did you mean 'presence'?)\n")


def test_a_request_only_one_side_accepts(corpus: Path, tmp_path: Path) -> None:
    old = copy_policy(tmp_path / "t-old")
    new = copy_policy(tmp_path / "t-new")
    new.replace("criteria/vocabularies.yaml", "  migration: {label: {en: Migration, fr: Migrations, es: Migración}}\n", "")
    (corpus / "g-migration.yaml").write_text(
        yaml.safe_dump(dict(base_request(request__themes=["migration"]), id="G"), sort_keys=False), "utf-8"
    )
    status, out, _ = run(
        "--base", str(old.root), "--head", str(new.root), str(corpus), "--as-of", "2026-11-24", "--format", "json"
    )
    assert status == 2
    data = json.loads(out)
    assert {"from": "engage", "to": "(invalid)", "count": 1} in data["transitions"]
    (g,) = [c for c in data["changed"] if c["request_id"] == "G"]
    assert "not-in-vocabulary" in g["errors"]["new"][0]
