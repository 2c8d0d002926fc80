"""``engage impact``: which requests a change of the rules would treat differently.

Both rule sets evaluate the same corpus on the same date.  A rule set is a directory
holding ``rules/`` and ``criteria/``, or a git revision of the repository (``HEAD~1``, a
tag, a commit), read with ``git archive`` into a temporary directory: the work tree and
the index are never touched.

The report counts the requests per (old outcome -> new outcome) transition, lists the
requests whose outcome changed with the rules whose firing changed, and the score changes
beyond a threshold.
"""

from __future__ import annotations

import csv
import io
import subprocess
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..batches.batch import Result, evaluate_items
from ..batches.inputs import Item
from ..errors import InputError, Location
from ..evaluation.decision import canonical_json
from ..evaluation.evaluator import Engine
from ..policy.loader import display_path
from ..policy.model import Policy, Rule

INVALID = "(invalid)"
RULE_ERROR = "(rule error)"


@dataclass(frozen=True)
class RuleSet:
    """Where one side's rules come from."""

    label: str  # as the user gave it
    rules_dir: Path
    criteria_dir: Path
    revision: str | None = None  # the commit, for a git revision


def _git(repo: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[Any]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, text=not binary)
    except FileNotFoundError:
        message = "git is not installed; give a directory with rules/ and criteria/ instead"
        raise InputError("no-git", message, Location()) from None


def resolve(spec: str, repo: Path, scratch: Path) -> RuleSet:
    """``spec`` as a rule set: a directory with ``rules/`` and ``criteria/``, or a git revision of ``repo``."""
    path = Path(spec)
    if path.is_dir():
        rules, criteria = path / "rules", path / "criteria"
        if not rules.is_dir() or not criteria.is_dir():
            raise InputError(
                "not-a-ruleset", "this directory has no rules/ and criteria/ directories in it", Location(display_path(path))
            )
        return RuleSet(spec, rules, criteria)
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError("not-a-ruleset", "neither a directory nor a git revision (not inside a git repository)", Location(spec))
    root = Path(top.stdout.strip())
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if commit.returncode != 0:
        raise InputError("not-a-ruleset", f"neither a directory nor a git revision of {root}", Location(spec))
    sha = commit.stdout.strip()
    archive = _git(root, "archive", "--format=tar", sha, "--", "rules", "criteria", binary=True)
    if archive.returncode != 0:
        detail = archive.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(
            "not-a-ruleset",
            f"revision {sha[:12]} has no rules/ and criteria/ ({detail[-1] if detail else 'git archive failed'})",
            Location(spec),
        )
    target = scratch / sha
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return RuleSet(spec, target / "rules", target / "criteria", sha)


@dataclass(frozen=True)
class Side:
    outcome: str
    score: float | None
    fired: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestImpact:
    request_id: str
    source: str  # file:line:col of the request
    old: Side
    new: Side
    now_firing: tuple[str, ...]  # rules that fire with the new rules only
    no_longer_firing: tuple[str, ...]  # rules that fired with the old rules only
    changed_rules: tuple[str, ...]  # rules that fired on either side and whose text changed

    @property
    def outcome_changed(self) -> bool:
        return self.old.outcome != self.new.outcome

    @property
    def score_change(self) -> float | None:
        if self.old.score is None or self.new.score is None:
            return None
        return _number(self.new.score - self.old.score)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "source": self.source,
            "old_outcome": self.old.outcome,
            "new_outcome": self.new.outcome,
            "old_score": self.old.score,
            "new_score": self.new.score,
            "score_change": self.score_change,
            "now_firing": list(self.now_firing),
            "no_longer_firing": list(self.no_longer_firing),
            "changed_rules": list(self.changed_rules),
            "errors": {"old": list(self.old.errors), "new": list(self.new.errors)},
        }


@dataclass(frozen=True)
class ImpactReport:
    base: str
    head: str
    as_of: date
    as_of_source: str
    threshold: float
    requests: tuple[RequestImpact, ...]
    unreadable: tuple[str, ...]  # inputs that were not requests at all (both sides)
    outcome_order: tuple[str, ...]

    @property
    def transitions(self) -> list[tuple[str, str, int]]:
        counts: dict[tuple[str, str], int] = {}
        for r in self.requests:
            key = (r.old.outcome, r.new.outcome)
            counts[key] = counts.get(key, 0) + 1
        rank = {o: i for i, o in enumerate(self.outcome_order)}

        def order(item: tuple[tuple[str, str], int]) -> tuple[int, str, int, str]:
            (old, new), _ = item
            return (rank.get(old, len(rank)), old, rank.get(new, len(rank)), new)

        return [(old, new, n) for (old, new), n in sorted(counts.items(), key=order)]

    @property
    def changed(self) -> tuple[RequestImpact, ...]:
        return tuple(r for r in self.requests if r.outcome_changed)

    @property
    def score_changes(self) -> tuple[RequestImpact, ...]:
        return tuple(r for r in self.requests if r.score_change is not None and abs(r.score_change) > self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "as_of": self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "requests": len(self.requests),
            "transitions": [{"from": o, "to": n, "count": c} for o, n, c in self.transitions],
            "changed": [r.to_dict() for r in self.changed],
            "score_threshold": self.threshold,
            "score_changes": [r.to_dict() for r in self.score_changes],
            "unreadable": list(self.unreadable),
        }


def _number(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 6)


def _signature(rule: Rule) -> tuple[Any, ...]:
    """A rule's content without its position: what a change of its text would change."""
    return (
        rule.stage,
        rule.criterion,
        rule.when,
        rule.reason,
        rule.cite,
        rule.status,
        rule.exception,
        rule.covers,
        rule.outcome,
        rule.exception_decision,
        rule.effective_from,
        rule.effective_until,
    )


