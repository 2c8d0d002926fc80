"""The policy's own words in several languages: a string, or a map of languages, read into a Text."""

from __future__ import annotations

import pickle

from engine.errors import Location
from engine.policy.documents import parse
from engine.policy.texts import Text, TextReader, in_language, one_line


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
