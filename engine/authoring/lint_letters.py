"""Lint's check of the letters: every language the policy declares has a letter template.

The languages a policy declares are those its own words are written in (``languages`` in the
vocabularies file), and the languages a requester may write in (the values of
``requester.language`` in ``criteria/fields.yaml``): a requester whose language has no
template could not be written to in it.
"""

from __future__ import annotations

from ..i18n.said import say
from ..policy.model import Policy
from .findings import WARNING, Finding

LANGUAGE_FIELD = "requester.language"


def declared_languages(policy: Policy) -> tuple[str, ...]:
    """The languages the policy declares (see the module's docstring)."""
    field = policy.fields.get(LANGUAGE_FIELD)
    theirs = tuple(field.values or ()) if field is not None else ()
    return tuple(dict.fromkeys([*policy.languages, *theirs]))


def letter_findings(policy: Policy) -> list[Finding]:
    """A ``letter-missing`` warning for each declared language without a template.

    A warning, as a text missing in a language is (``missing-translation``): the rules decide as
    before, and a letter can still be written in the languages that have a template.
    """
    have = set(policy.letters.languages)
    field = policy.fields.get(LANGUAGE_FIELD)
    where = policy.letters.location if policy.letters.templates else (field.location if field is not None else None)
    found = []
    for lang in declared_languages(policy):
        if lang not in have:
            message = (
                say(
                    "the policy declares the language '{lang}' but has no letter template in it (templates: {shown})",
                    lang=lang,
                    shown=", ".join(sorted(have)),
                )
                if have
                else say(
                    "the policy declares the language '{lang}' but has no letter template in it (templates: none)", lang=lang
                )
            )
            found.append(Finding("letter-missing", WARNING, where or policy.letters.location, message))
    return found
