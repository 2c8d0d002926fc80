"""The batch upload reads a CSV file as Excel saves it in French or Spanish, and says how it read it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.log.logview import entries

from ..helpers.tables import LOCAL, excel_csv
from ..helpers.websupport import Site, site, token_of


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Site]:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as found:
        yield found


def upload(web: Site, name: str, content: bytes) -> str:
    client = web.client("intake")
    response = client.post("/batch", data={"csrf_token": token_of(client, "/batch")}, files={"file": (name, content)})
    return html.unescape(response.text)


def test_a_windows_1252_file_with_semicolons_is_recorded_and_the_page_says_how_it_was_read(web: Site, tmp_path: Path) -> None:
    raw = excel_csv(tmp_path / "demandes.csv", [LOCAL, dict(LOCAL, id="R2")], "cp1252").read_bytes()
    page = upload(web, "demandes.csv", raw)
    assert "2 requests evaluated and recorded." in page
    assert "The file was read as Windows-1252, with columns separated by semicolons and decimal commas." in page
    with web.store.reading() as conn:
        found = entries(web.store, conn)
    assert [e.request_id for e in found] == ["R1", "R2"]
    data = found[0].record.request_data()
    assert data["request"]["budget_usd"] == 350000.5 and "€" in data["request"]["title"] and "niñas" in data["request"]["title"]


def test_a_utf8_file_with_commas_says_nothing_of_how_it_was_read(web: Site, tmp_path: Path) -> None:
    raw = excel_csv(tmp_path / "u.csv", [dict(LOCAL, **{"request.budget_usd": "1250.5"})], "utf-8", separator=",").read_bytes()
    page = upload(web, "u.csv", raw)
    assert "1 request evaluated and recorded." in page and "The file was read as" not in page


def test_an_ambiguous_file_is_refused_with_the_same_reason_as_the_cli(web: Site) -> None:
    page = upload(web, "mixed.csv", b"id;received,country\r\nR1;2026-01-05,GTM\r\n")
    # The whole file is refused, not one of its rows: the page says so above any table.
    assert not re.findall(r'<tr class="(ok|invalid)">', page)
    unread = page[page.index('id="unread"') : page.index("</div>", page.index('id="unread"'))]
    assert "mixed.csv could not be read, so no row of it was evaluated and nothing was recorded:" in unread
    assert "row 1 holds 1 comma and 1 semicolon between the column names" in unread
    with web.store.reading() as conn:
        assert entries(web.store, conn) == []


@pytest.mark.parametrize(
    ("lang", "separator", "vocabulary", "ambiguous"),
    [
        (
            "fr",
            "Colonne request.themes: 'nhri, elections' contient une virgule : les entrées d'une liste sont séparées"
            " par « ; » (écrivez 'nhri; elections')",
            "Colonne requester.type: 'goverment' ne fait pas partie des valeurs admises",
            "la ligne 1 contient 1 virgule et 1 point-virgule entre les noms de colonnes",
        ),
        (
            "es",
            "Columna request.themes: 'nhri, elections' contiene una coma: los elementos de una lista se separan"
            " con «;» (escriba 'nhri; elections')",
            "Columna requester.type: 'goverment' no es uno de los valores admitidos",
            "la fila 1 contiene 1 coma y 1 punto y coma entre los nombres de columna",
        ),
    ],
)
def test_an_upload_lists_its_row_problems_in_the_pages_language(
    web: Site, tmp_path: Path, lang: str, separator: str, vocabulary: str, ambiguous: str
) -> None:
    rows = [
        dict(LOCAL, **{"request.themes": "nhri, elections"}),
        dict(LOCAL, id="R2", **{"requester.type": "goverment"}),
        dict(LOCAL, id="R3"),
    ]
    client = web.client("intake")
    headers = {"accept-language": lang}

    def sent(name: str, content: bytes) -> str:
        data = {"csrf_token": token_of(client, "/batch")}
        return html.unescape(client.post("/batch", data=data, files={"file": (name, content)}, headers=headers).text)

    page = sent(f"{lang}.csv", excel_csv(tmp_path / f"{lang}.csv", rows, "cp1252").read_bytes())
    assert separator in page and vocabulary in page
    row = {"fr": "ligne", "es": "fila"}[lang]  # where each row stands, in the page's words too
    assert f'<td class="nowrap">{row} 2</td>' in page and f'<td class="nowrap">{row} 4</td>' in page
    assert '<td class="nowrap">row ' not in page
    assert "holds a comma" not in page and "is not one of" not in page
    unread = sent("mixed.csv", b"id;received,country\r\nR1;2026-01-05,GTM\r\n")
    assert ambiguous in unread and "between the column names" not in unread


def test_an_upload_in_english_lists_its_row_problems_as_the_cli_does(web: Site, tmp_path: Path) -> None:
    raw = excel_csv(tmp_path / "en.csv", [dict(LOCAL, **{"request.themes": "nhri, elections"})], "cp1252").read_bytes()
    page = upload(web, "en.csv", raw)
    assert (
        "Column request.themes: 'nhri, elections' holds a comma: the entries of a list are separated by ';'"
        " (write 'nhri; elections')" in page
    )
