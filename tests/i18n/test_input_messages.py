"""The messages about a request or a table, said in French and Spanish where the officer reads them."""

from __future__ import annotations

import pytest

from engine.batches.csvtext import find_separator
from engine.errors import InputError, InvalidRequest
from engine.evaluation.evaluator import Engine
from engine.i18n.problems import error_in_language
from engine.i18n.said import in_language
from engine.web.forms import RequestForm


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _problems(engine: Engine, request: dict[str, object]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as raised:
        engine.check(request)
    return raised.value


def test_the_separators_row_1_holds_are_counted_in_the_languages_plural() -> None:
    with pytest.raises(InputError) as one:
        find_separator("id;received,country\n", "t.csv")
    with pytest.raises(InputError) as many:
        find_separator("id;received;country,region,kind\n", "t.csv")
    assert one.value.message.startswith("row 1 holds 1 comma and 1 semicolon between the column names")
    assert in_language(one.value.message, "fr").startswith("la ligne 1 contient 1 virgule et 1 point-virgule entre")
    assert in_language(many.value.message, "fr").startswith("la ligne 1 contient 2 virgules et 2 points-virgules entre")
    assert in_language(many.value.message, "es").startswith("la fila 1 contiene 2 comas y 2 puntos y comas entre")


def test_several_errors_keep_their_place_and_code_and_say_their_messages_in_the_language(engine: Engine) -> None:
    found = _problems(engine, {"id": "X", "received": "2026-01-05", "requester": {"type": "goverment"}, "partner": 1})
    english, french = str(found).splitlines(), error_in_language(found, "fr").splitlines()
    assert len(english) == len(french) == 2
    for en, fr in zip(english, french, strict=True):
        place_and_code = ": ".join(en.split(": ")[:3])
        assert fr.startswith(place_and_code + ": ") and fr != en
    assert any("ce n'est pas un champ de la demande (vouliez-vous dire « partnership » ?)" in line for line in french)
    assert error_in_language(found, "en") == str(found)


def test_the_form_says_leaving_a_field_out_in_its_own_words_in_every_language(engine: Engine) -> None:
    errors = _problems(engine, {"id": "X", "received": "2026-01-05", "request": {"duration_months": "two years"}}).errors
    form = RequestForm(engine.policy.request_schema)
    shown = {
        lang: form.place(errors, lang, words).by_field["request.duration_months"]
        for lang, words in (("en", None), ("fr", "(ou laissez vide)"), ("es", "(o déjelo en blanco)"))
    }
    assert shown == {
        "en": ["must be a whole number (or leave it blank when unknown), got 'two years'"],
        "fr": ["doit être un nombre entier (ou laissez vide), et non 'two years'"],
        "es": ["debe ser un número entero (o déjelo en blanco), no 'two years'"],
    }


def test_values_that_are_english_words_are_said_in_the_language_too(engine: Engine) -> None:
    found = _problems(engine, {"id": "X", "received": "2026-01-05", "request": {"themes": "nhri", "budget_usd": [1]}})
    assert sorted(e.message for e in found.errors) == [
        "must be a list (or leave it out when unknown), got 'nhri'",
        "must be a number (or leave it out when unknown), got a list",
    ]
    assert sorted(in_language(e.message, "fr") for e in found.errors) == [
        "doit être un nombre (ou omettez-le si la réponse est inconnue), et non une liste",
        "doit être une liste (ou omettez-le si la réponse est inconnue), et non 'nhri'",
    ]
