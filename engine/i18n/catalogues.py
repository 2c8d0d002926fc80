"""The gettext catalogues of Engage's fixed words, one per domain and language.

``engine/locale/<lang>/LC_MESSAGES/<domain>.po`` is what translators edit; the wheel carries
each one compiled to ``.mo`` beside it (``hatch_build.py``).  A checkout or an editable install
has no ``.mo``: the ``.po`` is compiled in memory instead, so an edit to it is seen at once
without a build step.

Message ids are keys (``render.recommendation``); the English text is ``en.po``'s.  A key missing
from a language falls back to English, and one missing from English shows as the key itself, which
the tests look for.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .languages import DEFAULT, check_language

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


class Translations(gettext.GNUTranslations):
    """A catalogue: ``gettext``/``ngettext`` as the standard library's, and ``text``/``ntext`` that fill in values.

    (``plural`` is taken: it is gettext's own rule, from the catalogue's Plural-Forms header.)
    """

    lang: str = DEFAULT

    def text(self, key: str, /, **values: Any) -> str:
        """The text of ``key`` with ``{name}`` fields filled from ``values``."""
        found = self.gettext(key)
        return found.format(**values) if values else found

    def ntext(self, key: str, count: int, /, **values: Any) -> str:
        """The form of ``key`` for ``count`` (CLDR's rule for the language), with ``{count}`` and ``values`` filled in."""
        return self.ngettext(key, key, count).format(count=count, **values)


def po_path(domain: str, lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def source(domain: str, lang: str) -> Path | None:
    """The file a catalogue is read from: the compiled ``.mo`` when there is one (an installed wheel), else the ``.po``."""
    po = po_path(domain, lang)
    for path in (po.with_suffix(".mo"), po):
        if path.is_file():
            return path
    return None


def _compiled(domain: str, lang: str) -> bytes:
    """The ``.mo`` bytes of one catalogue: the built file, else the ``.po`` compiled now.

    A checkout never holds a ``.mo`` (the build writes them into the wheel only, and ``.gitignore``
    keeps out one compiled by hand), so the ``.mo``, when there, is the one built from this ``.po``.
    """
    po, mo = po_path(domain, lang), po_path(domain, lang).with_suffix(".mo")
    if mo.is_file():
        return mo.read_bytes()
    if po.is_file():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang, domain=domain)
    else:
        catalog = Catalog(locale=lang, domain=domain)  # no catalogue: the keys fall through to English
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@cache
def translations(domain: str, lang: str = DEFAULT) -> Translations:
    """The catalogue of ``domain`` in ``lang`` (English behind it for a missing key), cached for the process.

    An unknown ``lang`` is an :class:`~engine.i18n.languages.UnknownLanguage`; a domain with no
    catalogue in a language gives English (or the keys themselves) rather than failing.
    """
    check_language(lang)
    found = Translations(io.BytesIO(_compiled(domain, lang)))
    found.lang = lang
    if lang != DEFAULT:
        found.add_fallback(translations(domain, DEFAULT))
    return found
