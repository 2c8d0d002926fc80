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
from ..i18n.said import Said, joined, say, say_n
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
        Check("letter-missing", WARNING, "a language the policy declares without a letter template (criteria/letters.yaml)"),
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
        return joined([_value_words(path, value) for path, value in self.fields])

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
        # Only the message is said again in another language: the prefix, severity and check id are for tools.
        return say(
            "{where}: {severity}: {message} [{check}]",
            where=self.location.prefix(),
            severity=self.severity,
            message=self.message,
            check=self.check,
        )

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
            return say("{rules} rules checked over {points} enumerated cases", rules=self.rules, points=f"{self.points:,}")
        # Not the number of queries: it depends on the models the solver happens to find first.
        return say("{rules} rules checked by the solver", rules=self.rules)

    def summary(self) -> str:
        if not self.findings:
            return say("no problems: {how}", how=self._how())
        words = [say_n("{count} error", "{count} errors", self.errors)]
        if self.warnings:
            words.append(say_n("{count} warning", "{count} warnings", self.warnings))
        counts = joined(words)
        return say("{counts} ({how})", counts=counts, how=self._how()) if self.rules else counts

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
    return say_n(" (and {shown} more combination)", " (and {shown} more combinations)", count, shown=f"{count:,}")


def _value_words(path: str, value: Any) -> Said:
    if value is None:
        return say("{path} is unknown", path=path)
    return say("{path} = {value}", path=path, value=_shown(value))


# -- the messages of the semantic checks: one wording for the solver and the enumeration -------------


def conflict_message(later: Rule, earlier: Rule, criterion: str | None, when: str) -> Said:
    if criterion:
        return say(
            "'{later}' ({later_effect}) and '{earlier}' ({earlier_effect}) both fire when {when};"
            " '{criterion}' can have only one status",
            later=later.id,
            later_effect=later.effect,
            earlier=earlier.id,
            earlier_effect=earlier.effect,
            when=when,
            criterion=criterion,
        )
    return say(
        "'{later}' ({later_effect}) and '{earlier}' ({earlier_effect}) both fire when {when};"
        " the exception can have only one state",
        later=later.id,
        later_effect=later.effect,
        earlier=earlier.id,
        earlier_effect=earlier.effect,
        when=when,
    )


def stage_gap_message(criterion: str | None, when: str, more: str) -> Said:
    if criterion:
        return say("no rule gives '{criterion}' a status when {when}{more}", criterion=criterion, when=when, more=more)
    return say("no rule gives the exception a state when {when}{more}", when=when, more=more)


def never_fires_message(rule: Rule) -> Said:
    if rule.effective_from or rule.effective_until:
        return say("'{id}' can never fire: no request makes its condition certainly true on any day it is in force", id=rule.id)
    return say("'{id}' can never fire: no request makes its condition certainly true", id=rule.id)


def outcome_gap_message(when: str, more: str) -> Said:
    return say("no line of the outcome table applies when {when}{more}", when=when, more=more)


def waived_message(line: Rule, name: str, status: object) -> Said:
    return say(
        "'{id}' applies an exception while '{name}' is {status}: the exception would set aside a condition that"
        " can never be waived",
        id=line.id,
        name=name,
        status=status,
    )


def never_decides_message(line: Rule, earlier: list[str]) -> Said:
    if earlier:
        return say(
            "'{id}' never decides: every request it applies to is taken first by an earlier line ({earlier})",
            id=line.id,
            earlier=", ".join(earlier),
        )
    return say("'{id}' can never apply: no request the earlier stages can produce makes its condition true", id=line.id)


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
                span = (
                    first_gap.isoformat()
                    if first_gap == last_gap
                    else say("{first} to {last}", first=first_gap.isoformat(), last=last_gap.isoformat())
                )
                out.append(
                    finding(
                        "version-gap",
                        after.location,
                        say(
                            "no version of '{id}' is in force from {span}: the version at {where}"
                            " ends on {until}, this one starts on {start}",
                            id=rule_id,
                            span=span,
                            where=before.location.prefix(),
                            until=before.effective_until.isoformat(),
                            start=after.effective_from.isoformat(),
                        ),
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
        where = text.location.shown_path or say("a text")
        if missing:
            names = ", ".join(missing)
            written = (
                say(
                    "{text}: not written in {missing} (written in: {written})",
                    text=where,
                    missing=names,
                    written=", ".join(text.translations),
                )
                if text.translations
                else say("{text}: not written in {missing} (written in: none)", text=where, missing=names)
            )
            out.append(finding("missing-translation", text.location, written))
        own = sorted(set(PLACEHOLDER.findall(text.translations.get(first, ""))))
        for lang, written_text in text.translations.items():
            quoted = sorted(set(PLACEHOLDER.findall(written_text)))
            if lang != first and quoted != own:
                out.append(
                    finding(
                        "translation-placeholders",
                        text.location,
                        say(
                            "{text}: the {lang} text quotes {quoted}, the {first} text {own}",
                            text=where,
                            lang=lang,
                            quoted=_fields(quoted),
                            first=first,
                            own=_fields(own),
                        ),
                    )
                )
    return out


def _fields(names: list[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in names) if names else say("no field")


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
                    say(
                        "'{name}' says waivable: true, but the integrity of the mandate can never be waived by an"
                        " exception (policy section 2a; E/CN.4/2006/104 para 19(a))",
                        name=MANDATE,
                    ),
                )
            )
    for rule in policy.exception_rules:
        # Covering any other unwaivable condition is a loader error (waiver-not-allowed).
        if rule.covers == MANDATE:
            out.append(
                finding(
                    "mandate-waivable",
                    rule.location,
                    say("'{id}' lets an exception cover '{covers}', which can never be waived", id=rule.id, covers=rule.covers),
                )
            )
    return out


def finding(check: str, location: Location, message: str, witness: Witness | None = None) -> Finding:
    return Finding(check, CHECKS[check].severity, location, message, witness)


def sorted_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Errors first, each kind in file order."""
    return tuple(sorted(findings, key=lambda f: (f.severity != ERROR, *f.sort_key())))
