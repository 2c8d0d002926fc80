"""``--lang fr|es`` on evaluate, explain, template, report and the decisions workbook: real French and Spanish.

Every output is checked for words of the language (from the catalogue and from the policy), for a
date or number written the language's way, and for no message key left showing; the JSON is the
same bytes in every language, and an unknown language is a one-line usage error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.i18n.catalogues import LOCALE_DIR

from ..helpers.clirun import engage
from ..helpers.support import ROOT

AS_OF = ("--as-of", "2026-11-24")
EXPIRED = str(ROOT / "examples" / "06-exception-expired.yaml")
MISSING = str(ROOT / "examples" / "07-missing-information.yaml")
NBSP = "\u00a0"


def _keys() -> set[str]:
    """Every message key of the key-style catalogue (engage.po): none may be printed as such."""
    text = (LOCALE_DIR / "en" / "LC_MESSAGES" / "engage.po").read_text("utf-8")
    return set(re.findall(r'^msgid "([a-z_]+\.[a-z_.?]+)"', text, re.MULTILINE))


def assert_no_key(text: str) -> None:
    shown = [key for key in _keys() if key in text]
    assert not shown, shown


def test_evaluate_in_french_uses_the_catalogue_the_policy_and_french_dates() -> None:
    run = engage("evaluate", EXPIRED, MISSING, *AS_OF, "--lang", "fr")
    assert run.status == 0, run.stderr
    out = run.stdout
    assert "REQ-2026-0106: SOUMETTRE À L'EXAMEN DES EXCEPTIONS (exception_review)" in out  # the policy's label
    assert "  priorité 55/100   au 24 novembre 2026 (indiquée)" in out  # catalogue words, Babel's date
    assert "    (c) présence dans le pays" in out and "non remplie" in out
    assert "  Pourquoi :" in out and "  Informations manquantes, nécessaires pour décider :" in out
    # the reason in French with its values filled in the French way (the date, the presence's label)
    assert "L'exception a expiré le 30 juin 2026, avant la date d'évaluation, le 24 novembre 2026." in out
    assert "présence : bureau de pays" in out
    assert "Demander au demandeur : la société civile est-elle consultée ou y participe-t-elle ?" in out
    assert "[E/CN.4/2006/104 par. 23]" in out
    assert "2 évaluées : 1 exception_review, 1 request_information" in out  # CLDR plural, French colon
    assert "Why:" not in out and "Ask the requester" not in out
    assert_no_key(out)


def test_evaluate_in_spanish() -> None:
    run = engage("evaluate", EXPIRED, *AS_OF, "--lang", "es")
    assert run.status == 0, run.stderr
    out = run.stdout
    assert "REQ-2026-0106: REMITIR AL EXAMEN DE EXCEPCIONES (exception_review)" in out
    assert "prioridad 55/100   al 24 de noviembre de 2026 (indicada)" in out
    assert "La excepción venció el 30 de junio de 2026, antes de la fecha de evaluación, el 24 de" in out
    assert "  Por qué:" in out and "párr. 23" in out and "(c) presencia en el país" in out
    assert_no_key(out)


def test_worker_processes_render_in_the_language_too() -> None:
    examples = str(ROOT / "examples")
    one = engage("evaluate", examples, *AS_OF, "--lang", "fr", "--jobs", "1")
    two = engage("evaluate", examples, *AS_OF, "--lang", "fr", "--jobs", "2")
    assert one.status == two.status == 0, two.stderr
    assert two.stdout == one.stdout and "9 évaluées : " in two.stdout


def test_english_is_the_default_and_the_json_is_the_same_in_every_language() -> None:
    default = engage("evaluate", EXPIRED, MISSING, *AS_OF)
    assert engage("evaluate", EXPIRED, MISSING, *AS_OF, "--lang", "en").stdout == default.stdout
    assert "  Why:" in default.stdout and "as of 2026-11-24 (given)" in default.stdout
    as_json = engage("evaluate", EXPIRED, MISSING, *AS_OF, "--format", "json").stdout
    for lang in ("fr", "es"):
        assert engage("evaluate", EXPIRED, MISSING, *AS_OF, "--format", "json", "--lang", lang).stdout == as_json
        jsonl = engage("evaluate", EXPIRED, *AS_OF, "--format", "jsonl", "--lang", lang).stdout
        assert jsonl == engage("evaluate", EXPIRED, *AS_OF, "--format", "jsonl").stdout
    assert "The exception expired on 2026-06-30" in as_json  # the policy's first language, as always


@pytest.mark.parametrize("verb", [("evaluate", EXPIRED), ("explain", EXPIRED), ("template", "--out", "x.xlsx"), ("report",)])
def test_an_unknown_language_is_a_one_line_usage_error(verb: tuple[str, ...]) -> None:
    run = engage(*verb, "--lang", "xx")
    assert run.status == 2
    assert "'xx' is not a language Engage speaks (choose from en, fr, es)" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_explain_in_french() -> None:
    run = engage("explain", EXPIRED, *AS_OF, "--lang", "fr")
    assert run.status == 0, run.stderr
    out = run.stdout
    assert out.startswith("REQ-2026-0106: SOUMETTRE À L'EXAMEN DES EXCEPTIONS (exception_review)\n")
    assert "  au 24 novembre 2026 (indiquée) ; décidée par outcome.exception_review" in out
    assert "Table des résultats (la première ligne qui s'applique décide) :" in out
    assert "(c) présence dans le pays : non remplie" in out and "   <- décide" in out
    assert "exception : non valable" in out
    assert "Ce qui la changerait (le moins de champs modifiés) :" in out
    assert "Engager la coopération si " in out  # an alternative, with the outcome in the policy's French
    assert_no_key(out)
    spanish = engage("explain", EXPIRED, *AS_OF, "--lang", "es").stdout
    assert "Tabla de resultados (decide la primera línea que se aplica):" in spanish and "al 24 de noviembre de 2026" in spanish


def test_the_template_in_french_keeps_its_headers_and_codes(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "modele.xlsx"
    run = engage("template", "--out", str(out), "--lang", "fr")
    assert run.status == 0, run.stderr
    book = load_workbook(out)
    sheet, vocab = book["Requests"], book["Vocabularies"]
    headers = [c.value for c in sheet[1]]
    english = tmp_path / "template.xlsx"
    assert engage("template", "--out", str(english)).status == 0
    assert headers == [c.value for c in load_workbook(english)["Requests"][1]]  # field paths: read back in any language
    notes = {c.value: c.comment.text for c in sheet[1]}
    assert notes["presence.type"].startswith("presence.type\nType de présence\n\n")
    assert "Une valeur de la liste déroulante (feuille Vocabularies). Laisser vide si inconnu." in notes["presence.type"]
    assert "Un nombre entier (au moins 0, au plus 1200), en chiffres seulement" in notes["request.duration_months"]
    rows = [tuple(r) for r in vocab.iter_rows(values_only=True)]
    assert rows[0] == ("colonne", "valeur", "libellé", "à propos de la colonne")
    assert ("presence.type", "country_office", "Bureau de pays", None) in rows  # the value stays its code
    assert ("region", "latin_america_caribbean", "Amérique latine et Caraïbes", None) in rows
    assert_no_key("\n".join(str(v) for row in rows for v in row if v) + "\n".join(notes.values()))


def test_the_decisions_workbook_in_spanish(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "decisiones.xlsx"
    run = engage("evaluate", EXPIRED, MISSING, *AS_OF, "--out", str(out), "--lang", "es")
    assert run.status == 0, run.stderr
    book = load_workbook(out)
    rows = list(book["Decisions"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Solicitud", "Recomendación", "Código del resultado", "Prioridad (0-100)")
    assert "(c) presencia en el país" in header and "Qué preguntar" in header
    first = dict(zip(header, rows[1], strict=True))
    assert first["Recomendación"] == "Remitir al examen de excepciones" and first["Código del resultado"] == "exception_review"
    assert first["Fecha de evaluación"] == "24 de noviembre de 2026"
    assert first["(c) presencia en el país"] == "no cumplida"
    second = dict(zip(header, rows[2], strict=True))
    assert "Preguntar al solicitante: ¿se consulta a la sociedad civil o participa esta?" in second["Qué preguntar"]
    summary = [tuple(r) for r in book["Summary"].iter_rows(values_only=True)]
    assert summary[0] == ("Recomendación", "Código del resultado", "Solicitudes", "Significado")
    text = "\n".join(str(v) for row in rows + summary for v in row if v is not None)
    assert_no_key(text)


def test_the_report_in_french_and_spanish(db: str, tmp_path: Path) -> None:
    assert engage("evaluate", str(ROOT / "examples"), *AS_OF, "--record", "--db", db, "--quiet").status == 0
    english = tmp_path / "report.html"
    assert engage("report", "--db", db, "--out", str(english)).status == 0
    for lang, words in {
        "fr": ('<html lang="fr">', "<h2>1. Recommandations par résultat</h2>", "Engager la coopération", f"22,2{NBSP}%",
               "du 24 nov. 2026 au 24 nov. 2026", "Registre des exceptions"),
        "es": ('<html lang="es">', "<h2>1. Recomendaciones por resultado</h2>", "Emprender la cooperación", f"22,2{NBSP}%",
               "Registro de excepciones", "Ninguna desviación en el período."),
    }.items():  # fmt: skip
        out = tmp_path / f"report-{lang}.html"
        run = engage("report", "--db", db, "--out", str(out), "--lang", lang)
        assert run.status == 0, run.stderr
        html = out.read_text("utf-8")
        for word in words:
            assert word in html, (lang, word)
        assert "Recommendations by outcome" not in html and "Exception register" not in html
        # the figures tools read are the same ones, under the same names
        assert html.count("data-figure=") == english.read_text("utf-8").count("data-figure=")


BAD_REQUEST = "id: REQ-BAD-1\nreceived: 2026-01-05\nrequester:\n  type: goverment\nrequest:\n  duration_months: two years\n"


def test_evaluate_says_a_requests_problems_in_spanish_with_the_english_code_and_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_REQUEST, "utf-8")
    english = engage("evaluate", str(bad), *AS_OF)
    spanish = engage("evaluate", str(bad), *AS_OF, "--lang", "es")
    assert english.status == spanish.status == 2 and spanish.stdout == english.stdout
    listing = "government, parliament, judiciary, nhri, civil_society, un_country_team, regional_organization"
    assert english.stderr.splitlines() == [
        f"{bad}:4:9: not-in-vocabulary: requester.type: 'goverment' is not one of: {listing} (did you mean 'government'?)",
        f"{bad}:6:20: wrong-type: request.duration_months: must be a whole number (or leave it out when unknown),"
        " got 'two years'",
    ]
    assert spanish.stderr.splitlines() == [
        f"{bad}:4:9: not-in-vocabulary: requester.type: 'goverment' no es uno de los valores admitidos: {listing}"
        " (¿quiso decir «government»?)",
        f"{bad}:6:20: wrong-type: request.duration_months: debe ser un número entero (u omítalo si se desconoce), no 'two years'",
    ]
    # Tools reading JSON read the English, whatever the language.
    assert engage("evaluate", str(bad), *AS_OF, "--format", "json", "--lang", "es").stderr == english.stderr


def test_evaluate_says_a_tables_row_problems_and_how_it_was_read_in_french_also_from_worker_processes(tmp_path: Path) -> None:
    from ..helpers.tables import LOCAL, excel_csv

    rows = [dict(LOCAL, **{"request.themes": "nhri, elections"}), dict(LOCAL, id="R2", **{"request.budget_usd": "1.250"})]
    table = str(excel_csv(tmp_path / "demandes.csv", rows + [dict(LOCAL, id="R3")], "cp1252"))
    one = engage("evaluate", table, *AS_OF, "--lang", "fr", "--jobs", "1")
    two = engage("evaluate", table, *AS_OF, "--lang", "fr", "--jobs", "2")
    assert one.status == two.status == 2 and (two.stdout, two.stderr) == (one.stdout, one.stderr)
    assert one.stderr.splitlines() == [
        f"{table}:row 2: column request.themes: list-separator: 'nhri, elections' contient une virgule :"
        " les entrées d'une liste sont séparées par « ; » (écrivez 'nhri; elections')",
        f"{table}:row 3: column request.budget_usd: ambiguous-number: '1.250' pourrait être 1250 (avec un point des milliers)"
        " ou 1.25 (avec un point décimal) : dans un fichier à virgule décimale, écrivez 1250, ou 1,250 pour le nombre décimal",
        f"{table}: lu en Windows-1252, colonnes séparées par des points-virgules, virgules décimales acceptées",
    ]
    assert "2 non valables" in one.stdout
    english = engage("evaluate", table, *AS_OF)
    assert (
        english.stderr.splitlines()[-1]
        == f"{table}: read as Windows-1252, columns separated by semicolons, decimal commas accepted"
    )


def test_the_decisions_workbook_in_spanish_says_why_a_request_was_not_evaluated_in_spanish(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_REQUEST, "utf-8")
    out, csv_out = tmp_path / "decisiones.xlsx", tmp_path / "decisions.csv"
    assert engage("evaluate", str(bad), *AS_OF, "--out", str(out), "--lang", "es").status == 2
    cells = [str(v) for row in load_workbook(out)["Decisions"].iter_rows(values_only=True) for v in row if v is not None]
    why = [c for c in cells if "not-in-vocabulary" in c]
    assert len(why) == 1 and "requester.type: 'goverment' no es uno de los valores admitidos: " in why[0]
    assert "wrong-type: request.duration_months: debe ser un número entero" in why[0] and "is not one of" not in why[0]
    assert engage("evaluate", str(bad), *AS_OF, "--out", str(csv_out), "--lang", "es").status == 2
    assert "'goverment' is not one of: " in csv_out.read_text("utf-8-sig")  # the CSV is for tools: English
