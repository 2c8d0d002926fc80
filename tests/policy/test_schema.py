"""The schemas as the source of truth, and criteria as data that changes behaviour without code."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from engine.errors import InvalidRequest
from engine.evaluation.evaluator import Engine
from engine.policy.schema import SCHEMA_NAMES, FieldCatalog, did_you_mean, load_schema

from ..helpers.support import ROOT, copy_policy, edit, shipped_engine

AS_OF = date(2026, 11, 24)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_the_shipped_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _closed(node: dict[str, object], path: str = "") -> list[str]:
    """Object schemas that would accept unknown fields."""
    open_ = []
    if "properties" in node and node.get("additionalProperties") is not False:
        open_.append(path or "<root>")
    for key, sub in node.get("properties", {}).items():  # type: ignore[attr-defined]
        open_ += _closed(sub, f"{path}.{key}" if path else key)
    items = node.get("items")
    if isinstance(items, dict):
        open_ += _closed(items, f"{path}[]")
    return open_


POLICY = ROOT.parent / "shared" / "policy-v1.md"


def policy_fields() -> set[str]:
    """The field names of the table in section 1 of policy-v1.md."""
    text = POLICY.read_text("utf-8")
    section = text[text.index("## 1.") : text.index("## 2.")]
    return {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}


@pytest.mark.skipif(not POLICY.exists(), reason="needs ../shared/policy-v1.md beside the checkout, as CI has it")
def test_the_request_schema_has_exactly_the_fields_of_the_policy() -> None:
    catalog = FieldCatalog(load_schema("request"), [])
    leaves = {p for p in catalog.request_paths if catalog.fields[p].kind != "object"}
    assert leaves == policy_fields()
    assert len(leaves) == 36


def test_the_request_schema_has_no_open_objects_and_the_right_domains() -> None:
    catalog = FieldCatalog(load_schema("request"), [])
    assert _closed(dict(load_schema("request"))) == []
    assert catalog.fields["presence.type"].enum == (
        "none",
        "regional_office",
        "human_rights_adviser",
        "country_office",
        "peace_mission_component",
    )
    assert catalog.fields["exception.expires"].kind == "date"
    assert catalog.fields["country"].enum is not None and "KEN" in catalog.fields["country"].enum


def test_vocabularies_come_from_criteria(tmp_path: Path) -> None:
    request = {"id": "T", "received": "2026-01-01", "request": {"themes": ["business_and_human_rights"]}}
    with pytest.raises(InvalidRequest) as info:
        shipped_engine().evaluate(request, AS_OF)
    assert info.value.errors[0].code == "not-in-vocabulary"
    rules, criteria = copy_policy(tmp_path)
    edit(
        criteria / "vocabularies.yaml",
        "  other: {label: {en: Other, fr: Autre, es: Otro}}",
        "  other: {label: {en: Other, fr: Autre, es: Otro}}\n  business_and_human_rights: {label: Business and human rights}",
    )
    engine = Engine.load(rules, criteria)
    try:
        assert engine.evaluate(request, AS_OF).request_id == "T"
        themes = engine.policy.request_schema["properties"]["request"]["properties"]["themes"]["items"]["enum"]  # type: ignore[index]
        assert "business_and_human_rights" in themes
    finally:
        engine.close()


def test_a_weight_changed_in_yaml_changes_the_score_with_no_code_change(tmp_path: Path) -> None:
    request = json.loads(
        json.dumps(
            __import__("engine.policy.documents", fromlist=["load_file"])
            .load_file(ROOT / "examples" / "01-engage-nhri-programme.yaml")[0]
            .data
        )
    )
    before = shipped_engine().evaluate(request, AS_OF)
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "priority.yaml", "    met: 20", "    met: 25")
    edit(
        criteria / "priority.yaml",
        "field: priority.least_developed_country\n    points: 10",
        "field: priority.least_developed_country\n    points: 3",
    )
    engine = Engine.load(rules, criteria)
    try:
        after = engine.evaluate(request, AS_OF)
    finally:
        engine.close()
    assert before.priority_score == 90
    assert after.priority_score == 90 + 3 * 5 - 7
    assert after.outcome == before.outcome  # the score never changes the outcome


def test_did_you_mean() -> None:
    assert did_you_mean("presense", ["presence", "priority"]) == " (did you mean 'presence'?)"
    assert did_you_mean("KEN ", ["KEN", "TCD"]) == " (did you mean 'KEN'?)"
    assert did_you_mean("zzz", ["presence"]) == ""
