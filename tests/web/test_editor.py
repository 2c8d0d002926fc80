"""The rule editor: a page per file of the release in force, Check (the loader's and lint's messages at their lines),
Propose (refused until the files load and lint finds no error, then proposed as an upload is), the author's draft."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.releases import releases

from ..helpers.support import ROOT
from ..helpers.websupport import Site, sign_in, site, submit, token_of
from .test_releases import NEW_LINE, OLD_LINE, advisory, changed_outcome, propose_upload

OUTCOME = "rules/outcome.yaml"
# An unclosed flow sequence: the YAML parser stops at the next line, column 11 (the reason's ">-").
BROKEN_OLD = "    outcome: respond_ad_hoc\n"
BROKEN_NEW = "    outcome: [respond_ad_hoc\n"
# Line 2 of the outcome table reads the status line 1 already takes: lint's unreachable-rule, an error.
UNREACHABLE_OLD = "    when: {field: status.mandate_integrity, equals: unknown}"
UNREACHABLE_NEW = "    when: {field: status.mandate_integrity, equals: unmet}"


def shipped(name: str = OUTCOME) -> str:
    return (ROOT / name).read_text("utf-8")


def edited(old: str, new: str) -> str:
    text = shipped()
    assert text.count(old) == 1
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def check(client: TestClient, text: str, name: str = OUTCOME, lang: str = "en", **form: str) -> Any:
    token = token_of(client, "/releases/editor")
    # A browser sends a textarea's line ends as CRLF: the editor keeps them as the file's LF.
    data = {"csrf_token": token, "file": name, "text": text.replace("\n", "\r\n"), **form}
    return client.post("/releases/editor/check", data=data, headers={"accept-language": lang})


def propose(client: TestClient, text: str, name: str = OUTCOME, note: str = "advice at once only up to 100000 USD") -> Any:
    token = token_of(client, "/releases/editor")
    data = {"csrf_token": token, "file": name, "text": text, "note": note, "effective_from": "2026-11-24"}
    return client.post("/releases/editor/propose", data=data)


def test_the_editor_lists_the_files_of_the_release_in_force_and_opens_each(web: Site) -> None:
    author = web.client("author")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303  # release 1
    listing = author.get("/releases/editor")
    assert listing.status_code == 200 and "Started from release 1." in listing.text
    names = re.findall(r'<a href="/releases/editor/([^"]+)"><code>', listing.text)
    assert OUTCOME in names and "criteria/fields.yaml" in names and not any("tests/" in n for n in names)
    page = author.get(f"/releases/editor/{OUTCOME}")
    assert page.status_code == 200
    text = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert text is not None and text.group(1).startswith("# yaml-language-server")
    lines = shipped().count("\n") + 1  # and the empty line after the last line break, where the next one is typed
    assert f'<span id="L{lines}">{lines}</span></div>' in page.text
    assert '<label for="text">Contents of rules/outcome.yaml</label>' in page.text
    assert author.get("/releases/editor/rules/nothing.yaml").status_code == 404
    assert author.get("/releases/editor/rules/..%2Fcriteria%2Ffields.yaml").status_code == 404


@pytest.mark.parametrize("role", ["board", "intake", "admin"])
def test_only_authors_open_check_and_propose(web: Site, role: str) -> None:
    other, author = web.client(role), web.client("author")
    assert other.get("/releases/editor").status_code == 403
    assert other.get(f"/releases/editor/{OUTCOME}").status_code == 403
    token = token_of(other, "/")
    form = {"csrf_token": token, "file": OUTCOME, "text": edited(OLD_LINE, NEW_LINE), "note": "n", "effective_from": "2026-11-24"}
    assert other.post("/releases/editor/check", data=form).status_code == 403
    assert other.post("/releases/editor/propose", data=form).status_code == 403
    assert author.post("/releases/editor/propose", data={**form, "csrf_token": "wrong"}).status_code == 403
    assert len(releases(web.store)) == 0


def test_a_broken_yaml_shows_the_loaders_file_line_col_at_its_line_and_cannot_be_proposed(web: Site) -> None:
    author = web.client("author")
    broken = edited(BROKEN_OLD, BROKEN_NEW)
    at = line_of(broken, BROKEN_NEW) + 1  # the parser notices on the next line
    page = check(author, broken).text
    assert "The files do not load cleanly: 1 error." in page
    message = re.search(rf'<a href="#L{at}" data-line="{at}"><code>(rules/outcome\.yaml:{at}:11: error: [^<]*)</code></a>', page)
    assert message is not None and "[yaml-syntax]" in message.group(1)
    # At its line: the gutter's number is marked with the message, and the line is shown under the message.
    assert re.search(rf'<span id="L{at}" class="mark error" title="rules/outcome\.yaml:{at}:11: error: ', page)
    assert f'<span id="L{at - 1}">' in page and f'<span id="L{at + 1}">' in page
    assert f'<pre class="at-line" aria-hidden="true">{at} |     reason:' in page  # a map of languages since issue 15
    assert "/tmp" not in page and "engage-edit" not in page
    assert "[respond_ad_hoc\r" not in page and "[respond_ad_hoc\n" in page  # kept as the file's lines
    # The draft keeps the edit: the file's page shows it with the last check's messages; Propose is refused.
    again = author.get(f"/releases/editor/{OUTCOME}").text
    assert BROKEN_NEW.strip() in again and f'<span id="L{at}" class="mark error"' in again
    refused = propose(author, broken)
    assert refused.status_code == 422 and "Nothing is proposed: the rules have 1 error." in refused.text
    assert len(releases(web.store)) == 0
    assert "changed in your draft" in author.get("/releases/editor").text


def test_a_lint_error_is_shown_at_its_rule_and_refused(web: Site) -> None:
    author = web.client("author")
    text = edited(UNREACHABLE_OLD, UNREACHABLE_NEW)
    page = check(author, text).text
    pattern = r'<a href="#L(\d+)" data-line="\d+"><code>(rules/outcome\.yaml:\d+:\d+: error: [^<]*\[unreachable-rule\])'
    found = re.findall(pattern, page)
    assert found, page
    line = int(found[0][0])
    start = line_of(text, "  - id: outcome.mandate_unknown")
    assert start <= line <= start + 2  # the rule, its description or its condition
    assert f'<span id="L{line}" class="mark error"' in page
    refused = propose(author, text)
    assert refused.status_code == 422 and "Nothing is proposed: the rules have" in refused.text
    assert len(releases(web.store)) == 0


def test_a_clean_edit_is_checked_then_proposed_with_its_note_date_and_report_and_the_draft_is_done(web: Site) -> None:
    author, board = web.client("author"), web.client("board")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
    text = edited(OLD_LINE, NEW_LINE)
    page = check(author, text, note="kept", effective_from="2026-12-01").text
    assert "The files load cleanly and lint finds no error: you may propose them." in page
    assert 'class="mark error"' not in page and ">kept</textarea>" in page and 'value="2026-12-01"' in page
    done = propose(author, text)
    assert done.status_code == 303 and done.headers["location"].startswith("/releases/2?")
    release = releases(web.store).get(2)
    assert release.author == "author" and release.note == "advice at once only up to 100000 USD"
    assert release.effective_from is not None and release.effective_from.isoformat() == "2026-11-24"
    assert release.report is not None and release.report["cases"]["run"] == 47  # the authors' cases ran
    assert release.report["source"] == "edited in the browser: rules/outcome.yaml"
    files = {f"{f.kind}/{f.path}": f.content for f in web.store.ruleset_files(release.ruleset_hash)}
    assert files[OUTCOME] == text.encode("utf-8")
    assert files["rules/partnership.yaml"] == (ROOT / "rules" / "partnership.yaml").read_bytes()
    shown = board.get("/releases/2").text
    assert "Against release 1, in force today: 1 change." in shown and "edited in the browser: rules/outcome.yaml" in shown
    assert "Your draft changes nothing yet." in author.get("/releases/editor").text  # proposed: the draft is done
    assert verify(web.store).ok


def test_propose_needs_a_change_a_note_and_a_date(web: Site) -> None:
    author = web.client("author")
    unchanged = propose(author, shipped())
    assert unchanged.status_code == 422 and "your draft does not change any file" in unchanged.text
    assert propose(author, edited(OLD_LINE, NEW_LINE), note=" ").status_code == 422
    token = token_of(author, "/releases/editor")
    data = {"csrf_token": token, "file": OUTCOME, "text": edited(OLD_LINE, NEW_LINE), "note": "n", "effective_from": "soon"}
    bad_date = author.post("/releases/editor/propose", data=data)
    assert bad_date.status_code == 422 and "Give the day from which the release is in force" in bad_date.text
    assert author.post("/releases/editor/check", data={**data, "file": "rules/../x.yaml"}).status_code == 404
    assert len(releases(web.store)) == 0


def test_a_draft_spans_files_is_kept_per_author_and_can_be_discarded(web: Site) -> None:
    author = web.client("author")
    web.app.state.web.accounts.add("second", ["author"], "correct horse battery", "tests")
    check(author, edited(OLD_LINE, NEW_LINE))
    priority = shipped("criteria/priority.yaml")
    check(author, priority + "# weighed again\n", name="criteria/priority.yaml")
    listing = author.get("/releases/editor").text
    assert "Your draft changes 2 files." in listing and listing.count("changed in your draft") == 2
    # A check of one file checks the whole draft: a broken second file is named in the list, linked to its page.
    check(author, priority + "x: [\n", name="criteria/priority.yaml")
    page = author.get(f"/releases/editor/{OUTCOME}").text
    elsewhere = r'<a href="/releases/editor/criteria/priority\.yaml#L\d+" data-line=""><code>criteria/priority\.yaml:\d+:\d+:'
    assert re.search(elsewhere, page)
    other = web.client()
    sign_in(other, "second", "correct horse battery")
    assert "Your draft changes nothing yet." in other.get("/releases/editor").text
    discarded = author.post("/releases/editor/discard", data={"csrf_token": token_of(author, "/releases/editor")})
    assert discarded.status_code == 303
    assert "Your draft changes nothing yet." in author.get("/releases/editor").text
    assert "equals: true}\n    outcome: respond_ad_hoc" in author.get(f"/releases/editor/{OUTCOME}").text


def test_a_draft_over_rules_no_longer_in_force_is_set_aside_saying_so(web: Site) -> None:
    author, board = web.client("author"), web.client("board")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303  # release 1
    check(author, shipped("criteria/priority.yaml") + "# weighed again\n", name="criteria/priority.yaml")
    assert propose_upload(author, [("outcome.yaml", changed_outcome())]).status_code == 303
    assert board.post("/releases/2/approve", data={"csrf_token": token_of(board, "/releases/2"), "text": "ok"}).status_code == 303
    listing = author.get("/releases/editor").text
    assert "Started from release 2." in listing and "your changes to criteria/priority.yaml, made over the" in listing
    assert "Your draft changes nothing yet." in listing
    assert NEW_LINE in author.get(f"/releases/editor/{OUTCOME}").text.replace("&#39;", "'")  # release 2's file


# A field no request has, read by the outcome table: the loader's unknown-field, at the rule's condition.
MISSPELT_OLD = "    when: {field: status.mandate_integrity, equals: unknown}"
MISSPELT_NEW = "    when: {field: status.mandate_integrty, equals: unknown}"


def test_in_french_the_loaders_and_lints_messages_are_french_at_their_lines(web: Site) -> None:
    author = web.client("author")
    broken = edited(BROKEN_OLD, BROKEN_NEW)
    at = line_of(broken, BROKEN_NEW) + 1
    page = html.unescape(check(author, broken, lang="fr").text)
    said = "« , » ou « ] » attendu mais introuvable (en lisant une liste entre crochets)"
    assert f'<a href="#L{at}" data-line="{at}"><code>rules/outcome.yaml:{at}:11: error: {said} [yaml-syntax]</code></a>' in page
    assert f'<span id="L{at}" class="mark error" title="rules/outcome.yaml:{at}:11: error: {said} [yaml-syntax]"' in page
    assert "did not find expected" not in page
    # The same draft in English reads as lint writes it.
    english = html.unescape(author.get(f"/releases/editor/{OUTCOME}").text)
    assert (
        f"rules/outcome.yaml:{at}:11: error: did not find expected ',' or ']' (while parsing a flow sequence) [yaml-syntax]"
        in english
    )

    misspelt = edited(MISSPELT_OLD, MISSPELT_NEW)
    line = line_of(misspelt, MISSPELT_NEW)
    page = html.unescape(check(author, misspelt, lang="fr").text)
    unknown = re.search(
        rf'<a href="#L{line}" data-line="{line}"><code>(rules/outcome\.yaml:{line}:\d+: error: [^<]*)</code>', page
    )
    assert unknown is not None, page
    assert unknown.group(1).endswith(
        "règle « outcome.mandate_unknown » : when.field : « status.mandate_integrty » n'est ni un champ de la demande"
        " ni un champ dérivé (vouliez-vous dire « status.mandate_integrity » ?) [unknown-field]"
    )

    unreachable = edited(UNREACHABLE_OLD, UNREACHABLE_NEW)
    page = html.unescape(check(author, unreachable, lang="fr").text)
    found = re.findall(
        r'<a href="#L(\d+)" data-line="\d+"><code>(rules/outcome\.yaml:\d+:\d+: error: ([^<]*) \[unreachable-rule\])', page
    )
    assert found, page
    number, whole, message = found[0]
    assert message.startswith("« outcome.") and (" ne décide jamais : " in message or " ne peut jamais s'appliquer : " in message)
    assert f'<span id="L{number}" class="mark error" title="{whole}' in page
    assert "can never" not in page and "never decides" not in page
