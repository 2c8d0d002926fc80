"""The letter asking the requester for what is missing: its words in each language, its questions, its parts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.evaluation.evaluator import Engine
from engine.evaluation.letter import LetterError, NothingToAsk, compose, requester_fields
from engine.policy.documents import load_file

from ..helpers.support import ROOT, shipped_engine

AS_OF = date(2026, 11, 24)
TODAY = date(2026, 11, 25)
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in {".yaml", ".json"})
MISSING = ROOT / "examples" / "07-missing-information.yaml"


def request_of(path: Path) -> dict[str, Any]:
    (doc,) = load_file(path)
    data: dict[str, Any] = json.loads(json.dumps(doc.data, default=str))
    return data


@pytest.fixture(scope="module")
def engine() -> Engine:
    return shipped_engine()


@pytest.fixture(scope="module")
def trilingual(engine: Engine) -> Engine:
    """The shipped policy: its words (the fields' questions among them) in English, French and Spanish."""
    assert engine.policy.languages == ("en", "fr", "es")
    return engine


def letter_text(engine: Engine, lang: str | None, request: dict[str, Any] | None = None, **kw: Any) -> str:
    request = request or request_of(MISSING)
    decision = engine.evaluate(request, as_of=AS_OF)
    return compose(engine.policy, decision, request, language=lang, today=TODAY, **kw).email()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            [
                "Subject: Your request REQ-2026-0107: further information needed",
                "Dear Sir or Madam,",
                "received on 3 November 2026",
                "25 November 2026",
                "Yours faithfully,",
                "Office of the United Nations High Commissioner for Human Rights",
                "1. Is civil society consulted or taking part?",
            ],
        ),
        (
            "fr",
            [
                "Objet : Votre demande REQ-2026-0107 : informations complémentaires",
                "Madame, Monsieur,",
                "reçue le 3 novembre 2026",
                "25 novembre 2026",
                "l'assurance de notre haute",
                "Haut-Commissariat des Nations Unies aux droits de l'homme",
                "1. La société civile est-elle consultée ou y participe-t-elle\u00a0?",
            ],
        ),
        (
            "es",
            [
                "Asunto: Su solicitud REQ-2026-0107: información adicional",
                "Estimada señora, estimado señor:",
                "3 de noviembre de 2026",
                "25 de noviembre de 2026",
                "Aprovechamos la ocasión para saludarle muy atentamente.",
                "Oficina del Alto Comisionado de las Naciones Unidas para los Derechos Humanos",
                "1. ¿Se consulta a la sociedad civil o participa esta?",
            ],
        ),
    ],
)
def test_the_letter_is_written_in_each_language_with_its_questions(trilingual: Engine, lang: str, words: list[str]) -> None:
    text = letter_text(trilingual, lang)
    flat = " ".join(text.split())  # wrapped lines joined, as a reader reads them
    for phrase in words:
        assert " ".join(phrase.split()) in flat, phrase
    assert "REQ-2026-0107" in text and "Human rights indicators in development planning" in flat
    assert "Presidential commission on human rights" in text
    # One question only: the Office's own staffing is not put to the requester.
    assert "2. " not in text and "staff" not in text.lower()
    body = text[: text.rstrip().rindex("\n\n")]  # the signature's lines are kept as the template writes them
    assert all(len(line) <= 76 for line in body.splitlines())


def test_french_keeps_its_spaces_unbroken(engine: Engine) -> None:
    text = letter_text(engine, "fr")
    assert "«\u00a0Human" in text and "planning\u00a0»" in text and "suivantes\u00a0:" in text


def test_the_language_is_the_requesters_unless_the_officer_chooses(engine: Engine) -> None:
    request = request_of(MISSING)
    assert letter_text(engine, None, request).startswith("Subject:")  # nothing said: the policy's first template
    request["requester"]["language"] = "es"
    assert letter_text(engine, None, request).startswith("Asunto:")
    assert letter_text(engine, "fr", request).startswith("Objet :")
    with pytest.raises(LetterError) as raised:
        letter_text(engine, "de", request)
    assert raised.value.code == "no-letter-template" and "en, fr, es" in raised.value.message


def test_the_signature_and_a_missing_title_are_the_offices_and_the_templates(engine: Engine) -> None:
    request = request_of(MISSING)
    del request["request"]["title"]
    text = letter_text(engine, "es", request, signature="Oficina Regional para América Central\nCiudad de Panamá")
    assert "«(sin título)»" in text
    assert text.rstrip().endswith("Oficina Regional para América Central\nCiudad de Panamá")
    assert "Sección de Cooperación Técnica" not in text


def test_the_html_is_the_same_letter_escaped(engine: Engine) -> None:
    request = request_of(MISSING)
    request["requester"]["name"] = "Commission <b>&</b> Co"
    decision = engine.evaluate(request, as_of=AS_OF)
    page = compose(engine.policy, decision, request, language="en", today=TODAY).html()
    assert page.startswith('<div class="letter" lang="en">')
    assert "Commission &lt;b&gt;&amp;&lt;/b&gt; Co" in page and "<b>" not in page
    assert '<ol class="letter-questions"><li>Is civil society consulted or taking part?</li></ol>' in page
    assert '<p class="letter-signature">Technical Cooperation Section<br>Office of the United Nations' in page


def test_a_decision_that_asks_the_requester_nothing_has_no_letter(engine: Engine) -> None:
    request = request_of(ROOT / "examples" / "01-engage-nhri-programme.yaml")
    decision = engine.evaluate(request, as_of=AS_OF)
    assert requester_fields(engine.policy, decision) == ()
    with pytest.raises(NothingToAsk) as raised:
        compose(engine.policy, decision, request, language="en", today=TODAY)
    assert raised.value.code == "nothing-to-ask"


def test_what_could_change_is_asked_too_when_the_requester_answers_it(engine: Engine) -> None:
    request = request_of(MISSING)
    request["partnership"]["civil_society_involved"] = True
    del request["requester"]["government_endorsed"]
    decision = engine.evaluate(request, as_of=AS_OF)
    fields = requester_fields(engine.policy, decision)
    assert "requester.government_endorsed" in fields
    assert {c.field for c in decision.could_change} >= set(fields) - set(decision.missing)
    text = compose(engine.policy, decision, request, language="en", today=TODAY).text()
    assert "Does the Government request or endorse the assistance?" in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_requesters_language_changes_no_decision(engine: Engine, example: Path) -> None:
    request = request_of(example)
    plain = engine.evaluate(request, as_of=AS_OF).to_json()
    for lang in ("en", "fr", "es"):
        told = json.loads(json.dumps(request))
        told.setdefault("requester", {})["language"] = lang
        assert engine.evaluate(told, as_of=AS_OF).to_json() == plain
