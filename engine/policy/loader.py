"""Load ``criteria/`` and ``rules/`` into a cross-checked :class:`~engine.policy.model.Policy`.

Every problem is collected in one pass (a broken file does not hide the problems of the
others) and raised together as :class:`~engine.errors.LoadFailed`, best first.  Each
error names ``file:line:col`` and has a stable code that ``engage lint`` reports as its
check id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import EngageError, LoadFailed, Location, PolicyError
from ..i18n.said import Said, replaced, say
from .documents import Document, load_file
from .fields import DESCRIPTION, check_fields, read_fields, request_schema
from .letters import check_letters, read_letters
from .model import (
    AS_OF,
    All,
    Always,
    AnyOf,
    Citation,
    Condition,
    Criterion,
    Factor,
    Fields,
    Letters,
    Not,
    Policy,
    PolicyFile,
    Priority,
    Rule,
    Source,
    Term,
    Test,
    Vocabularies,
    tests_in,
)
from .schema import (
    FieldCatalog,
    FieldSpec,
    did_you_mean,
    load_schema,
    schema_errors,
    shipped_validator,
)
from .texts import DEFAULT_LANGUAGES, TextReader, one_line

YAML_SUFFIXES = (".yaml", ".yml")
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
# Numbers every layer holds exactly: Python, JSON Schema, and durable-rules' 64-bit integers and doubles.
MAX_EXACT = 2**53 - 1

# Operators each kind of field accepts.
_OPS_BY_KIND = {
    "bool": {"equals", "not_equals", "in", "not_in", "is"},
    "enum": {"equals", "not_equals", "in", "not_in", "is"},
    "string": {"equals", "not_equals", "in", "not_in", "is"},
    "integer": {"equals", "not_equals", "in", "not_in", "lt", "le", "gt", "ge", "is"},
    "number": {"equals", "not_equals", "in", "not_in", "lt", "le", "gt", "ge", "is"},
    "date": {"equals", "not_equals", "in", "not_in", "lt", "le", "gt", "ge", "is"},
    "list": {"contains", "not_contains", "is"},
    "object": {"is"},
}
_KIND_WORDS = {
    "bool": say("a yes/no field"),
    "enum": say("a choice"),
    "string": say("a text field"),
    "integer": say("a whole number"),
    "number": say("a number"),
    "date": say("a date"),
    "list": say("a list"),
    "object": say("a group of fields"),
}


def display_path(path: Path) -> str:
    """A path as users should see it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def policy_files(directory: Path) -> list[Path]:
    """The YAML files directly in ``directory``, sorted by name (sub-folders are not read)."""
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in YAML_SUFFIXES and not p.name.startswith(".")
    )


ANY = "*"  # a rule file whose stage (or criterion) could not be read: it may be any
STAGES = ("condition", "exception", "outcome")
CRITERIA_KINDS = ("condition", "priority", "vocabularies", "sources", "letters")


@dataclass
class _Collector:
    errors: list[EngageError] = field(default_factory=list)
    # Files that are there but did not load whole: (stage, criterion) of a rule file, (kind, name)
    # of a criteria file, ANY when unreadable.  The cross-checks that something is missing
    # (criterion-without-rules, outcome-table-missing, priority-missing, unknown-criterion...) do
    # not fire for what such a file may hold: the file's own errors say what is wrong.
    incomplete: list[tuple[str, str | None]] = field(default_factory=list)
    incomplete_criteria: list[tuple[str, str | None]] = field(default_factory=list)
    rule_ids: dict[str, list[Any]] = field(default_factory=dict)  # file as shown -> the id of each rules[i]

    def add(self, code: str, message: str, location: Location) -> None:
        self.errors.append(PolicyError(code, message, location))

    def covered(self, stage: str, criterion: str | None = None) -> bool:
        """Whether a rule file that did not load whole may hold rules of ``stage`` (and ``criterion``)."""
        return _may_hold(self.incomplete, stage, criterion)

    def may_define(self, kind: str, name: str | None = None) -> bool:
        """Whether a criteria file that did not load whole may be of ``kind`` (a condition: named ``name``)."""
        return _may_hold(self.incomplete_criteria, kind, name)

    def broken_file(self, kind: str, data: Any) -> None:
        """Note a file that is there but did not load whole, with what can be read of its header."""
        header = data if isinstance(data, dict) else {}
        if kind == "rules":
            stage, criterion = header.get("stage"), header.get("criterion")
            known = stage if stage in STAGES else ANY  # a misspelt stage may be any of them
            self.incomplete.append((known, criterion if isinstance(criterion, str) else ANY))
        else:
            what, name = header.get("kind"), header.get("name")
            known = what if what in CRITERIA_KINDS else ANY
            self.incomplete_criteria.append((known, name if isinstance(name, str) else ANY))


