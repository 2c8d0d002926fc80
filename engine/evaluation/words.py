"""The words of a decision in one language: the catalogue's fixed words, the policy's own, dates and numbers.

The decision itself (its JSON, its reasons) is in the policy's first language and never changes
with the reader's; :class:`Words` is what the text, the explanation, the report and the template
put around it for a reader of ``lang``.  English, the language the pinned texts are written in,
keeps ISO dates and plain numbers, so that ``engage evaluate`` prints the same bytes with or
without ``--lang en``; French and Spanish get Babel's (``24 novembre 2026``, ``62,5``).

A reason in another language is its rule's sentence in that language (``reason: {fr: ...}``) with
the values it quotes filled in the way the reader writes them; with no request to take them
from, or a rule the policy no longer has, it stays the decision's own sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..i18n.catalogues import Translations, translations
from ..i18n.formats import format_date, format_decimal
from ..policy.loader import PLACEHOLDER
from ..policy.model import Citation, Policy
from ..policy.texts import in_language
from .decision import CitationRef, Reason
from .logic import lookup

DOMAIN = "engage"  # engine/locale/<lang>/LC_MESSAGES/engage.po
PLAIN = "en"  # the language whose dates and numbers stay as tools read them


class Words:
    """Everything a rendering says, in ``lang`` (``None``: the policy's first language)."""

    def __init__(self, policy: Policy, lang: str | None = None) -> None:
        self.policy = policy
        self.lang = lang or policy.languages[0]
        self.catalogue: Translations = translations(DOMAIN, self.lang)

    # -- the catalogue's fixed words ---------------------------------------------------------

    def __call__(self, msgid: str, /, **values: Any) -> str:
        return self.catalogue.text(msgid, **values)

    def count(self, msgid: str, count: int, /, **values: Any) -> str:
        """``msgid`` in its plural form for ``count`` (CLDR's rules: French says 0 and 1 alike)."""
        return self.catalogue.ntext(msgid, count, **values)

    # -- the policy's own words -----------------------------------------------------------------

    def of(self, text: str) -> str:
        """A text of the policy (a label, a summary, a question) in this language, else its first."""
        return in_language(text, self.lang)

    def outcome(self, code: str) -> str:
        term = self.policy.vocab.outcomes.get(code)
        return self.of(term.label) if term is not None else code

    def status(self, code: str) -> str:
        """A condition's status: the code in English (as always shown), else its label in the language."""
        if self.lang == PLAIN:
            return code
        label = self.policy.vocab.status_labels.get(code)
        return self.of(label).lower() if label else code

    def value(self, path: str, value: object) -> str:
        """A field's value as words: a choice's label (its vocabulary's, or the field's own), else the value."""
        if isinstance(value, bool):
            return self("value.yes") if value else self("value.no")
        declared = self.policy.fields.get(path)
        if declared is not None and isinstance(value, str):
            vocabulary = self._vocabulary(declared.vocabulary)
            if vocabulary is not None and value in vocabulary:
                return self.of(vocabulary[value])
            if value in declared.labels:
                return self.of(declared.labels[value])
        if isinstance(value, float | int):
            return self.number(value)
        return str(value)

    def _vocabulary(self, name: str | None) -> Mapping[str, str] | None:
        vocab = self.policy.vocab
        terms = {"themes": vocab.themes, "regions": vocab.regions, "mechanisms": vocab.mechanisms}.get(name or "")
        return {code: term.label for code, term in terms.items()} if terms is not None else None

    # -- dates and numbers -----------------------------------------------------------------------------

    def date(self, day: dt.date | str) -> str:
        """ISO in English (as tools read it); ``24 novembre 2026`` in French.  A text that is not a date stays as it is."""
        if isinstance(day, str):
            try:
                parsed = dt.date.fromisoformat(day)
            except ValueError:
                return day
        else:
            parsed = day
        return parsed.isoformat() if self.lang == PLAIN else format_date(parsed, self.lang)

    def number(self, value: float | int) -> str:
        return str(value) if self.lang == PLAIN else format_decimal(value, self.lang)

    def cite(self, cite: CitationRef | Citation) -> str:
        """``E/CN.4/2006/104 para 19(c)``, ``… par. 19 c)`` / ``… párr. 19 c)`` in French and Spanish."""
        text = cite.text if isinstance(cite, CitationRef) else cite.text()
        if self.lang == PLAIN or cite.para is None or not cite.para[:1].isdigit():
            return text
        several = "-" in cite.para or "," in cite.para
        word = self("cite.paras") if several else self("cite.para")
        return f"{cite.source} {word} {cite.para}"

    # -- reasons ---------------------------------------------------------------------------------------

    def reason(self, reason: Reason, record: Mapping[str, Any] | None, as_of: dt.date) -> str:
        """The reason's sentence in this language, with the values it quotes (the decision's own without a request)."""
        if self.lang == self.policy.languages[0] or record is None:
            return reason.message
        try:
            rule = self.policy.rule(reason.rule)
        except KeyError:
            return reason.message
        written: Mapping[str, str] = getattr(rule.reason, "translations", {})
        text = written.get(self.lang)
        if not text:
            return reason.message  # not translated: the sentence the decision carries, values filled as they were
        return PLACEHOLDER.sub(lambda m: self._quoted(m, record, as_of), text)

    def _quoted(self, match: re.Match[str], record: Mapping[str, Any], as_of: dt.date) -> str:
        name = match.group(1)
        if name == "as_of":
            return self.date(as_of)
        found = lookup(record, name)
        if found is None:
            return self("value.unknown")
        if isinstance(found, list):
            return ", ".join(self.value(name, v).lower() if isinstance(v, str) else self.value(name, v) for v in found)
        declared = self.policy.fields.get(name)
        if declared is not None and declared.type == "date":
            return self.date(str(found))
        shown = self.value(name, found)
        return shown[:1].lower() + shown[1:] if declared is not None and declared.type == "choice" else shown
