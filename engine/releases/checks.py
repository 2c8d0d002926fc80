"""The checks a proposal must pass, and the report kept with the release.

Lint (any error-level finding refuses the proposal), the authors' test cases in ``rules/tests/``
(any failing case refuses it), and the impact over the requests in the log: each request's
decision in force, evaluated again on the proposal's ``effective_from`` with the release in
force on that day and with the proposed rules (``engine.authoring.impact``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..authoring.casetest import case_files, default_case_dir, run_cases
from ..authoring.impact import compare, read_items, resolve
from ..authoring.lint import lint
from ..errors import EngageError, Location
from ..evaluation.evaluator import Engine
from ..log.logview import entries
from ..log.releases import Release, ReleaseError, propose, read_releases
from ..log.rulesets import load_stored
from ..log.store import LogStore
from ..policy.model import Policy

SHOWN = 5  # findings or failing cases named in a refusal


@dataclass(frozen=True)
class Candidate:
    """The files of a proposal: where they are, and how the author named them."""

    label: str
    rules_dir: Path
    criteria_dir: Path
    # A folder Engage wrote the files into (a revision's checkout, an upload): the report and the
    # refusals name the files relative to it, not by a temporary path the author never gave.
    root: Path | None = None

    def shown(self, text: str) -> str:
        """``text`` without the path of :attr:`root` (as given, and resolved)."""
        if self.root is None:
            return text
        for prefix in sorted({str(self.root) + "/", str(self.root.resolve()) + "/"}, key=len, reverse=True):
            text = text.replace(prefix, "")
        return text


def from_directories(rules: str, criteria: str) -> Candidate:
    return Candidate(f"{rules} and {criteria}", Path(rules), Path(criteria))


def from_revision(revision: str, repo: Path, scratch: Path) -> Candidate:
    found = resolve(revision, repo, scratch)
    label = f"revision {revision} ({found.revision[:12]})" if found.revision else revision  # else a directory
    return Candidate(label, found.rules_dir, found.criteria_dir, None if found.revision is None else found.rules_dir.parent)


def _count(n: int, what: str) -> str:
    """``1 lint error``, ``2 lint errors`` (the refusal is shown on the Releases page as it is)."""
    return f"{n} {what}" + ("" if n == 1 else "s")


def _refuse(code: str, what: str, lines: list[str], where: str) -> ReleaseError:
    more = f" (and {len(lines) - SHOWN} more)" if len(lines) > SHOWN else ""
    return ReleaseError(code, f"{what}; nothing proposed: " + "; ".join(lines[:SHOWN]) + more, Location(where))


def check(store: LogStore, candidate: Candidate, effective_from: date) -> tuple[Policy, dict[str, Any]]:
    """The proposal's rules, loaded, and the report of its checks; a ReleaseError when they refuse it."""
    found = lint(candidate.rules_dir, candidate.criteria_dir)
    errors = [candidate.shown(f.line()) for f in found.findings if f.severity == "error"]
    if errors:
        raise _refuse("lint-errors", f"the proposed rules have {_count(len(errors), 'lint error')}", errors, candidate.label)
    engine = Engine.load(candidate.rules_dir, candidate.criteria_dir, cache_size=0)
    try:
        report: dict[str, Any] = {
            "source": candidate.label,
            "lint": {
                "errors": 0,
                "warnings": found.warnings,
                "findings": [candidate.shown(f.line()) for f in found.findings],
            },
            "cases": _cases(engine, candidate),
            "impact": _impact(store, engine, effective_from),
        }
        return engine.policy, report
    finally:
        engine.close()


