"""``engage test``: run the policy authors' test cases and measure rule coverage.

Case files use the format of :mod:`engine.authoring.cases` (``engine/schemas/cases.schema.json``).
By default they are the ``*.yaml`` files in ``tests/`` under the rules directory
(``rules/tests/``); the loader reads only the files directly in ``rules/``, so the cases
are never mistaken for rules.  A rule is *covered* when some case made it fire
(:attr:`engine.evaluation.decision.Decision.rules_fired`; for the outcome table: decided).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import EngageError, InputError, Location
from ..evaluation.decision import Decision
from ..evaluation.evaluator import Engine
from ..i18n.said import say
from ..policy.loader import YAML_SUFFIXES, display_path
from ..policy.model import Rule
from .cases import Case, check_case, load_cases

CASES_DIR = "tests"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    decision: Decision | None
    diffs: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.diffs


@dataclass(frozen=True)
class Coverage:
    rules: tuple[Rule, ...]  # one per rule id, in policy order
    fired: frozenset[str]

    @property
    def missed(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.id not in self.fired)

    @property
    def covered(self) -> int:
        return len(self.rules) - len(self.missed)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / len(self.rules) if self.rules else 100.0


@dataclass(frozen=True)
class TestRun:
    results: tuple[CaseResult, ...]
    errors: tuple[EngageError, ...]  # case files that could not be read
    coverage: Coverage

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors


def default_case_dir(rules_dir: Path | str) -> Path:
    return Path(rules_dir) / CASES_DIR


def case_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[EngageError]]:
    """The case files named by ``paths`` (a directory gives its ``*.yaml`` files, sorted)."""
    files: list[Path] = []
    errors: list[EngageError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in YAML_SUFFIXES)
            if not found:
                errors.append(InputError("no-cases", say("the directory holds no .yaml case file"), Location(display_path(path))))
            files.extend(Path(display_path(p)) for p in found)
        elif path.is_file():
            files.append(path)
        else:
            errors.append(InputError("not-found", say("no such case file or directory"), Location(str(raw))))
    return files, errors


def run_cases(engine: Engine, files: Iterable[Path]) -> TestRun:
    results: list[CaseResult] = []
    errors: list[EngageError] = []
    fired: set[str] = set()
    for file in files:
        try:
            cases = load_cases(file)
        except EngageError as exc:
            errors.extend(getattr(exc, "errors", [exc]))
            continue
        for case in cases:
            decision, diffs = check_case(engine, case)
            if decision is not None:
                fired.update(decision.rules_fired)
            results.append(CaseResult(case, decision, tuple(diffs)))
    unique: dict[str, Rule] = {}
    for rule in engine.policy.all_rules():
        unique.setdefault(rule.id, rule)
    return TestRun(tuple(results), tuple(errors), Coverage(tuple(unique.values()), frozenset(fired)))


def render_text(run: TestRun, *, verbose: bool = False) -> str:
    """The failures with their differences, the counts, and the coverage (case-file errors are not included)."""
    lines: list[str] = []
    for result in run.results:
        if result.passed:
            if verbose:
                lines.append(f"ok   {result.case.title}")
            continue
        lines.append(f"FAIL {result.case.title}")
        lines.extend(f"       {d}" for d in result.diffs)
    total, failed = len(run.results), len(run.failed)
    summary = f"{total} case{'s' if total != 1 else ''}: {total - failed} passed, {failed} failed"
    if run.errors:
        summary += f"; {len(run.errors)} problem{'s' if len(run.errors) != 1 else ''} in case files"
    lines.append(summary)
    cov = run.coverage
    lines.append(f"Rule coverage: {cov.covered} of {len(cov.rules)} rules fired ({cov.percent:.0f}%)")
    if cov.missed:
        lines.append("Rules no case made fire:")
        lines.extend(f"  {r.id}  ({r.location.prefix()})" for r in cov.missed)
    return "\n".join(lines)
