"""The languages Engage speaks, and the choice among them for an Accept-Language header."""

from __future__ import annotations

import pytest

from engine.errors import EngageError
from engine.i18n.languages import LANGUAGES, check_language, negotiate


def test_english_french_and_spanish_english_first() -> None:
    assert LANGUAGES == ("en", "fr", "es")


def test_an_unknown_language_is_an_engage_error_that_lists_the_known_ones() -> None:
    assert check_language("fr") == "fr"
    with pytest.raises(EngageError) as raised:
        check_language("de")
    assert raised.value.code == "unknown-language"
    assert str(raised.value) == "<input>: unknown-language: 'de' is not a language Engage speaks (choose from en, fr, es)"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de-DE, es;q=0.5, fr;q=0.4", "es"),  # German is not spoken: the best of the others
        ("en;q=0.2, ES", "es"),  # no q is 1.0; tags are case-insensitive
        ("fr;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        ("fr;q=bad, es;q=0.3", "es"),  # an unreadable quality counts as 0
        ("de, it", "en"),
        ("", "en"),
        (None, "en"),
        ("es, fr", "es"),  # equal qualities: the first named
    ],
)
def test_negotiate_takes_the_best_quality_then_the_first_named(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_negotiate_chooses_among_what_the_caller_has() -> None:
    assert negotiate("fr-CH, fr;q=0.9, en;q=0.8", available=("en",)) == "en"
    assert negotiate("de", available=("en", "fr"), default="fr") == "fr"


def test_the_web_negotiates_through_the_core_among_its_own_catalogues() -> None:
    from engine.web.i18n import CATALOGUES
    from engine.web.i18n import negotiate as web_negotiate

    expected = "fr" if "fr" in CATALOGUES else "en"
    assert web_negotiate("fr-CH, fr;q=0.9, en;q=0.8") == expected
