"""The web interface in English, French and Spanish: the catalogues, the plural rule and who chooses the language."""

from __future__ import annotations

import html
import io
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.i18n import catalogues as core
from engine.web import catalogues
from engine.web.accounts import AccountError
from engine.web.i18n import Translator, choose

from ..helpers.support import ROOT
from ..helpers.websupport import Site, request_form, site, submit, token_of

LANG = re.compile(r'<html lang="([a-z]+)">')


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(f"sqlite:///{tmp_path_factory.mktemp('languages') / 'log.sqlite3'}") as found:
        yield found


def lang_of(page: str) -> str:
    found = LANG.search(page)
    assert found, page[:200]
    return found.group(1)


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_english_key_is_translated_with_the_same_placeholders(lang: str) -> None:
    english, theirs = catalogues.read("en"), catalogues.read(lang)
    assert len(english) > 500 and sorted(english) == sorted(theirs)
    for key, m in english.items():
        fields = set(re.findall(r"{(\w+)}", " ".join(m.forms)))
        for form in theirs[key].forms:
            assert form, (lang, key)
            assert set(re.findall(r"{(\w+)}", form)) == fields, (lang, key, form)
        assert len(theirs[key].forms) == (3 if m.plural else 1), key  # one, many, other (CLDR)
    assert catalogues.problems(lang, english, theirs) == []
    # Translated, not copied: only names, codes and words the languages share may read as in English.
    same = sorted(k for k, m in english.items() if m.forms[0] == theirs[k].forms[0])
    assert len(same) < 20, same


def test_the_un_terms_are_those_of_the_uns_french_and_spanish_documents() -> None:
    fr = " ".join(f for m in catalogues.read("fr").values() for f in m.forms)
    es = " ".join(f for m in catalogues.read("es").values() for f in m.forms)
    assert "coopération technique" in fr and "Conseil d'administration" in fr and "Board" not in fr
    assert "cooperación técnica" in es and "Junta de Síndicos" in es and "Board" not in es


def test_french_takes_the_singular_for_zero_and_one_by_cldr() -> None:
    fr, es, en = Translator("fr"), Translator("es"), Translator("en")
    assert [fr.plural("queue.count", n) for n in (0, 1, 2)] == ["0 demande.", "1 demande.", "2 demandes."]
    assert [es.plural("queue.count", n) for n in (0, 1, 2)] == ["0 solicitudes.", "1 solicitud.", "2 solicitudes."]
    assert [en.plural("queue.count", n) for n in (0, 1, 2)] == ["0 requests.", "1 request.", "2 requests."]
    assert fr.plural("queue.count", 1_000_000) == "1\u202f000\u202f000 de demandes."  # CLDR's "many", and its digit groups
    assert en.plural("queue.count", 1234) == "1,234 requests."


def test_dates_and_numbers_are_written_as_the_language_writes_them() -> None:
    day = date(2026, 11, 24)
    assert [Translator(lang).day(day) for lang in ("en", "fr", "es")] == ["2026-11-24", "24 nov. 2026", "24 nov 2026"]
    assert Translator("fr").moment("2026-11-24T09:05:00.000000+00:00") == "24 nov. 2026, 09:05"
    assert Translator("en").moment("2026-11-24T09:05:00.000000+00:00") == "2026-11-24 09:05"
    assert [Translator(lang).number(62.5) for lang in ("en", "fr", "es")] == ["62.5", "62,5", "62,5"]


def test_the_language_is_the_accounts_else_the_visitors_else_the_browsers_else_english() -> None:
    assert choose("es", "fr", "fr-CH, fr;q=0.9") == "es"
    assert choose(None, "fr", "es") == "fr"
    assert choose(None, None, "de-DE, es;q=0.8, en;q=0.5") == "es"
    assert choose(None, None, "de-DE") == choose(None, None, None) == "en"
    assert choose("xx", "yy", "fr") == "fr"  # a value Engage does not speak is passed over


