"""Hostile documents give one positioned error, never a crash (issue 14, "Input that must give a clean error")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.policy.documents import MAX_DEPTH, MAX_DIGITS, MAX_DOCUMENT_BYTES, parse, read_text
from engine.policy.schema import describe


def error(text: str, name: str) -> InputError:
    with pytest.raises(InputError) as info:
        parse(text, name)
    return info.value


def test_json_nested_deeper_than_the_limit_is_refused_at_the_line_that_passes_it() -> None:
    text = "".join('{"a":\n' for _ in range(500)) + "1" + "}" * 500
    err = error(text, "deep.json")
    assert err.code == "too-deep"
    assert (err.location.line, err.location.col) == (MAX_DEPTH + 1, 1)
    assert f"{MAX_DEPTH} levels" in err.message


def test_json_nested_beyond_pythons_recursion_limit_is_the_same_clean_error() -> None:
    err = error("[" * 100_000 + "]" * 100_000, "deep.json")
    assert (err.code, err.location.line, err.location.col) == ("too-deep", 1, MAX_DEPTH + 1)


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 500 + "]" * 500 + "\n",
        "".join("  " * i + "a:\n" for i in range(500)) + "  " * 500 + "b: 1\n",
    ],
    ids=["flow", "block"],
)
def test_yaml_nested_deeper_than_the_limit_is_refused_with_its_line(text: str) -> None:
    err = error(text, "deep.yaml")
    assert err.code == "too-deep"
    assert err.location.line is not None and err.location.col is not None
    assert err.location.line <= MAX_DEPTH + 2


def test_nesting_up_to_the_limit_is_read() -> None:
    text = '{"a":' * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1)
    (doc,) = parse(text, "ok.json")
    assert isinstance(doc.data, dict)


def test_a_lone_surrogate_in_json_or_yaml_is_an_error_at_its_string() -> None:
    err = error('{\n  "id": "R1",\n  "title": "Min\\ud800"\n}', "s.json")
    assert (err.code, err.location.line, err.location.col) == ("not-unicode", 3, 16)
    err = error('id: R1\ntitle: "x\\ud800"\n', "s.yaml")  # libyaml refuses the escape itself
    assert (err.code, err.location.line) == ("yaml-syntax", 2)
    (doc,) = parse('{"title": "\\ud83d\\ude00"}', "pair.json")  # a real pair is one character
    assert doc.data == {"title": "\U0001f600"}


def test_a_control_character_in_text_is_an_error_at_its_string() -> None:
    err = error('{\n  "id": "R1",\n  "title": "a\\u0000b"\n}', "nul.json")
    assert (err.code, err.location.line) == ("control-character", 3)
    assert "U+0000" in err.message
    assert error('id: R1\ntitle: "a\\x1bb"\n', "esc.yaml").code == "control-character"
    (doc,) = parse('{"title": "two\\nlines\\tand a tab", "path": "C:\\\\build"}', "ok.json")
    assert doc.data["title"] == "two\nlines\tand a tab"


def test_a_non_finite_number_in_json_has_its_line_and_column() -> None:
    err = error('{\n  "id": "R1",\n  "budget_usd": 1e999\n}', "inf.json")
    assert (err.code, err.location.line, err.location.col) == ("bad-number", 3, 17)


def test_a_400_digit_number_is_refused_at_its_position_without_echoing_it() -> None:
    digits = "9" * 400
    for text, name in ((f'{{\n "n": {digits}\n}}', "n.json"), (f"n: {digits}\n", "n.yaml")):
        err = error(text, name)
        assert err.code == "number-too-long"
        assert err.location.line == (2 if name == "n.json" else 1)
        assert "99999999999" not in str(err) and "400 digits" in err.message and str(MAX_DIGITS) in err.message
    assert describe(10**400) == "a number of 401 digits"


def test_a_request_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"id": "R1", "items": list(range(MAX_DOCUMENT_BYTES // 3))}))
    with pytest.raises(InputError) as info:
        read_text(path, "big.json")
    assert info.value.code == "file-too-large"
    assert "1 MiB" in info.value.message
