"""Hostile or damaged batches: one clean error per bad input, exit 2, every other request still evaluated."""

from __future__ import annotations

import json
from pathlib import Path

from engine.batches.tables import MAX_LINE_BYTES
from engine.policy.documents import MAX_DEPTH

from ..helpers.clirun import engage
from ..helpers.tables import REQUEST

AS_OF = "2026-11-24"


def jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def request_line(number: int) -> str:
    return json.dumps(dict(REQUEST, id=f"R{number}"))


def evaluated(stdout: str) -> list[str]:
    return [json.loads(line)["request_id"] for line in stdout.splitlines()]


def test_a_deeply_nested_line_is_one_error_and_the_later_lines_are_still_evaluated(tmp_path: Path) -> None:
    deep = '{"id": "R3", "x": ' + "[" * 500 + "]" * 500 + "}"
    batch = jsonl(tmp_path / "b.jsonl", [request_line(1), request_line(2), deep, request_line(4), request_line(5)])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert evaluated(run.stdout) == ["R1", "R2", "R4", "R5"]
    assert run.stderr.splitlines() == [f"{batch}:3:{18 + MAX_DEPTH}: too-deep: {_deep_message()}"]


def _deep_message() -> str:
    return f"the document is nested more than {MAX_DEPTH} levels deep (the limit is {MAX_DEPTH} levels)"


def test_a_cut_off_line_is_reported_on_its_own_line(tmp_path: Path) -> None:
    cut = request_line(2)[:40]
    batch = jsonl(tmp_path / "b.jsonl", [request_line(1), cut, request_line(3)])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert evaluated(run.stdout) == ["R1", "R3"]
    (message,) = run.stderr.splitlines()
    assert message.startswith(f"{batch}:2:40: json-syntax: Unterminated string")
    assert "cut off" in message
    batch.write_text(request_line(1) + "\n" + '{"id": "R2",\n', encoding="utf-8")  # a last line cut after a comma
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.stderr.startswith(f"{batch}:2:13: json-syntax: Expecting property name")


def test_a_line_longer_than_the_limit_is_refused_unread_and_the_next_line_is_evaluated(tmp_path: Path) -> None:
    long_line = '{"id": "R2", "title": "' + "x" * (MAX_LINE_BYTES + 10) + '"}'
    batch = jsonl(tmp_path / "b.jsonl", [request_line(1), long_line, request_line(3)])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert evaluated(run.stdout) == ["R1", "R3"]
    (message,) = run.stderr.splitlines()
    assert message.startswith(f"{batch}:2:1: line-too-long: ") and "1 MiB" in message


def test_a_lone_surrogate_and_a_huge_number_are_clean_errors_in_a_batch(tmp_path: Path) -> None:
    surrogate = request_line(2).replace('"R2"', '"R\\ud800"')
    huge = request_line(3).replace("1250.5", "9" * 400)
    batch = jsonl(tmp_path / "b.jsonl", [request_line(1), surrogate, huge, request_line(4)])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "text", "--quiet")
    assert run.status == 2
    codes = [line.split(": ")[1] for line in run.stderr.splitlines()]
    assert codes == ["not-unicode", "number-too-long"]
    assert "9999999999" not in run.stderr
    assert "R1" in run.stdout and "R4" in run.stdout


def test_standard_input_larger_than_the_limit_is_refused() -> None:
    text = json.dumps(dict(REQUEST, title="x" * (1 << 20)))
    run = engage("evaluate", "-", "--as-of", AS_OF, stdin=text)
    assert run.status == 2
    assert run.stderr.startswith("<stdin>: file-too-large: standard input holds")


# --- control, bidirectional and zero-width characters ------------------------------


def yaml_request(path: Path, **fields: str) -> Path:
    data = dict(REQUEST, **fields)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_id_with_a_control_or_invisible_character_is_refused(tmp_path: Path) -> None:
    cases = {"R1\n": "U+000A", "R\t1": "U+0009", "R1\u202e": "U+202E", "R\u200b1": "U+200B", "R1\x85": "U+0085"}
    for number, (bad, named) in enumerate(cases.items()):
        path = yaml_request(tmp_path / f"r{number}.json", id=bad)
        run = engage("evaluate", str(path), "--as-of", AS_OF)
        assert run.status == 2, bad
        (line,) = run.stderr.splitlines()
        assert ": control-character: id: " in line and named in line, line
        assert "\u202e" not in line and "\u200b" not in line


def test_bidi_and_zero_width_characters_are_shown_as_their_code_points(tmp_path: Path) -> None:
    title = "Training \u202eslaiciffo\u202c of\u200b judges"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(dict(REQUEST, request=dict(REQUEST["request"], title=title))), encoding="utf-8")
    run = engage("evaluate", str(path), "--as-of", AS_OF)
    assert run.status == 0
    assert "Training <U+202E>slaiciffo<U+202C> of<U+200B> judges" in run.stdout
    assert not set(run.stdout) & {"\u202e", "\u202c", "\u200b"}
    run = engage("evaluate", str(path), "--as-of", AS_OF, "--format", "json")  # data for tools stays as given
    assert json.loads(run.stdout)["request_id"] == "R1"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(REQUEST, **{"presence\u202e": 1})), encoding="utf-8")
    run = engage("evaluate", str(bad), "--as-of", AS_OF)
    assert "presence<U+202E>" in run.stderr and "\u202e" not in run.stderr


