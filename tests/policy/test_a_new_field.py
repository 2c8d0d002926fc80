"""A field added by one entry in criteria/fields.yaml, and no code, reaches every part of Engage.

The new field is a yes/no priority factor.  With one entry in the fields file, one factor in
the priority file and one outcome line that reads it, it is in the request schema, the intake
template's columns and a filled-in CSV, the web form with its label and help, a rule, lint
(which finds nothing wrong), the score, what could change a decision, explain's trace and
its fewest changes, impact, and the rules page.  A choice field whose values come from a
vocabulary of the policy is labelled by it on the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.batches.template import template_columns, write_template
from engine.evaluation.evaluator import Engine

from ..helpers.authoring import PolicyCopy, base_request, copy_policy, run_command
from ..helpers.websupport import request_form, site, submit

AS_OF = date(2026, 11, 24)
PATH = "priority.defenders_at_risk"
ENTRY = f"""  - path: {PATH}
    type: yes_no
    label: "Protects human rights defenders at risk"
    help: "The request protects human rights defenders who are at risk."
    question: "does the request protect human rights defenders at risk?"
    answered_by: requester
"""
FACTOR = """  - id: defenders_at_risk
    label: Protects human rights defenders at risk
    field: priority.defenders_at_risk
    points: 5
    cite:
      - source: A/HRC/35/20
        para: "39"
"""
LINE = """  - id: outcome.defenders
    description: "A request protecting defenders at risk is engaged first, whatever else holds."
    when:
      all:
        - {field: status.mandate_integrity, equals: met}
        - {field: priority.defenders_at_risk, equals: true}
    outcome: engage
    reason: >-
      Engage: the request protects human rights defenders at risk.
    cite:
      - source: A/HRC/35/20
        para: "39"

