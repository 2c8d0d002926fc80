"""What ``engage lint`` reports: the check ids, findings with their witnesses, the report.

Shared by the solver (:mod:`engine.authoring.lint_solved`, what ``engage lint`` runs) and the
enumeration it replaced (:mod:`engine.authoring.lint_enumerated`, kept as the reference the
tests compare it with on small policies), together with the checks that need neither:
gaps between the versions of a rule, and a mandate declared waivable.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..errors import Location
from ..policy.loader import PLACEHOLDER
from ..policy.model import Policy, Rule

ERROR, WARNING = "error", "warning"
MANDATE = "mandate_integrity"


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    summary: str


CHECKS: Mapping[str, Check] = {
    c.id: c
    for c in (
        Check("rule-conflict", ERROR, "two status rules of one condition (or two exception rules) fire with different effects"),
        Check("rule-gap", ERROR, "a request for which a condition or the exception gets no status, or no outcome line applies"),
        Check("unreachable-rule", ERROR, "a rule that never fires, or an outcome line that earlier lines always take first"),
        Check(
            "mandate-waivable",
            ERROR,
            "an exception that could set aside the integrity of the mandate or another unwaivable condition",
        ),
        Check("version-gap", WARNING, "days between two versions of one rule on which neither is in force"),
        Check("missing-translation", WARNING, "a text of the policy not written in one of the languages the policy declares"),
        Check(
            "translation-placeholders",
            WARNING,
            "a reason whose translation quotes other fields ({field.path}) than the policy's own language",
        ),
    )
}


@dataclass(frozen=True)
class Witness:
    """A request that shows a finding, and the evaluation date it needs."""

    request: Mapping[str, Any]
    as_of: date
    fields: tuple[tuple[str, Any], ...]  # the values that matter (None: unknown)

    def describe(self) -> str:
        return ", ".join(f"{path} {_value_words(value)}" for path, value in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": dict(self.request),
            "as_of": self.as_of.isoformat(),
            "fields": {path: _jsonable(value) for path, value in self.fields},
        }


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # error or warning
    location: Location
    message: str
    witness: Witness | None = None

    def line(self) -> str:
        return f"{self.location.prefix()}: {self.severity}: {self.message} [{self.check}]"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.col or 0, self.check, self.message)

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        out: dict[str, Any] = {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file,
            "line": loc.line,
            "col": loc.col,
        }
        if self.witness is not None:
            out["witness"] = self.witness.to_dict()
        return out


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    rules: int = 0  # rules checked (0 when the files did not load)
    points: int = 0  # points enumerated (the enumeration of engine.authoring.lint_enumerated)
    queries: int = 0  # questions put to the solver (engine.authoring.lint_solved)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def _how(self) -> str:
        if self.points:
            return f"{self.rules} rules checked over {self.points:,} enumerated cases"
        # Not the number of queries: it depends on the models the solver happens to find first.
        return f"{self.rules} rules checked by the solver"

    def summary(self) -> str:
        if not self.findings:
            return f"no problems: {self._how()}"
        words = [f"{self.errors} error{'s' if self.errors != 1 else ''}"]
        if self.warnings:
            words.append(f"{self.warnings} warning{'s' if self.warnings != 1 else ''}")
        checked = f" ({self._how()})" if self.rules else ""
        return ", ".join(words) + checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "errors": self.errors,
            "warnings": self.warnings,
            "rules_checked": self.rules,
        }


def more_words(count: int) -> str:
    if count <= 0:
        return ""
    return f" (and {count:,} more combination{'s' if count > 1 else ''})"


def _value_words(value: Any) -> str:
    if value is None:
        return "is unknown"
    return f"= {_shown(value)}"


def _shown(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def version_findings(policy: Policy) -> list[Finding]:
    """Days between two versions of one rule on which neither is in force."""
    out: list[Finding] = []
    by_id: dict[str, list[Rule]] = {}
    for rule in policy.all_rules():
        by_id.setdefault(rule.id, []).append(rule)
    for rule_id, versions in by_id.items():
        ordered = sorted(versions, key=lambda r: r.effective_from or date.min)
        for before, after in itertools.pairwise(ordered):
            if before.effective_until is None or after.effective_from is None:
                continue
            first_gap = before.effective_until + timedelta(days=1)
            if after.effective_from > first_gap:
                last_gap = after.effective_from - timedelta(days=1)
                span = first_gap.isoformat() if first_gap == last_gap else f"{first_gap} to {last_gap}"
                out.append(
                    finding(
                        "version-gap",
                        after.location,
                        f"no version of '{rule_id}' is in force from {span}: the version at {before.location.prefix()}"
                        f" ends on {before.effective_until}, this one starts on {after.effective_from}",
                    )
                )
    return out


def translation_findings(policy: Policy) -> list[Finding]:
    """Each text lacking a language the policy declares, and each translated reason that quotes other fields.

    A missing text is shown in the policy's first language instead, so it is a warning: the decision
    is right, but a French reader gets an English sentence.  Reported where the text is written.
    """
    out: list[Finding] = []
    first = policy.languages[0]
    for text in policy.texts:
        missing = [lang for lang in policy.languages if not text.translations.get(lang)]
        if missing:
            names = ", ".join(missing)
            written = ", ".join(text.translations) or "none"
            out.append(
                finding(
                    "missing-translation",
                    text.location,
                    f"{text.location.shown_path or 'a text'}: not written in {names} (written in: {written})",
                )
            )
        own = sorted(set(PLACEHOLDER.findall(text.translations.get(first, ""))))
        for lang, written_text in text.translations.items():
            quoted = sorted(set(PLACEHOLDER.findall(written_text)))
            if lang != first and quoted != own:
                out.append(
                    finding(
                        "translation-placeholders",
                        text.location,
                        f"{text.location.shown_path or 'a text'}: the {lang} text quotes {_fields(quoted)},"
                        f" the {first} text {_fields(own)}",
                    )
                )
    return out


def _fields(names: list[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in names) if names else "no field"


def unwaivable(policy: Policy) -> list[str]:
    """The conditions no exception may set aside (the integrity of the mandate always among them)."""
    names = [c.name for c in policy.criteria if not c.waivable]
    if MANDATE in policy.criterion_names and MANDATE not in names:
        names.insert(0, MANDATE)
    return names


def mandate_flag_findings(policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    for crit in policy.criteria:
        if crit.name == MANDATE and crit.waivable:
            out.append(
                finding(
                    "mandate-waivable",
                    crit.location,
                    f"'{MANDATE}' says waivable: true, but the integrity of the mandate can never be waived by an"
                    " exception (policy section 2a; E/CN.4/2006/104 para 19(a))",
                )
            )
    for rule in policy.exception_rules:
        # Covering any other unwaivable condition is a loader error (waiver-not-allowed).
        if rule.covers == MANDATE:
            out.append(
                finding(
                    "mandate-waivable",
                    rule.location,
                    f"'{rule.id}' lets an exception cover '{rule.covers}', which can never be waived",
                )
            )
    return out


def finding(check: str, location: Location, message: str, witness: Witness | None = None) -> Finding:
    return Finding(check, CHECKS[check].severity, location, message, witness)


def sorted_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Errors first, each kind in file order."""
    return tuple(sorted(findings, key=lambda f: (f.severity != ERROR, *f.sort_key())))
