"""Messages said in English and again in French or Spanish: the template remembered, every template translated."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from engine.errors import InputError, InvalidRequest, Location
from engine.evaluation.evaluator import Engine
from engine.i18n.catalogues import LOCALE_DIR
from engine.i18n.said import DOMAIN, Said, in_language, say, say_n

ENGINE = Path(__file__).resolve().parents[2] / "engine"
WAIVER = "'{name}' can never be waived: condition ({letter}), {title}, is never set aside by an exception"


def test_a_message_is_its_english_and_remembers_how_it_was_made() -> None:
    said = say("'{name}' is not one of: {listing}", name="x", listing="a, b")
    assert said == "'x' is not one of: a, b" and isinstance(said, str)
    assert said.template == "'{name}' is not one of: {listing}" and said.values == {"name": "x", "listing": "a, b"}
    assert str(InputError("not-in-vocabulary", said, Location("f.csv"))) == "f.csv: not-in-vocabulary: 'x' is not one of: a, b"


def test_english_plural_forms_and_the_count_field() -> None:
    assert [say_n("needs {count} entry", "needs {count} entries", n) for n in (0, 1, 2)] == [
        "needs 0 entries",
        "needs 1 entry",
        "needs 2 entries",
    ]


def test_a_message_survives_pickling_as_worker_processes_send_it() -> None:
    said = say(
        "'{name}' can never be waived: condition ({letter}), {title}, is never set aside by an exception",
        name="n",
        letter="a",
        title="t",
    )
    back = pickle.loads(pickle.dumps(said))
    assert back == said and back.template == said.template and back.values == said.values
    assert in_language(back, "fr").startswith("« n » ne peut jamais")


def test_the_waiver_message_in_french_and_spanish_names_the_condition_in_the_language() -> None:
    engine = Engine.load()
    crit = next(c for c in engine.policy.criteria if not c.waivable)
    request = {"id": "X", "exception": {"waives": [crit.name]}}
    with pytest.raises(InvalidRequest) as raised:
        engine.check(request)
    found = [e for e in raised.value.errors if e.code == "waiver-not-allowed"]
    said = say(
        "'{name}' can never be waived: condition ({letter}), {title}, is never set aside by an exception",
        name=crit.name,
        letter=crit.letter,
        title=crit.title,
    )
    assert [e.message for e in found] == [said] and isinstance(found[0].message, Said)
    assert in_language(said, "en") == said
    french = in_language(said, "fr")
    assert french.startswith(f"« {crit.name} » ne peut jamais") and crit.title.in_language("fr") in french  # type: ignore[attr-defined]
    assert crit.title.in_language("es") in in_language(said, "es")  # type: ignore[attr-defined]


def test_text_that_is_not_said_and_templates_the_catalogue_lacks_stay_english() -> None:
    assert in_language("plain English", "fr") == "plain English"
    assert in_language(say("no {such} message anywhere", such="x"), "es") == "no x message anywhere"
    assert in_language(
        say(
            "'{name}' can never be waived: condition ({letter}), {title}, is never set aside by an exception",
            name="n",
            letter="a",
            title="t",
        )
        + "!",
        "fr",
    ).endswith("!")


def _templates() -> dict[str, tuple[str, Path, int]]:
    """Every literal template passed to say()/say_n() in engine/: English -> (its fields, file, line)."""
    found: dict[str, tuple[str, Path, int]] = {}
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("say", "say_n"):
                count = 2 if node.func.id == "say_n" else 1
                literals = node.args[:count]
                assert all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in literals), (
                    f"{path}:{node.lineno}: say() needs a literal template, for the catalogue"
                )
                for a in literals:
                    assert isinstance(a, ast.Constant)
                    found[str(a.value)] = (" ".join(sorted(set(re.findall(r"{(\w+)}", str(a.value))))), path, node.lineno)
    return found


def _catalogue(lang: str) -> dict[str, list[str]]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    out: dict[str, list[str]] = {}
    for m in catalog:
        if m.id:
            ids = [m.id] if isinstance(m.id, str) else list(m.id)
            strings = [m.string] if isinstance(m.string, str) else list(m.string)
            for one in ids:
                out[one] = strings
    return out


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_template_in_the_engine_is_translated_with_the_same_fields(lang: str) -> None:
    templates = _templates()
    assert templates, "no say() call found"
    catalogue = _catalogue(lang)
    missing = [
        f"{path.relative_to(ENGINE.parent)}:{line}: {t!r}" for t, (_, path, line) in templates.items() if t not in catalogue
    ]
    assert not missing, "not in messages.po:\n" + "\n".join(missing)
    for template, (fields, path, line) in templates.items():
        for text in catalogue[template]:
            assert text, f"{lang}: empty translation of {template!r}"
            own = set(re.findall(r"{(\w+)}", text)) - set(fields.split())
            assert not own, f"{path}:{line}: {lang} names fields the English does not fill: {own}"


def test_the_catalogues_hold_only_what_the_engine_says_and_the_same_in_both_languages() -> None:
    said = set(_templates())
    for lang in ("fr", "es"):
        stale = sorted(set(_catalogue(lang)) - said)
        assert not stale, f"{lang}: messages.po holds templates no say() call uses: {stale}"
    assert sorted(_catalogue("fr")) == sorted(_catalogue("es"))
