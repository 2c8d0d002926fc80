"""Bidirectional overrides and zero-width characters that people typed are shown by their code points wherever the
log's words are read back: ``log show``, ``log list``, the Board's report (HTML and CSV) and the letter."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml

from ..helpers.logsupport import EXAMPLES, ok

HIDDEN = {"\u202e", "\u202c", "\u200b", "\u2066", "\u2069", "\u200d"}
TITLE = "Training \u202eslaiciffo\u202c of\u200b judges"
SHOWN_TITLE = "Training <U+202E>slaiciffo<U+202C> of<U+200B> judges"
NAME = "Ministry \u2066of\u2069 Justice\u200d"
SHOWN_NAME = "Ministry <U+2066>of<U+2069> Justice<U+200D>"
WHY = "Not \u202enow\u202c, later"
SHOWN_WHY = "Not <U+202E>now<U+202C>, later"
BY = "Amir\u200b Khan"
SHOWN_BY = "Amir<U+200B> Khan"


def _recorded(db: str, tmp_path: Path) -> None:
    """A request asking for information, with hidden characters in its title and requester's name, and a human
    decision on it whose maker and justification hold some too."""
    data = yaml.safe_load((EXAMPLES / "07-missing-information.yaml").read_text("utf-8"))
    data["request"]["title"], data["requester"]["name"] = TITLE, NAME
    path = tmp_path / "hidden.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    ok("evaluate", str(path), "--as-of", "2026-11-24", "--record", "--db", db)
    ok("log", "decide", "1", "--decision", "decline", "--by", BY, "--justification", WHY, "--db", db)


def test_log_show_and_list_show_hidden_characters_by_their_code_points(db: str, tmp_path: Path) -> None:
    _recorded(db, tmp_path)
    decision = ok("log", "show", "1", "--db", db)
    assert not set(decision) & HIDDEN
    assert f"title: {SHOWN_TITLE}" in decision and f"name: {SHOWN_NAME}" in decision
    assert f"    justification: {SHOWN_WHY}" in decision and f"by {SHOWN_BY} (departs" in decision
    human = ok("log", "show", "2", "--db", db)
    assert not set(human) & HIDDEN and f"  justification: {SHOWN_WHY}" in human
    for listing in (ok("log", "list", "--db", db), ok("log", "list", "--all", "--db", db)):
        assert not set(listing) & HIDDEN and SHOWN_BY in listing
    # Data for tools stays as it was given.
    assert json.loads(ok("log", "show", "2", "--format", "json", "--db", db))["record"]["details"]["justification"] == WHY


def test_the_boards_report_shows_hidden_characters_by_their_code_points(db: str, tmp_path: Path) -> None:
    _recorded(db, tmp_path)
    for lang in ("en", "fr"):
        page = ok("report", "--db", db, "--lang", lang)
        assert not set(page) & HIDDEN, lang
        assert f"<td>{SHOWN_BY.replace('<', '&lt;').replace('>', '&gt;')}</td>" in page, lang
        assert SHOWN_WHY.replace("<", "&lt;").replace(">", "&gt;") in page, lang
    table = ok("report", "--format", "csv", "--db", db)
    assert not set(table) & HIDDEN
    (row,) = csv.DictReader(io.StringIO(table))
    assert (row["decided_by"], row["justification"]) == (SHOWN_BY, SHOWN_WHY)


def test_the_letter_shows_hidden_characters_by_their_code_points(db: str, tmp_path: Path) -> None:
    _recorded(db, tmp_path)
    text = ok("letter", "REQ-2026-0107", "--date", "2026-11-25", "--db", db)
    assert not set(text) & HIDDEN
    assert SHOWN_NAME in text and SHOWN_TITLE in " ".join(text.split())
    page = ok("letter", "REQ-2026-0107", "--date", "2026-11-25", "--format", "html", "--db", db)
    assert not set(page) & HIDDEN
    assert "Ministry &lt;U+2066&gt;of&lt;U+2069&gt; Justice&lt;U+200D&gt;" in page
    assert "Training &lt;U+202E&gt;slaiciffo&lt;U+202C&gt; of&lt;U+200B&gt; judges" in page
    signed = ok("letter", "REQ-2026-0107", "--date", "2026-11-25", "--signature", "The \u202eOffice", "--db", db)
    assert "The <U+202E>Office" in signed and "\u202e" not in signed