def test_a_nul_in_a_csv_cell_is_an_error_for_its_row_only(tmp_path: Path) -> None:
    from ..helpers.tables import ROW, write_csv

    batch = write_csv(tmp_path / "b.csv", [ROW, dict(ROW, id="R2", **{"request.kind": "programme\x00"}), dict(ROW, id="R3")])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert evaluated(run.stdout) == ["R1", "R3"]
    assert run.stderr.splitlines() == [
        f"{batch}:row 3: column request.kind: control-character: the text holds the control character U+0000; remove it"
    ]


# --- tables with no requests, and a bad header -------------------------------------

EXAMPLE = "examples/01-engage-nhri-programme.yaml"


def test_a_header_only_csv_or_workbook_says_no_requests_and_the_other_inputs_are_evaluated(tmp_path: Path) -> None:
    from ..helpers.support import ROOT
    from ..helpers.tables import write_csv, write_xlsx

    for table in (write_csv(tmp_path / "head.csv", []), write_xlsx(tmp_path / "head.xlsx", [])):
        run = engage("evaluate", str(table), str(ROOT / EXAMPLE), "--as-of", AS_OF)
        assert run.status == 2, table
        assert run.stderr.splitlines() == [
            f"{table}:row 1: no-requests: row 1 names the columns, but no row below it holds a request"
        ]
        assert run.stdout.splitlines()[-1] == "1 evaluated: 1 engage; 1 file without requests (see the messages above)"


def test_a_blank_workbook_says_no_requests(tmp_path: Path) -> None:
    import openpyxl

    blank = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(blank)
    formatted = tmp_path / "formatted.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for ref in ("A1", "B3"):
        sheet[ref].font = openpyxl.styles.Font(bold=True)  # styled but empty: rows with no value
    book.save(formatted)
    for path in (blank, formatted):
        run = engage("evaluate", str(path), "--as-of", AS_OF)
        assert run.status == 2
        assert run.stderr.splitlines() == [f"{path}:row 1: no-requests: the sheet 'Sheet' holds no requests: it is blank"]


def test_a_table_with_a_bad_header_is_counted_as_a_file_not_a_row(tmp_path: Path) -> None:
    from ..helpers.support import ROOT
    from ..helpers.tables import ROW, write_xlsx

    table = write_xlsx(tmp_path / "bad.xlsx", [ROW, dict(ROW, id="R2")], header=["idd", *list(ROW)[1:]])
    run = engage("evaluate", str(table), str(ROOT / EXAMPLE), "--as-of", AS_OF)
    assert run.status == 2
    assert run.stdout.splitlines()[-1] == "1 evaluated: 1 engage; 1 file not read (see the messages above)"


# --- every problem of a row, once --------------------------------------------------


def test_a_row_reports_every_problem_once_in_column_order(tmp_path: Path) -> None:
    from ..helpers.tables import ROW, write_csv

    header = [*ROW, "exception.waives", "exception.requested_by"]
    bad = dict(
        ROW,
        **{
            "request.kind": "programm",
            "presence.type": "nope",
            "requester.government_endorsed": "maybe",
            "request.budget_usd": "abc",
        },
    )
    waiver = dict(ROW, id="R2", **{"exception.waives": "mandate_integrity", "exception.requested_by": "Minister"})
    batch = write_csv(tmp_path / "b.csv", [bad, waiver, dict(ROW, id="R3")], header=header)
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--format", "jsonl", "--quiet")
    assert run.status == 2
    assert evaluated(run.stdout) == ["R3"]
    lines = run.stderr.splitlines()
    row2 = [line.split(": ")[1:3] for line in lines if ":row 2:" in line]
    assert row2 == [
        ["column requester.government_endorsed", "not-yes-no"],
        ["column request.kind", "not-in-vocabulary"],
        ["column request.budget_usd", "not-a-number"],
        ["column presence.type", "not-in-vocabulary"],
    ]
    row3 = [line.split(": ")[1:3] for line in lines if ":row 3:" in line]
    assert row3 == [["column exception.waives", "waiver-not-allowed"]]


def test_a_comma_in_a_list_cell_says_lists_are_separated_by_semicolons(tmp_path: Path) -> None:
    from ..helpers.tables import ROW, write_csv

    batch = write_csv(tmp_path / "b.csv", [dict(ROW, **{"request.themes": "nhri, elections"})])
    run = engage("evaluate", str(batch), "--as-of", AS_OF, "--quiet")
    assert run.status == 2
    assert run.stderr.splitlines() == [
        f"{batch}:row 2: column request.themes: list-separator: 'nhri, elections' holds a comma:"
        " the entries of a list are separated by ';' (write 'nhri; elections')"
    ]
    assert "did you mean" not in run.stderr
