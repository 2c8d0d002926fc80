"""The policy's own words in several languages: a string, or a map of languages, read into a Text."""

from __future__ import annotations

import pickle
import re

import yaml

from engine.errors import Location
from engine.policy.documents import parse
from engine.policy.texts import Text, TextReader, in_language, one_line

from ..helpers.support import ROOT


def test_a_text_is_its_first_language_and_carries_the_others() -> None:
    text = Text("Met", {"en": "Met", "fr": "Rempli", "es": "Cumplido"}, Location("v.yaml", 3, 9))
    assert text == "Met" and str(text) == "Met" and isinstance(text, str)
    assert text.in_language("fr") == "Rempli" and in_language(text, "es") == "Cumplido"
    assert in_language(text, "ar") == "Met"  # no Arabic written: the first language
    assert in_language("plain", "fr") == "plain" and in_language(text, None) == "Met"
    again = pickle.loads(pickle.dumps(text))  # decisions cross processes with --jobs
    assert again == "Met" and again.translations == text.translations and again.location == text.location


def test_the_reader_takes_a_string_or_a_map_and_keeps_where_each_is() -> None:
    (doc,) = parse("a: Met\nb:\n  fr: '  Rempli '\n  en: Met\nc: {fr: seul}\n", "v.yaml")
    reported: list[tuple[str, str, Location]] = []
    reader = TextReader(("en", "fr"), lambda code, message, loc: reported.append((code, message, loc)))
    a = reader.read(doc.data["a"], doc, ("a",))
    b = reader.read(doc.data["b"], doc, ("b",))
    c = reader.read(doc.data["c"], doc, ("c",), one_line)
    assert (a, a.translations) == ("Met", {"en": "Met"})
    assert (b, b.translations) == ("Met", {"fr": "Rempli", "en": "Met"})  # the first language, whatever the order
    assert c == "seul"  # no English: the first language written stands in (lint reports the missing one)
    assert [(t.location.line, t.location.col) for t in reader.texts] == [(1, 4), (3, 3), (5, 4)]
    assert reported == []


def test_a_language_the_policy_does_not_declare_is_reported_at_its_key() -> None:
    (doc,) = parse("a:\n  en: Met\n  de: Erfüllt\n", "v.yaml")
    reported: list[tuple[str, str, Location]] = []
    TextReader(("en", "fr"), lambda code, message, loc: reported.append((code, message, loc))).read(doc.data["a"], doc, ("a",))
    ((code, message, where),) = reported
    assert code == "undeclared-language" and "'de' is not a language of the policy (en, fr)" in message
    assert (where.file, where.line, where.col) == ("v.yaml", 3, 3)


# The terms of the UN's own French and Spanish documents for what the policy names in English
# (E/CN.4/2006/104 and the Office's reports in each language): a translation that names the
# thing names it this way.  Plurals are allowed.
UN_TERMS = {
    r"technical cooperation": (r"coopération technique", r"cooperación técnica"),
    r"high commissioner": (r"haut-commissaire", r"alto comisionado"),
    r"civil society": (r"société civile", r"sociedad civil"),
    r"national human rights institutions?": (
        r"institutions? nationales? des droits de l'homme",
        r"instituci(ón|ones) nacional(es)? de derechos humanos",
    ),
    r"board of trustees": (r"conseil d'administration", r"junta de síndicos"),
    r"engagement strategy": (r"stratégie d'engagement", r"estrategia de participación"),
}


def _written_in_three(value: object) -> list[dict[str, str]]:
    """Every text of a policy file written as a map of languages (en, fr, es)."""
    if isinstance(value, dict):
        if {"en", "fr", "es"} <= set(value) and all(isinstance(value[k], str) for k in ("en", "fr", "es")):
            return [value]
        return [t for v in value.values() for t in _written_in_three(v)]
    if isinstance(value, list):
        return [t for v in value for t in _written_in_three(v)]
    return []


def test_the_shipped_policy_uses_the_uns_french_and_spanish_terms() -> None:
    texts = [
        t
        for folder in ("rules", "criteria")
        for path in sorted((ROOT / folder).glob("*.yaml"))
        for t in _written_in_three(yaml.safe_load(path.read_text("utf-8")))
    ]
    assert len(texts) > 200  # every text the policy shows, in three languages
    checked, wrong = 0, []
    for text in texts:
        english = one_line(text["en"]).lower()
        for term, (fr, es) in UN_TERMS.items():
            if re.search(term, english):
                checked += 1
                for lang, expected in (("fr", fr), ("es", es)):
                    if not re.search(expected, one_line(text[lang]).lower()):
                        wrong.append(f"{lang}: {term!r} not as {expected!r}: {text[lang]}")
    assert checked >= 20 and not wrong, wrong
