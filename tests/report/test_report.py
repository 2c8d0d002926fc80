"""engage report: the figures for a known set of decisions, read back from the HTML; CSV; a real browser."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ..helpers.logsupport import EXAMPLES, ok, record_examples, run, write_requests


class Figures(HTMLParser):
    """Every element with a data-figure (or data-departure/-exception/-decision) attribute, with its text."""

    KEYS = ("data-figure", "data-departure", "data-exception", "data-decision")

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.rows: dict[str, list[dict[str, object]]] = {k: [] for k in self.KEYS[1:]}
        self.external: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self._open: list[tuple[str, str, str, list[str]]] = []  # tag, attribute, its value, text inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        self.external.extend(f"{tag} {k}={a[k]}" for k in ("src", "srcset", "data", "poster") if a.get(k))
        if tag in ("link", "iframe", "img", "object", "embed"):
            self.external.append(tag)
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        for key in self.KEYS:
            if key in a:
                self._open.append((tag, key, a[key], []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            for _, _, _, text in self._open:
                text.append(" ")  # cells apart
        if self._open and self._open[-1][0] == tag:
            _, key, value, text = self._open.pop()
            content = " ".join("".join(text).split())
            if key == "data-figure":
                self.figures[value] = content
            else:
                self.rows[key].append({"key": value, "text": content})

    def handle_data(self, data: str) -> None:
        for _, _, _, text in self._open:
            text.append(data)


def parse(html: str) -> Figures:
    parser = Figures()
    parser.feed(html)
    return parser


@pytest.fixture
def known_log(db: str, tmp_path: Path) -> str:
    """Nine examples on 2026-11-24, two more (01 and 06 again, new ids) on 2026-12-08, three human decisions."""
    record_examples(db)
    later = write_requests(tmp_path / "later", {"01": {"id": "REQ-2026-0201"}, "06": {"id": "REQ-2026-0206"}}, only=("01", "06"))
    ok("evaluate", str(later), "--as-of", "2026-12-08", "--record", "--db", db)
    ok("log", "decide", "1", "--decision", "engage", "--by", "Jane Doe", "--db", db)
    ok("log", "decide", "8", "--decision", "decline", "--by", "Jane Doe", "--db", db)
    ok(
        "log",
        "decide",
        "6",
        "--decision",
        "engage",
        "--by",
        "Amir Khan",
        "--justification",
        "The Board asked to proceed",
        "--db",
        db,
    )
    return db


def test_the_report_has_the_expected_figures(known_log: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    status, _, err = run("report", "--from", "2026-11-23", "--to", "2026-12-13", "--out", str(out), "--db", known_log)
    assert status == 0, err
    assert err == f"wrote {out}: 11 decisions from 2026-11-23 to 2026-12-13\n"
    page = parse(out.read_text())
    f = page.figures
    # Outcomes: the examples give one of each outcome, engage and consider_in_strategy twice;
    # the later two add an engage and an exception_review.
    assert {k: f[f"outcome.{k}"] for k in ("engage", "respond_ad_hoc", "assess_needs", "consider_in_strategy",
                                            "exception_review", "request_information", "decline")} == {
        "engage": "3", "respond_ad_hoc": "1", "assess_needs": "1", "consider_in_strategy": "2",
        "exception_review": "2", "request_information": "1", "decline": "1",
    }  # fmt: skip
    assert f["total"] == "11" and f["card.total"] == "11"
    assert f["outcome_share.engage"] == "27.3%"
    # Over time, week by week (the period is three weeks).
    assert (f["trend.2026-W48.total"], f["trend.2026-W49.total"], f["trend.2026-W50.total"]) == ("9", "0", "2")
    assert (f["trend.2026-W48.with"], f["trend.2026-W50.with"]) == ("2", "1")
    assert (f["trend.2026-W48.rate"], f["trend.2026-W49.rate"], f["trend.2026-W50.rate"]) == ("22.2%", "n/a", "50.0%")
    # Regions.
    assert (f["region.africa"], f["region.asia_pacific"], f["region.latin_america_caribbean"]) == ("3", "4", "2")
    assert (f["region.global"], f["region.europe_north_america"]) == ("1", "1")
    assert (f["region.africa.engage"], f["region.africa.assess_needs"], f["region.asia_pacific.exception_review"]) == (
        "2",
        "1",
        "2",
    )
    # Exceptions: 0105 applied; 0106 and its later copy rejected (expired).
    assert (f["exceptions.with"], f["exceptions.applied"], f["exceptions.rejected"]) == ("3", "1", "2")
    assert f["exceptions.rate"] == "27.3%" and f["card.exception_rate"] == "27.3%"
    register = {row["key"]: row["text"] for row in page.rows["data-exception"]}
    assert set(register) == {"REQ-2026-0105", "REQ-2026-0106", "REQ-2026-0206"}
    assert "#5 applied" in register["REQ-2026-0105"] and "2027-06-30" in register["REQ-2026-0105"]
    assert "Director, Field Operations and Technical Cooperation Division" in register["REQ-2026-0105"]
    # Scores: 90 20 50 60 50 55 25 0 25, then 90 and 55.
    assert (f["score.mean"], f["score.median"]) == ("47.3", "50")
    assert [f[f"score.bin.{b}"] for b in ("0-9", "10-19", "20-29", "50-59", "60-69", "90-100")] == ["1", "0", "3", "4", "1", "2"]
    # Human decisions: two follow the engine, one departs (with its justification).
    assert (f["human.decided"], f["human.followed"], f["human.departures"]) == ("3", "2", "1")
    assert (f["human.follow_rate"], f["human.awaiting"], f["card.follow_rate"]) == ("66.7%", "8", "66.7%")
    assert page.rows["data-departure"] == [
        {"key": "6", "text": "REQ-2026-0106 Send to exception review Engage Amir Khan The Board asked to proceed"}
    ]
    # Conditions: counted straight from the recorded decisions.
    decisions = json.loads(ok("log", "list", "--db", known_log, "--format", "json"))
    assert len(decisions) == 11
    statuses: dict[str, list[str]] = {}
    for row in decisions:
        shown = json.loads(ok("log", "show", str(row["seq"]), "--db", known_log, "--format", "json"))
        for name, c in shown["decision"]["criteria"].items():
            statuses.setdefault(name, []).append(c["status"])
    for name, seen in statuses.items():
        for status_ in ("unmet", "partial", "unknown"):
            assert f[f"condition.{name}.{status_}"] == str(seen.count(status_)), (name, status_)
    # Every decision is listed and links to its reasons.
    assert [row["key"] for row in page.rows["data-decision"]] == [str(r["seq"]) for r in decisions]
    assert {f"d-{r['seq']}" for r in decisions} <= page.ids
    assert set(page.links) <= page.ids


def test_the_report_is_self_contained_and_deterministic(known_log: str, tmp_path: Path) -> None:
    first = ok("report", "--from", "2026-11-01", "--to", "2026-12-31", "--db", known_log)
    second = ok("report", "--from", "2026-11-01", "--to", "2026-12-31", "--db", known_log)
    assert first == second
    page = parse(first)
    assert page.external == []
    assert not re.search(r"@import|url\(", first)
    assert first.count("<svg") == 5 and "<script" not in first
    assert "@page { size: A4" in first
    assert page.figures["log.head_seq"] == "#14"


def test_csv_has_one_row_per_decision_in_force(known_log: str, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    ok("report", "--format", "csv", "--out", str(out), "--db", known_log, "--from", "2026-12-01")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["request_id"] for r in rows] == ["REQ-2026-0201", "REQ-2026-0206"]
    assert rows[1]["outcome"] == "exception_review" and rows[1]["exception"] == "rejected"
    assert rows[1]["in_country_presence"] == "unmet"
    every = list(csv.DictReader(io.StringIO(ok("report", "--format", "csv", "--db", known_log))))
    six = next(r for r in every if r["request_id"] == "REQ-2026-0106")
    assert (six["human_decision"], six["decided_by"], six["follows_engine"], six["justification"]) == (
        "engage", "Amir Khan", "no", "The Board asked to proceed"
    )  # fmt: skip


def test_formula_text_stays_text_in_the_csv(db: str) -> None:
    record_examples(db)
    ok("log", "decide", "1", "--decision", "decline", "--by", "=HYPERLINK(1)", "--justification", "@SUM(A1)", "--db", db)
    row = next(csv.DictReader(io.StringIO(ok("report", "--format", "csv", "--db", db))))
    assert (row["decided_by"], row["justification"]) == ("'=HYPERLINK(1)", "'@SUM(A1)")


def test_an_empty_log_gives_a_report(db: str) -> None:
    html = ok("report", "--db", db, "--from", "2026-01-01", "--to", "2026-01-31")
    assert parse(html).figures["total"] == "0"
    status, _, err = run("report", "--db", db, "--from", "2026-02-01", "--to", "2026-01-01")
    assert status == 2 and "is after --to" in err


# -- a real browser ---------------------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "headless Chromium is not installed (apt-get install chromium; bash .ci/run installs it)"
        if os.environ.get("ENGAGE_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason + "; ENGAGE_REQUIRE_CHROMIUM=1 forbids skipping", pytrace=False)
        pytest.skip(reason)
    return found


def browse(tmp_path: Path, page: Path, *args: str) -> None:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=180)


@pytest.mark.browser
def test_the_report_renders_and_prints_on_a4(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(db)
    page = tmp_path / "report.html"
    ok("report", "--out", str(page), "--db", db)
    shot = tmp_path / "report.png"
    browse(tmp_path, page, f"--screenshot={shot}", "--window-size=1000,1400", "--hide-scrollbars")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1000 and int.from_bytes(png[20:24], "big") == 1400
    pdf = tmp_path / "report.pdf"
    browse(tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    boxes = {
        tuple(round(float(v)) for v in m.groups()) for m in re.finditer(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    }
    assert boxes == {(595, 842)}  # A4 in points
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert 3 <= pages <= 12, pages
    # Ticking "include section 8" (as a reader would, before printing) adds the reasons to the paper.
    ticked = tmp_path / "ticked.html"
    ticked.write_text(page.read_text("utf-8").replace('id="print-reasons">', 'id="print-reasons" checked>', 1), "utf-8")
    assert ticked.read_text("utf-8") != page.read_text("utf-8")
    longer = tmp_path / "ticked.pdf"
    browse(tmp_path, ticked, f"--print-to-pdf={longer}", "--no-pdf-header-footer")
    with_reasons = len(re.findall(rb"/Type\s*/Page\b", longer.read_bytes()))
    assert with_reasons >= pages + 2, (pages, with_reasons)


def test_examples_dir_is_what_the_known_set_assumes() -> None:
    assert len([p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json")]) == 9


def test_the_report_lists_the_releases_in_force_with_their_approvals_and_decisions(db: str, tmp_path: Path) -> None:
    from ..helpers.support import copy_policy, edit

    record_examples(db)  # nine decisions on 2026-11-24, under release 1 (adopted at first use)
    rules, criteria = copy_policy(tmp_path / "changed")
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    offer = ("rules", "propose", "--rules", str(rules), "--criteria", str(criteria), "--effective", "2026-12-08")
    ok(*offer, "--by", "Aline", "--note", "reword line 2", "--db", db)
    ok("rules", "approve", "2", "--by", "Boris", "--justification", "The Board agrees", "--db", db)
    later = write_requests(tmp_path / "later", {"01": {"id": "REQ-2026-0201"}, "06": {"id": "REQ-2026-0206"}}, only=("01", "06"))
    ok("evaluate", str(later), "--as-of", "2026-12-08", "--record", "--db", db)
    out = tmp_path / "report.html"
    status, _, err = run("report", "--from", "2026-11-23", "--to", "2026-12-13", "--out", str(out), "--db", db)
    assert status == 0, err
    html = out.read_text()
    f = parse(html).figures
    assert (f["release.1.decisions"], f["release.2.decisions"]) == ("9", "2")
    assert "<td>2</td><td>2026-12-08</td><td>Aline</td><td>Boris</td>" in html and "The Board agrees" in html
    before = tmp_path / "before.html"
    assert run("report", "--from", "2026-11-23", "--to", "2026-12-07", "--out", str(before), "--db", db)[0] == 0
    early = parse(before.read_text()).figures
    assert early["release.1.decisions"] == "9" and "release.2.decisions" not in early


def test_decisions_made_by_unreleased_rules_are_marked_in_the_report_in_each_language(db: str, tmp_path: Path) -> None:
    from engine.log.store import LogStore
    from engine.report.document import gather

    from ..helpers.support import copy_policy, edit

    record_examples(db)  # nine decisions under release 1
    rules, criteria = copy_policy(tmp_path / "changed")
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    other = write_requests(tmp_path / "other", {"01": {"id": "REQ-2026-0301"}, "06": {"id": "REQ-2026-0306"}}, only=("01", "06"))
    given = ("--rules", str(rules), "--criteria", str(criteria), "--unreleased")
    ok("evaluate", str(other), "--as-of", "2026-11-25", "--record", *given, "--db", db)
    seqs = {r["request_id"]: r["seq"] for r in json.loads(ok("log", "list", "--db", db, "--format", "json"))}
    marks = {
        "en": "(unreleased rules)",
        "fr": "(règles non publiées)",
        "es": "(reglas no publicadas)",
    }
    lines = {
        "en": "Decisions in the period made by unreleased rules (recorded with --unreleased, not the release in force):",
        "fr": "Décisions de la période prises par des règles non publiées",
        "es": "Decisiones del período tomadas con reglas no publicadas",
    }
    for lang, mark in marks.items():
        html = ok("report", "--db", db, "--lang", lang)
        page = parse(html)
        assert page.figures["release.unreleased.decisions"] == "2", lang
        assert page.figures["release.1.decisions"] == "9", lang  # the unreleased ones are not counted under release 1
        assert lines[lang] in html, lang
        listed = {row["key"]: row["text"] for row in page.rows["data-decision"]}
        marked = {key for key, text in listed.items() if mark in text}
        assert marked == {str(seqs["REQ-2026-0301"]), str(seqs["REQ-2026-0306"])}, (lang, marked)
    rows = list(csv.DictReader(io.StringIO(ok("report", "--format", "csv", "--db", db))))
    assert {r["request_id"]: r["release"] for r in rows} == {
        **{r["request_id"]: "1" for r in rows if r["request_id"] not in ("REQ-2026-0301", "REQ-2026-0306")},
        "REQ-2026-0301": "unreleased",
        "REQ-2026-0306": "unreleased",
    }
    with LogStore.open(db) as store:
        assert gather(store).unreleased == 2  # the report read from the records says the same
    # A period without them says nothing of unreleased rules.
    html = ok("report", "--db", db, "--from", "2026-11-24", "--to", "2026-11-24")
    assert "release.unreleased.decisions" not in parse(html).figures and "unreleased rules" not in html
