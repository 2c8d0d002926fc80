"""English messages kept only as text, recognised again as said, so that they can be shown in another language.

A release keeps the report of its checks as plain text (its lint findings, its note on the test
cases): what was said is gone by the time a French reader opens the release.  :func:`understood`
finds the template of the ``messages`` catalogue the English was made from, and its values, and
gives back a :class:`~engine.i18n.said.Said` that :func:`~engine.i18n.said.in_language` says again;
text that no template makes is given back as it is (shown in English, never lost or changed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from babel.messages.pofile import read_po

from .catalogues import LOCALE_DIR
from .said import DOMAIN, Said

_FIELD = re.compile(r"\{\{|\}\}|\{(\w+)\}")
_LETTER = re.compile(r"[^\W\d_]")
_DEPTH = 4  # a finding's line holds a message, which may hold a word: deeper is never written


@dataclass(frozen=True)
class _Pattern:
    template: str
    plural: str | None
    form: str  # the English form this pattern reads (the template, or its plural)
    regex: re.Pattern[str]
    letters: int  # of its own text: a reading by templates with more words explains more of the text

    @property
    def worded(self) -> bool:
        return self.letters > 0  # a template of fields and punctuation alone needs a message among its values


def _regex(form: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    at = 0
    for match in _FIELD.finditer(form):
        parts.append(re.escape(form[at : match.start()]))
        token, name = match.group(), match.group(1)
        if name is None:
            parts.append(re.escape(token[0]))
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.+?)" if name != "count" else r"(?P<count>[0-9]+)")
        at = match.end()
    parts.append(re.escape(form[at:]))
    return re.compile("".join(parts), re.DOTALL)


@cache
def _patterns() -> tuple[_Pattern, ...]:
    # French holds every template (a test keeps French and Spanish alike); English holds none.
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    found: list[_Pattern] = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            forms: tuple[str, ...] = (message.id,)
            template, plural = message.id, None
        else:
            template, plural = str(message.id[0]), str(message.id[1])
            forms = (template, plural)
        for form in forms:
            literal = _FIELD.sub("", form)
            found.append(_Pattern(template, plural, form, _regex(form), len(_LETTER.findall(literal))))
    # The most words first, then the most punctuation: of two readings that explain as much, the first is kept.
    return tuple(sorted(found, key=lambda p: (-p.letters, -len(_FIELD.sub("", p.form)), p.form)))


def _said(pattern: _Pattern, values: dict[str, object], english: str) -> Said:
    made = Said(english)
    made.template, made.plural, made.values = pattern.template, pattern.plural, values
    if pattern.plural is not None:  # the number the English form was chosen for: {count}, or a number written 1,234
        numbers = [str(v).replace(",", "") for k, v in sorted(values.items(), key=lambda kv: kv[0] != "count")]
        made.number = next((int(n) for n in numbers if n.isdigit()), None)
    return made


@lru_cache(maxsize=4096)  # a page shows a few dozen lines; a server runs for months
def _recognised(text: str, depth: int) -> tuple[int, Said | None]:
    """The reading of ``text`` whose templates explain the most of it (their letters), and that count."""
    if depth > _DEPTH or not text:
        return 0, None
    best: tuple[int, Said | None] = (0, None)
    for pattern in _patterns():
        match = pattern.regex.fullmatch(text)
        if match is None:
            continue
        values: dict[str, object] = {}
        inner_score = 0
        for name, value in match.groupdict().items():
            score, inner = _recognised(value, depth + 1)
            inner_score += score
            values[name] = inner if inner is not None else value
        if not pattern.worded and not inner_score:
            continue  # "{path}: {message}" of two texts that are no message: nothing was understood
        score = pattern.letters + inner_score
        if score > best[0]:
            best = (score, _said(pattern, values, text))
    return best


def understood(text: str) -> str:
    """``text`` as the :class:`Said` a template of the catalogue makes of it, or ``text`` itself."""
    if isinstance(text, Said):
        return text
    return _recognised(str(text), 0)[1] or text
