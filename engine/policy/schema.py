"""The JSON Schemas, the field catalog derived from them, and schema errors in plain words.

The schemas of rule, criteria and case files live in ``engine/schemas/``; the request schema
is generated from the policy's fields file (:mod:`.fields`), and the copy in ``engine/schemas/``
is that of the shipped policy.  :class:`FieldCatalog` reads a request schema once so that the
loader can check every field path a rule names, and the compiler knows each field's kind.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ..errors import EngageError, InputError, Location, hidden_character
from .documents import MAX_DIGITS, Document, dotted
from .model import EXCEPTION_STATES, STATUSES

SCHEMA_NAMES = ("request", "rules", "criteria", "cases")


@cache
def load_schema(name: str) -> Mapping[str, Any]:
    """The shipped schema ``request``, ``rules`` or ``criteria`` (read once per process)."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    text = (resources.files("engine") / "schemas" / f"{name}.schema.json").read_text("utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def schema_path(name: str) -> str:
    return str(resources.files("engine") / "schemas" / f"{name}.schema.json")


def validator_for(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def shipped_validator(name: str) -> Draft202012Validator:
    return validator_for(load_schema(name))


# --- the field catalog --------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """What a rule may test on one field path."""

    path: str
    kind: str  # bool, enum, string, integer, number, date, list, object
    enum: tuple[Any, ...] | None = None  # kind "enum": the values; kind "list": the item values
    item_kind: str | None = None  # kind "list": enum, string or object
    leaves: tuple[str, ...] = ()  # kind "object": every leaf path below it
    derived: bool = False  # computed by an earlier stage, only outcome rules read it

    @property
    def ordered(self) -> bool:
        return self.kind in ("integer", "number", "date")


def _kind(node: Mapping[str, Any]) -> str:
    if "enum" in node:
        return "enum"
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    kind = types[0] if types else "any"
    if kind == "string" and node.get("format") == "date":
        return "date"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return "list"
    return str(kind)


class FieldCatalog:
    """Every field path of the request schema, plus the derived fields of the outcome stage."""

    def __init__(self, request_schema: Mapping[str, Any], criteria: Sequence[str]) -> None:
        self.fields: dict[str, FieldSpec] = {}
        self._walk(request_schema, "")
        self.request_paths = tuple(self.fields)
        for name in criteria:
            self.fields[f"status.{name}"] = FieldSpec(f"status.{name}", "enum", STATUSES, derived=True)
            self.fields[f"covers.{name}"] = FieldSpec(f"covers.{name}", "bool", derived=True)
        self.fields["status.exception"] = FieldSpec("status.exception", "enum", EXCEPTION_STATES, derived=True)

    def _walk(self, node: Mapping[str, Any], prefix: str) -> list[str]:
        leaves: list[str] = []
        for name, sub in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            kind = _kind(sub)
            if kind == "object":
                below = self._walk(sub, path + ".")
                self.fields[path] = FieldSpec(path, "object", leaves=tuple(below))
                leaves.extend(below)
                continue
            if kind == "enum":
                self.fields[path] = FieldSpec(path, "enum", tuple(v for v in sub["enum"] if v is not None))
            elif kind == "list":
                items = sub.get("items", {})
                item_kind = _kind(items)
                values = items.get("enum")
                if item_kind == "string" and values is not None:
                    item_kind = "enum"
                self.fields[path] = FieldSpec(path, "list", tuple(values) if values is not None else None, item_kind=item_kind)
            else:
                self.fields[path] = FieldSpec(path, kind)
            leaves.append(path)
        return leaves

    def get(self, path: str) -> FieldSpec | None:
        return self.fields.get(path)

    def suggest(self, path: str, *, derived: bool = True) -> str | None:
        names = [p for p, spec in self.fields.items() if derived or not spec.derived]
        close = difflib.get_close_matches(path, names, n=1, cutoff=0.6)
        return close[0] if close else None


# --- schema errors in plain words --------------------------------------------

_TYPE_WORDS = {
    "boolean": "true or false",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a mapping (field: value)",
    "null": "empty",
}


def describe(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, int) and len(text := str(abs(value))) > MAX_DIGITS:
        return f"a number of {len(text)} digits"
    return repr(value)


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_WORDS.get(t, t) for t in names if t != "null"]
    text = " or ".join(words) if words else "empty"
    if "null" in names:
        text += " (or leave it out when unknown)"
    return text