def _may_hold(files: Sequence[tuple[str, str | None]], kind: str, name: str | None) -> bool:
    return any(k in (kind, ANY) and (name is None or n in (name, ANY)) for k, n in files)


@dataclass
class _Loaded:
    doc: Document
    data: Mapping[str, Any]
    kind: str  # "rules" or "criteria"
    rel: str
    broken: frozenset[int] = frozenset()  # rule files: the rules[i] with schema errors, left out


def _read(paths: Iterable[Path], kind: str, base: Path, out: _Collector) -> tuple[list[_Loaded], list[PolicyFile]]:
    validator = shipped_validator("rules" if kind == "rules" else "criteria")
    what = "rule file" if kind == "rules" else "criteria file"
    loaded: list[_Loaded] = []
    files: list[PolicyFile] = []
    for path in paths:
        name = display_path(path)
        rel = path.relative_to(base).as_posix()
        try:
            files.append(PolicyFile(kind, rel, hashlib.sha256(path.read_bytes()).hexdigest()))
            docs = load_file(path, name)
        except EngageError as exc:
            out.errors.append(PolicyError(exc.code, exc.message, exc.location))
            out.broken_file(kind, None)
            continue
        if len(docs) != 1:
            several = (
                say("a rule file holds one document, this one holds {count}", count=len(docs))
                if kind == "rules"
                else say("a criteria file holds one document, this one holds {count}", count=len(docs))
            )
            out.add("several-documents", several, docs[1].locate(()))
            out.broken_file(kind, None)
            continue
        doc = docs[0]
        if not isinstance(doc.data, dict):
            not_a_mapping = (
                say("a rule file must be a mapping (field: value), not a list or a value")
                if kind == "rules"
                else say("a criteria file must be a mapping (field: value), not a list or a value")
            )
            out.add("wrong-type", not_a_mapping, doc.locate(()))
            out.broken_file(kind, None)
            continue
        if kind == "rules" and isinstance(doc.data.get("rules"), list):
            out.rule_ids[doc.file] = [r.get("id") if isinstance(r, dict) else None for r in doc.data["rules"]]
        problems = schema_errors(doc.data, validator, doc, what)
        if problems:
            out.errors.extend(PolicyError(p.code, p.message, p.location) for p in problems)
            out.broken_file(kind, doc.data)
            salvaged = _salvage(doc, validator, rel) if kind == "rules" else None
            if salvaged is not None:
                loaded.append(salvaged)
            continue
        loaded.append(_Loaded(doc, doc.data, kind, rel))
    return loaded, files


def _salvage(doc: Document, validator: Any, rel: str) -> _Loaded | None:
    """A rule file whose schema errors all lie inside some of its rules: the file, without those rules.

    Its valid rules then take part in every cross-check (ids, coverage, citations) as if the broken
    ones were not there; errors in the file's own fields (``stage``, ``criterion``, the list
    itself) leave nothing to trust, and the file is only noted as there.
    """
    data = doc.data
    broken: set[int] = set()
    whole_file = False
    for error in validator.iter_errors(data):
        where = tuple(error.absolute_path)
        if len(where) >= 2 and where[0] == "rules" and isinstance(where[1], int):
            broken.add(where[1])
        else:
            whole_file = True
    if whole_file:
        return None
    return _Loaded(doc, data, "rules", rel, frozenset(broken))


