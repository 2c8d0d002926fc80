"""Engage's messages about its input, in English and again in the reader's language.

A message such as ``'x' is not one of: a, b`` is written where the problem is found, in English,
and travels as a plain ``str`` through errors, findings, JSON and logs: the English is what every
tool and test reads.  :func:`say` makes that string a :class:`Said`, which remembers the template
and the values it was made from, so that a French page or ``--lang es`` can say it again with the
``messages`` catalogue (``engine/locale/<lang>/LC_MESSAGES/messages.po``; its ids are the English
templates themselves, as the report's are).  Anything that is not a :class:`Said` (a message
built some other way, or one changed after it was said) is shown in English, never lost.

A value may itself be a :class:`Said` (``a list``, ``an empty text``) or one of the policy's own
texts (a condition's title): it is shown in the language too.  Other values (the user's own text,
numbers, field paths, codes) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .languages import DEFAULT

DOMAIN = "messages"


class Said(str):
    """An English message that can be said again in another language (:func:`in_language`)."""

    template: str
    values: Mapping[str, object]
    plural: str | None
    number: int | None  # the count a plural form was chosen for (``count`` is str's)

    def __new__(cls, text: str) -> Said:
        # Only :func:`say` and :func:`say_n` fill the template in; this form is what pickle calls.
        made = super().__new__(cls, text)
        made.template, made.values, made.plural, made.number = text, {}, None, None
        return made


def _filled(pattern: str, values: Mapping[str, object]) -> str:
    return pattern.format(**{k: str(v) for k, v in values.items()})


def say(template: str, /, **values: object) -> Said:
    """``template`` with its ``{name}`` fields filled from ``values``, remembering both."""
    made = Said(_filled(template, values))
    made.template, made.values = template, dict(values)
    return made


def say_n(singular: str, plural: str, count: int, /, **values: object) -> Said:
    """The form of a message for ``count`` (English: singular for 1), with ``{count}`` and ``values``."""
    filled = {"count": count, **values}
    made = Said(_filled(singular if count == 1 else plural, filled))
    made.template, made.plural, made.number, made.values = singular, plural, count, filled
    return made


def _value(value: object, lang: str) -> object:
    if isinstance(value, Said):
        return in_language(value, lang)
    # A policy text (engine.policy.texts.Text, above this layer) carries its own translations.
    own = getattr(value, "in_language", None)
    return own(lang) if callable(own) and isinstance(value, str) else value


def in_language(text: str, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Said` through the catalogue, anything else as it is.

    A template the catalogue lacks, or a translation that names a field the English does not fill,
    gives the English: a reader sees every message, in English at worst.
    """
    if lang == DEFAULT or not isinstance(text, Said):
        return str(text)
    from .catalogues import translations  # the catalogues are read only when a message is translated

    catalogue = translations(DOMAIN, lang)
    values: dict[str, Any] = {k: _value(v, lang) for k, v in text.values.items()}
    if text.plural is not None and text.number is not None:
        pattern = catalogue.ngettext(text.template, text.plural, text.number)
    else:
        pattern = catalogue.gettext(text.template)
    try:
        return _filled(pattern, values)
    except (KeyError, IndexError, ValueError):
        return str(text)


def _made(like: Said, values: Mapping[str, object]) -> Said:
    """A message of ``like``'s template (and plural) with other ``values``."""
    pattern = like.plural if like.plural is not None and like.number != 1 else like.template
    made = Said(_filled(pattern, values))
    made.template, made.plural, made.number, made.values = like.template, like.plural, like.number, dict(values)
    return made


def joined(parts: Sequence[str], separator: str = ", ") -> Said:
    """``parts`` joined by ``separator``, each said again in the reader's language (a list of messages)."""
    template = separator.replace("{", "{{").replace("}", "}}").join(f"{{part{i}}}" for i in range(len(parts)))
    made = Said(separator.join(parts))
    # Not a catalogue entry: the catalogue gives the template back as it is, and each part is translated.
    made.template, made.values = template, {f"part{i}": part for i, part in enumerate(parts)}
    return made


def replaced(text: str, old: str, new: str) -> str:
    """``text.replace(old, new)`` that a :class:`Said` survives (a path taken out of a message and its values)."""
    plain = str(text).replace(old, new)
    if not isinstance(text, Said) or old not in text:
        return text if old not in text else plain
    values = {k: replaced(v, old, new) if isinstance(v, str) and old in v else v for k, v in text.values.items()}
    again = _made(text, values)
    return again if again == plain else plain
