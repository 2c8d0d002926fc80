"""The letters that ask a requester for what is missing, declared in the policy's ``kind: letters`` file.

``criteria/letters.yaml`` holds one template per language: a subject line, the letter's body
and the signature of the office that asks, plain text with ``{placeholders}``.  The schema
checks the file's shape; :func:`check_letters` checks what it cannot: that every placeholder
is one Engage fills in, and that ``{questions}`` stands alone as a paragraph of the body (the
questions are a numbered list, not words inside a sentence).  Errors name ``file:line:col``
of the placeholder itself, inside the block of text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import Location
from ..i18n.said import say
from .documents import Document
from .model import Letters, LetterTemplate

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# What a template may name, and where: the subject is one line, so it has no questions or signature.
IN_BODY = frozenset({"reference", "title", "received", "requester", "date", "questions", "signature"})
IN_SUBJECT = frozenset({"reference", "title", "received", "requester", "date"})
QUESTIONS = "{questions}"

Report = Callable[[str, str, Location], None]


def read_letters(data: Mapping[str, Any], doc: Document) -> Letters:
    """The templates of a schema-valid ``kind: letters`` document."""
    templates = {
        str(lang): LetterTemplate(
            language=str(lang),
            subject=" ".join(raw["subject"].split()),
            body=raw["body"].strip("\n"),
            signature=raw["signature"].strip(),
            untitled=" ".join(raw.get("untitled", "").split()),
            subject_label=" ".join(raw.get("subject_label", "Subject:").split()),
            location=doc.locate(("letters", lang), key=True),
        )
        for lang, raw in data["letters"].items()
    }
    return Letters(templates, doc.locate(("kind",)))


def check_letters(letters: Letters, doc: Document, report: Report) -> None:
    """Placeholders Engage does not fill, and a body without its questions."""
    for lang, template in letters.templates.items():
        for part, text, allowed in (("subject", template.subject, IN_SUBJECT), ("body", template.body, IN_BODY)):
            for match in PLACEHOLDER.finditer(text):
                name = match.group(1)
                if name not in allowed:
                    known = ", ".join(f"{{{n}}}" for n in sorted(allowed))
                    unknown = (
                        say(
                            "'{{{name}}}' is not a placeholder of a letter's subject (it may hold {known})",
                            name=name,
                            known=known,
                        )
                        if part == "subject"
                        else say(
                            "'{{{name}}}' is not a placeholder of a letter's body (it may hold {known})", name=name, known=known
                        )
                    )
                    report(
                        "unknown-placeholder",
                        unknown,
                        placeholder_location(doc, ("letters", lang, part), match.group(0)),
                    )
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", template.body)]
        if QUESTIONS not in paragraphs:
            where = (
                placeholder_location(doc, ("letters", lang, "body"), QUESTIONS)
                if QUESTIONS in template.body
                else doc.locate(("letters", lang, "body"), key=True)
            )
            report(
                "letter-questions",
                say(
                    "the '{lang}' letter must hold {questions} as a paragraph of its own, where the questions are listed",
                    lang=lang,
                    questions=QUESTIONS,
                ),
                where,
            )


def placeholder_location(doc: Document, at: tuple[Any, ...], needle: str) -> Location:
    """Where ``needle`` first stands in the value at ``at``: in a block of text, its own line and column."""
    start = doc.locate(at)
    if start.line is None or not doc.text:
        return start
    lines = doc.text.splitlines()
    for number in range(start.line, min(len(lines), start.line + 400) + 1):
        line = lines[number - 1]
        col = line.find(needle, start.col - 1 if number == start.line and start.col else 0)
        if col >= 0:
            return Location(doc.file, number, col + 1, start.path, line)
    return start
