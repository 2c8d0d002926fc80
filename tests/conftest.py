"""Golden cases as YAML data: every ``tests/golden/*.yaml`` file is collected by this plugin.

Each case is one test item named after its file and case, evaluated through durable-rules
with no result reuse; a failure lists every difference from ``expect``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.authoring.cases import Case, check_case, load_cases
from engine.errors import EngageError

from .helpers.support import shipped_engine

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the pinned decisions in tests/golden/decisions/ (review the diff before committing)",
    )


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent == GOLDEN:
        return GoldenFile.from_parent(parent, path=file_path)
    return None


class GoldenFile(pytest.File):
    def collect(self) -> Any:
        try:
            cases = load_cases(self.path)
        except EngageError as exc:
            raise pytest.fail.Exception(str(exc), pytrace=False) from None
        for case in cases:
            yield GoldenCase.from_parent(self, name=case.name, case=case)


class CaseFailed(Exception):
    def __init__(self, case: Case, diffs: list[str]) -> None:
        super().__init__("\n".join(diffs))
        self.case = case
        self.diffs = diffs


class GoldenCase(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        _, diffs = check_case(shipped_engine(), self.case)
        if diffs:
            raise CaseFailed(self.case, diffs)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            lines = [f"{self.case.title}"] + [f"  {d}" for d in excinfo.value.diffs]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = (self.case.location.line or 1) - 1
        return self.path, line, f"golden: {self.case.name}"


@pytest.fixture(autouse=True)
def _private_log(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the user's own decision log: ENGAGE_DB points into a temporary directory."""
    monkeypatch.setenv("ENGAGE_DB", str(tmp_path_factory.mktemp("default-log") / "decisions.sqlite3"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An empty decision-log database URL, once per backend (the same tests run on both)."""
    from .helpers.logsupport import database

    with database(request.param, tmp_path) as url:
        yield url
