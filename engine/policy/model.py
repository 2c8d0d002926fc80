"""Typed records passed between the loader, the compiler, the evaluator and the tools.

Everything here is immutable: a loaded policy is shared by every evaluation (and every
thread) without copying.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from ..errors import Location
from .texts import Text

STATUSES = ("met", "partial", "unmet", "unknown")
EXCEPTION_STATES = ("absent", "valid", "invalid")
STAGES = ("condition", "exception", "outcome")

# Operators of a field test.  Every one has a dual under three-valued logic, so a `not`
# can always be pushed down to a single test (see logic.negate).
OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "lt",
    "le",
    "gt",
    "ge",
    "is",
    "contains",
    "not_contains",
)
AS_OF = "as_of"  # the comparison value that stands for the evaluation date

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Citation:
    source: str
    para: str | None = None

    def text(self) -> str:
        if self.para is None:
            return self.source
        if self.para[:1].isdigit():
            word = "paras" if "-" in self.para or "," in self.para else "para"
            return f"{self.source} {word} {self.para}"
        return f"{self.source}, {self.para}"


@dataclass(frozen=True)
class Test:
    """One field test: ``field`` ``op`` ``value``.

    ``value`` is a scalar, a tuple of scalars (``None`` standing for unknown) for
    ``in``/``not_in``, a :class:`date` or :data:`AS_OF` for date comparisons, and
    ``"known"``/``"unknown"`` for ``is``.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class, despite its name

    field: str
    op: str
    value: object
    location: Location = dataclasses.field(default=Location(), compare=False, hash=False)  # the field path
    value_location: Location = dataclasses.field(default=Location(), compare=False, hash=False)  # the operator's value


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class Always:
    """The condition of a rule written without ``when``."""


Condition = Test | All | AnyOf | Not | Always


def tests_in(cond: Condition) -> Iterator[Test]:
    """Every field test in ``cond``, depth first, in source order."""
    if isinstance(cond, Test):
        yield cond
    elif isinstance(cond, (All, AnyOf)):
        for item in cond.items:
            yield from tests_in(item)
    elif isinstance(cond, Not):
        yield from tests_in(cond.item)


@dataclass(frozen=True, eq=False)  # a rule is the one object the loader made: identity, and cheap to hash
class Rule:
    id: str
    stage: str
    order: int  # position across the policy; in the outcome table it is the line order
    when: Condition
    reason: str
    cite: tuple[Citation, ...]
    description: str = ""
    criterion: str | None = None  # stage "condition": the criterion it sets
    status: str | None = None  # stage "condition"
    exception: str | None = None  # stage "exception": absent / valid / invalid
    covers: str | None = None  # stage "exception": a criterion the exception covers
    outcome: str | None = None  # stage "outcome"
    exception_decision: str | None = None  # stage "outcome": applied / rejected
    effective_from: date | None = None
    effective_until: date | None = None
    location: Location = dataclasses.field(default=Location(), compare=False, hash=False)

    @property
    def effect(self) -> str:
        """The rule's effect in words, e.g. ``status: unmet``."""
        for name in ("status", "exception", "covers", "outcome"):
            value = getattr(self, name)
            if value is not None:
                return f"{name}: {value}"
        return ""  # pragma: no cover - the loader requires an effect

    def in_force(self, on: date) -> bool:
        if self.effective_from is not None and on < self.effective_from:
            return False
        return self.effective_until is None or on <= self.effective_until


@dataclass(frozen=True)
class Criterion:
    name: str
    letter: str
    title: str
    summary: str
    waivable: bool
    cite: tuple[Citation, ...]
    location: Location = dataclasses.field(default=Location(), compare=False, hash=False)
    short: str = ""  # the short name in text (``in-country presence``); else the name in words

    @property
    def label(self) -> str:
        return self.short or self.name.replace("_", " ")


@dataclass(frozen=True)
class Factor:
    id: str
    field: str
    cite: tuple[Citation, ...]
    label: str = ""
    points: float | None = None  # boolean field: points when true
    points_each: float | None = None  # list field: points per entry
    max_points: float | None = None


@dataclass(frozen=True)
class Priority:
    criteria: tuple[str, ...]
    status_points: Mapping[str, float]
    factors: tuple[Factor, ...]
    outcome_scores: Mapping[str, float]
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Vocabularies:
    status_labels: Mapping[str, str]
    status_scores: Mapping[str, float | None]
    outcomes: Mapping[str, Term]
    themes: Mapping[str, Term]
    regions: Mapping[str, Term]
    mechanisms: Mapping[str, Term]


