"""The messages about rule files and lint: English as before, said again in French and Spanish, and understood again
from the English a release keeps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.authoring.lint import lint
from engine.errors import InputError
from engine.i18n.said import Said, in_language, joined, replaced, say, say_n
from engine.i18n.understood import understood
from engine.policy.documents import parse

from ..helpers.support import ROOT

# Three mistakes in the outcome table: a misspelt field, a misspelt outcome and a value listed twice.
EDITS = (
    ("{field: status.mandate_integrity, equals: unknown}", "{field: status.mandate_integrty, equals: unknown}"),
    ("outcome: respond_ad_hoc", "outcome: respond_adhoc"),
)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("broken")
    shutil.copytree(ROOT / "rules", base / "rules", ignore=shutil.ignore_patterns("tests"))
    shutil.copytree(ROOT / "criteria", base / "criteria")
    outcome = base / "rules" / "outcome.yaml"
    text = outcome.read_text("utf-8")
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new, 1)
    outcome.write_text(text, "utf-8")
    return base


def test_a_path_taken_out_of_a_message_leaves_it_said_and_a_list_of_messages_is_said_part_by_part() -> None:
    said = say("'{field}' is not a request field", field="/tmp/x/status.y")
    shown = replaced(said, "/tmp/x/", "")
    assert shown == "'status.y' is not a request field" and isinstance(shown, Said)
    assert in_language(shown, "fr") == "« status.y » n'est pas un champ de la demande"
    across = replaced(said, "' is not", "' isn't")  # the template's own words changed: English, as replaced
    assert across == "'/tmp/x/status.y' isn't a request field" and not isinstance(across, Said)
    listed = joined([say("a value is listed twice"), "as is"], "; ")
    assert listed == "a value is listed twice; as is"
    assert in_language(listed, "es") == "un valor aparece dos veces; as is"


def test_the_loaders_and_lints_messages_are_english_as_before_and_french_and_spanish_when_asked(broken: Path) -> None:
    report = lint(broken / "rules", broken / "criteria")
    by_check = {f.check: f for f in report.findings}
    field = by_check["unknown-field"].line()
    assert field.endswith(
        ": error: rule 'outcome.mandate_unknown': when.field: 'status.mandate_integrty' is not a request or derived field"
        " (did you mean 'status.mandate_integrity'?) [unknown-field]"
    )
    french = in_language(field, "fr")
    assert french.startswith(field.split(": error: ")[0] + ": error: ")  # the prefix and the severity as lint writes them
    assert french.endswith(
        ": error: règle « outcome.mandate_unknown » : when.field : « status.mandate_integrty » n'est ni un champ de la"
        " demande ni un champ dérivé (vouliez-vous dire « status.mandate_integrity » ?) [unknown-field]"
    )
    spanish = in_language(by_check["unknown-outcome"].line(), "es")
    assert "«respond_adhoc» no es un resultado de los vocabularios" in spanish and spanish.endswith("[unknown-outcome]")
    assert in_language(report.summary(), "fr").endswith("2 erreurs") and report.summary() == "2 errors"


@pytest.mark.parametrize(
    ("text", "file", "english", "french"),
    [
        ("a: [1, 2\n", "x.yaml", "did not find expected ',' or ']' (while parsing a flow sequence)", "« , » ou « ] » attendu"),
        ("a: {b: 1]\n", "x.yaml", "did not find expected ',' or '}' (while parsing a flow mapping)", "« , » ou « } » attendu"),
        ('{"a": }', "x.json", "Expecting value", "valeur attendue"),
        (
            "a: 1\na: 2\n",
            "x.yaml",
            "the key 'a' appears twice in this mapping (first on line 1)",
            "la clé « a » figure deux fois",
        ),
    ],
)
def test_a_file_that_does_not_parse_is_said_in_french(text: str, file: str, english: str, french: str) -> None:
    with pytest.raises(InputError) as raised:
        parse(text, file)
    assert raised.value.message == english
    assert in_language(raised.value.message, "fr").startswith(french)


def test_a_problem_pyyaml_words_itself_stays_as_written() -> None:
    with pytest.raises(InputError) as raised:
        parse("%YAML 3.0\n---\na\n", "x.yaml")
    assert in_language(raised.value.message, "fr") == "document YAML incompatible"
    unknown = say("{problem} ({context})", problem="something libyaml says", context="while parsing a flow mapping")
    assert in_language(unknown, "es") == "something libyaml says (while parsing a flow mapping)"  # the context: a value


def test_plural_forms_of_a_refusal_follow_each_language() -> None:
    one = say_n("the proposed rules have {count} lint error", "the proposed rules have {count} lint errors", 1)
    two = say_n("the proposed rules have {count} lint error", "the proposed rules have {count} lint errors", 2)
    assert (one, two) == ("the proposed rules have 1 lint error", "the proposed rules have 2 lint errors")
    assert in_language(one, "fr") == "les règles proposées comportent 1 erreur de cohérence"
    assert in_language(two, "es") == "las reglas propuestas tienen 2 errores de coherencia"


def test_the_english_a_release_keeps_is_understood_again_as_it_was_said(broken: Path) -> None:
    report = lint(broken / "rules", broken / "criteria")
    lines = [f.line() for f in report.findings]
    assert len(lines) == 2
    for said in lines:
        kept = str(said)  # as the report is stored and read back: plain text
        again = understood(kept)
        assert again == said and isinstance(again, Said)
        for lang in ("fr", "es"):
            assert in_language(again, lang) == in_language(said, lang) != kept
    assert understood("rules/x.yaml:3:5: warning: written by hand [x]") == "rules/x.yaml:3:5: warning: written by hand [x]"
    assert not isinstance(understood("a: b"), Said)  # punctuation and fields alone are not a message
