"""Editors: every shipped YAML file names its JSON Schema; ``engage schema`` prints each schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.policy.schema import load_schema, validator_for

from ..helpers.authoring import run_command
from ..helpers.support import ROOT, shipped_engine

LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")
SHIPPED = sorted(
    [*ROOT.glob("rules/*.yaml"), *ROOT.glob("rules/tests/*.yaml"), *ROOT.glob("rules/tests/requests/*.yaml")]
    + [*ROOT.glob("criteria/*.yaml"), *ROOT.glob("examples/*.yaml")]
)
KIND = {"rules": "rules", "criteria": "criteria", "tests": "cases", "requests": "request", "examples": "request"}


def test_the_shipped_files_are_all_there() -> None:
    assert len(SHIPPED) == 6 + 6 + 1 + 7 + 8 + 1  # fields.yaml joined criteria/


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_starts_with_its_schema_line(path: Path) -> None:
    first = path.read_text("utf-8").splitlines(keepends=True)[0]
    match = LINE.fullmatch(first)
    assert match, f"{path.relative_to(ROOT)} starts with {first!r}"
    target = (path.parent / match.group(1)).resolve()
    assert target.is_file(), f"{match.group(1)} does not exist"
    assert target.parent == (ROOT / "engine" / "schemas").resolve()
    assert target.name == f"{KIND[path.parent.name]}.schema.json"


@pytest.mark.parametrize("path", [p for p in SHIPPED if p.parent.name in ("examples", "requests")], ids=lambda p: p.name)
def test_the_example_requests_are_valid_under_the_schema_they_name(path: Path) -> None:
    from engine.policy.documents import load_file

    (doc,) = load_file(path)
    assert list(validator_for(load_schema("request")).iter_errors(doc.data)) == []


def schema(*argv: str) -> tuple[int, str, str]:
    return run_command("schema", *argv)


@pytest.mark.parametrize(("name", "file"), [("rule", "rules"), ("rules", "rules"), ("criteria", "criteria"), ("cases", "cases")])
def test_engage_schema_prints_the_shipped_schema(name: str, file: str) -> None:
    status, out, err = schema(name)
    assert (status, err) == (0, "")
    assert json.loads(out) == json.loads((ROOT / "engine" / "schemas" / f"{file}.schema.json").read_text("utf-8"))


def test_engage_schema_request_is_the_effective_schema() -> None:
    status, out, _ = schema("request")
    assert status == 0
    data = json.loads(out)
    assert data == shipped_engine().policy.request_schema
    props = data["properties"]
    assert props["request"]["properties"]["themes"]["items"]["enum"][:3] == [
        "administration_of_justice",
        "development_planning",
        "elections",
    ]
    assert props["exception"]["properties"]["waives"]["items"]["enum"] == [
        "country_engagement_strategy",
        "in_country_presence",
        "partnership",
    ]
    # The copy editors read is the same schema: the one the shipped fields and vocabularies make.
    assert load_schema("request") == data


def test_engage_schema_request_follows_other_criteria(tmp_path: Path) -> None:
    from ..helpers.authoring import copy_policy

    policy = copy_policy(tmp_path / "p")
    policy.replace(
        "criteria/vocabularies.yaml",
        "  other: {label: {en: Other, fr: Autre, es: Otro}}\n",
        "  other: {label: {en: Other, fr: Autre, es: Otro}}\n  water: {label: Water}\n",
    )
    status, out, _ = schema("request", "--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert status == 0
    assert "water" in json.loads(out)["properties"]["request"]["properties"]["themes"]["items"]["enum"]


def test_engage_schema_rejects_other_names() -> None:
    status, out, err = schema("decision")
    assert (status, out) == (2, "")
    assert err.startswith("engage schema: argument NAME: invalid choice: 'decision'")
