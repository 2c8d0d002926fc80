"""The languages Engage speaks, and choosing one of them."""

from __future__ import annotations

from collections.abc import Collection

from ..errors import EngageError

LANGUAGES: tuple[str, ...] = ("en", "fr", "es")  # English first: the language of a text that has no other
DEFAULT = "en"


class UnknownLanguage(EngageError):
    """A language Engage has no catalogue for, e.g. ``--lang de``."""


def check_language(lang: str, available: Collection[str] = LANGUAGES) -> str:
    """``lang`` itself when Engage speaks it, else an :class:`UnknownLanguage` that lists the ones it does."""
    if lang in available:
        return lang
    choices = ", ".join(available)
    raise UnknownLanguage("unknown-language", f"{lang!r} is not a language Engage speaks (choose from {choices})")


def negotiate(header: str | None, available: Collection[str] = LANGUAGES, default: str = DEFAULT) -> str:
    """The best of ``available`` for an Accept-Language header (``fr-CH, fr;q=0.9, en;q=0.8``).

    The highest quality wins, and among equal qualities the first named; a region (``fr-CH``)
    counts as its language.  ``default`` when nothing in the header is available.
    """
    if not header:
        return default
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in available and quality > 0:
            choices.append((-quality, index, language))
    return min(choices)[2] if choices else default
