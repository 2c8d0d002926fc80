"""Accessibility, the catalogue of interface strings, and the request form's round trip."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from engine.web import catalogues
from engine.web.forms import RequestForm
from engine.web.i18n import Translator, negotiate
from engine.web.present import field_help, field_label, group_label

from ..helpers.strategies import requests
from ..helpers.support import shipped_engine
from ..helpers.websupport import Site, request_form, site, submit

WEB = Path(__file__).resolve().parents[2] / "engine" / "web"
PAGES = {
    "intake": ["/", "/requests/new", "/drafts", "/batch", "/queue", "/decisions/1"],
    "board": ["/queue", "/audit", "/rules", "/decisions/1"],
    "author": ["/rules", "/rules/impact"],
    "admin": ["/accounts", "/audit"],
}


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with site(f"sqlite:///{tmp_path_factory.mktemp('quality') / 'log.sqlite3'}") as found:
        submit(found.client("intake"), request_form(**{"exception.waives": ["partnership"], "exception.expires": "2026-12-01"}))
        yield found


class Controls(HTMLParser):
    """Every form control of a page, and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "_wrapped": "yes" if self.open_labels else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1


@pytest.mark.parametrize(("role", "path"), [(r, p) for r, paths in PAGES.items() for p in paths])
def test_every_field_of_every_page_has_a_label(web: Site, role: str, path: str) -> None:
    response = web.client(role).get(path)
    assert response.status_code == 200
    parser = Controls()
    parser.feed(response.text)
    for control in parser.controls:
        named = control["_wrapped"] or control.get("aria-label") or (control.get("id") in parser.label_for)
        assert named, f"{path}: a {control.get('name')} control without a label"
    assert 'class="skip" href="#main"' in response.text and '<main id="main"' in response.text


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_palette_meets_wcag_aa_contrast_for_every_text_colour_on_its_background() -> None:
    css = (WEB / "static" / "engage.css").read_text()
    palette = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6});", css))
    pairs = [
        ("text", "bg"), ("muted", "bg"), ("muted", "page"), ("text", "page"), ("link", "bg"), ("brand", "bg"),
        ("brand-text", "brand"), ("primary-text", "primary"), ("danger", "bg"), ("error", "error-bg"), ("error", "bg"),
        ("warn-text", "warn-bg"), ("ok-text", "ok-bg"), ("met-text", "met-bg"), ("partial-text", "partial-bg"),
        ("unmet-text", "unmet-bg"), ("unknown-text", "unknown-bg"), ("outcome-text", "outcome-bg"), ("text", "unmet-bg"),
        ("unmet-text", "bg"), ("text", "warn-bg"), ("unknown-text", "warn-bg"),
    ]  # fmt: skip
    for fg, bg in pairs:
        ratio = contrast(palette[fg], palette[bg])
        assert ratio >= 4.5, f"--{fg} on --{bg}: {ratio:.2f}:1 is below 4.5:1"
    assert contrast(palette["focus"], palette["bg"]) >= 3  # the focus ring is a non-text contrast (3:1)
    assert "@media print" in css and re.search(r"@media print \{.*\.top nav[^}]*display: none", css, re.S)


def test_every_status_is_shown_with_a_word_and_an_icon_not_colour_alone(web: Site) -> None:
    page = web.client("board").get("/decisions/1").text
    badges = re.findall(r'<span class="status status-([a-z]+)">(.*?)</span> ([^<]*)</span>', page)
    assert len(badges) >= 4
    for code, icon, word in badges:
        assert icon.endswith(("\u2714", "\u25d0", "\u2716", "?")) and word.strip(), code


def test_icons_are_characters_a_machine_without_emoji_fonts_draws() -> None:
    """No emoji: a closed network's Linux desks may have no emoji font, and draw an empty box."""
    # Arrows, maths, box drawing and geometric shapes, dingbats (DejaVu Sans has them all).
    drawable = [(0x2190, 0x22FF), (0x2500, 0x25FF), (0x2700, 0x27BF)]
    po_files = sorted((WEB.parent / "locale").glob("*/LC_MESSAGES/web.po"))
    sources = [*sorted((WEB / "templates").glob("*.html")), WEB / "present.py", *po_files]
    for source in sources:
        text = re.sub(r"&#x([0-9a-fA-F]+);", lambda m: chr(int(m.group(1), 16)), source.read_text("utf-8"))
        for char in {c for c in text if ord(c) >= 0x2190}:
            assert any(low <= ord(char) <= high for low, high in drawable), f"{source.name}: U+{ord(char):04X}"


