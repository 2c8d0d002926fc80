"""The letters file (``kind: letters``): loaded with the policy, each problem at its file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.authoring.lint import lint
from engine.errors import EngageError, LoadFailed
from engine.policy.loader import load_policy

from ..helpers.support import ROOT, copy_policy, edit


def errors_of(rules: Path, criteria: Path) -> list[EngageError]:
    with pytest.raises(LoadFailed) as info:
        load_policy(rules, criteria)
    return info.value.errors


def line_of(path: Path, needle: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def test_the_shipped_letters_load_in_three_languages() -> None:
    policy = load_policy(ROOT / "rules", ROOT / "criteria")
    assert policy.letters.languages == ("en", "fr", "es")
    spanish = policy.letters.templates["es"]
    assert spanish.subject == "Su solicitud {reference}: información adicional"
    assert spanish.body.splitlines()[4] == "Estimada señora, estimado señor:"
    assert spanish.signature.splitlines()[0] == "Sección de Cooperación Técnica"
    assert policy.letters.templates["fr"].subject_label == "Objet :"
    assert "{questions}" in policy.letters.templates["en"].body
    assert any(f.path == "letters.yaml" for f in policy.files)  # part of the ruleset, and of its hash


def test_an_unknown_placeholder_is_named_at_its_own_line_and_column(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    letters = criteria / "letters.yaml"
    edit(letters, "(référence {reference}), reçue le {received}", "(référence {reference}), reçue le {recu}")
    (error,) = errors_of(rules, criteria)
    line, col = line_of(letters, "{recu}")
    assert (error.code, error.location.line, error.location.col) == ("unknown-placeholder", line, col)
    assert str(error).startswith(f"{letters}:{line}:{col}: unknown-placeholder: letters.fr.body: '{{recu}}'")
    assert "{received}" in error.message  # what it may hold


def test_the_subject_cannot_hold_the_questions(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    letters = criteria / "letters.yaml"
    edit(letters, 'subject: "Your request {reference}: further information needed"', 'subject: "{questions}"')
    (error,) = errors_of(rules, criteria)
    assert error.code == "unknown-placeholder" and "subject" in error.message
    assert error.location.line == line_of(letters, 'subject: "{questions}"')[0]


def test_a_letter_must_list_its_questions_as_a_paragraph(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    letters = criteria / "letters.yaml"
    edit(letters, "      {questions}\n\n      Le rogamos", "      Le rogamos")
    (error,) = errors_of(rules, criteria)
    assert error.code == "letter-questions" and "'es' letter" in error.message
    assert (error.location.file or "").endswith("letters.yaml") and error.location.line is not None


def test_a_template_without_its_signature_is_refused_by_the_schema(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    letters = criteria / "letters.yaml"
    edit(letters, "    signature: |-\n      Section de la", "    signatur: |-\n      Section de la")
    codes = sorted(e.code for e in errors_of(rules, criteria))
    assert "missing-field" in codes and "unknown-field" in codes


def test_a_policy_without_letters_loads_and_lint_says_which_languages_lack_one(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    (criteria / "letters.yaml").unlink()
    policy = load_policy(rules, criteria)  # a ruleset stored before letters existed still loads and replays
    assert policy.letters.languages == ()
    report = lint(rules, criteria)
    missing = [f for f in report.findings if f.check == "letter-missing"]
    assert sorted(m.message.split("'")[1] for m in missing) == ["en", "es", "fr"]
    assert all(m.severity == "warning" and (m.location.file or "").endswith("fields.yaml") for m in missing)


def test_lint_names_a_declared_language_without_a_template(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path)
    edit(criteria / "vocabularies.yaml", "languages: [en, fr, es]\n", "languages: [en, fr, es, ar]\n")
    report = lint(rules, criteria)
    (finding,) = [f for f in report.findings if f.check == "letter-missing"]
    assert "'ar'" in finding.message and (finding.location.file or "").endswith("letters.yaml")
