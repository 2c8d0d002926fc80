"""``engage letter``: the letter for a recorded request, its languages and formats, and its exit statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..helpers.logsupport import ok, record_examples, run
from ..helpers.support import ROOT, copy_policy

PINNED = ROOT / "tests" / "golden" / "letters"
DATE = ("--date", "2026-11-25")


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_letter_of_the_shipped_missing_information_example_is_pinned_whole(db: str, lang: str) -> None:
    record_examples(db)
    out = ok("letter", "REQ-2026-0107", "--db", db, "--lang", lang, *DATE)
    assert out == (PINNED / f"07-missing-information.{lang}.txt").read_text("utf-8")


def test_the_spanish_letter_reads_as_the_office_writes(db: str) -> None:
    record_examples(db)
    out = ok("letter", "7", "--db", db, "--lang", "es", *DATE)  # by record number, as by request id
    assert out.startswith("Asunto: Su solicitud REQ-2026-0107: información adicional\n\n")
    assert "\nEstimada señora, estimado señor:\n" in out and "\n25 de noviembre de 2026\n" in out
    assert "3 de noviembre de 2026" in out and "1. " in out and "\n2. " not in out


def test_the_language_defaults_to_the_requesters(db: str, tmp_path: Path) -> None:
    request = (ROOT / "examples" / "07-missing-information.yaml").read_text("utf-8")
    path = tmp_path / "fr.yaml"
    path.write_text(request.replace("  government_endorsed: true\n", "  government_endorsed: true\n  language: fr\n"), "utf-8")
    ok("evaluate", str(path), "--as-of", "2026-11-24", "--record", "--db", db)
    assert ok("letter", "REQ-2026-0107", "--db", db, *DATE).startswith("Objet : Votre demande REQ-2026-0107")
    assert ok("letter", "REQ-2026-0107", "--db", db, "--lang", "en", *DATE).startswith("Subject: Your request")


def test_html_is_a_page_of_its_own_to_print(db: str) -> None:
    record_examples(db)
    out = ok("letter", "REQ-2026-0107", "--db", db, "--lang", "fr", "--format", "html", *DATE)
    assert out.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert "<title>Votre demande REQ-2026-0107 : informations complémentaires</title>" in out
    assert "@page{size:A4" in out and "<p>Madame, Monsieur,</p>" in out and '<ol class="letter-questions">' in out
    assert "http" not in out  # nothing to fetch


def test_the_signature_is_the_offices(db: str) -> None:
    record_examples(db)
    out = ok("letter", "REQ-2026-0107", "--db", db, "--signature", "Field office\\nFreetown", *DATE)
    assert out.endswith("Yours faithfully,\n\nField office\nFreetown\n")


def test_exit_statuses(db: str) -> None:
    record_examples(db)
    status, out, err = run("letter", "REQ-2026-0101", "--db", db)  # engaged: nothing to ask
    assert (status, out) == (1, "")
    assert err == "REQ-2026-0101: the decision (engage) leaves the requester nothing to answer: there is no letter to write\n"
    status, out, err = run("letter", "REQ-NOPE", "--db", db)
    assert (status, out) == (2, "") and err == "REQ-NOPE: not-found: no recorded request or engine decision with this id\n"
    status, out, err = run("letter", "REQ-2026-0107", "--db", db, "--lang", "de")
    assert status == 2 and err == "--lang: no-letter-template: no letter template in 'de' (the policy has: en, fr, es)\n"
    status, _, err = run("letter", "REQ-2026-0107", "--db", db, "--date", "25/11/2026")
    assert status == 2 and "is not a date in the form YYYY-MM-DD" in err


def test_a_policy_without_letters_says_so(db: str, tmp_path: Path) -> None:
    record_examples(db)
    rules, criteria = copy_policy(tmp_path / "policy")
    (criteria / "letters.yaml").unlink()
    status, out, err = run("letter", "REQ-2026-0107", "--db", db, "--rules", str(rules), "--criteria", str(criteria))
    assert (status, out) == (2, "")
    assert err == "--lang: no-letter-template: the policy has no letter templates (a kind: letters file)\n"


def test_log_list_names_a_request_for_information(db: str) -> None:
    from engine.log.inforequests import record_request
    from engine.log.store import LogStore

    record_examples(db)
    with LogStore.open(db) as store:
        record_request(store, 7, by="a.officer", language="es", fields=["partnership.civil_society_involved"], recorded_by="x")
    out = ok("log", "list", "--all", "--db", db)
    assert "information requested by a.officer on #7 (1 question, es)" in out
    assert "info_request" in out
    shown = ok("log", "show", "10", "--db", db)
    assert shown.startswith("#10: info request on REQ-2026-0107 (in force)\n")
    assert "  information requested by a.officer on engine decision #7, in es\n" in shown
    assert "  asked for: partnership.civil_society_involved\n" in shown
    assert "information requested by a.officer on #7" in ok("log", "show", "REQ-2026-0107", "--db", db)
    status, _, _ = run("log", "verify", "--db", db)
    assert status == 0
