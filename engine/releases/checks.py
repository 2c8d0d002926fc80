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
from ..i18n.said import joined, replaced, say, say_n
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
            text = replaced(text, prefix, "")
        return text


def from_directories(rules: str, criteria: str) -> Candidate:
    return Candidate(f"{rules} and {criteria}", Path(rules), Path(criteria))


def from_revision(revision: str, repo: Path, scratch: Path) -> Candidate:
    found = resolve(revision, repo, scratch)
    label = f"revision {revision} ({found.revision[:12]})" if found.revision else revision  # else a directory
    return Candidate(label, found.rules_dir, found.criteria_dir, None if found.revision is None else found.rules_dir.parent)


def _refuse(code: str, what: str, lines: list[str], where: str) -> ReleaseError:
    # Said, so that the Releases page and the editor show why in the reader's language.
    more = say(" (and {count} more)", count=len(lines) - SHOWN) if len(lines) > SHOWN else ""
    message = say("{what}; nothing proposed: {lines}{more}", what=what, lines=joined(lines[:SHOWN], "; "), more=more)
    return ReleaseError(code, message, Location(where))


def _error_line(error: EngageError) -> str:
    """``str(error)``, said again in the reader's language when its message was said."""
    plain, loc = str(error), error.location
    if loc.row:
        return plain
    if loc.shown_path:
        line = say(
            "{where}: {code}: {path}: {message}", where=loc.prefix(), code=error.code, path=loc.shown_path, message=error.message
        )
    else:
        line = say("{where}: {code}: {message}", where=loc.prefix(), code=error.code, message=error.message)
    return line if line == plain else plain  # a character shown by its code point: the English as printed


def check(store: LogStore, candidate: Candidate, effective_from: date) -> tuple[Policy, dict[str, Any]]:
    """The proposal's rules, loaded, and the report of its checks; a ReleaseError when they refuse it."""
    found = lint(candidate.rules_dir, candidate.criteria_dir)
    errors = [candidate.shown(f.line()) for f in found.findings if f.severity == "error"]
    if errors:
        what = say_n("the proposed rules have {count} lint error", "the proposed rules have {count} lint errors", len(errors))
        raise _refuse("lint-errors", what, errors, candidate.label)
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
        note = candidate.shown(say("no test cases in {folder}", folder=str(folder)))
        return {"files": 0, "run": 0, "failed": [], "coverage_percent": None, "note": note}
    files, errors = case_files([folder])
    result = run_cases(engine, files)
    problems = [candidate.shown(_error_line(e)) for e in (*errors, *result.errors)]
    failed = [
        candidate.shown(say("{case}: {differences}", case=r.case.name, differences=joined(r.diffs, "; "))) for r in result.failed
    ]
    if problems or failed:
        also = say_n(" and {count} case file error", " and {count} case file errors", len(problems)) if problems else ""
        what = say(
            "{failed} of the authors' {total} test cases fail{problems}",
            failed=len(failed),
            total=len(result.results),
            problems=also,
        )
        raise _refuse("failing-cases", what, problems + failed, candidate.label)
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
