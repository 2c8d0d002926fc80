"""Every string of the web interface, from the gettext catalogues of domain ``web``.

``engine/locale/<lang>/LC_MESSAGES/web.po`` (English, French, Spanish; :mod:`.catalogues`
writes and checks them), read through the languages' core (:mod:`engine.i18n`).  Templates call
``t("key", name=value)``; ``t.plural("key", n)`` picks the form of ``key`` for ``n`` by CLDR's rule
for the language (French: 0 and 1 take the singular), with ``{count}`` written as the language
writes numbers.  A key missing from a language falls back to English; one missing from English
shows as the key itself, which the browser tests look for.  The words of the policy itself
(outcome, region, theme and status labels, reasons) come from the rule files.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..i18n import formats, languages
from ..i18n.catalogues import translations
from .catalogues import DOMAIN

LANGUAGES: tuple[str, ...] = languages.LANGUAGES
DEFAULT = languages.DEFAULT
CATALOGUES = LANGUAGES  # the languages the web has a catalogue in (every one Engage speaks)
# Each language named in its own words, as the switcher offers it.
NAMES = {"en": "English", "fr": "Français", "es": "Español"}


def negotiate(header: str | None) -> str:
    """The best language for an Accept-Language header (``fr-CH, fr;q=0.9, en;q=0.8``), among those the web has."""
    return languages.negotiate(header, LANGUAGES, DEFAULT)


def choose(account: str | None, cookie: str | None, header: str | None) -> str:
    """The language of a page: the account's setting, else the visitor's choice before signing in, else the browser's."""
    for given in (account, cookie):
        if given in LANGUAGES:
            return str(given)
    return negotiate(header)


class Translator:
    def __init__(self, lang: str = DEFAULT) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self.catalogue = translations(DOMAIN, self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        return self.catalogue.text(key, **values)

    def has(self, key: str) -> bool:
        return self.catalogue.gettext(key) != key  # a key no catalogue has comes back as itself

    def plural(self, key: str, count: int, **values: Any) -> str:
        return self.catalogue.ngettext(key, key, count).format(count=self.number(count), **values)

    def maybe(self, key: str, default: str) -> str:
        """The text of ``key``, or ``default`` when the catalogue has none (e.g. a value a new rule file adds)."""
        return self(key) if self.has(key) else default

    def number(self, value: float | int) -> str:
        """``1,234.5`` / ``1 234,5``: as the language writes it (an int stays without decimals)."""
        return formats.format_decimal(value, self.lang)

    def percent(self, fraction: float) -> str:
        """``15.4%`` in English (as the report writes it), ``15,4 %`` / ``15,4 %`` by Babel else."""
        if self.lang == DEFAULT:
            return f"{fraction * 100:.1f}%"
        return formats.format_percent(fraction, self.lang, decimals=1)

    def decimal(self, value: float | None) -> str:
        """A figure with one decimal (``45.0`` / ``45,0``); ``-`` when there is none."""
        if value is None:
            return "-"
        return f"{value:.1f}" if self.lang == DEFAULT else formats.format_decimal(value, self.lang, decimals=1)

    def day(self, value: dt.date | str | None) -> str:
        """A day: ISO 8601 in English (as the log and the office's English documents write it), Babel's medium form else.

        ``value`` may be a stored stamp (``2026-11-24T10:05:00.000000+00:00``), of which the day is taken.
        """
        if value is None or value == "":
            return ""
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        return day.isoformat() if self.lang == DEFAULT else formats.format_date(day, self.lang, "medium")

    def moment(self, stamp: str | None, seconds: bool = False) -> str:
        """A stored stamp to the minute, in UTC: ``2026-11-24 10:05`` in English, ``24 nov. 2026, 10:05`` in French.

        ``seconds``: to the second (``10:05:07``), where two stamps of one minute are told apart (a verification's end).
        """
        if not stamp:
            return ""
        if self.lang == DEFAULT:
            return stamp[: 19 if seconds else 16].replace("T", " ")
        when = dt.datetime.fromisoformat(stamp)
        clock = f"{when:%H:%M:%S}" if seconds else f"{when:%H:%M}"
        return f"{formats.format_date(when.date(), self.lang, 'medium')}, {clock}"
