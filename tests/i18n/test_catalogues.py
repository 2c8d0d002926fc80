"""The gettext catalogues: read from the .po in a checkout, English behind a missing key, CLDR's plurals."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from engine.errors import EngageError
from engine.i18n import catalogues
from engine.i18n.catalogues import LOCALE_DIR, translations
from engine.i18n.formats import plural_category
from engine.i18n.languages import LANGUAGES

DOMAINS = sorted({po.stem for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po")})


def test_the_checkout_reads_the_po_itself() -> None:
    assert "engage" in DOMAINS
    for lang in LANGUAGES:
        assert catalogues.source("engage", lang) == LOCALE_DIR / lang / "LC_MESSAGES" / "engage.po"


def test_each_language_has_its_own_words_and_english_is_behind_a_missing_key() -> None:
    assert [translations("engage", lang).text("language.name") for lang in LANGUAGES] == ["English", "Français", "Español"]
    assert translations("engage", "fr").text("no.such.key") == "no.such.key"  # what the tests look for in outputs
    assert translations("engage", "fr") is translations("engage", "fr")  # cached


def test_plurals_follow_cldr_french_zero_is_singular() -> None:
    fr, en, es = (translations("engage", lang) for lang in ("fr", "en", "es"))
    assert [fr.ntext("count.requests", n) for n in (0, 1, 2)] == ["0 demande", "1 demande", "2 demandes"]
    assert [en.ntext("count.requests", n) for n in (0, 1, 2)] == ["0 requests", "1 request", "2 requests"]
    assert es.ntext("count.requests", 1_000_000) == "1000000 de solicitudes"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_po_declares_babels_plural_rule_and_it_agrees_with_cldr(lang: str) -> None:
    expected = get_plural(lang)
    for domain in DOMAINS:
        po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
        if not po.exists():
            continue
        text = po.read_text("utf-8")
        assert f"Plural-Forms: nplurals={expected.num_plurals}; plural={expected.plural_expr};" in text, po
    plural = translations("engage", lang).plural
    categories = ["one", "many", "other"] if expected.num_plurals == 3 else ["one", "other"]
    for n in [*range(0, 120), 1_000_000, 2_000_000]:
        assert categories[plural(n)] == plural_category(n, lang), (lang, n)


def _messages(domain: str, lang: str) -> dict[str, list[str]]:
    """msgid -> its strings (one, or one per plural form), as the .po file holds them."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    out: dict[str, list[str]] = {}
    for m in catalog:
        if m.id:
            key = m.id if isinstance(m.id, str) else m.id[0]
            out[key] = [m.string] if isinstance(m.string, str) else list(m.string)
    return out


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_message_is_translated_with_no_field_of_its_own(lang: str) -> None:
    # A domain keyed by names (render.why) has its English in en.po; one whose ids are the English
    # text itself (the report's) has an empty en.po.  Either way French and Spanish say every one.
    for domain in DOMAINS:
        english = _messages(domain, "en")
        reference = english or {key: [key] for key in _messages(domain, "fr")}
        other = _messages(domain, lang)
        assert sorted(reference) == sorted(other), (domain, lang, set(reference) ^ set(other))
        for key, strings in reference.items():
            allowed = set(re.findall(r"{(\w+)}", " ".join(strings)))
            for text in other[key]:
                assert text, (domain, lang, key)
                assert set(re.findall(r"{(\w+)}", text)) <= allowed, (domain, lang, key)


def test_an_unknown_language_has_no_catalogue() -> None:
    with pytest.raises(EngageError, match="unknown-language"):
        translations("engage", "xx")


def test_a_compiled_mo_is_read_in_place_of_the_po(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As in an installed wheel: the .mo the build wrote beside the .po is what is read.
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "probe.po").write_text('msgid "k"\nmsgstr "from the po"\n', "utf-8")
    catalog = Catalog(locale="fr")
    catalog.add("k", "from the mo")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (folder / "probe.mo").write_bytes(buffer.getvalue())
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    translations.cache_clear()
    try:
        assert catalogues.source("probe", "fr") == folder / "probe.mo"
        assert translations("probe", "fr").text("k") == "from the mo"
        (folder / "probe.mo").unlink()
        translations.cache_clear()
        assert translations("probe", "fr").text("k") == "from the po"
    finally:
        translations.cache_clear()
