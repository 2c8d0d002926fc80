"""The letter that asks a requester for what is missing, from a decision and the policy's template.

What is asked: every field the decision lists as ``missing`` and every field ``could_change``
names, that the requester answers (``answered_by: requester`` in ``criteria/fields.yaml``;
what the Office answers itself is not put to the requester), once each, the missing ones
first.  Each is asked by its ``question`` from the policy, in the letter's language.  A
decision that leaves the requester nothing to answer has no letter (:class:`NothingToAsk`).

The language: the one asked for (``--lang``, the officer's choice), else the request's
``requester.language``, else the policy's first template.  The template (``kind: letters``,
:mod:`engine.policy.letters`) gives the subject, the paragraphs and the signature; dates are
written as the language writes them (CLDR, through Babel).

A letter is paragraphs, not one string, so that the text (wrapped for an e-mail or a
terminal) and the HTML (for the printable page) are made from the same parts.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import EngageError, Location, visible
from ..policy.model import LetterTemplate, Policy
from ..policy.texts import in_language
from .decision import Decision

TEXT, QUESTIONS, SIGNATURE = "text", "questions", "signature"
WIDTH = 76  # an e-mail's lines, and a terminal's
# The locale whose dates each language's letters use: UN English writes "3 November 2026".
LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES"}
# French typography: no line break inside « », nor before a colon, semicolon, ? or !.
_FRENCH_SPACES = (("« ", "«\u00a0"), (" »", "\u00a0»"), (" :", "\u00a0:"), (" ;", "\u00a0;"), (" ?", "\u00a0?"))


class LetterError(EngageError):
    """A letter that cannot be written as asked (exit status 2, or 1 for nothing to ask)."""


class NothingToAsk(LetterError):
    """The decision leaves the requester nothing to answer: there is no letter to write."""


@dataclass(frozen=True)
class Question:
    field: str  # the request field it asks for, e.g. partnership.civil_society_involved
    text: str  # the question in the letter's language


@dataclass(frozen=True)
class Paragraph:
    kind: str  # TEXT, QUESTIONS or SIGNATURE
    lines: tuple[str, ...]  # TEXT: one line; QUESTIONS: one per question; SIGNATURE: as written


@dataclass(frozen=True)
class Letter:
    request_id: str
    language: str
    subject: str
    paragraphs: tuple[Paragraph, ...]
    questions: tuple[Question, ...]
    subject_label: str = "Subject:"

    def text(self, width: int = WIDTH) -> str:
        """The letter as plain text, paragraphs wrapped at ``width``."""
        blocks = []
        for paragraph in self.paragraphs:
            if paragraph.kind == QUESTIONS:
                lines = enumerate(paragraph.lines, 1)
                blocks.append("\n".join(_numbered(i, line, width, self.language) for i, line in lines))
            elif paragraph.kind == SIGNATURE:
                blocks.append("\n".join(paragraph.lines))
            else:
                blocks.append(_wrap(paragraph.lines[0], width, self.language))
        return "\n\n".join(blocks) + "\n"

    def email(self, width: int = WIDTH) -> str:
        """The text of an e-mail: its subject line, a blank line, the letter."""
        return f"{self.subject_label} {self.subject}\n\n{self.text(width)}"

    def html(self) -> str:
        """The letter as an HTML fragment (every text escaped), for a page to hold."""
        parts = []
        for paragraph in self.paragraphs:
            if paragraph.kind == QUESTIONS:
                items = "".join(f"<li>{html.escape(line)}</li>" for line in paragraph.lines)
                parts.append(f'<ol class="letter-questions">{items}</ol>')
            elif paragraph.kind == SIGNATURE:
                parts.append('<p class="letter-signature">' + "<br>".join(html.escape(x) for x in paragraph.lines) + "</p>")
            else:
                parts.append(f"<p>{html.escape(paragraph.lines[0])}</p>")
        return f'<div class="letter" lang="{html.escape(self.language)}">' + "".join(parts) + "</div>"


def _typeset(text: str, language: str) -> str:
    if language == "fr":
        for plain, kept in _FRENCH_SPACES:
            text = text.replace(plain, kept)
    return text


def _wrap(text: str, width: int, language: str) -> str:
    return textwrap.fill(_typeset(text, language), width, break_long_words=False, break_on_hyphens=False)


def _numbered(number: int, line: str, width: int, language: str) -> str:
    mark = f"{number}. "
    return textwrap.fill(
        _typeset(line, language),
        width,
        initial_indent=mark,
        subsequent_indent=" " * len(mark),
        break_long_words=False,
        break_on_hyphens=False,
    )


def _plain(path: str) -> str:
    """``priority.recommendations[0].mechanism`` -> ``priority.recommendations.mechanism``."""
    return re.sub(r"\[[^\]]*\]", "", path)


def requester_fields(policy: Policy, decision: Decision) -> tuple[str, ...]:
    """The fields the decision leaves to the requester to answer: missing ones first, each once."""
    wanted: list[str] = []
    for path in [*decision.missing, *(c.field for c in decision.could_change)]:
        declared = policy.fields.get(_plain(path))
        if declared is not None and declared.answered_by == "requester" and path not in wanted:
            wanted.append(path)
    return tuple(wanted)


def field_question(policy: Policy, path: str, language: str) -> str:
    """The policy's question for a field (``question`` in the fields file, else its label), in ``language``.

    As a sentence: its first letter a capital (after an opening ``¿``), ending with a question
    mark.  A language the policy's words lack falls back to its first language.
    """
    declared = policy.fields.get(_plain(path))
    if declared is None:
        return path
    text = in_language(declared.question or declared.label, language).strip()
    if not text.endswith("?"):
        text += "?" if language != "fr" else "\u00a0?"
    first = next((i for i, ch in enumerate(text) if ch.isalpha()), None)
    return text if first is None else text[:first] + text[first].upper() + text[first + 1 :]


def choose_language(policy: Policy, request: Any, asked: str | None = None) -> str:
    """The language of the letter: the one asked for, else the requester's, else the policy's first template."""
    known = policy.letters.languages
    if asked is not None:
        if asked not in known:
            shown = ", ".join(known) or "none"
            message = f"no letter template in '{asked}' (the policy has: {shown})"
            raise LetterError("no-letter-template", message, Location("--lang"))
        return asked
    requester = request.get("requester") if isinstance(request, Mapping) else None
    theirs = requester.get("language") if isinstance(requester, Mapping) else None
    if isinstance(theirs, str) and theirs in known:
        return theirs
    if not known:
        raise LetterError("no-letter-template", "the policy has no letter templates (a kind: letters file)", Location("--lang"))
    return known[0]


def long_date(day: date, language: str) -> str:
    """``3 November 2026``, ``3 novembre 2026``, ``3 de noviembre de 2026``."""
    from babel.dates import format_date  # only letters need it

    return str(format_date(day, format="long", locale=LOCALES.get(language, language)))


def compose(
    policy: Policy,
    decision: Decision,
    request: Any,
    *,
    language: str | None = None,
    today: date,
    signature: str | None = None,
) -> Letter:
    """The letter asking the requester of ``request`` for what ``decision`` leaves to them."""
    lang = choose_language(policy, request, language)
    paths = requester_fields(policy, decision)
    if not paths:
        raise NothingToAsk(
            "nothing-to-ask",
            f"the decision ({decision.outcome}) leaves the requester nothing to answer: there is no letter to write",
            Location(decision.request_id),
        )
    template = policy.letters.templates[lang]
    questions = tuple(Question(p, field_question(policy, p, lang)) for p in paths)
    values = _values(template, request, decision, lang, today)
    sign = visible((signature or template.signature).strip(), lines=True)
    values["signature"] = " ".join(sign.split())
    paragraphs: list[Paragraph] = []
    for raw in re.split(r"\n\s*\n", template.body):
        block = raw.strip()
        if block == "{questions}":
            paragraphs.append(Paragraph(QUESTIONS, tuple(q.text for q in questions)))
        elif block == "{signature}":
            paragraphs.append(Paragraph(SIGNATURE, tuple(line.strip() for line in sign.splitlines() if line.strip())))
        else:
            text = " ".join(_fill(block, values).split())
            if text:  # a paragraph of a placeholder with nothing to say (no requester's name) is left out
                paragraphs.append(Paragraph(TEXT, (text,)))
    subject = " ".join(_fill(template.subject, values).split())
    return Letter(decision.request_id, lang, subject, tuple(paragraphs), questions, template.subject_label)


def _values(template: LetterTemplate, request: Any, decision: Decision, lang: str, today: date) -> dict[str, str]:
    data: Mapping[str, Any] = request if isinstance(request, Mapping) else {}
    asked = _group(data, "request")
    requester = _group(data, "requester")
    received = data.get("received")
    try:
        received_text = long_date(date.fromisoformat(str(received)), lang) if received else ""
    except ValueError:
        received_text = str(received)
    # The requester's own words go into the letter, its e-mail and its page: hidden characters are shown.
    return {
        "reference": decision.request_id,
        "title": visible(str(asked.get("title") or template.untitled or "")),
        "received": visible(received_text),
        "requester": visible(str(requester.get("name") or "")),
        "date": long_date(today, lang),
    }


def _group(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = data.get(name)
    return found if isinstance(found, Mapping) else {}


def _fill(text: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def questions_in(letter: Letter) -> Sequence[str]:
    """The fields a letter asks for (what the log records of it)."""
    return [q.field for q in letter.questions]
