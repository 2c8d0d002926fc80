"""The request's fields are the policy's: criteria/fields.yaml makes the request schema, and its errors are located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import EngageError, LoadFailed
from engine.evaluation.evaluator import Engine
from engine.policy.loader import load_policy
from engine.policy.schema import FieldCatalog

from ..helpers.support import ROOT, copy_policy, edit, shipped_engine
from ..helpers.websupport import site

PACKAGED = ROOT / "engine" / "schemas" / "request.schema.json"


def errors_of(rules: Path, criteria: Path) -> list[EngageError]:
    with pytest.raises(LoadFailed) as info:
        load_policy(rules, criteria)
    return info.value.errors


def test_the_packaged_request_schema_is_the_one_the_shipped_fields_generate() -> None:
    generated = json.dumps(shipped_engine().policy.request_schema, indent=2, ensure_ascii=False) + "\n"
    assert PACKAGED.read_text("utf-8") == generated, (
        "engine/schemas/request.schema.json is out of date: engage schema request > engine/schemas/request.schema.json"
    )


def test_every_field_of_the_schema_is_declared_with_label_help_question_and_who_answers() -> None:
    policy = shipped_engine().policy
    catalog = FieldCatalog(policy.request_schema, ())
    leaves = [p for p in catalog.request_paths if catalog.fields[p].kind != "object"]
    assert leaves == [f.path for f in policy.fields.fields]
    for f in policy.fields.fields:
        assert f.label and f.help and f.question and f.answered_by in ("requester", "office"), f.path
    civil = policy.fields.get("partnership.civil_society_involved")
    assert civil is not None and (civil.answered_by, civil.ask) == ("requester", "is civil society consulted or taking part?")
    mechanism = policy.fields.get("priority.recommendations.mechanism")
    assert mechanism is not None and mechanism.required and mechanism.vocabulary == "mechanisms"


def test_choices_follow_the_vocabularies_and_lists_of_them_are_sorted() -> None:
    policy = shipped_engine().policy
    props = policy.request_schema["properties"]
    assert props["region"]["enum"] == [*policy.vocab.regions, None]  # type: ignore[index]
    themes = props["request"]["properties"]["themes"]["items"]["enum"]  # type: ignore[index]
    assert themes == sorted(policy.vocab.themes)
    waives = props["exception"]["properties"]["waives"]["items"]["enum"]  # type: ignore[index]
    assert waives == sorted(c.name for c in policy.criteria if c.waivable)


def test_a_new_region_in_the_vocabularies_is_a_new_value_of_the_field(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        criteria / "vocabularies.yaml",
        "  global: {label: {en: Global, fr: Mondial, es: Mundial}}\n",
        "  global: {label: {en: Global, fr: Mondial, es: Mundial}}\n  polar: {label: Polar}\n",
    )
    policy = load_policy(rules, criteria)
    assert "polar" in policy.request_schema["properties"]["region"]["enum"]  # type: ignore[index]


def test_a_field_declared_twice_is_named_at_its_line(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "fields.yaml", "  - path: region\n", "  - path: country\n")
    errors = errors_of(rules, criteria)
    assert [e.code for e in errors] == ["duplicate-field"]  # and nothing cascades from it
    (error,) = errors
    line = (criteria / "fields.yaml").read_text("utf-8").splitlines().index("  - path: country", 0) + 1
    assert str(error).startswith(f"{error.location.file}:")
    assert error.location.line is not None and error.location.line > line  # the second one
    assert "'country' is declared twice (first at " in error.message


def test_the_fields_file_is_checked_by_its_schema_with_file_line_col(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "fields.yaml", "    answered_by: office\n", "    answered_by: the office\n")
    edit(criteria / "fields.yaml", "    type: yes_no\n", "    type: boolean\n")
    # A criteria file with a schema error is left out whole, so "fields-missing" follows, as for every
    # kind of criteria file today (issue 11, item 5, is about such cascades).
    errors = [e for e in errors_of(rules, criteria) if e.code != "fields-missing"]
    codes = sorted(e.code for e in errors)
    assert codes == ["not-in-vocabulary", "not-in-vocabulary"], [str(e) for e in errors]
    texts = [str(e) for e in errors]
    assert any("'the office' is not one of: requester, office" in t for t in texts)
    assert any("'boolean' is not one of: yes_no, choice, text" in t for t in texts)
    for e in errors:
        assert e.location.file is not None and e.location.file.endswith("fields.yaml")
        assert e.location.line is not None and e.location.col is not None
    # Neither error turns the rules' fields into unknown fields: the shipped schema stands in.
    assert "unknown-field" not in codes


def test_options_that_do_not_apply_are_named(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(
        criteria / "fields.yaml",
        "  - path: expertise_available\n    type: yes_no\n",
        "  - path: expertise_available\n    type: yes_no\n    max_length: 3\n",
    )
    edit(criteria / "fields.yaml", "    minimum: 0\n    maximum: 1200\n", "    minimum: 10\n    maximum: 5\n")
    messages = sorted(e.message for e in errors_of(rules, criteria))
    assert messages == ["'max_length' does not apply to a field of type yes_no", "minimum is greater than maximum"]


def test_a_policy_without_a_fields_file_says_so(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    (criteria / "fields.yaml").unlink()
    errors = errors_of(rules, criteria)
    assert [e.code for e in errors] == ["fields-missing"]
    assert errors[0].message == "no criteria file has kind: fields"


def test_the_words_for_a_fields_values_are_the_policys(tmp_path: Path) -> None:
    """A choice's values carry their labels in fields.yaml: a new word there reaches the web form."""
    rules, criteria = copy_policy(tmp_path / "p")
    edit(criteria / "fields.yaml", "        en: Advisory (one-off advice)\n", "        en: One-off advice\n")
    with Engine.load(rules, criteria) as loaded, site(f"sqlite:///{tmp_path / 'log.sqlite3'}", engine=loaded) as s:
        assert loaded.policy.fields.get("request.kind").labels["advisory"] == "One-off advice"
        page = s.client("intake").get("/requests/new").text
    form = page[page.index('name="request.kind"') :]
    form = form[: form.index("</select>")]
    assert '<option value="advisory">One-off advice</option>' in form
    assert '<option value="programme">Programme</option>' in form


def test_a_label_for_a_value_the_field_does_not_have_is_named_at_its_line(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "fields.yaml", "        es: Capacitación\n", '        es: Capacitación\n      seminar: "Seminar"\n')
    edit(
        criteria / "fields.yaml",
        "  - path: region\n    type: choice\n    vocabulary: regions\n",
        '  - path: region\n    type: choice\n    vocabulary: regions\n    labels:\n      global: "Global"\n',
    )
    errors = errors_of(rules, criteria)
    lines = (criteria / "fields.yaml").read_text("utf-8").splitlines()
    found = sorted((e.location.line or 0, e.message) for e in errors)
    assert found == [
        (
            lines.index("    labels:", lines.index("  - path: region")) + 1,
            "'labels' names the words for listed 'values' (a vocabulary labels its own)",
        ),
        (lines.index('      seminar: "Seminar"') + 1, "'seminar' is not one of the field's values"),
    ]
    assert {e.code for e in errors} == {"bad-field"}