def test_the_templates_hold_no_words_outside_the_catalogue() -> None:
    for template in sorted((WEB / "templates").glob("*.html")):
        text = template.read_text()
        text = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        text = re.sub(r"&#?\w+;", " ", text)
        text = re.sub(r'[a-z-]+="[^"]*"', " ", text)  # attributes a macro writes into a tag
        words = re.findall(r"[A-Za-z]{2,}", text)
        assert not words, f"{template.name}: text outside the catalogue: {words[:8]}"


def test_the_catalogue_has_every_key_the_templates_and_pages_use() -> None:
    used: set[str] = set()
    for path in [*(WEB / "templates").glob("*.html"), *(WEB / "pages").glob("*.py"), *WEB.glob("*.py")]:
        used |= set(re.findall(r"\bt(?:\.plural|\.maybe)?\(\s*[\"']([a-z_]+\.[a-z_.]+)[\"'](?!\s*~)", path.read_text()))
    english = catalogues.read("en")
    missing = sorted(k for k in used if k not in english)
    assert not missing


def test_the_policy_labels_every_field_and_group_of_the_form() -> None:
    policy = shipped_engine().policy
    form = RequestForm(policy.request_schema)
    t = Translator()
    for path, f in form.fields.items():
        declared = policy.fields.get(path)
        assert declared is not None, path
        assert (field_label(t, policy, path), field_help(t, policy, f)) == (declared.label, declared.help)
        for column in f.columns:
            assert policy.fields.get(f"{path}.{column.path}") is not None
    assert not [k for k in catalogues.read("en") if k.startswith(("field.", "help."))]  # the labels live in criteria/fields.yaml
    english = {k: m.forms[0] for k, m in catalogues.read("en").items()}
    for group in form.groups:
        declared_group = policy.fields.group(group.name)
        if declared_group is not None:
            assert group_label(t, policy, group.name) == declared_group.label
        else:  # a run of top-level fields, named by its first: the catalogue's legend, else that field's label
            first = policy.fields.get(group.name)
            assert first is not None, group.name
            assert group_label(t, policy, group.name) == english.get(f"group.{group.name}", first.label)
    assert group_label(t, policy, "expertise_available") == policy.fields.get("expertise_available").label


def test_the_language_is_negotiated_among_the_catalogues() -> None:
    assert negotiate("fr-CH, fr;q=0.9, en;q=0.8") == "fr" and negotiate("de, es;q=0.5") == "es"
    assert negotiate(None) == "en" and negotiate("de-AT, de") == "en" and Translator("de").lang == "en"
    assert Translator().plural("queue.count", 1) == "1 request." and Translator().plural("queue.count", 3) == "3 requests."


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_a_request_filled_into_the_form_and_read_back_is_the_same_request(request: dict[str, object]) -> None:
    engine = shipped_engine()
    form = RequestForm(engine.policy.request_schema)
    expected = _as_a_form_says_it(engine.check(request).record)
    for f in form.fields.values():  # check boxes come back in the vocabulary's order
        group, _, name = f.path.rpartition(".")
        if f.kind == "choices" and isinstance(expected.get(group), dict) and name in expected[group]:  # type: ignore[union-attr]
            expected[group][name] = sorted(expected[group][name], key=f.options.index)  # type: ignore[index]
    values = form.values_of(expected)
    multi = {k: (v if isinstance(v, list) else [v]) for k, v in values.items()}
    assert engine.check(form.parse(multi).request).record == expected


def _as_a_form_says_it(value: object) -> object:
    """A request as a form can say it: text trimmed, an empty list unknown (as a blank spreadsheet cell)."""
    if isinstance(value, dict):
        out = {k: _as_a_form_says_it(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_as_a_form_says_it(v) for v in value]
    return value.strip() if isinstance(value, str) else value
