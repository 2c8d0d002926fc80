"""One-change mutants of the shipped policy files, and the pinned decisions that must catch them.

:func:`mutants` walks the parsed documents of ``rules/*.yaml`` and ``criteria/*.yaml`` and
makes one change at a time to what a decision is built from: every cited paragraph and
source, every reason's wording and the fields it quotes, every status, exception, cover and
outcome a rule sets, every operand and operator of a ``when`` test, every score, weight,
threshold and label.  :class:`Pinned` holds what the shipped policy gives (the examples'
JSON and text, the golden cases' whole decisions, the golden and the authors' cases) and
says, for a mutant's engine, which of them notices the change.

The ruleset hash in a decision changes with every byte of the policy; it is left out of
the comparison, or every mutant would be "caught" by it alone.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from engine.authoring.cases import Case, check_case, load_cases
from engine.authoring.casetest import default_case_dir
from engine.errors import EngageError
from engine.evaluation.evaluator import Engine
from engine.evaluation.render import render_decision
from engine.policy.documents import Document, load_file

from .support import ROOT

AS_OF = date(2026, 11, 24)  # the date the examples' pinned decisions were made for
PINNED = ROOT / "tests" / "golden" / "decisions"
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
_HASH = re.compile(r'"hash": ?"sha256:[0-9a-f]{64}"')
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_NEXT_STATUS = {"met": "partial", "partial": "unmet", "unmet": "unknown", "unknown": "met"}
_NEXT_EXCEPTION = {"absent": "valid", "valid": "invalid", "invalid": "absent"}
_NEXT_BOUND = {"ge": "gt", "gt": "ge", "le": "lt", "lt": "le"}
_OPPOSITE = {"equals": "not_equals", "not_equals": "equals", "in": "not_in", "not_in": "in"}

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mutant:
    kind: str  # what sort of change: cite.para, reason.wording, when.operand, ...
    file: str  # "rules/outcome.yaml"
    where: Path_  # the changed value's place in the document
    change: str  # "19(b) -> 19(c)"
    data: Any  # the whole mutated document

    @property
    def name(self) -> str:
        return f"{self.file} {_dotted(self.where)}: {self.kind}: {self.change}"


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _with(data: Any, path: Path_, value: Any) -> Any:
    out = copy.deepcopy(data)
    _get(out, path[:-1])[path[-1]] = value
    return out


def _without(data: Any, path: Path_) -> Any:
    out = copy.deepcopy(data)
    del _get(out, path[:-1])[path[-1]]
    return out


# -- the values a field can take, for operands ------------------------------------------


def field_domains(criteria: Path) -> dict[str, list[Any]]:
    """Each request field's possible values (choices, vocabularies, yes/no), and the outcome table's inputs."""
    vocab = load_file(criteria / "vocabularies.yaml")[0].data
    fields = load_file(criteria / "fields.yaml")[0].data["fields"]
    domains: dict[str, list[Any]] = {}
    for f in fields:
        if f["type"] == "yes_no":
            domains[f["path"]] = [True, False]
        elif "values" in f:
            domains[f["path"]] = list(f["values"])
        elif f.get("vocabulary") in vocab:
            domains[f["path"]] = list(vocab[f["vocabulary"]])
    conditions = [load_file(p)[0].data for p in sorted(criteria.glob("*.yaml"))]
    names = [c["name"] for c in conditions if c.get("kind") == "condition"]
    waivable = [c["name"] for c in conditions if c.get("kind") == "condition" and c.get("waivable")]
    domains["exception.waives"] = waivable
    for name in names:
        domains[f"status.{name}"] = list(vocab["statuses"])
        domains[f"covers.{name}"] = [True, False]
    domains["status.exception"] = list(_NEXT_EXCEPTION)
    domains["outcome"] = list(vocab["outcomes"])  # what an outcome line may decide; no request field has this name
    return domains


def _other(domain: list[Any], value: Any) -> Any:
    """The value after ``value`` in ``domain``, cyclically (``None`` when there is no other)."""
    if value not in domain or len(domain) < 2:
        return None
    return domain[(domain.index(value) + 1) % len(domain)]


def _fewer_words(text: str) -> str | None:
    """``text`` without its last word that is not inside a placeholder: a change of wording."""
    spans = [m.span() for m in _PLACEHOLDER.finditer(text)]
    words = [m for m in _WORD.finditer(text) if not any(a <= m.start() < b for a, b in spans)]
    if len(words) < 2:
        return None
    last = words[-1]
    return (text[: last.start()].rstrip() + text[last.end() :]).strip()


def _neighbour_para(para: str) -> str:
    """The paragraph next to ``para``: 19(b) -> 19(c), 26 -> 25, 18-20 -> 18-21, preamble -> 1."""
    if m := re.fullmatch(r"(\d+)\(([a-z])\)", para):
        letter = "a" if m[2] == "d" else chr(ord(m[2]) + 1)
        return f"{m[1]}({letter})"
    if m := re.fullmatch(r"(\d+)-(\d+)", para):
        return f"{m[1]}-{int(m[2]) + 1}"
    if para.isdigit():
        number = int(para)
        return str(number - 1 if number > 1 else number + 1)
    return "1"


# -- the mutants -------------------------------------------------------------------------


def mutants(rules: Path = ROOT / "rules", criteria: Path = ROOT / "criteria") -> list[Mutant]:
    """Every one-change mutant of the policy in ``rules`` and ``criteria``, in a fixed order."""
    domains = field_domains(criteria)
    sources = load_file(criteria / "sources.yaml")[0].data["sources"]
    quotable = [f["path"] for f in load_file(criteria / "fields.yaml")[0].data["fields"] if f["type"] in ("text", "choice")]
    found: list[Mutant] = []
    for path in sorted(rules.glob("*.yaml")):
        data = load_file(path)[0].data
        found.extend(_rule_file(f"rules/{path.name}", data, domains, sources, quotable))
    for path in sorted(criteria.glob("*.yaml")):
        data = load_file(path)[0].data
        found.extend(_criteria_file(f"criteria/{path.name}", data, domains, sources))
    return found


def _cites(file: str, data: Any, at: Path_, sources: list[Mapping[str, Any]]) -> Iterator[Mutant]:
    cites = _get(data, at)
    for i, cite in enumerate(cites):
        here = at + (i,)
        if "para" in cite:
            para = str(cite["para"])
            yield Mutant(
                "cite.para",
                file,
                here + ("para",),
                f"{para} -> {_neighbour_para(para)}",
                _with(data, here + ("para",), _neighbour_para(para)),
            )
        numbered = next(s["numbered_paragraphs"] for s in sources if s["symbol"] == cite["source"])
        alike = [s["symbol"] for s in sources if s["numbered_paragraphs"] == numbered]
        other = _other(alike, cite["source"])
        if other is not None:
            yield Mutant(
                "cite.source", file, here + ("source",), f"{cite['source']} -> {other}", _with(data, here + ("source",), other)
            )
        if len(cites) > 1:
            yield Mutant(
                "cite.dropped", file, here, f"{cite['source']} {cite.get('para', '')}".strip() + " dropped", _without(data, here)
            )


def _first_language(data: Any, at: Path_) -> tuple[Path_, str]:
    """A text of the policy and where it is: in several languages, its first (English), which decisions and pinned texts carry."""
    text = _get(data, at)
    if isinstance(text, dict):
        return at + ("en",), str(text["en"])
    return at, str(text)


def _reason(file: str, data: Any, at: Path_, quotable: list[str]) -> Iterator[Mutant]:
    at, text = _first_language(data, at)
    shorter = _fewer_words(text)
    if shorter is not None:
        yield Mutant("reason.wording", file, at, f"last word of {text[-30:]!r} dropped", _with(data, at, shorter))
    for name in dict.fromkeys(_PLACEHOLDER.findall(text)):
        other = (
            next((q for q in quotable[quotable.index(name) + 1 :] + quotable if q != name), None) if name in quotable else None
        )
        other = other or "request.title"
        yield Mutant(
            "reason.quote", file, at, f"{{{name}}} -> {{{other}}}", _with(data, at, text.replace(f"{{{name}}}", f"{{{other}}}"))
        )


def _when(file: str, data: Any, at: Path_, domains: Mapping[str, list[Any]]) -> Iterator[Mutant]:
    node = _get(data, at)
    for joint in ("all", "any"):
        if joint in node:
            children = node[joint]
            swapped = "any" if joint == "all" else "all"
            if len(children) > 1:
                yield Mutant("when.joint", file, at + (joint,), f"{joint} -> {swapped}", _with(data, at, {swapped: children}))
                for i in range(len(children)):
                    yield Mutant(
                        "when.dropped", file, at + (joint, i), "one test of the group dropped", _without(data, at + (joint, i))
                    )
            for i in range(len(children)):
                yield from _when(file, data, at + (joint, i), domains)
            return
    if "not" in node:
        yield Mutant("when.not", file, at, "not dropped", _with(data, at, node["not"]))
        yield from _when(file, data, at + ("not",), domains)
        return
    field = node["field"]
    domain = domains.get(field, [])
    for op, value in node.items():
        if op == "field":
            continue
        here = at + (op,)
        if op == "is":
            other = "known" if value == "unknown" else "unknown"
            yield Mutant("when.operand", file, here, f"{field} is {value} -> {other}", _with(data, here, other))
        elif op in ("equals", "not_equals", "contains"):
            other = _other(domain, value)
            if other is not None:
                yield Mutant("when.operand", file, here, f"{field} {op} {value} -> {other}", _with(data, here, other))
        elif op in ("in", "not_in"):
            for i, item in enumerate(value):
                if len(value) > 1:
                    yield Mutant("when.operand", file, here + (i,), f"{field} {op}: {item} dropped", _without(data, here + (i,)))
            spare = [v for v in domain if v not in value]
            if spare:
                yield Mutant("when.operand", file, here, f"{field} {op}: {spare[0]} added", _with(data, here, [*value, spare[0]]))
        if op in _NEXT_BOUND:
            moved = {("field" if k == "field" else _NEXT_BOUND[op] if k == op else k): v for k, v in node.items()}
            yield Mutant("when.operator", file, at, f"{field} {op} -> {_NEXT_BOUND[op]}", _with(data, at, moved))
        if op in _OPPOSITE:
            flipped = {("field" if k == "field" else _OPPOSITE[op] if k == op else k): v for k, v in node.items()}
            yield Mutant("when.operator", file, at, f"{field} {op} -> {_OPPOSITE[op]}", _with(data, at, flipped))


def _rule_file(
    file: str, data: Any, domains: Mapping[str, list[Any]], sources: list[Any], quotable: list[str]
) -> Iterator[Mutant]:
    criteria = sorted({k.split(".", 1)[1] for k in domains if k.startswith("covers.")})
    for i, rule in enumerate(data["rules"]):
        at: Path_ = ("rules", i)
        if "when" in rule:
            yield from _when(file, data, at + ("when",), domains)
        else:
            yield Mutant(
                "when.added",
                file,
                at + ("when",),
                "the catch-all line gets a test",
                _with(data, at + ("when",), {"field": "request.kind", "equals": "training"}),
            )
        for key, cycle in (("status", _NEXT_STATUS), ("exception", _NEXT_EXCEPTION)):
            if key in rule:
                yield Mutant(
                    f"sets.{key}",
                    file,
                    at + (key,),
                    f"{rule[key]} -> {cycle[rule[key]]}",
                    _with(data, at + (key,), cycle[rule[key]]),
                )
        if "covers" in rule:
            other = _other(criteria, rule["covers"])
            yield Mutant(
                "sets.covers", file, at + ("covers",), f"{rule['covers']} -> {other}", _with(data, at + ("covers",), other)
            )
        if "outcome" in rule:
            other = _other(domains["outcome"], rule["outcome"])
            yield Mutant(
                "sets.outcome", file, at + ("outcome",), f"{rule['outcome']} -> {other}", _with(data, at + ("outcome",), other)
            )
        if "exception_decision" in rule:
            other = "rejected" if rule["exception_decision"] == "applied" else "applied"
            yield Mutant(
                "sets.exception_decision",
                file,
                at + ("exception_decision",),
                f"{rule['exception_decision']} -> {other}",
                _with(data, at + ("exception_decision",), other),
            )
        yield from _reason(file, data, at + ("reason",), quotable)
        yield from _cites(file, data, at + ("cite",), sources)
        if data["stage"] == "outcome" and i + 1 < len(data["rules"]) - 1:  # the last line is the catch-all
            swapped = copy.deepcopy(data)
            swapped["rules"][i], swapped["rules"][i + 1] = swapped["rules"][i + 1], swapped["rules"][i]
            yield Mutant("outcome.order", file, at, f"lines {i + 1} and {i + 2} swapped", swapped)


def _number(file: str, data: Any, at: Path_, kind: str, step: float = 1) -> Mutant:
    value = _get(data, at)
    new = round(value + step, 6) if isinstance(value, float) else value + int(step) if step == int(step) else value + step
    return Mutant(kind, file, at, f"{value} -> {new}", _with(data, at, new))


def _criteria_file(file: str, data: Any, domains: Mapping[str, list[Any]], sources: list[Any]) -> Iterator[Mutant]:
    kind = data["kind"]
    if kind == "condition":
        used = "abcd"
        yield Mutant(
            "criterion.letter",
            file,
            ("letter",),
            f"{data['letter']} -> e" if data["letter"] in used else "-> a",
            _with(data, ("letter",), "e"),
        )
        for key in ("title", "label"):
            if key in data:
                at, text = _first_language(data, (key,))
                if shorter := _fewer_words(text):
                    yield Mutant(f"criterion.{key}", file, at, "last word dropped", _with(data, at, shorter))
        yield Mutant(
            "criterion.waivable",
            file,
            ("waivable",),
            f"{data['waivable']} -> {not data['waivable']}",
            _with(data, ("waivable",), not data["waivable"]),
        )
        yield from _cites(file, data, ("cite",), sources)
    elif kind == "priority":
        for status in data["conditions"]["points"]:
            yield _number(file, data, ("conditions", "points", status), "score.condition_points")
        for i, name in enumerate(data["conditions"]["criteria"]):
            yield Mutant(
                "score.criteria",
                file,
                ("conditions", "criteria", i),
                f"{name} dropped",
                _without(data, ("conditions", "criteria", i)),
            )
        for i, factor in enumerate(data["factors"]):
            for key in ("points", "points_each", "max_points"):
                if key in factor:
                    yield _number(file, data, ("factors", i, key), f"score.factor_{key}")
            at, text = _first_language(data, ("factors", i, "label"))
            if shorter := _fewer_words(text):
                yield Mutant("score.factor_label", file, at, "last word dropped", _with(data, at, shorter))
            yield from _cites(file, data, ("factors", i, "cite"), sources)
        for outcome in data.get("outcome_scores", {}):
            yield _number(file, data, ("outcome_scores", outcome), "score.outcome_score")
        for bound in ("min", "max"):
            yield _number(file, data, ("range", bound), "score.range", step=-1 if bound == "max" else 1)
    elif kind == "vocabularies":
        for status, entry in data["statuses"].items():
            if entry.get("score") is not None:
                yield _number(
                    file, data, ("statuses", status, "score"), "vocabulary.status_score", step=-0.1 if entry["score"] > 0 else 0.1
                )
        for group in ("statuses", "outcomes", "themes", "regions", "mechanisms"):
            for name in data.get(group, {}):
                at, text = _first_language(data, (group, name, "label"))
                yield Mutant("vocabulary.label", file, at, f"{text!r} -> {text + ' x'!r}", _with(data, at, text + " x"))
    elif kind == "sources":
        for i, source in enumerate(data["sources"]):
            if "url" in source:
                yield Mutant(
                    "source.url",
                    file,
                    ("sources", i, "url"),
                    f"{source['symbol']} url changed",
                    _with(data, ("sources", i, "url"), source["url"] + "x"),
                )
    elif kind == "fields":
        for i, f in enumerate(data["fields"]):
            for key in ("label", "question"):
                if key not in f:
                    continue
                at, text = _first_language(data, ("fields", i, key))
                if shorter := _fewer_words(text):
                    yield Mutant(f"field.{key}", file, at, f"{f['path']}: last word dropped", _with(data, at, shorter))
            if "answered_by" in f:
                other = "requester" if f["answered_by"] != "requester" else "office"
                yield Mutant(
                    "field.answered_by",
                    file,
                    ("fields", i, "answered_by"),
                    f"{f['path']}: {f['answered_by']} -> {other}",
                    _with(data, ("fields", i, "answered_by"), other),
                )


# -- writing a mutant policy ---------------------------------------------------------------


def write_policy(mutant: Mutant, target: Path) -> tuple[Path, Path]:
    """The shipped policy under ``target``, with the mutant's file replaced by its mutated document.

    The copy is made once per ``target``; each call puts back the file the last mutant changed.
    """
    rules, criteria = target / "rules", target / "criteria"
    if not rules.is_dir():
        shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("tests"))
        shutil.copytree(ROOT / "criteria", criteria)
    for folder in (rules, criteria):
        for path in folder.glob("*.yaml"):
            shipped = ROOT / folder.name / path.name
            if path.stat().st_size != shipped.stat().st_size or path.read_bytes() != shipped.read_bytes():
                shutil.copyfile(shipped, path)
    path = target / mutant.file
    path.write_text(yaml.safe_dump(mutant.data, sort_keys=False, allow_unicode=True, width=10_000), "utf-8")
    reread = load_file(path)[0].data
    assert reread == mutant.data, f"{mutant.name}: the written file does not read back as the mutant"
    return rules, criteria


# -- what must notice a change -------------------------------------------------------------


def _unhashed(text: str) -> str:
    return _HASH.sub('"hash": "-"', text)


def example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".yaml", ".json"})


def example_outputs(engine: Engine, example: Path) -> tuple[str, str]:
    """What ``engage evaluate EXAMPLE --as-of 2026-11-24`` prints as JSON and as text."""
    doc = load_file(example)[0]
    checked = engine.check(doc.data, doc)
    decision = engine.decide(checked, AS_OF, "given")
    return decision.to_json() + "\n", render_decision(decision, engine.policy, checked.record) + "\n"


def case_outputs(engine: Engine, cases: list[Case], file: str) -> tuple[str, str]:
    """One case file's whole decisions: the JSON of each (by case name) and the text of each, in order.

    A case whose request is refused pins its error codes instead.
    """
    decisions: dict[str, Any] = {}
    texts: list[str] = []
    for case in cases:
        try:
            checked = engine.check(case.request, Document(case.request, file))
        except Exception as exc:  # noqa: BLE001 - a case that expects an error pins its codes
            codes = sorted(e.code for e in getattr(exc, "errors", [exc]))
            decisions[case.name] = {"error": codes}
            texts.append(f"# {case.name}\nerror: {', '.join(codes)}\n")
            continue
        decision = engine.decide(checked, case.as_of)
        decisions[case.name] = decision.to_dict()
        texts.append(f"# {case.name}\n{render_decision(decision, engine.policy, checked.record)}\n")
    return json.dumps(decisions, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "\n".join(texts)


class Pinned:
    """The pinned decisions and the cases, read once; :meth:`caught_by` says what notices a mutant."""

    def __init__(self) -> None:
        self.examples = [
            (
                p,
                _unhashed((PINNED / "examples" / f"{p.stem}.json").read_text("utf-8")),
                (PINNED / "examples" / f"{p.stem}.txt").read_text("utf-8"),
            )
            for p in example_files()
        ]
        self.golden = [
            (
                p,
                load_cases(p),
                _unhashed((PINNED / "cases" / f"{p.stem}.json").read_text("utf-8")),
                (PINNED / "cases" / f"{p.stem}.txt").read_text("utf-8"),
            )
            for p in sorted(GOLDEN.glob("*.yaml"))
        ]
        # The authors' cases, read once: ``engage test`` passes when every one of them does.
        self.authors = [case for path in sorted(default_case_dir(ROOT / "rules").glob("*.yaml")) for case in load_cases(path)]

    def checks(self) -> Iterator[tuple[str, Callable[[Engine], bool]]]:
        """(name, check) for every pinned thing; a check is true when the engine still gives it."""
        for path, json_text, text in self.examples:
            yield f"examples/{path.name}", lambda e, p=path, j=json_text, t=text: self._example(e, p) == (j, t)
        for path, cases, as_json, as_text in self.golden:
            yield (
                f"golden decisions of {path.name}",
                lambda e, p=path, c=cases, j=as_json, t=as_text: self._cases(e, c, p) == (j, t),
            )
        for path, cases, _, _ in self.golden:
            yield f"golden cases of {path.name}", lambda e, c=cases: all(not check_case(e, case)[1] for case in c)
        yield "authors' cases (engage test)", lambda e: all(not check_case(e, case)[1] for case in self.authors)

    @staticmethod
    def _cases(engine: Engine, cases: list[Case], path: Path) -> tuple[str, str]:
        as_json, as_text = case_outputs(engine, cases, str(path))
        return _unhashed(as_json), as_text

    @staticmethod
    def _example(engine: Engine, path: Path) -> tuple[str, str]:
        try:
            as_json, as_text = example_outputs(engine, path)
        except EngageError as exc:
            return f"rejected: {exc}", ""
        return _unhashed(as_json), as_text

    def caught_by(self, rules: Path, criteria: Path) -> str | None:
        """The first pinned thing the policy in ``rules``/``criteria`` changes, or None when it changes none."""
        try:
            engine = Engine.load(rules, criteria)
        except EngageError as exc:
            return f"the loader: {str(exc).splitlines()[0]}"
        with engine:
            for name, check in self.checks():
                try:
                    held = check(engine)
                except EngageError:  # e.g. a rule conflict where the pinned decision has none
                    held = False
                if not held:
                    return name
        return None
