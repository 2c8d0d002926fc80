"""Help texts and the README say the same thing (issue 14, "Text output")."""

from __future__ import annotations

import re

import pytest

from ..helpers.clirun import engage
from ..helpers.support import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _help(*verb: str) -> str:
    run = engage(*verb, "--help")
    assert run.status == 0
    return " ".join(run.stdout.split())  # argparse wraps to the terminal's width


@pytest.mark.parametrize("verb", [("exceptions",), ("bench",), ("log", "list"), ("log", "show")])
def test_every_format_option_says_what_its_choices_are_for(verb: tuple[str, ...]) -> None:
    assert re.search(r"--format \{text,json\} text for people \(default\), json for tools", _help(*verb)), verb


def test_bench_help_and_readme_give_the_same_duration() -> None:
    found = re.search(r"engage bench +# (about [a-z ]+minutes?)", README)
    assert found is not None
    assert found.group(1) in _help("bench")


def test_what_record_writes_to_standard_error_is_what_the_readme_says() -> None:
    assert "recorded N decisions" in " ".join(README.split())
    described = re.search(r"--record (also store .*?) --db", _help("evaluate"))
    assert described is not None and "standard error" in described.group(1)
