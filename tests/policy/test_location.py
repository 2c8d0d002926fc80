"""Which rules/ and criteria/ a command reads: options, ENGAGE_POLICY, the checkout it runs in, the shipped copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.policy.location import CHECKOUT, ENVIRONMENT, OPTION, SHIPPED, find_checkout, is_checkout, locate_policy
from engine.policy.shipped import shipped_dir


def _checkout(root: Path) -> Path:
    for name in ("rules", "criteria"):
        (root / name).mkdir(parents=True)
        (root / name / "a.yaml").write_text("stage: outcome\n", "utf-8")
    return root


def test_the_checkout_is_found_from_the_working_directory_and_from_below_it(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "co")
    deep = root / "requests" / "2026"
    deep.mkdir(parents=True)
    for where in (root, deep, root / "rules"):
        found = locate_policy(cwd=where, environ={})
        assert (found.rules, found.criteria, found.source) == (root / "rules", root / "criteria", CHECKOUT)
        assert found.directory == root
        assert found.describe() == f"{root} (checkout)"


def test_a_folder_without_both_directories_with_yaml_in_them_is_not_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "lint.yaml").write_text("x: 1\n", "utf-8")  # another tool's rules/
    assert not is_checkout(tmp_path)
    (tmp_path / "criteria").mkdir()  # both folders, but criteria/ is empty
    assert not is_checkout(tmp_path)
    (tmp_path / "criteria" / "notes.txt").write_text("not yaml", "utf-8")
    assert not is_checkout(tmp_path)
    assert find_checkout(tmp_path) != tmp_path
    (tmp_path / "criteria" / "b.yml").write_text("kind: sources\n", "utf-8")
    assert is_checkout(tmp_path)


def test_elsewhere_the_shipped_copy_is_read(tmp_path: Path) -> None:
    found = locate_policy(cwd=tmp_path, environ={})
    assert (found.rules, found.criteria, found.source) == (shipped_dir("rules"), shipped_dir("criteria"), SHIPPED)


def test_engage_policy_wins_over_the_checkout_and_options_win_over_both(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "co")
    other = _checkout(tmp_path / "other")
    env = {"ENGAGE_POLICY": str(other)}
    found = locate_policy(cwd=root, environ=env)
    assert (found.rules, found.criteria, found.source) == (other / "rules", other / "criteria", ENVIRONMENT)
    relative = locate_policy(cwd=tmp_path, environ={"ENGAGE_POLICY": "other"})  # relative to the working directory
    assert relative.rules == other / "rules"

    given = locate_policy("my-rules", None, cwd=root, environ=env)
    assert (given.rules, given.rules_source) == (Path("my-rules"), OPTION)  # as given: messages stay short
    assert (given.criteria, given.criteria_source) == (other / "criteria", ENVIRONMENT)
    assert given.source == OPTION and given.directory is None
    assert given.describe().startswith("rules ") and "(--rules/--criteria)" in given.describe()
    both = locate_policy(str(root / "rules"), str(root / "criteria"), cwd=tmp_path, environ=env)
    assert both.to_dict() == {
        "source": OPTION,
        "directory": str(root),
        "rules": str(root / "rules"),
        "criteria": str(root / "criteria"),
    }


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_engage_policy_is_not_set(tmp_path: Path, empty: str | None) -> None:
    env = {} if empty is None else {"ENGAGE_POLICY": empty}
    assert locate_policy(cwd=_checkout(tmp_path), environ=env).source == CHECKOUT


def test_a_removed_working_directory_falls_back_to_the_shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert locate_policy(environ={}).source == SHIPPED