def test_a_page_is_in_the_language_negotiated_for_it(web: Site) -> None:
    client = web.client("intake")
    assert lang_of(client.get("/queue").text) == "en"
    page = client.get("/queue", headers={"accept-language": "fr-CH, fr;q=0.9, en;q=0.8"}).text
    assert lang_of(page) == "fr" and "<h1>File d&#39;attente</h1>" in page and "Nouvelle demande" in page
    # The account's own setting, chosen with the switcher, wins over the browser, and the page it was on comes back.
    token = token_of(client, "/")
    moved = client.post("/account/language", data={"csrf_token": token, "lang": "es", "next": "/queue?human=awaiting"})
    assert moved.status_code == 303 and moved.headers["location"] == "/queue?human=awaiting"
    page = client.get("/queue", headers={"accept-language": "fr"}).text
    assert lang_of(page) == "es" and "<h1>Cola</h1>" in page
    assert web.app.state.web.accounts.get("intake").language == "es"
    # Another browser, signed in as the same account, gets the account's language too.
    assert lang_of(web.client("intake").get("/").text) == "es"
    # An administrator sets it back to "the browser's" on the Accounts page.
    admin = web.client("admin")
    done = admin.post("/accounts/intake", data={"csrf_token": token_of(admin, "/accounts"), "action": "language", "language": ""})
    assert done.status_code == 303 and web.app.state.web.accounts.get("intake").language is None
    assert lang_of(web.client("intake").get("/", headers={"accept-language": "fr"}).text) == "fr"
    # The browser the switcher was used in keeps the choice (a cookie, also for the sign-in page after signing out).
    assert lang_of(client.get("/", headers={"accept-language": "fr"}).text) == "es"
    wrong = {"csrf_token": token_of(admin, "/accounts"), "action": "language", "language": "de"}
    refused = admin.post("/accounts/intake", data=wrong)
    assert refused.status_code == 422 and "Choose one of the languages offered." in refused.text


def test_the_switcher_goes_back_to_its_own_site_only_and_needs_the_forms_token(web: Site) -> None:
    client = web.client("board")
    token = token_of(client, "/")
    away = client.post("/account/language", data={"csrf_token": token, "lang": "fr", "next": "//evil.example/"})
    assert away.headers["location"] == "/"
    forged = client.post("/account/language", data={"lang": "es", "next": "/"})
    assert forged.status_code == 403 and web.app.state.web.accounts.get("board").language == "fr"