def _citations(raw: Sequence[Mapping[str, Any]]) -> tuple[Citation, ...]:
    return tuple(Citation(c["source"], None if c.get("para") is None else str(c["para"])) for c in raw)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class _Builder:
    def __init__(self, out: _Collector, texts: TextReader | None = None) -> None:
        self.out = out
        self.texts = texts or TextReader()
        self.criteria: list[Criterion] = []
        self.priority: Priority | None = None
        self.priority_doc: _Loaded | None = None
        self.vocab: Vocabularies | None = None
        self.vocab_doc: _Loaded | None = None
        self.sources: dict[str, Source] = {}
        self.sources_doc: _Loaded | None = None
        self.fields: Fields | None = None
        self.fields_doc: _Loaded | None = None
        self.letters: Letters | None = None
        self.letters_doc: _Loaded | None = None
        self.citations: list[tuple[Citation, Location]] = []

    # -- criteria ----------------------------------------------------------

    def criteria_file(self, item: _Loaded) -> None:
        data, doc = item.data, item.doc
        kind = data["kind"]
        if kind == "condition":
            cite = _citations(data["cite"])
            self._remember_cites(cite, doc, ("cite",))
            texts = self.texts
            self.criteria.append(
                Criterion(
                    data["name"],
                    data["letter"],
                    texts.read(data["title"], doc, ("title",)),
                    texts.read(data["summary"], doc, ("summary",)),
                    data["waivable"],
                    cite,
                    doc.locate(("name",)),
                    texts.optional(data, "label", doc, ()),
                )
            )
        elif kind == "priority":
            if self._single("priority", item, self.priority_doc):
                self.priority_doc = item
                factors = []
                for i, f in enumerate(data["factors"]):
                    cite = _citations(f["cite"])
                    self._remember_cites(cite, doc, ("factors", i, "cite"))
                    factors.append(
                        Factor(
                            f["id"],
                            f["field"],
                            cite,
                            self.texts.optional(f, "label", doc, ("factors", i)),
                            f.get("points"),
                            f.get("points_each"),
                            f.get("max_points"),
                        )
                    )
                cond = data["conditions"]
                self.priority = Priority(
                    tuple(cond["criteria"]),
                    dict(cond["points"]),
                    tuple(factors),
                    dict(data.get("outcome_scores", {})),
                    data["range"]["min"],
                    data["range"]["max"],
                )
        elif kind == "vocabularies":
            if self._single("vocabularies", item, self.vocab_doc):
                self.vocab_doc = item

                texts = self.texts

                def terms(section: str) -> dict[str, Term]:
                    return {
                        k: Term(
                            k,
                            texts.read(v["label"], doc, (section, k, "label")),
                            texts.optional(v, "description", doc, (section, k)),
                        )
                        for k, v in data[section].items()
                    }

                self.vocab = Vocabularies(
                    {k: texts.read(v["label"], doc, ("statuses", k, "label")) for k, v in data["statuses"].items()},
                    {k: v["score"] for k, v in data["statuses"].items()},
                    terms("outcomes"),
                    terms("themes"),
                    terms("regions"),
                    terms("mechanisms"),
                )
        elif kind == "fields":
            if self._single("fields", item, self.fields_doc):
                self.fields_doc = item
                self.fields = read_fields(data, doc, self.texts)
        elif kind == "letters":
            if self._single("letters", item, self.letters_doc):
                self.letters_doc = item
                self.letters = read_letters(data, doc)
                check_letters(self.letters, doc, self.out.add)
        elif kind == "sources" and self._single("sources", item, self.sources_doc):
            self.sources_doc = item
            for i, s in enumerate(data["sources"]):
                if s["symbol"] in self.sources:
                    self.out.add(
                        "duplicate-source",
                        say("the source '{symbol}' is listed twice", symbol=s["symbol"]),
                        doc.locate(("sources", i, "symbol")),
                    )
                    continue
                self.sources[s["symbol"]] = Source(
                    s["symbol"], s["title"], s["summary"].strip(), s["numbered_paragraphs"], s.get("url"), s.get("date")
                )

    def _single(self, what: str, item: _Loaded, existing: _Loaded | None) -> bool:
        if existing is not None:
            self.out.add(
                f"duplicate-{what}",
                say("a second {kind} file; the first is {file}", kind=what, file=existing.doc.file),
                item.doc.locate(("kind",)),
            )
            return False
        return True

    def _remember_cites(self, cites: Sequence[Citation], doc: Document, path: tuple[Any, ...]) -> None:
        for i, cite in enumerate(cites):
            self.citations.append((cite, doc.locate(path + (i, "source"))))


def _parse_condition(node: Mapping[str, Any], path: tuple[Any, ...], doc: Document) -> Condition:
    if "all" in node:
        return All(tuple(_parse_condition(c, path + ("all", i), doc) for i, c in enumerate(node["all"])))
    if "any" in node:
        return AnyOf(tuple(_parse_condition(c, path + ("any", i), doc) for i, c in enumerate(node["any"])))
    if "not" in node:
        return Not(_parse_condition(node["not"], path + ("not",), doc))
    (op,) = [k for k in node if k != "field"]
    value = node[op]
    if op in ("in", "not_in"):
        value = tuple(value)
    return Test(node["field"], op, value, doc.locate(path + ("field",)), doc.locate(path + (op,)))


