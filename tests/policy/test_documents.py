"""Reading YAML and JSON: safe, strict about duplicates, and exact about positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InputError
from engine.policy.documents import MAX_NODES, decode, load_file, parse


def error(text: str, name: str = "r.yaml") -> InputError:
    with pytest.raises(InputError) as info:
        parse(text, name)
    return info.value


def test_only_yaml_12_core_scalars_are_recognised() -> None:
    (doc,) = parse("a: yes\nb: no\nc: 2026-01-05\nd: ~\ne: 1.5\nf: .nan\ng: 010\nh: true\ni: 0x1F\n", "r.yaml")
    assert doc.data == {
        "a": "yes",
        "b": "no",
        "c": "2026-01-05",
        "d": None,
        "e": 1.5,
        "f": ".nan",
        "g": 10,
        "h": True,
        "i": "0x1F",
    }


def test_duplicate_keys_are_rejected_at_the_second_key() -> None:
    err = error("id: A\npresence:\n  type: none\n  type: country_office\n")
    assert err.code == "duplicate-key"
    assert (err.location.line, err.location.col) == (4, 3)
    assert "first on line 3" in err.message


def test_python_tags_and_custom_tags_are_refused() -> None:
    err = error("id: !!python/object/apply:os.system ['echo hi']\n")
    assert err.code == "unsupported-tag" and err.location.line == 1
    assert error("a: !custom x\n").code == "unsupported-tag"
    assert error("a: !!binary aGk=\n").code == "unsupported-tag"
    assert error("base: &b {x: 1}\nother:\n  <<: *b\n").code == "unsupported-tag"


def test_syntax_errors_carry_line_column_and_the_source_line() -> None:
    err = error("id: A\nrequest: {kind: advisory\n")
    assert err.code == "yaml-syntax"
    assert err.location.line is not None and err.location.col is not None
    caret = err.location.caret()
    assert caret is not None and caret.endswith("^")


def test_empty_and_comment_only_files() -> None:
    assert error("").code == "empty-file"
    assert error("# just a comment\n\n").code == "empty-file"
    assert error("---\n...\n").code in ("empty-file", "empty-document")


def test_not_utf8_names_the_byte_and_its_position() -> None:
    with pytest.raises(InputError) as info:
        decode(b"id: A\ntitle: caf\xe9\n", "r.yaml")
    assert info.value.code == "not-utf8"
    assert (info.value.location.line, info.value.location.col) == (2, 11)
    assert "0xe9" in info.value.message
    assert decode(b"\xef\xbb\xbfid: A\n", "r.yaml") == "id: A\n"  # a BOM is fine


def test_json_duplicates_nan_and_syntax() -> None:
    err = error('{\n  "id": "A",\n  "id": "B"\n}', "r.json")
    assert err.code == "duplicate-key" and err.location.line == 3
    assert error('{"a": NaN}', "r.json").code == "json-syntax"
    err = error('{"a": 1,}', "r.json")
    assert err.code == "json-syntax" and (err.location.line, err.location.col) == (1, 9)


def test_json_keeps_positions_of_nested_values() -> None:
    (doc,) = parse('{\n  "presence": {\n    "type": "none"\n  }\n}\n', "r.json")
    assert doc.data == {"presence": {"type": "none"}}
    loc = doc.locate(("presence", "type"))
    assert (loc.line, loc.col) == (3, 13)
    assert doc.locate(("presence", "type"), key=True).col == 5


def test_positions_fall_back_to_the_nearest_ancestor() -> None:
    (doc,) = parse("presence:\n  type: none\n", "r.yaml")
    loc = doc.locate(("presence", "adequately_staffed"))
    assert (loc.line, loc.col) == (2, 3) and loc.path == "presence.adequately_staffed"


def test_several_documents_in_one_stream() -> None:
    docs = parse("id: A\n---\nid: B\n", "r.yaml")
    assert [d.data for d in docs] == [{"id": "A"}, {"id": "B"}]
    assert docs[1].locate(("id",)).line == 3


def test_alias_expansion_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    err = error("\n".join(lines) + "\n")
    assert err.code == "document-too-large" and str(MAX_NODES) in err.message


def test_keys_must_be_text() -> None:
    assert error("1: a\n").code == "bad-key"


def test_load_file_reports_missing_files_and_directories(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_file(tmp_path / "nope.yaml")
    assert info.value.code == "file-not-found"
    with pytest.raises(InputError) as info:
        load_file(tmp_path)
    assert info.value.code == "not-a-file"
