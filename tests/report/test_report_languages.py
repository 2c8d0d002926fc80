"""The Board's report in French and Spanish: section 8's reasons, their citations and section 9's days in the report's language.

The decisions keep their reasons in the policy's first language; the report in another language writes each
as its rule says it there, filled from the decision's request, as the web's decision page does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..helpers.logsupport import record_examples, run
from ..helpers.support import shipped_engine

SECTION = re.compile(r'<section id="(\w+)"[^>]*>(.*?)</section>', re.DOTALL)
TAG = re.compile(r"<[^>]*>")


def section(html: str, name: str) -> str:
    """The text of one section of the report."""
    found = {m.group(1): m.group(2) for m in SECTION.finditer(html)}
    return TAG.sub(" ", found[name]).replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def report(db: str, out: Path, *lang: str) -> str:
    status, _, err = run("report", "--out", str(out), "--db", db, *lang)
    assert status == 0, err
    return out.read_text("utf-8")


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_the_reasons_of_each_decision_are_in_the_reports_language(db: str, tmp_path: Path, lang: str) -> None:
    record_examples(db)
    english = section(report(db, tmp_path / "en.html"), "reasons")
    other = section(report(db, tmp_path / f"{lang}.html", "--lang", lang), "reasons")
    shown = 0
    for rule in shipped_engine().policy.all_rules():
        fixed = str(rule.reason)
        written = rule.reason.translations.get(lang, "")  # type: ignore[attr-defined]
        if "{" in fixed or not written or fixed not in english:
            continue  # a sentence that quotes a value is filled in, and a rule no decision used is not shown
        assert written in other and fixed not in other, (lang, rule.id)
        shown += 1
    assert shown >= 10, shown  # the nine examples' reasons are written in every language
    # A sentence that quotes a value: the rule's words in the language, around the value as the language names it.
    quoting = shipped_engine().policy.rule("presence.full").reason
    before = quoting.translations[lang].split("{")[0].strip()  # type: ignore[attr-defined]
    assert before in other and str(quoting).split("{")[0].strip() not in other
    assert str(quoting).split("{")[0].strip() in english
    assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", other) is None  # days as the language writes them
    assert "in_country_presence" not in other and "waives in_country_presence" in english  # the waived condition by name
    word = {"fr": "par.", "es": "párr."}[lang]
    assert f"E/CN.4/2006/104 {word} 19(a)" in other and "para 19(a)" not in other
    assert "para 19(a)" in english  # English as the decision records it


def test_the_releases_days_are_in_the_reports_language(db: str, tmp_path: Path) -> None:
    record_examples(db)  # release 1, adopted at first use: in force from the start
    for lang, start in (("fr", "l'origine"), ("es", "el inicio")):
        releases = section(report(db, tmp_path / f"{lang}.html", "--lang", lang), "releases")
        assert start in releases and "the start" not in releases, (lang, releases)
        assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", releases) is None, (lang, releases)  # the approval's day by Babel
    assert "the start" in section(report(db, tmp_path / "en.html"), "releases")