class _RuleChecker:
    """Cross-checks of rule files against the catalog and the criteria."""

    def __init__(self, out: _Collector, catalog: FieldCatalog, builder: _Builder) -> None:
        self.out = out
        self.catalog = catalog
        self.builder = builder

    def test(self, test: Test, stage: str) -> Test:
        spec = self.catalog.get(test.field)
        loc = test.location
        if spec is None and self._of_a_broken_criterion(test.field):
            return test  # status.X / covers.X of a criterion whose file did not load: its own errors say why
        if spec is None or (spec.derived and stage != "outcome"):
            hint = self.catalog.suggest(test.field, derived=stage == "outcome")
            if spec is not None:
                message = say(
                    "'{field}' is not a request field (status.* and covers.* are known only in the outcome table)",
                    field=test.field,
                )
            elif stage == "outcome":
                message = (
                    say("'{field}' is not a request or derived field (did you mean '{hint}'?)", field=test.field, hint=hint)
                    if hint
                    else say("'{field}' is not a request or derived field", field=test.field)
                )
            else:
                message = _not_a_request_field(test.field, hint)
            self.out.add("unknown-field", message, loc)
            return test
        allowed = set(_OPS_BY_KIND.get(spec.kind, ()))
        if spec.kind == "list" and spec.item_kind == "object":
            allowed = {"is"}
        if test.op not in allowed:
            ops = ", ".join(sorted(allowed))
            self.out.add(
                "bad-operator",
                say(
                    "'{op}' does not apply to '{field}' ({kind}); use {ops}",
                    op=test.op,
                    field=test.field,
                    kind=_KIND_WORDS[spec.kind],
                    ops=ops,
                ),
                test.value_location,
            )
            return test
        return self._value(test, spec)

    def _of_a_broken_criterion(self, path: str) -> bool:
        prefix, _, name = path.partition(".")
        return prefix in ("status", "covers") and bool(name) and self.out.may_define("condition", name)

    def _value(self, test: Test, spec: FieldSpec) -> Test:
        loc = test.value_location
        if test.op == "is":
            return test
        values = list(test.value) if isinstance(test.value, tuple) else [test.value]
        if spec.kind == "list":
            item_spec = FieldSpec(spec.path, spec.item_kind or "string", spec.enum)
            for v in values:
                self._scalar(test, item_spec, v, loc)
            return test
        converted: list[Any] = []
        for v in values:
            if v is None:
                if test.op not in ("in", "not_in"):  # pragma: no cover - the schema forbids it
                    self.out.add("bad-value", say("null is only allowed in the lists of in / not_in"), loc)
                converted.append(None)
                continue
            converted.append(self._scalar(test, spec, v, loc))
        value = tuple(converted) if isinstance(test.value, tuple) else converted[0]
        return Test(test.field, test.op, value, test.location, test.value_location)

    def _scalar(self, test: Test, spec: FieldSpec, value: Any, loc: Location) -> Any:
        kind = spec.kind
        if kind == "enum":
            if not spec.enum and self.out.incomplete_criteria:
                return value  # a list of values from a criteria file that did not load: nothing to check against
            if test.field == "exception.waives" and self.out.may_define("condition", value):
                return value  # a criterion whose file did not load may be waivable
            if value not in (spec.enum or ()):
                options = [str(v) for v in spec.enum or ()]
                shown = ", ".join(options) if len(options) <= 12 else say("{count} codes", count=len(options))
                hint = did_you_mean(value, options)
                self.out.add(
                    "bad-value",
                    say(
                        "'{value}' is not a value of '{field}' ({shown}){hint}",
                        value=value,
                        field=test.field,
                        shown=shown,
                        hint=hint,
                    ),
                    loc,
                )
            return value
        if kind == "date":
            if value == AS_OF:
                if test.op not in ("lt", "le", "gt", "ge"):
                    self.out.add(
                        "bad-operator", say("as_of can only be compared with lt, le, gt or ge, not with '{op}'", op=test.op), loc
                    )
                return AS_OF
            parsed = iso_date(value)
            if parsed is None:
                self.out.add(
                    "bad-value",
                    say("{value} is not a date (YYYY-MM-DD) or as_of, for '{field}'", value=repr(value), field=test.field),
                    loc,
                )
                return value
            return parsed
        if kind == "bool":
            ok = isinstance(value, bool)
            wrong = say(
                "{value} cannot be compared with '{field}', which holds true or false", value=repr(value), field=test.field
            )
        elif kind in ("integer", "number"):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if ok and abs(value) > MAX_EXACT:
                self.out.add(
                    "bad-value",
                    say("{value} is too large: numbers in rules must lie within ±{limit}", value=repr(value), limit=MAX_EXACT),
                    loc,
                )
                return value
            wrong = say("{value} cannot be compared with '{field}', which holds a number", value=repr(value), field=test.field)
        else:
            ok = isinstance(value, str)
            wrong = say("{value} cannot be compared with '{field}', which holds text", value=repr(value), field=test.field)
        if not ok:
            self.out.add("bad-value", wrong, loc)
        return value

    def placeholders(self, rule_text: str, stage: str, loc: Location) -> None:
        for name in PLACEHOLDER.findall(rule_text):
            if name == AS_OF:
                continue
            spec = self.catalog.get(name)
            if spec is None or (spec.derived and stage != "outcome"):
                hint = self.catalog.suggest(name)
                message = (
                    say("'{{{name}}}' in the reason is not a field (did you mean '{{{hint}}}'?)", name=name, hint=hint)
                    if hint
                    else say("'{{{name}}}' in the reason is not a field", name=name)
                )
                self.out.add("unknown-placeholder", message, loc)