def test_before_signing_in_the_choice_is_kept_in_a_cookie_for_the_sign_in_page(web: Site) -> None:
    client = web.client()
    page = client.get("/login").text
    assert lang_of(page) == "en" and 'action="/language"' in page and ">Español</button>" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    chosen = client.post("/language", data={"csrf_token": token.group(1), "lang": "es", "next": "/login?next=/queue"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/login?next=/queue"
    page = client.get("/login?next=/queue").text
    assert lang_of(page) == "es" and "<h1>Iniciar sesión</h1>" in page
    assert 'aria-current="true">Español</span>' in page  # the language in use is marked, not offered


def test_the_switcher_is_on_every_page_with_each_language_in_its_own_words(web: Site) -> None:
    page = web.client("author").get("/rules", headers={"accept-language": "fr"}).text
    assert 'action="/account/language"' in page and 'name="next" value="/rules"' in page
    assert 'lang="en">English</button>' in page and 'lang="es">Español</button>' in page
    assert 'lang="fr" aria-current="true">Français</span>' in page


def test_sync_carries_new_english_strings_over_and_lists_what_is_left_to_translate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(core.LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(core, "LOCALE_DIR", tmp_path / "locale")
    old = tmp_path / "strings_en.py"
    old.write_text(
        'EN: dict[str, str] = {\n    "queue.title": "Queue",\n    "queue.apply": "Show the requests",\n'
        '    "letter.title": "Request for information",\n'
        '    "letter.asked.one": "{count} question",\n    "letter.asked.other": "{count} questions",\n}\n',
        "utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    assert catalogues.main(["sync", "--from", str(old)], out, err) == 1
    assert "fr: letter.title: not translated" in out.getvalue() and "es: letter.asked: not translated" in out.getvalue()
    assert "queue.title" not in out.getvalue() and "fr: queue.apply: not translated" in out.getvalue()  # reworded
    english = catalogues.read("en")
    assert english["letter.asked"].forms == ("{count} question", "{count} questions")
    assert catalogues.read("fr")["queue.title"].forms == ("File d'attente",)  # kept
    assert catalogues.read("fr")["letter.asked"].forms == ("", "", "")  # to translate, English shown meanwhile
    assert catalogues.main(["check"], io.StringIO(), err) == 1


def test_the_accounts_language_is_kept_in_the_store_on_each_backend(db: str) -> None:
    with site(db) as found:
        accounts = found.app.state.web.accounts
        assert accounts.get("board").language is None  # migration 0009: NULL, the browser's
        assert accounts.set_language("board", "fr").language == "fr"
        assert accounts.get("board").language == "fr" and accounts.get("admin").language is None
        assert accounts.set_language("board", "").language is None
        with pytest.raises(AccountError, match="bad-language"):
            accounts.set_language("board", "de")


def test_the_decision_page_writes_the_policys_words_and_reasons_in_the_pages_language(web: Site) -> None:
    client = web.client("intake")
    made = submit(client, request_form(id="REQ-LANG-1", **{"presence.adequately_staffed": ""}))
    assert made.status_code == 303
    address = made.headers["location"].split("?")[0]
    policy = web.app.state.web.engine.policy
    rule = policy.rule("presence.capacity_unknown")
    for lang in ("fr", "es"):
        page = html.unescape(client.get(address, headers={"accept-language": lang}).text)
        sentence = rule.reason.translations[lang]
        before, _, after = sentence.partition("{presence.type}")
        assert before.strip() and before.strip() in page and after.strip()[:20] in page, (lang, sentence)
        assert str(rule.reason) not in page  # the recorded English sentence is not what this reader sees
        for c in policy.criteria:  # the four conditions' titles, the policy's own words
            assert c.title.translations[lang] in page and str(c.title) not in page, (lang, c.name)
    assert str(rule.reason).split("{")[0].strip() in html.unescape(client.get(address).text)  # English as recorded


def test_the_forms_input_errors_say_the_engines_own_message_in_the_pages_language(db: str) -> None:
    with site(db) as web:
        client = web.client("intake")
        wrong = request_form(
            id="REQ-LANG-2",
            received="",
            **{
                "requester.type": "goverment",
                "request.duration_months": "two years",
                "priority.recommendations[0].mechanism": "",  # a row without its required field
            },
        )
        data = dict(wrong, csrf_token=token_of(client, "/requests/new"), action="submit")
        pages = {
            lang: html.unescape(client.post("/requests/new", data=data, headers={"accept-language": lang}).text)
            for lang in ("en", "fr", "es")
        }
    listing = "government, parliament, judiciary, nhri, civil_society, un_country_team, regional_organization"
    assert "Cette demande présente 4 problèmes" in pages["fr"]
    assert f"'goverment' ne fait pas partie des valeurs admises : {listing} (vouliez-vous dire « government » ?)" in pages["fr"]
    assert "le champ obligatoire « priority.recommendations[0].mechanism » manque" in pages["fr"]
    assert "'' est vide : le champ est obligatoire" in pages["fr"] and "'' está en blanco: el campo es obligatorio" in pages["es"]
    # The engine's "(or leave it out when unknown)" is the form's own words in the language.
    assert "doit être un nombre entier (ou laissez vide si la réponse est inconnue), et non 'two years'" in pages["fr"]
    assert f"'goverment' no es uno de los valores admitidos: {listing} (¿quiso decir «government»?)" in pages["es"]
    assert "falta el campo obligatorio «priority.recommendations[0].mechanism»" in pages["es"]
    assert "debe ser un número entero (o déjelo en blanco si se desconoce), no 'two years'" in pages["es"]
    for lang in ("fr", "es"):
        assert "is not one of" not in pages[lang] and "is missing" not in pages[lang] and "got 'two years'" not in pages[lang]
    assert "There are 4 problems with this request" in pages["en"]
    assert f"'goverment' is not one of: {listing} (did you mean 'government'?)" in pages["en"]
    assert "the required field 'priority.recommendations[0].mechanism' is missing" in pages["en"]
    assert "must be a whole number (or leave it blank when unknown), got 'two years'" in pages["en"]


def test_the_audit_figures_are_written_as_the_pages_language_writes_numbers(web: Site) -> None:
    assert submit(web.client("intake"), request_form(id="REQ-LANG-AUDIT")).status_code == 303
    admin = web.client("admin")
    reset = {"csrf_token": token_of(admin, "/accounts"), "action": "language", "language": ""}
    assert admin.post("/accounts/board", data=reset).status_code == 303  # the browser's language, whatever came before
    board = web.client("board")
    english = html.unescape(board.get("/audit").text)
    french = html.unescape(board.get("/audit", headers={"accept-language": "fr"}).text)
    assert re.search(r"\b\d+\.\d%", english) and re.search(r"Mean \d+\.\d; median \d+\.\d\.", english)
    assert re.search(r"\b\d+,\d\u00a0%", french) and not re.search(r"\b\d+\.\d%", french)
    assert re.search(r"Moyenne \d+,\d", french)


def test_the_rules_page_says_the_statuses_the_rules_read_in_the_pages_language(web: Site) -> None:
    author = web.client("author")
    french = html.unescape(author.get("/rules", headers={"accept-language": "fr"}).text)
    english = html.unescape(author.get("/rules").text)
    assert "status.mandate_integrity est unknown" not in french and "status.in_country_presence est partial" not in french
    policy = web.app.state.web.engine.policy
    assert f"status.mandate_integrity est {policy.vocab.status_labels['unknown'].translations['fr']}" in french
    assert "status.exception est aucune exception" in french or "aucune exception" in french
    assert "status.mandate_integrity is" in english


def test_the_reports_download_is_in_the_pages_language_with_each_reason_as_its_rule_says_it_there(web: Site) -> None:
    assert submit(web.client("intake"), request_form(id="REQ-LANG-REPORT")).status_code == 303
    admin = web.client("admin")
    reset = {"csrf_token": token_of(admin, "/accounts"), "action": "language", "language": ""}
    assert admin.post("/accounts/board", data=reset).status_code == 303  # the browser's language
    board = web.client("board")
    reason = web.app.state.web.engine.policy.rule("mandate.met").reason  # the request meets every condition
    english = html.unescape(board.get("/audit/report.html").text)
    assert lang_of(english) == "en" and str(reason) in english
    for lang, heading in (("fr", "8. Motifs de chaque décision"), ("es", "8. Motivos de cada decisión")):
        page = html.unescape(board.get("/audit/report.html", headers={"accept-language": lang}).text)
        assert lang_of(page) == lang and heading in page, lang
        assert reason.translations[lang] in page and str(reason) not in page, lang


def test_the_rules_page_gives_each_rules_description_in_the_pages_language(web: Site) -> None:
    author = web.client("author")
    rules = web.app.state.web.engine.policy.all_rules()
    english = html.unescape(author.get("/rules").text)
    assert all(str(r.description) in english for r in rules)
    for lang in ("fr", "es"):
        page = html.unescape(author.get("/rules", headers={"accept-language": lang}).text)
        for r in rules:
            shown = r.description.translations[lang]  # type: ignore[attr-defined]
            assert f'<span class="subtitle">{shown}</span>' in page and str(r.description) not in page, (lang, r.id)


def test_citations_are_written_as_the_pages_language_writes_them(web: Site) -> None:
    made = submit(web.client("intake"), request_form(id="REQ-LANG-CITE"))
    assert made.status_code == 303
    address = made.headers["location"].split("?")[0]
    intake, author = web.client("intake"), web.client("author")
    assert "E/CN.4/2006/104 para 19(a)" in html.unescape(intake.get(address).text)  # English as recorded
    for lang, word in (("fr", "par."), ("es", "párr.")):
        headers = {"accept-language": lang}
        for answer in (intake.get(address, headers=headers), author.get("/rules", headers=headers)):
            page = html.unescape(answer.text)
            assert f"E/CN.4/2006/104 {word} 19(a)" in page and "para 19(a)" not in page, lang
            assert not re.search(r"(E/CN\.4/2006/104|A/HRC/35/20) paras? ", page), lang  # the request's own words aside


def test_the_impact_pages_lint_line_is_in_the_pages_language(web: Site) -> None:
    author = web.client("author")
    shipped = (ROOT / "rules" / "in_country_presence.yaml").read_text("utf-8")
    upload = {"file": ("in_country_presence.yaml", shipped.replace("status: unmet", "status: partial", 1).encode())}
    data = {"csrf_token": token_of(author, "/rules/impact"), "replaces": "rules/in_country_presence.yaml"}
    english = html.unescape(author.post("/rules/impact", data=data, files=upload).text)
    assert "no problems: 42 rules checked by the solver" in english  # lint's own line, as engage lint prints it
    for lang, line in (
        ("fr", "aucun problème : 42 règles contrôlées par le solveur"),
        ("es", "ningún problema: 42 reglas comprobadas por el solucionador"),
    ):
        page = html.unescape(author.post("/rules/impact", data=data, files=upload, headers={"accept-language": lang}).text)
        assert line in page and "rules checked" not in page, lang


def test_a_releases_heading_is_punctuated_as_the_language_writes_it(web: Site) -> None:
    assert submit(web.client("intake"), request_form(id="REQ-LANG-RELEASE")).status_code == 303  # release 1, at first use
    board = web.client("board")
    assert "<h1>Release 1: in force</h1>" in board.get("/releases/1").text
    french = html.unescape(board.get("/releases/1", headers={"accept-language": "fr"}).text)
    assert "<h1>Version 1 : en vigueur</h1>" in french  # a space before the colon, as French writes it
    spanish = html.unescape(board.get("/releases/1", headers={"accept-language": "es"}).text)
    assert "<h1>Versión 1: vigente</h1>" in spanish


def test_a_problem_names_its_field_as_the_language_punctuates_it(web: Site) -> None:
    client = web.client("intake")
    wrong = request_form(id="REQ-LANG-COLON", **{"request.duration_months": "two years"})
    data = dict(wrong, csrf_token=token_of(client, "/requests/new"), action="submit")
    french = html.unescape(client.post("/requests/new", data=data, headers={"accept-language": "fr"}).text)
    assert re.search(r"Durée \(mois\) : \S", french)  # a space before the colon in French
    spanish = html.unescape(client.post("/requests/new", data=data, headers={"accept-language": "es"}).text)
    assert re.search(r">[^<>:]+\(meses\): ", spanish), "the Spanish field's label, then its problem"
    assert "Duration (months): " in html.unescape(client.post("/requests/new", data=data).text)