def did_you_mean(value: Any, options: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for a near miss among ``options``, else an empty string."""
    if not isinstance(value, str):
        return ""
    texts = [o for o in options if isinstance(o, str)]
    close = difflib.get_close_matches(value, texts, n=1, cutoff=0.6)
    if not close:
        lowered = {t.lower(): t for t in texts}
        if value.lower() in lowered:
            close = [lowered[value.lower()]]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _types_of(schema: Mapping[str, Any]) -> list[str]:
    types = schema.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def _allowed_keys(schema: Mapping[str, Any]) -> list[str]:
    return list(schema.get("properties", {}))


LANGUAGE_CODE = "^[a-z]{2,3}$"  # the schemas' pattern of a language: en, fr, es


def _is_text(branches: Any) -> bool:
    """Whether an ``anyOf`` is the schemas' translatable text: a string, or ``$defs/translations``."""
    return isinstance(branches, list) and len(branches) == 2 and branches[1] == {"$ref": "#/$defs/translations"}


def _messages(error: ValidationError, doc: Document, what: str) -> list[EngageError]:
    path = tuple(error.absolute_path)
    validator = error.validator
    expected: Any = error.validator_value
    instance = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}

    def at(code: str, message: str, p: tuple[Any, ...] = path, key: bool = False) -> EngageError:
        return InputError(code, message, doc.locate(p, key=key))

    if validator == "anyOf" and _is_text(expected):
        # A text of the policy: a string, or a map of languages.  Say what is wrong with the form it was
        # written in (a blank string, a blank translation), not that it matches neither form.
        branch = 1 if isinstance(instance, dict) else 0
        chosen = [e for e in error.context or () if e.relative_schema_path and e.relative_schema_path[0] == branch]
        if chosen:
            return [m for e in chosen for m in _messages(e, doc, what)]
        forms = "a text, or a map of languages to texts ({en: ..., fr: ...})"
        return [at("wrong-type", f"must be {forms}, got {describe(instance)}")]
    if validator == "pattern" and expected == LANGUAGE_CODE:
        # A language of a text (a key of its map, checked by propertyNames) or of the policy's languages list.
        message = f"{describe(instance)} is not a language code: write it in two or three small letters (en, fr, es)"
        if path and isinstance(path[-1], int):
            return [at("bad-language", message)]
        return [at("bad-language", message, path + (instance,), key=True)]
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = _allowed_keys(schema)
        out = []
        for extra in instance:
            if extra in allowed:
                continue
            hint = did_you_mean(extra, allowed)
            out.append(at("unknown-field", f"not a {what} field{hint}", path + (extra,), key=True))
        return out
    if validator == "required" and isinstance(instance, dict):
        out = []
        for name in expected:
            if name not in instance:
                full = dotted(path + (name,))
                out.append(at("missing-field", f"the required field '{full}' is missing", path, key=True))
        return out
    if validator == "type":
        return [at("wrong-type", f"must be {_expected(error.validator_value)}, got {describe(instance)}")]
    if validator in ("enum", "const"):
        options = list(expected) if validator == "enum" else [expected]
        shown = [o for o in options if o is not None]
        hint = did_you_mean(instance, shown)
        if len(shown) <= 12:
            listing = ", ".join(str(o) for o in shown)
            message = f"{describe(instance)} is not one of: {listing}{hint}"
        else:
            message = f"{describe(instance)} is not an allowed value{hint}"
        return [at("not-in-vocabulary", message)]
    if isinstance(instance, str) and not instance.strip() and validator in ("format", "minLength", "pattern"):
        # One message for one blank field: its minLength, its pattern and a date's format would each say it again.
        if validator == "pattern" and instance == "" and schema.get("minLength"):
            return []
        if "null" in _types_of(schema):
            detail = "is blank: write it, or leave the field out when it is unknown"
        else:
            detail = "is blank: the field is required"
        return [at("bad-text" if validator != "format" else "bad-date", f"{describe(instance)} {detail}")]
    if validator == "format":
        if error.validator_value == "date":
            return [at("bad-date", f"{describe(instance)} is not a date in the form YYYY-MM-DD")]
        return [at("bad-format", f"{describe(instance)} is not a valid {error.validator_value}")]
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}
        return [at("out-of-range", f"{describe(instance)} must be {word[validator]} {error.validator_value}")]
    if validator == "pattern" and path == ("id",) and isinstance(instance, str) and (hidden := hidden_character(instance)):
        return [
            at(
                "control-character",
                f"the id holds U+{ord(hidden):04X}, a character that is not shown or changes how text is shown;"
                " an id is one line of visible text",
            )
        ]
    if validator in ("minLength", "maxLength", "pattern"):
        if validator == "minLength" or (validator == "pattern" and expected == "\\S"):
            detail = "is blank: write the text, or leave the field out when it is unknown"
        elif validator == "maxLength":
            detail = f"is longer than {error.validator_value} characters"
        else:
            detail = "must not start or end with spaces" if path == ("id",) else f"does not match {error.validator_value}"
        return [at("bad-text", f"{describe(instance)} {detail}")]
    if validator in ("minItems", "maxItems", "uniqueItems"):
        detail = {
            "minItems": f"needs at least {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}",
            "maxItems": f"has more than {error.validator_value} entries",
            "uniqueItems": "lists the same entry twice",
        }[validator]
        return [at("bad-list", f"the list {detail}")]
    if validator in ("minProperties", "maxProperties") and "field" in schema.get("properties", {}):
        ops = [k for k in schema["properties"] if k != "field"]
        return [at("bad-test", f"a field test needs 'field' and exactly one operator ({', '.join(ops)})")]
    if validator == "oneOf" and "covers" in schema.get("properties", {}):
        return [at("bad-rule", "an exception rule needs either 'exception' or 'covers', not both")]
    if validator == "oneOf" and "points_each" in schema.get("properties", {}):
        return [at("bad-factor", "a factor needs either 'points' or 'points_each'")]
    if validator == "not" and error.validator_value == {"required": ["criterion"]}:
        return [at("bad-file", "'criterion' belongs only in a file with stage: condition", path + ("criterion",), key=True)]
    return [at("schema", error.message)]


def schema_errors(instance: Any, validator: Draft202012Validator, doc: Document, what: str) -> list[EngageError]:
    """Every schema error of ``instance``, best first, then in the order of the file."""
    raw = list(validator.iter_errors(instance))
    if not raw:
        return []
    best = best_match(raw)
    ordered = [best] + [e for e in raw if e is not best]
    seen: set[tuple[str, str, Location]] = set()
    out: list[EngageError] = []
    for error in ordered:
        for item in _messages(error, doc, what):
            marker = (item.code, item.message, item.location)
            if marker not in seen:
                seen.add(marker)
                out.append(item)
    head, rest = out[:1], sorted(out[1:], key=lambda e: e.sort_key())
    return head + rest


__all__ = [
    "FieldCatalog",
    "FieldSpec",
    "did_you_mean",
    "load_schema",
    "schema_errors",
    "schema_path",
    "shipped_validator",
    "validator_for",
]