def iso_date(value: Any) -> date | None:
    """``value`` as a date if it is exactly ``YYYY-MM-DD`` and a real day, else None."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def load_policy(rules_dir: Path | str, criteria_dir: Path | str) -> Policy:
    """Load, check and return the policy; raise :class:`LoadFailed` with every problem."""
    rules_path, criteria_path = Path(rules_dir), Path(criteria_dir)
    out = _Collector()
    for path, missing in (
        (criteria_path, say("the criteria directory does not exist")),
        (rules_path, say("the rules directory does not exist")),
    ):
        if not path.is_dir():
            out.add("not-a-directory", missing, Location(display_path(path)))
    if out.errors:
        raise LoadFailed(out.errors)
    crit_files, crit_hashes = _read(policy_files(criteria_path), "criteria", criteria_path, out)
    rule_files, rule_hashes = _read(policy_files(rules_path), "rules", rules_path, out)
    if not crit_hashes:
        out.add("no-files", say("holds no criteria files (*.yaml)"), Location(display_path(criteria_path)))
    if not rule_hashes:
        out.add("no-files", say("holds no rule files (*.yaml)"), Location(display_path(rules_path)))

    declared = _languages(crit_files)
    builder = _Builder(out, TextReader(declared or DEFAULT_LANGUAGES, out.add if declared else None))
    for item in crit_files:
        builder.criteria_file(item)
    criteria = _check_criteria(builder, out, criteria_path)
    names = [c.name for c in criteria]
    waivable = [c.name for c in criteria if c.waivable]
    schema = _request_schema(builder, waivable, out)
    catalog = FieldCatalog(schema, names)
    _check_priority(builder, catalog, criteria, out)

    checker = _RuleChecker(out, catalog, builder)
    condition_rules: dict[str, list[Rule]] = {n: [] for n in names}
    exception_rules: list[Rule] = []
    outcome_rules: list[Rule] = []
    outcome_doc: _Loaded | None = None
    order = 0
    by_id: dict[str, list[_Version]] = {}
    for item in rule_files:
        data, doc = item.data, item.doc
        stage = data["stage"]
        criterion = data.get("criterion")
        if stage == "condition" and criterion not in names:
            if not out.may_define("condition", criterion):  # else its criteria file's own errors say why
                hint = _close(criterion, names)
                out.add(
                    "unknown-criterion",
                    say("'{name}' is not a criterion in the criteria directory{hint}", name=criterion, hint=hint),
                    doc.locate(("criterion",)),
                )
            continue
        if stage == "outcome":
            if outcome_doc is not None:
                out.add(
                    "outcome-table-split",
                    say("the outcome table must be in one file (order decides); the first is {file}", file=outcome_doc.doc.file),
                    doc.locate(("stage",)),
                )
                continue
            outcome_doc = item
        for i, raw in enumerate(data["rules"]):
            at: tuple[Any, ...] = ("rules", i)
            if i in item.broken:  # its errors are reported; its id still counts, so a duplicate is not hidden
                version = _broken_version(raw, stage, criterion, doc.locate(at))
                if version is not None:
                    by_id.setdefault(version.id, []).append(version)
                continue
            when: Condition = Always() if "when" not in raw else _parse_condition(raw["when"], at + ("when",), doc)
            when = _map_tests(when, lambda t, s=stage: checker.test(t, s))
            cite = _citations(raw["cite"])
            builder._remember_cites(cite, doc, at + ("cite",))
            reason = builder.texts.read(raw["reason"], doc, at + ("reason",), one_line)
            label = say("rule '{id}': {path}", id=raw["id"], path="reason")  # as errors name rules
            reason.location = dataclasses.replace(reason.location, label=label)
            for written in reason.translations.values():  # every language quotes fields the rules know
                checker.placeholders(written, stage, doc.locate(at + ("reason",)))
            rule = Rule(
                id=raw["id"],
                stage=stage,
                order=order,
                when=when,
                reason=reason,
                cite=cite,
                description=builder.texts.of_rule(raw, "description", doc, at),
                criterion=criterion,
                status=raw.get("status"),
                exception=raw.get("exception"),
                covers=raw.get("covers"),
                outcome=raw.get("outcome"),
                exception_decision=raw.get("exception_decision"),
                effective_from=_date(raw.get("effective_from")),
                effective_until=_date(raw.get("effective_until")),
                location=doc.locate(at),
            )
            order += 1
            _check_rule(rule, builder, criteria, doc, at, out)
            by_id.setdefault(rule.id, []).append(_Version.of(rule))
            if stage == "condition" and criterion is not None:
                condition_rules[criterion].append(rule)
            elif stage == "exception":
                exception_rules.append(rule)
            else:
                outcome_rules.append(rule)

    _check_ids(by_id, out)
    for crit in criteria:
        if not condition_rules[crit.name] and not out.covered("condition", crit.name):
            out.add("criterion-without-rules", say("no rule file sets the status of '{name}'", name=crit.name), crit.location)
    if outcome_doc is None and rule_hashes and not out.covered("outcome"):
        out.add("outcome-table-missing", say("no rule file has stage: outcome"), Location(display_path(rules_path)))
    missing_exception = not any(r.exception is not None for r in exception_rules)
    if missing_exception and rule_hashes and not out.covered("exception"):
        out.add(
            "exception-rules-missing",
            say("no rule file says when an exception is valid (stage: exception)"),
            Location(display_path(rules_path)),
        )
    for citation, loc in builder.citations:
        _check_citation(citation, loc, builder, out)

    if out.errors:
        raise LoadFailed(_best_first([_by_rule_id(e, out.rule_ids) for e in out.errors]))
    assert builder.priority is not None and builder.vocab is not None
    files = tuple(sorted(crit_hashes, key=lambda f: f.path)) + tuple(sorted(rule_hashes, key=lambda f: f.path))
    return Policy(
        criteria=tuple(criteria),
        condition_rules={k: tuple(v) for k, v in condition_rules.items()},
        exception_rules=tuple(exception_rules),
        outcome_rules=tuple(outcome_rules),
        priority=builder.priority,
        vocab=builder.vocab,
        sources=dict(builder.sources),
        request_schema=schema,
        files=files,
        hash=policy_hash(files),
        fields=builder.fields or Fields(),
        letters=builder.letters or Letters(),
        rules_dir=str(rules_path),
        criteria_dir=str(criteria_path),
        languages=builder.texts.languages,
        texts=tuple(builder.texts.texts),
    )


def _languages(crit_files: Sequence[_Loaded]) -> tuple[str, ...]:
    """The languages the policy declares (``languages:`` of its vocabularies file), its own first; () when none.

    Read before every other file, since each text needs to know which language is the first.
    A text written in a language the policy declares not is an error where it is written; with
    nothing declared (or a vocabularies file that does not load, whose own errors are reported)
    English comes first and no language is refused.
    """
    for item in crit_files:
        if item.data.get("kind") == "vocabularies" and isinstance(item.data.get("languages"), list):
            return tuple(str(lang) for lang in item.data["languages"]) or DEFAULT_LANGUAGES
    return ()  # none declared (or the vocabularies file did not load): English first, and no language is refused


def policy_hash(files: Iterable[PolicyFile]) -> str:
    """A content hash over every file's kind, path and bytes: the identity of a ruleset."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: (f.kind, f.path)):
        digest.update(f"{f.kind}/{f.path}\0{f.sha256}\n".encode())
    return "sha256:" + digest.hexdigest()


