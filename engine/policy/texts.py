"""The policy's own words in several languages: a label, a summary or a reason written once per language.

A policy author writes a text either as a plain string (in the policy's first language) or as a
map from language to text, next to each other in the same file::

    reason:
      en: A national counterpart has committed to the work and civil society takes part.
      fr: Un homologue national s'est engagé dans les travaux et la société civile y participe.
      es: Una contraparte nacional se ha comprometido con la labor y la sociedad civil participa en ella.

The policy declares its languages (``languages: [en, fr, es]`` in ``criteria/vocabularies.yaml``;
the first is its own, the one decisions are written in).  The loader makes each text a
:class:`Text`: a ``str`` that *is* the first-language text, so every stage that reads a label or
a reason (the decision's JSON above all) is unchanged, and that carries the other languages for
whoever shows it in one (:func:`in_language`).  ``engage lint`` reports each language a text lacks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import Location
from ..i18n.said import say
from .documents import Document

Report = Callable[[str, str, Location], None]

DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)  # a policy that declares none speaks English only


class Text(str):
    """A text of the policy: the string itself is the first language's; ``translations`` holds every language written.

    ``location`` is where the text is in its file (the map, or the plain string), for lint.
    """

    translations: Mapping[str, str]
    location: Location

    def __new__(cls, value: str = "", translations: Mapping[str, str] | None = None, location: Location | None = None) -> Text:
        made = super().__new__(cls, value)
        made.translations = dict(translations) if translations is not None else {}
        made.location = location or Location()
        return made

    def in_language(self, lang: str) -> str:
        """The text in ``lang``; the first language's when it has none in ``lang``."""
        found = self.translations.get(lang)
        return found if found else str(self)


def in_language(text: str, lang: str | None) -> str:
    """``text`` in ``lang`` if it is a :class:`Text` with that language, else ``text`` itself (``None``: the first language)."""
    if lang is None or not isinstance(text, Text):
        return str(text)
    return text.in_language(lang)


def one_line(text: str) -> str:
    """Runs of whitespace as one space, as a folded YAML scalar reads (``>-`` or a wrapped line)."""
    return " ".join(text.split())


class TextReader:
    """Makes the :class:`Text` of every translatable value of the policy, and keeps them all for lint."""

    def __init__(self, languages: Sequence[str] = DEFAULT_LANGUAGES, report: Report | None = None) -> None:
        self.languages = tuple(languages) or DEFAULT_LANGUAGES
        self.texts: list[Text] = []
        self._report = report

    def read(self, raw: Any, doc: Document, path: tuple[Any, ...], clean: Callable[[str], str] = str.strip) -> Text:
        """The text at ``path`` (``raw`` its schema-valid value: a string or a map of languages)."""
        location = doc.locate(path)
        if isinstance(raw, Mapping):
            written = {str(lang): clean(str(value)) for lang, value in raw.items() if value is not None}
            for lang in written:
                if lang not in self.languages and self._report is not None:
                    declared = ", ".join(self.languages)
                    self._report(
                        "undeclared-language",
                        say(
                            "'{lang}' is not a language of the policy ({declared}):"
                            " add it to 'languages' in the vocabularies file",
                            lang=lang,
                            declared=declared,
                        ),
                        doc.locate(path + (lang,), key=True),
                    )
            first = next((written[lang] for lang in self.languages if written.get(lang)), None)
            value = first if first is not None else next(iter(written.values()), "")
        else:
            value = clean(str(raw)) if raw is not None else ""
            written = {self.languages[0]: value} if value else {}
        text = Text(value, written, location)
        self.texts.append(text)
        return text

    def optional(
        self, raw: Mapping[str, Any], key: str, doc: Document, path: tuple[Any, ...], clean: Callable[[str], str] = str.strip
    ) -> Text:
        """``raw[key]`` as a text, or an empty one (not kept for lint: nothing was written) when the key is absent."""
        if key not in raw or raw[key] is None:
            return Text("", {}, doc.locate(path))
        return self.read(raw[key], doc, path + (key,), clean)

    def of_rule(self, raw: Mapping[str, Any], key: str, doc: Document, at: tuple[Any, ...]) -> Text:
        """A rule's optional text (its ``description``) on one line, named in lint's messages as errors name rules."""
        text = self.optional(raw, key, doc, at, one_line)
        text.location = dataclasses.replace(text.location, label=f"rule '{raw.get('id', '')}': {key}")
        return text