"""


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> PolicyCopy:
    copy = copy_policy(tmp_path_factory.mktemp("new-field"))
    fields = copy.path("criteria/fields.yaml")
    fields.write_text(fields.read_text("utf-8") + ENTRY, "utf-8")  # one entry, at the end of the file
    copy.replace("criteria/priority.yaml", "  - id: crisis_driven\n", FACTOR + "  - id: crisis_driven\n")
    copy.replace("rules/outcome.yaml", "  - id: outcome.ad_hoc\n", LINE + "  - id: outcome.ad_hoc\n")
    return copy


@pytest.fixture(scope="module")
def engine(policy: PolicyCopy) -> Iterator[Engine]:
    with Engine.load(policy.rules, policy.criteria) as loaded:
        yield loaded


def test_the_field_is_in_the_request_schema(policy: PolicyCopy) -> None:
    status, out, err = run_command("schema", "request", "--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert (status, err) == (0, "")
    node = json.loads(out)["properties"]["priority"]["properties"]["defenders_at_risk"]
    assert node == {"type": ["boolean", "null"], "description": "The request protects human rights defenders who are at risk."}


def test_the_field_is_a_column_of_the_template_and_a_filled_in_csv_is_read(policy: PolicyCopy, engine: Engine) -> None:
    column = {c.name: c for c in template_columns(engine.policy)}[PATH]
    assert (column.kind, column.description) == ("bool", "The request protects human rights defenders who are at risk.")
    book = write_template(engine.policy)
    headers = [cell.value for cell in book["Requests"][1]]
    assert PATH in headers
    note = book["Requests"].cell(row=1, column=headers.index(PATH) + 1).comment.text
    assert "who are at risk" in note and "yes or no" in note
    where = ("--rules", str(policy.rules), "--criteria", str(policy.criteria))
    status, header, _ = run_command("template", "--format", "csv", *where)
    assert status == 0 and PATH in header.strip().split(",")
    table = policy.path("intake.csv")
    table.write_text(f"id,received,{PATH}\nREQ-CSV-1,2026-11-01,yes\n", "utf-8")
    args = ("--rules", str(policy.rules), "--criteria", str(policy.criteria), "--as-of", "2026-11-24", "--format", "json")
    status, out, err = run_command("evaluate", str(table), *args)
    assert (status, err) == (0, "")
    assert {"factor": "defenders_at_risk", "points": 5} in json.loads(out)["priority_breakdown"]


def test_the_field_is_on_the_web_form_with_its_label_and_help(engine: Engine, tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}", engine=engine) as s:
        client = s.client("intake")
        page = client.get("/requests/new").text
        assert 'name="priority.defenders_at_risk"' in page
        assert "Protects human rights defenders at risk" in page
        assert "The request protects human rights defenders who are at risk." in page
        form = request_form(**{"strategy.status": "none", PATH: "yes"})
        response = submit(client, form)
        assert response.status_code == 303, response.text
        decision = client.get(response.headers["location"]).text
        assert "Protects human rights defenders at risk" in decision  # the priority breakdown names the factor


def test_a_rule_reads_it_and_the_score_weighs_it(engine: Engine) -> None:
    request = base_request(strategy__status="none")
    before = engine.evaluate(request, AS_OF)
    assert before.outcome != "engage"
    request["priority"] = {**request.get("priority", {}), "defenders_at_risk": True}
    after = engine.evaluate(request, AS_OF)
    assert (after.outcome, after.decisive_rule) == ("engage", "outcome.defenders")
    assert after.priority_score == min(100, before.priority_score + 5)
    assert {s.factor: s.points for s in after.score_breakdown}["defenders_at_risk"] == 5


def test_when_it_is_unknown_the_decision_says_that_asking_could_change_it(engine: Engine) -> None:
    decision = engine.evaluate(base_request(strategy__status="none"), AS_OF)
    assert (PATH, "engage", "requester") in [(c.field, c.outcome, c.answered_by) for c in decision.could_change]


def test_lint_finds_nothing_wrong_with_the_policy(policy: PolicyCopy) -> None:
    status, out, err = run_command("lint", "--rules", str(policy.rules), "--criteria", str(policy.criteria))
    assert (status, err) == (0, ""), out


def test_explain_traces_it_and_offers_it_as_the_change_to_make(policy: PolicyCopy, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(base_request(strategy__status="none")), "utf-8")
    argv = ("--rules", str(policy.rules), "--criteria", str(policy.criteria), "--as-of", "2026-11-24")
    status, out, err = run_command("explain", str(request), *argv)
    assert (status, err) == (0, ""), out
    lines = out.splitlines()
    assert f"            {PATH} equals true: saw unknown -> unknown" in lines  # the trace of the new line
    assert f"  engage if {PATH} is true" in lines  # one answer, the fewest changes
    status, out, _ = run_command("explain", str(request), *argv, "--format", "json")
    engage = next(a for a in json.loads(out)["what_would_change"] if a["outcome"] == "engage")
    assert [{"field": PATH, "from": None, "to": [True]}] in [o["changes"] for o in engage["options"]]


def test_impact_names_the_requests_it_moves(policy: PolicyCopy, tmp_path: Path) -> None:
    """The base has the field and its factor but not the line that reads it; the corpus gives it."""
    base = copy_policy(tmp_path / "base")
    fields = base.path("criteria/fields.yaml")
    fields.write_text(fields.read_text("utf-8") + ENTRY, "utf-8")
    base.replace("criteria/priority.yaml", "  - id: crisis_driven\n", FACTOR + "  - id: crisis_driven\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, given in (("with", True), ("without", False)):
        request = base_request(strategy__status="none")
        request["id"] = f"REQ-{name.upper()}"
        request["priority"] = {**request.get("priority", {}), "defenders_at_risk": given}
        (corpus / f"{name}.json").write_text(json.dumps(request), "utf-8")
    status, out, err = run_command(
        "impact", "--base", str(base.root), "--head", str(policy.root), str(corpus), "--as-of", "2026-11-24", "--format", "json"
    )
    assert (status, err) == (0, ""), out
    changed = {c["request_id"]: c for c in json.loads(out)["changed"]}
    assert list(changed) == ["REQ-WITH"]
    assert (changed["REQ-WITH"]["new_outcome"], changed["REQ-WITH"]["now_firing"]) == ("engage", ["outcome.defenders"])


def test_the_rules_page_shows_the_line_that_reads_it(engine: Engine, tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}", engine=engine) as s:
        page = s.client("author").get("/rules").text
    start = page.index('id="rule-outcome.defenders')
    rule = page[start : page.index("</article>", start)]
    assert f"<code>{PATH} is Yes</code>" in rule  # the test of the new field, its value in words
    assert "Engage: the request protects human rights defenders at risk." in rule


def test_a_choice_from_a_vocabulary_is_labelled_by_it(tmp_path: Path) -> None:
    """A new field whose values are the policy's regions shows the regions' names, as region does."""
    copy = copy_policy(tmp_path / "p")
    fields = copy.path("criteria/fields.yaml")
    entry = (
        "  - path: partner_region\n    type: choice\n    vocabulary: regions\n"
        '    label: "Region of the main partner"\n    help: "Where the main partner works."\n'
        '    question: "where does the main partner work?"\n    answered_by: requester\n'
    )
    fields.write_text(fields.read_text("utf-8") + entry, "utf-8")
    with Engine.load(copy.rules, copy.criteria) as loaded, site(f"sqlite:///{tmp_path / 'log.sqlite3'}", engine=loaded) as s:
        page = s.client("intake").get("/requests/new").text
        label = loaded.policy.vocab.regions["africa"].label
    form = page[page.index('name="partner_region"') :]
    form = form[: form.index("</select>")]
    assert f">{label}<" in form and label != "africa"