def ruleset_hash(rules_dir: Path | str, criteria_dir: Path | str) -> str | None:
    """The :func:`policy_hash` the files would load with, without loading them (None: a directory is missing).

    It is the hash of the bytes, so a policy whose files do not load has one too: a command can
    say which files it read before it reports what is wrong with them.
    """
    files: list[PolicyFile] = []
    for kind, directory in (("criteria", Path(criteria_dir)), ("rules", Path(rules_dir))):
        try:
            for path in policy_files(directory):
                files.append(
                    PolicyFile(kind, path.relative_to(directory).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
                )
        except OSError:
            return None
    return policy_hash(files)


def _map_tests(cond: Condition, fn: Any) -> Condition:
    if isinstance(cond, Test):
        result: Condition = fn(cond)
        return result
    if isinstance(cond, All):
        return All(tuple(_map_tests(c, fn) for c in cond.items))
    if isinstance(cond, AnyOf):
        return AnyOf(tuple(_map_tests(c, fn) for c in cond.items))
    if isinstance(cond, Not):
        return Not(_map_tests(cond.item, fn))
    return cond


def _close(value: Any, options: Sequence[str]) -> str:
    return did_you_mean(value, options)


def _not_a_request_field(name: str, hint: str | None) -> Said:
    if hint:
        return say("'{field}' is not a request field (did you mean '{hint}'?)", field=name, hint=hint)
    return say("'{field}' is not a request field", field=name)


def _check_criteria(builder: _Builder, out: _Collector, criteria_path: Path) -> list[Criterion]:
    seen: dict[str, Criterion] = {}
    letters: dict[str, Criterion] = {}
    for crit in builder.criteria:
        if crit.name in seen:
            out.add("duplicate-criterion", say("the criterion '{name}' is defined twice", name=crit.name), crit.location)
            continue
        if crit.letter in letters:
            out.add(
                "duplicate-criterion",
                say("the letter ({letter}) is already used by '{name}'", letter=crit.letter, name=letters[crit.letter].name),
                crit.location,
            )
        seen[crit.name] = crit
        letters[crit.letter] = crit
    where = Location(display_path(criteria_path))
    if not seen and not out.may_define("condition"):
        out.add("criteria-missing", say("no criteria file has kind: condition"), where)
    for what, doc in (
        ("priority", builder.priority_doc),
        ("vocabularies", builder.vocab_doc),
        ("sources", builder.sources_doc),
        ("fields", builder.fields_doc),
    ):
        if doc is None and not out.may_define(what):
            out.add(f"{what}-missing", say("no criteria file has kind: {kind}", kind=what), where)
    return sorted(seen.values(), key=lambda c: c.letter)


def _request_schema(builder: _Builder, waivable: Sequence[str], out: _Collector) -> Mapping[str, Any]:
    """The request schema the fields file declares; the shipped one when that file is missing or wrong.

    Falling back keeps one broken entry from turning every rule's field into an unknown field.
    """
    item, fields = builder.fields_doc, builder.fields
    if item is None or fields is None:
        return load_schema("request")
    before = len(out.errors)
    check_fields(fields, item.data, item.doc, out.add)
    if len(out.errors) > before:
        return load_schema("request")
    return request_schema(fields, builder.vocab, waivable, str(item.data.get("description", "")).strip() or DESCRIPTION)


def _check_priority(builder: _Builder, catalog: FieldCatalog, criteria: Sequence[Criterion], out: _Collector) -> None:
    prio, item = builder.priority, builder.priority_doc
    if prio is None or item is None:
        return
    doc = item.doc
    names = [c.name for c in criteria]
    for i, name in enumerate(prio.criteria):
        if name not in names and not out.may_define("condition", name):
            out.add(
                "unknown-criterion",
                say("'{name}' is not a criterion{hint}", name=name, hint=_close(name, names)),
                doc.locate(("conditions", "criteria", i)),
            )
    ids: set[str] = set()
    for i, factor in enumerate(prio.factors):
        loc = doc.locate(("factors", i, "field"))
        if factor.id in ids:
            out.add("duplicate-factor", say("the factor id '{id}' is used twice", id=factor.id), doc.locate(("factors", i, "id")))
        ids.add(factor.id)
        spec = catalog.get(factor.field)
        if spec is None or spec.derived:
            hint = catalog.suggest(factor.field, derived=False)
            out.add("unknown-field", _not_a_request_field(factor.field, hint), loc)
        elif factor.points is not None and spec.kind != "bool":
            out.add(
                "bad-factor-field",
                say(
                    "'points' needs a yes/no field; '{field}' is {kind} (use points_each for a list)",
                    field=factor.field,
                    kind=_KIND_WORDS[spec.kind],
                ),
                loc,
            )
        elif factor.points_each is not None and spec.kind != "list":
            out.add(
                "bad-factor-field",
                say("'points_each' needs a list field; '{field}' is {kind}", field=factor.field, kind=_KIND_WORDS[spec.kind]),
                loc,
            )
    if prio.minimum > prio.maximum:
        out.add("bad-range", say("range: min is greater than max"), doc.locate(("range",)))
    if builder.vocab is not None:
        for outcome in prio.outcome_scores:
            if outcome not in builder.vocab.outcomes:
                out.add(
                    "unknown-outcome",
                    say("'{outcome}' is not an outcome in the vocabularies{hint}", outcome=outcome, hint=""),
                    doc.locate(("outcome_scores", outcome), key=True),
                )


def _check_rule(
    rule: Rule, builder: _Builder, criteria: Sequence[Criterion], doc: Document, path: tuple[Any, ...], out: _Collector
) -> None:
    names = {c.name: c for c in criteria}
    if rule.covers is not None:
        loc = doc.locate(path + ("covers",))
        crit = names.get(rule.covers)
        if crit is None and out.may_define("condition", rule.covers):
            pass  # its criteria file did not load: its own errors say why
        elif crit is None:
            out.add(
                "unknown-criterion",
                say("'{name}' is not a criterion{hint}", name=rule.covers, hint=_close(rule.covers, list(names))),
                loc,
            )
        elif not crit.waivable:
            out.add(
                "waiver-not-allowed",
                say("'{name}' can never be waived by an exception (waivable: false in the criteria)", name=rule.covers),
                loc,
            )
    if rule.outcome is not None and builder.vocab is not None and rule.outcome not in builder.vocab.outcomes:
        hint = _close(rule.outcome, list(builder.vocab.outcomes))
        out.add(
            "unknown-outcome",
            say("'{outcome}' is not an outcome in the vocabularies{hint}", outcome=rule.outcome, hint=hint),
            doc.locate(path + ("outcome",)),
        )
    if rule.effective_from and rule.effective_until and rule.effective_from > rule.effective_until:
        out.add("bad-dates", say("effective_from is after effective_until"), doc.locate(path + ("effective_from",)))
    for test in tests_in(rule.when):
        if test.op in ("in", "not_in") and isinstance(test.value, tuple) and len(set(map(repr, test.value))) != len(test.value):
            out.add("bad-value", say("a value is listed twice"), test.value_location)


@dataclass(frozen=True)
class _Version:
    """What the duplicate-id check reads of a rule: also known for a rule with schema errors."""

    id: str
    stage: str
    criterion: str | None
    effective_from: date | None
    effective_until: date | None
    location: Location

    @classmethod
    def of(cls, rule: Rule) -> _Version:
        return cls(rule.id, rule.stage, rule.criterion, rule.effective_from, rule.effective_until, rule.location)


def _broken_version(raw: Any, stage: str, criterion: str | None, location: Location) -> _Version | None:
    """A rule with schema errors, for the duplicate-id check, when its id and its period can be read."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"].strip():
        return None
    period: list[date | None] = []
    for key in ("effective_from", "effective_until"):
        value = raw.get(key)
        day = iso_date(value)
        if value is not None and day is None:
            return None  # the period is itself wrong: nothing to compare
        period.append(day)
    return _Version(raw["id"], stage, criterion, period[0], period[1], location)


_RULE_AT = re.compile(r"rules\[([0-9]+)\](?:\.(.*))?")


def _by_rule_id(error: EngageError, rule_ids: Mapping[str, list[Any]]) -> EngageError:
    """``rules[1].when`` shown as ``rule 'partnership.full': when``: people know a rule by its id."""
    loc = error.location
    ids = rule_ids.get(loc.file or "")
    match = _RULE_AT.fullmatch(loc.path or "") if ids is not None else None
    if ids is None or match is None:
        return error
    index, rest = int(match.group(1)), match.group(2)
    rule_id = ids[index] if index < len(ids) else None
    if not isinstance(rule_id, str) or not rule_id.strip() or (rest or "").split(".")[0] == "id":
        return error  # the id is missing or is what is wrong: the index says which rule
    label = say("rule '{id}': {path}", id=rule_id, path=rest) if rest else say("rule '{id}'", id=rule_id)
    message = replaced(error.message, f"'rules[{index}].", "'")  # "the required field 'cite' is missing"
    return PolicyError(error.code, message, dataclasses.replace(loc, label=label), severity=error.severity)


def _periods_overlap(a: _Version, b: _Version) -> bool:
    a_start, b_start = a.effective_from or date.min, b.effective_from or date.min
    a_end, b_end = a.effective_until or date.max, b.effective_until or date.max
    return a_start <= b_end and b_start <= a_end


def _check_ids(by_id: Mapping[str, list[_Version]], out: _Collector) -> None:
    for rule_id, versions in by_id.items():
        for i, later in enumerate(versions):
            for earlier in versions[:i]:
                if _periods_overlap(earlier, later):
                    where = earlier.location.prefix()
                    out.add(
                        "duplicate-rule-id",
                        say(
                            "the rule id '{id}' is already used at {where} in the same period"
                            " (versions of a rule need effective dates that do not overlap)",
                            id=rule_id,
                            where=where,
                        ),
                        later.location,
                    )
                    break
                if earlier.stage != later.stage or earlier.criterion != later.criterion:
                    out.add(
                        "duplicate-rule-id",
                        say("versions of '{id}' must belong to the same stage and criterion", id=rule_id),
                        later.location,
                    )
                    break


def _check_citation(cite: Citation, loc: Location, builder: _Builder, out: _Collector) -> None:
    source = builder.sources.get(cite.source)
    if source is None:
        if builder.sources:
            hint = _close(cite.source, list(builder.sources))
            out.add(
                "unknown-source", say("'{source}' is not a source in the sources file{hint}", source=cite.source, hint=hint), loc
            )
        return
    if source.numbered_paragraphs and cite.para is None:
        out.add(
            "citation-needs-para",
            say("'{source}' has numbered paragraphs: give the paragraph (para: ...)", source=cite.source),
            loc,
        )


def _best_first(errors: list[EngageError]) -> list[EngageError]:
    # Files that do not parse come first: everything after them may be a consequence.
    def rank(e: EngageError) -> tuple[int, tuple[str, int, int, str]]:
        early = e.code in ("yaml-syntax", "json-syntax", "duplicate-key", "not-utf8", "empty-file", "unsupported-tag")
        return (0 if early else 1, e.sort_key())

    return sorted(errors, key=rank)