@dataclass(frozen=True)
class Source:
    symbol: str
    title: str
    summary: str
    numbered_paragraphs: bool
    url: str | None = None
    date: str | None = None


FIELD_TYPES = ("yes_no", "choice", "text", "integer", "number", "date", "list", "records")
ANSWERED_BY = ("requester", "office")


@dataclass(frozen=True)
class FieldDef:
    """One field of a request, as ``criteria/fields.yaml`` declares it.

    A field of a record (``priority.recommendations.mechanism``) is a ``FieldDef`` too, in
    ``fields`` of its list; it has no ``answered_by`` of its own (its list's is the one asked).
    """

    path: str
    type: str  # one of FIELD_TYPES
    label: str
    help: str
    answered_by: str = ""  # one of ANSWERED_BY; "" for a field of a record
    question: str = ""  # "is civil society consulted or taking part?"; "" when the file gives none
    required: bool = False
    values: tuple[str, ...] | None = None  # choice or list: the values, when listed in the file
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False, hash=False)  # value -> words
    vocabulary: str | None = None  # choice or list: the vocabulary the values come from
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    max_items: int | None = None
    fields: tuple[FieldDef, ...] = ()  # records: the fields of one entry (paths relative to the entry)
    location: Location = dataclasses.field(default=Location(), compare=False, hash=False)

    @property
    def group(self) -> str | None:
        return self.path.split(".", 1)[0] if "." in self.path else None

    @property
    def ask(self) -> str:
        """The question in plain words, ending with a question mark."""
        text = self.question or self.label
        return text if text.endswith("?") else f"{text}?"


@dataclass(frozen=True)
class FieldGroup:
    name: str
    label: str
    help: str
    # Filled in only in some cases ("an exception is asked for"): left out, its fields are not
    # unknown answers to ask for but a case that does not arise.
    only_when: str = ""


@dataclass(frozen=True)
class Fields:
    """The request's fields, in the order of the form and the template, and their groups."""

    fields: tuple[FieldDef, ...] = ()
    groups: tuple[FieldGroup, ...] = ()

    def get(self, path: str) -> FieldDef | None:
        """The field at ``path``; a field of a record by ``list.field`` (``priority.recommendations.mechanism``)."""
        for f in self.fields:
            if f.path == path:
                return f
            if f.fields and path.startswith(f.path + "."):
                rest = path[len(f.path) + 1 :]
                for sub in f.fields:
                    if sub.path == rest:
                        return sub
        return None

    def group(self, name: str) -> FieldGroup | None:
        for g in self.groups:
            if g.name == name:
                return g
        return None


@dataclass(frozen=True)
class PolicyFile:
    kind: str  # "rules" or "criteria"
    path: str  # relative to its directory, with forward slashes
    sha256: str


@dataclass(frozen=True)
class Policy:
    """A loaded, cross-checked set of criteria and rules."""

    criteria: tuple[Criterion, ...]  # in letter order
    condition_rules: Mapping[str, tuple[Rule, ...]]
    exception_rules: tuple[Rule, ...]
    outcome_rules: tuple[Rule, ...]  # table order
    priority: Priority
    vocab: Vocabularies
    sources: Mapping[str, Source]
    request_schema: Mapping[str, object]  # generated from ``fields`` with the vocabularies applied
    files: tuple[PolicyFile, ...]
    hash: str  # "sha256:" + hex digest over every file's path and bytes
    fields: Fields = Fields()
    rules_dir: str = ""
    criteria_dir: str = ""
    languages: tuple[str, ...] = ("en",)  # the languages the policy declares, its own first
    texts: tuple[Text, ...] = ()  # every translatable text, in the order read: what lint checks

    @property
    def criterion_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.criteria)

    def criterion(self, name: str) -> Criterion:
        for crit in self.criteria:
            if crit.name == name:
                return crit
        raise KeyError(name)

    def all_rules(self) -> tuple[Rule, ...]:
        out: list[Rule] = []
        for crit in self.criteria:
            out.extend(self.condition_rules.get(crit.name, ()))
        out.extend(self.exception_rules)
        out.extend(self.outcome_rules)
        return tuple(out)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.all_rules():
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