def _cases(engine: Engine, candidate: Candidate) -> dict[str, Any]:
    folder = default_case_dir(candidate.rules_dir)
    if not folder.is_dir():
        note = candidate.shown(f"no test cases in {folder}")
        return {"files": 0, "run": 0, "failed": [], "coverage_percent": None, "note": note}
    files, errors = case_files([folder])
    result = run_cases(engine, files)
    problems = [candidate.shown(str(e)) for e in (*errors, *result.errors)]
    failed = [candidate.shown(f"{r.case.name}: {'; '.join(r.diffs)}") for r in result.failed]
    if problems or failed:
        raise _refuse(
            "failing-cases",
            f"{len(failed)} of the authors' {len(result.results)} test cases fail"
            + (f" and {_count(len(problems), 'case file error')}" if problems else ""),
            problems + failed,
            candidate.label,
        )
    return {
        "files": len(files),
        "run": len(result.results),
        "failed": [],
        "coverage_percent": round(result.coverage.percent, 1),
    }


def _impact(store: LogStore, proposed: Engine, effective_from: date) -> dict[str, Any] | None:
    """The decisions in force re-evaluated on ``effective_from``: the release in force then, against the proposal."""
    with store.reading() as conn:
        current = read_releases(conn).in_force(effective_from)
        recorded = [(e.seq, e.record.request) for e in entries(store, conn) if e.record.request is not None]
    if current is None:
        return None
    loaded = load_stored(store, current.ruleset_hash, cache_size=0)
    if loaded.engine is None:
        raise EngageError("not-replayable", loaded.error or "the release in force cannot be loaded", Location(store.where))
    try:
        with tempfile.TemporaryDirectory(prefix="engage-release-") as tmp:
            names: dict[str, str] = {}
            for seq, text in recorded:
                path = Path(tmp) / f"{seq:09d}.json"
                path.write_text(str(text), "utf-8")
                names[str(path)] = f"#{seq}"
            items = read_items([tmp]) if recorded else []
            report = compare(
                loaded.engine,
                proposed,
                items,
                effective_from,
                base_label=f"release {current.number}",
                head_label="proposed",
            ).to_dict()
    finally:
        loaded.engine.close()
    for key in ("changed", "score_changes"):
        for row in report[key]:
            row["record"] = _record_of(str(row.get("source", "")), names)
            row.pop("source", None)
    report["against"] = current.number
    return report


def _record_of(source: str, names: dict[str, str]) -> str:
    for path, record in names.items():
        if source.startswith(path):
            return record
    return source


def propose_checked(store: LogStore, candidate: Candidate, *, by: str, note: str, effective_from: date) -> Release:
    """Check ``candidate``, then record its proposal with the report (refused, saying why, when a check fails)."""
    policy, report = check(store, candidate, effective_from)
    return propose(store, policy, by=by, note=note, effective_from=effective_from, report=report)


def summary_lines(release: Release) -> list[str]:
    """The kept report, for people."""
    report = release.report or {}
    lines: list[str] = []
    lint_part = report.get("lint") or {}
    if lint_part:
        lines.append(f"lint: {lint_part.get('errors', 0)} errors, {lint_part.get('warnings', 0)} warnings")
        lines.extend(f"  {line}" for line in lint_part.get("findings", []))
    cases = report.get("cases") or {}
    if cases:
        lines.append(
            f"test cases: {cases.get('run', 0)} run, {len(cases.get('failed') or [])} failed"
            + (f", rule coverage {cases['coverage_percent']}%" if cases.get("coverage_percent") is not None else "")
            + (f" ({cases['note']})" if cases.get("note") else "")
        )
    impact = report.get("impact")
    if impact:
        lines.append(
            f"impact over {impact['requests']} requests in the log, as of {impact['as_of']}:"
            f" release {impact['against']} -> proposed"
        )
        lines.extend(f"  {t['from']} -> {t['to']}: {t['count']}" for t in impact["transitions"])
        for row in impact["changed"]:
            lines.append(f"  changed: {row['request_id']} ({row['record']}): {row['old_outcome']} -> {row['new_outcome']}")
        for row in impact["score_changes"]:
            lines.append(f"  score: {row['request_id']} ({row['record']}): {row['old_score']} -> {row['new_score']}")
    elif report:
        lines.append("impact: no release in force on its date to compare with")
    return lines
