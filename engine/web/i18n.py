"""Every string of the web interface, in one catalogue per language.

English is complete; French (``fr``) and Spanish (``es``) are added by writing their
catalogues with the same keys (a missing key falls back to English).  Templates call
``t("key", name=value)``; ``t.plural("key", n)`` picks ``key.one`` or ``key.other``.
The words of the policy itself (outcome, region, theme and status labels, reasons) come
from the rule files, and the engine's validation messages from the engine.
"""

from __future__ import annotations

from typing import Any

from ..i18n import languages
from .strings_en import EN

CATALOGUES: dict[str, dict[str, str]] = {"en": EN}
DEFAULT = "en"


def negotiate(header: str | None) -> str:
    """The best catalogue for an Accept-Language header (``fr-CH, fr;q=0.9, en;q=0.8``), among those the web has."""
    return languages.negotiate(header, CATALOGUES, DEFAULT)


class Translator:
    def __init__(self, lang: str = DEFAULT) -> None:
        self.lang = lang if lang in CATALOGUES else DEFAULT
        self.table = CATALOGUES[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.table.get(key)
        if text is None:
            text = EN[key]  # a key missing from English is a bug: the tests render every page
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.table or key in EN

    def plural(self, key: str, count: int, **values: Any) -> str:
        return self(f"{key}.{'one' if count == 1 else 'other'}", count=count, **values)

    def maybe(self, key: str, default: str) -> str:
        """The text of ``key``, or ``default`` when the catalogue has none (e.g. a value a new rule file adds)."""
        return self(key) if self.has(key) else default