def changed_rule_ids(old: Policy, new: Policy) -> set[str]:
    """Rule ids added, removed, or whose content differs between the two policies."""

    def by_id(policy: Policy) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for rule in policy.all_rules():
            out.setdefault(rule.id, []).append(_signature(rule))
        return out

    a, b = by_id(old), by_id(new)
    return {rid for rid in set(a) | set(b) if a.get(rid) != b.get(rid)}


def _side(result: Result) -> Side:
    if result.decision is not None:
        d = result.decision
        return Side(d.outcome, d.priority_score, d.rules_fired)
    label = RULE_ERROR if result.internal else INVALID
    return Side(label, None, (), tuple(str(e) for e in result.errors))


def compare(
    base: Engine,
    head: Engine,
    items: Sequence[Item],
    as_of: date | None,
    *,
    base_label: str,
    head_label: str,
    threshold: float = 0,
) -> ImpactReport:
    """Evaluate ``items`` with both engines on one date and compare request by request."""
    when = as_of or date.today()
    old_results = list(evaluate_items(base, items, when))
    new_results = list(evaluate_items(head, items, when))
    edited = changed_rule_ids(base.policy, head.policy)
    impacts: list[RequestImpact] = []
    unreadable: list[str] = []
    for old, new in zip(old_results, new_results, strict=True):
        record = old.record or new.record
        same_errors = [str(e) for e in old.errors] == [str(e) for e in new.errors]
        if record is None and old.decision is None and new.decision is None and same_errors:
            # Not a request under either rule set (unreadable, or invalid both times alike).
            unreadable.extend(str(e) for e in old.errors)
            continue
        request_id = str(record.get("id")) if record else old.location.prefix()
        a, b = _side(old), _side(new)
        now = tuple(r for r in dict.fromkeys(b.fired) if r not in a.fired)
        gone = tuple(r for r in dict.fromkeys(a.fired) if r not in b.fired)
        touched = tuple(r for r in dict.fromkeys(a.fired + b.fired) if r in edited)
        impacts.append(RequestImpact(request_id, old.location.prefix(), a, b, now, gone, touched))
    outcomes = tuple(dict.fromkeys([*base.policy.vocab.outcomes, *head.policy.vocab.outcomes, INVALID, RULE_ERROR]))
    return ImpactReport(
        base_label,
        head_label,
        when,
        "given" if as_of else "today",
        threshold,
        tuple(impacts),
        tuple(unreadable),
        outcomes,
    )


# -- output ------------------------------------------------------------------------


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _rule_lines(r: RequestImpact) -> list[str]:
    parts = []
    if r.now_firing:
        parts.append(f"now firing: {', '.join(r.now_firing)}")
    if r.no_longer_firing:
        parts.append(f"no longer firing: {', '.join(r.no_longer_firing)}")
    if r.changed_rules:
        parts.append(f"changed rules that fired: {', '.join(r.changed_rules)}")
    lines = [f"      {p}" for p in parts]
    for side, errors in (("old", r.old.errors), ("new", r.new.errors)):
        lines.extend(f"      {side} rules: {e}" for e in errors)
    return lines


def render_text(report: ImpactReport) -> str:
    n = len(report.requests)
    lines = [
        f"Impact of {report.base} -> {report.head} on {n} request{'s' if n != 1 else ''},"
        f" as of {report.as_of.isoformat()} ({report.as_of_source})",
        "",
        "Outcome transitions:",
    ]
    width = max((len(str(c)) for _, _, c in report.transitions), default=1)
    for old, new, count in report.transitions:
        mark = "   changed" if old != new else ""
        lines.append(f"  {count:>{width}}  {old} -> {new}{mark}")
    changed = report.changed
    lines.append("")
    lines.append(f"Requests whose outcome changed ({len(changed)}):" if changed else "No request changes outcome.")
    for r in changed:
        scores = f"score {_score(r.old.score)} -> {_score(r.new.score)}"
        lines.append(f"  {r.request_id} ({r.source}): {r.old.outcome} -> {r.new.outcome}; {scores}")
        lines.extend(_rule_lines(r))
    moved = report.score_changes
    lines.append("")
    beyond = f"beyond {report.threshold:g}"
    lines.append(f"Score changes {beyond} ({len(moved)}):" if moved else f"No score changes {beyond}.")
    for r in moved:
        delta = f"{r.score_change or 0:+g}"
        lines.append(
            f"  {r.request_id}: {_score(r.old.score)} -> {_score(r.new.score)} ({delta}); {r.old.outcome} -> {r.new.outcome}"
        )
    for text in report.unreadable:
        lines.append(f"not evaluated: {text}")
    return "\n".join(lines)


def render_json(report: ImpactReport) -> str:
    return canonical_json(report.to_dict())


CSV_COLUMNS = (
    "request_id",
    "source",
    "old_outcome",
    "new_outcome",
    "outcome_changed",
    "old_score",
    "new_score",
    "score_change",
    "now_firing",
    "no_longer_firing",
    "changed_rules",
)


def render_csv(report: ImpactReport) -> str:
    """One row per request (changed or not), for spreadsheets and scripts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.requests:
        writer.writerow(_csv_row(r.to_dict(), r.outcome_changed))
    return out.getvalue().rstrip("\n")


def _csv_row(row: Mapping[str, Any], changed: bool) -> list[str]:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        return str(value)

    values = dict(row, outcome_changed="yes" if changed else "no")
    return [cell(values[c]) for c in CSV_COLUMNS]


def read_items(paths: Iterable[str], stdin: Any = None) -> list[Item]:
    from ..batches.inputs import read_requests

    return list(read_requests(list(paths), stdin))
