"""The fields of a request, declared in the policy's ``kind: fields`` file, and the JSON Schema made from them.

``criteria/fields.yaml`` lists every field: its path, type, values (or the vocabulary they come
from), whether it is required, a label, a help sentence, the question to ask for it and who can
answer it.  :func:`request_schema` turns that into the JSON Schema every request is validated
against (a field left out or ``null`` is unknown, so every optional field also admits ``null``);
the intake template, the web form and the loader's cross-checks all read that schema or the
:class:`~engine.policy.model.Fields` themselves, so a field is added by one entry in the file.

``engine/schemas/request.schema.json`` is this schema for the shipped policy, kept for editors'
``# yaml-language-server`` lines; a test checks that it is what the shipped files generate
(regenerate it with ``engage schema request > engine/schemas/request.schema.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import Location
from ..i18n.said import say
from .documents import Document
from .model import FieldDef, FieldGroup, Fields, Vocabularies
from .texts import TextReader, one_line

SCHEMA_ID = "https://engage.example/schemas/request.schema.json"
TITLE = "Engage request for technical cooperation"
DESCRIPTION = "One request for technical cooperation. A field that is absent or null is unknown; the engine never guesses it."
WAIVABLE = "waivable_criteria"  # the vocabulary of the criteria an exception may waive

# What each type of field may say besides path, type, label, help, question, answered_by, required.
_OPTIONS = {
    "yes_no": set(),
    "choice": {"values", "vocabulary", "labels"},
    "text": {"max_length"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum"},
    "date": set(),
    "list": {"values", "vocabulary", "labels", "max_length", "unique", "max_items"},
    "records": {"max_items", "fields"},
}
_KEYS = ("values", "vocabulary", "labels", "max_length", "minimum", "maximum", "unique", "max_items", "fields")

Report = Callable[[str, str, Location], None]


# The pattern of a required reference (the packaged request schema's "id"): no control, bidirectional
# or zero-width character anywhere, and no space at either end.
REFERENCE_PATTERN = (
    "^(?![\\s\\S]*[\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064"
    "\\u2066-\\u2069\\ufeff])\\S(.*\\S)?$"
)


def _field(raw: Mapping[str, Any], doc: Document, at: tuple[Any, ...], key: str, texts: TextReader) -> FieldDef:
    values = raw.get("values")
    subs = tuple(_field(s, doc, at + ("fields", i), "name", texts) for i, s in enumerate(raw.get("fields", ())))
    return FieldDef(
        path=raw[key],
        type=raw["type"],
        label=texts.read(raw["label"], doc, at + ("label",)),
        help=texts.read(raw["help"], doc, at + ("help",), one_line),
        answered_by=raw.get("answered_by", ""),
        question=texts.optional(raw, "question", doc, at, one_line),
        required=bool(raw.get("required", False)),
        values=tuple(values) if values is not None else None,
        labels={str(k): texts.read(v, doc, at + ("labels", k), one_line) for k, v in (raw.get("labels") or {}).items()},
        vocabulary=raw.get("vocabulary"),
        max_length=raw.get("max_length"),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        unique=bool(raw.get("unique", False)),
        max_items=raw.get("max_items"),
        fields=subs,
        location=doc.locate(at + (key,)),
    )


def read_fields(data: Mapping[str, Any], doc: Document, texts: TextReader | None = None) -> Fields:
    """The fields and groups of a schema-valid ``kind: fields`` document (``texts``: the policy's languages)."""
    texts = texts or TextReader()
    fields = tuple(_field(raw, doc, ("fields", i), "path", texts) for i, raw in enumerate(data["fields"]))
    groups = tuple(
        FieldGroup(
            g["name"],
            texts.read(g["label"], doc, ("groups", i, "label")),
            texts.read(g["help"], doc, ("groups", i, "help"), one_line),
            texts.optional(g, "only_when", doc, ("groups", i), one_line),
        )
        for i, g in enumerate(data.get("groups", ()))
    )
    return Fields(fields, groups)


def check_fields(fields: Fields, data: Mapping[str, Any], doc: Document, report: Report) -> None:
    """Cross-checks the file's schema cannot make: duplicates, groups, options that do not apply."""
    seen: dict[str, FieldDef] = {}
    groups = {f.group for f in fields.fields if f.group}
    for i, f in enumerate(fields.fields):
        at = ("fields", i)
        if f.path in seen:
            first = seen[f.path].location.prefix()
            report(
                "duplicate-field",
                say("the field '{path}' is declared twice (first at {first})", path=f.path, first=first),
                f.location,
            )
            continue
        seen[f.path] = f
        if f.path in groups:
            report(
                "bad-field", say("'{path}' is a field and also the group of other fields; rename one", path=f.path), f.location
            )
        if f.required and f.group:
            report("bad-field", say("only a field outside a group can be required"), doc.locate(at + ("required",), key=True))
        _check_options(f, data["fields"][i], doc, at, report)
    named: set[str] = set()
    for i, g in enumerate(fields.groups):
        loc = doc.locate(("groups", i, "name"))
        if g.name in named:
            report("duplicate-field", say("the group '{name}' is described twice", name=g.name), loc)
        named.add(g.name)
        if g.name not in groups:
            report(
                "bad-field",
                say("no field belongs to the group '{name}' (fields of a group are named '{name}.name')", name=g.name),
                loc,
            )
    for name, kind, needed in (
        ("id", "text", say("'{name}' must be a required text field: every decision names its request by it", name="id")),
        (
            "received",
            "date",
            say("'{name}' must be a required date field: every decision names its request by it", name="received"),
        ),
    ):
        found = seen.get(name)
        if found is None or found.type != kind or not found.required:
            where = found.location if found is not None else doc.locate(("fields",), key=True)
            report("bad-field", needed, where)


def _check_options(f: FieldDef, raw: Mapping[str, Any], doc: Document, at: tuple[Any, ...], report: Report) -> None:
    allowed = _OPTIONS[f.type]
    for key in _KEYS:
        if key in raw and key not in allowed:
            report(
                "bad-field",
                say("'{key}' does not apply to a field of type {type}", key=key, type=f.type),
                doc.locate(at + (key,), key=True),
            )
    if f.type == "list" and "values" in raw and "vocabulary" in raw:
        where = doc.locate(at + ("values",), key=True)
        report("bad-field", say("a list takes its values from 'values' or from 'vocabulary', not both"), where)
    if f.type == "list" and "max_length" in raw and ("values" in raw or "vocabulary" in raw):
        where = doc.locate(at + ("max_length",), key=True)
        report("bad-field", say("'max_length' applies to a list of text, not to a list of values"), where)
    if "labels" in raw:
        if f.values is None:
            where = doc.locate(at + ("labels",), key=True)
            report("bad-field", say("'labels' names the words for listed 'values' (a vocabulary labels its own)"), where)
        else:
            for code in raw["labels"]:
                if code not in f.values:
                    report(
                        "bad-field",
                        say("'{code}' is not one of the field's values", code=code),
                        doc.locate(at + ("labels", code), key=True),
                    )
    if f.minimum is not None and f.maximum is not None and f.minimum > f.maximum:
        report("bad-field", say("minimum is greater than maximum"), doc.locate(at + ("minimum",)))
    if f.type == "records":
        required = [s for s in f.fields if s.required]
        if len(f.fields) != 2 or len(required) != 1:
            report(
                "bad-field",
                say(
                    "an entry of records needs exactly two fields, one of them required (a spreadsheet cell holds 'first:second')"
                ),
                doc.locate(at + ("fields",), key=True),
            )
        for j, sub in enumerate(f.fields):
            _check_options(sub, raw["fields"][j], doc, at + ("fields", j), report)


# --- the JSON Schema ------------------------------------------------------------------------


def _values(f: FieldDef, vocab: Vocabularies | None, waivable: Sequence[str], listed: bool) -> list[str] | None:
    """The allowed values; a list's values from a vocabulary are sorted (a list is a set: its order says nothing)."""
    if f.values is not None:
        return list(f.values)
    if f.vocabulary is None:
        return None
    if f.vocabulary == WAIVABLE:
        codes = list(waivable)
    else:
        table: Mapping[str, Any] = getattr(vocab, f.vocabulary, {}) if vocab is not None else {}
        codes = list(table)
    return sorted(codes) if listed else codes


def _nullable(kind: str, required: bool) -> str | list[str]:
    return kind if required else [kind, "null"]


def _text(f: FieldDef, required: bool) -> dict[str, Any]:
    node: dict[str, Any] = {"type": _nullable("string", required)}
    if required:
        # A required reference must not start or end with spaces, nor hold a control, bidirectional or
        # zero-width character: it names the request everywhere, and must be found when looked up.
        node["minLength"] = 1
        if f.max_length is not None:
            node["maxLength"] = f.max_length
        node["pattern"] = REFERENCE_PATTERN
        node["description"] = f.help
        return node
    if f.max_length is not None:
        node["maxLength"] = f.max_length
    node["description"] = f.help
    node["minLength"] = 1
    node["pattern"] = "\\S"
    return node


def _node(f: FieldDef, vocab: Vocabularies | None, waivable: Sequence[str]) -> dict[str, Any]:
    required = f.required
    if f.type == "choice":
        values: list[Any] = list(_values(f, vocab, waivable, listed=False) or [])
        return {"enum": values if required else [*values, None], "description": f.help}
    if f.type == "yes_no":
        return {"type": _nullable("boolean", required), "description": f.help}
    if f.type in ("integer", "number"):
        node: dict[str, Any] = {"type": _nullable(f.type, required)}
        for name in ("minimum", "maximum"):
            value = getattr(f, name)
            if value is not None:
                node[name] = value
        node["description"] = f.help
        return node
    if f.type == "date":
        return {"type": _nullable("string", required), "format": "date", "description": f.help}
    if f.type == "text":
        return _text(f, required)
    node = {"type": _nullable("array", required)}
    if f.type == "records":
        if f.max_items is not None:
            node["maxItems"] = f.max_items
        node["description"] = f.help
        node["items"] = {
            "type": "object",
            "additionalProperties": False,
            "required": [s.path for s in f.fields if s.required],
            "properties": {s.path: _node(s, vocab, waivable) for s in f.fields},
        }
        return node
    if f.unique:
        node["uniqueItems"] = True
    if f.max_items is not None:
        node["maxItems"] = f.max_items
    item: dict[str, Any] = {"type": "string", "minLength": 1}
    if f.max_length is not None:
        item["maxLength"] = f.max_length
    item["pattern"] = "\\S"
    listed = _values(f, vocab, waivable, listed=True)
    if listed is not None:
        item["enum"] = listed
    node["items"] = item
    node["description"] = f.help
    return node


def request_schema(
    fields: Fields, vocab: Vocabularies | None, waivable: Sequence[str], description: str = DESCRIPTION
) -> dict[str, Any]:
    """The JSON Schema of requests that ``fields`` declare, with the vocabularies and waivable criteria applied."""
    properties: dict[str, Any] = {}
    for f in fields.fields:
        if f.group is None:
            properties[f.path] = _node(f, vocab, waivable)
            continue
        group = properties.get(f.group)
        if group is not None and "properties" not in group:
            continue  # a field that is also a group: check_fields reports it
        if group is None:
            about = fields.group(f.group)
            group = {
                "type": ["object", "null"],
                "description": about.help if about is not None else f.group.replace("_", " "),
                "additionalProperties": False,
                "properties": {},
            }
            properties[f.group] = group
        group["properties"][f.path.split(".", 1)[1]] = _node(f, vocab, waivable)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": TITLE,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": [f.path for f in fields.fields if f.required],
        "properties": properties,
    }


__all__ = ["check_fields", "read_fields", "request_schema"]
