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
from ..i18n.said import say, say_n
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

# Said once, at import: each is an English phrase a message names as a value, said again in the reader's language.
_TYPE_WORDS = {
    "boolean": say("true or false"),
    "string": say("text"),
    "integer": say("a whole number"),
    "number": say("a number"),
    "array": say("a list"),
    "object": say("a mapping (field: value)"),
    "null": say("empty"),
}
LEAVE_OUT = say("(or leave it out when unknown)")  # a form says it its own way (engine.web.forms)


def describe(value: Any) -> str:
    if value is None:
        return say("empty (null)")
    if isinstance(value, bool):
        return "true" if value else "false"  # as it is written in YAML and JSON, in every language
    if isinstance(value, dict):
        return say("a mapping")
    if isinstance(value, list):
        return say("a list")
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, int) and len(text := str(abs(value))) > MAX_DIGITS:
        return say("a number of {digits} digits", digits=len(text))
    return repr(value)


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_WORDS.get(t, t) for t in names if t != "null"]
    text: str = words[0] if words else say("empty")
    for word in words[1:]:
        text = say("{first} or {second}", first=text, second=word)
    if "null" in names:
        text = say("{expected} {leave_out}", expected=text, leave_out=LEAVE_OUT)
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
    return say(" (did you mean '{option}'?)", option=close[0]) if close else ""


def _not_a_field(what: str, hint: str) -> str:
    """``not a request field``: one message for each kind of file, so that each is said whole in a language."""
    if what == "request":
        return say("not a request field{hint}", hint=hint)
    if what == "rule file":
        return say("not a rule file field{hint}", hint=hint)
    if what == "criteria file":
        return say("not a criteria file field{hint}", hint=hint)
    if what == "case file":
        return say("not a case file field{hint}", hint=hint)
    return say("not a {what} field{hint}", what=what, hint=hint)


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
        return [
            at(
                "wrong-type",
                say("must be a text, or a map of languages to texts ({en: ..., fr: ...}), got {value}", value=describe(instance)),
            )
        ]
    if validator == "pattern" and expected == LANGUAGE_CODE:
        # A language of a text (a key of its map, checked by propertyNames) or of the policy's languages list.
        message = say(
            "{value} is not a language code: write it in two or three small letters (en, fr, es)", value=describe(instance)
        )
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
            out.append(at("unknown-field", _not_a_field(what, hint), path + (extra,), key=True))
        return out
    if validator == "required" and isinstance(instance, dict):
        out = []
        for name in expected:
            if name not in instance:
                full = dotted(path + (name,))
                out.append(at("missing-field", say("the required field '{field}' is missing", field=full), path, key=True))
        return out
    if validator == "type":
        expected_words = _expected(error.validator_value)
        return [at("wrong-type", say("must be {expected}, got {value}", expected=expected_words, value=describe(instance)))]
    if validator in ("enum", "const"):
        options = list(expected) if validator == "enum" else [expected]
        shown = [o for o in options if o is not None]
        hint = did_you_mean(instance, shown)
        if len(shown) <= 12:
            listing = ", ".join(str(o) for o in shown)
            message = say("{value} is not one of: {listing}{hint}", value=describe(instance), listing=listing, hint=hint)
        else:
            message = say("{value} is not an allowed value{hint}", value=describe(instance), hint=hint)
        return [at("not-in-vocabulary", message)]
    if isinstance(instance, str) and not instance.strip() and validator in ("format", "minLength", "pattern"):
        # One message for one blank field: its minLength, its pattern and a date's format would each say it again.
        if validator == "pattern" and instance == "" and schema.get("minLength"):
            return []
        if "null" in _types_of(schema):
            blank = say("{value} is blank: write it, or leave the field out when it is unknown", value=describe(instance))
        else:
            blank = say("{value} is blank: the field is required", value=describe(instance))
        return [at("bad-text" if validator != "format" else "bad-date", blank)]
    if validator == "format":
        if error.validator_value == "date":
            return [at("bad-date", say("{value} is not a date in the form YYYY-MM-DD", value=describe(instance)))]
        return [at("bad-format", say("{value} is not a valid {format}", value=describe(instance), format=error.validator_value))]
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value, limit = describe(instance), error.validator_value
        if validator == "minimum":
            bound = say("{value} must be at least {limit}", value=value, limit=limit)
        elif validator == "maximum":
            bound = say("{value} must be at most {limit}", value=value, limit=limit)
        elif validator == "exclusiveMinimum":
            bound = say("{value} must be more than {limit}", value=value, limit=limit)
        else:
            bound = say("{value} must be less than {limit}", value=value, limit=limit)
        return [at("out-of-range", bound)]
    if validator == "pattern" and path == ("id",) and isinstance(instance, str) and (hidden := hidden_character(instance)):
        return [
            at(
                "control-character",
                say(
                    "the id holds U+{code_point}, a character that is not shown or changes how text is shown;"
                    " an id is one line of visible text",
                    code_point=f"{ord(hidden):04X}",
                ),
            )
        ]
    if validator in ("minLength", "maxLength", "pattern"):
        value = describe(instance)
        if validator == "minLength" or (validator == "pattern" and expected == "\\S"):
            detail = say("{value} is blank: write the text, or leave the field out when it is unknown", value=value)
        elif validator == "maxLength":
            detail = say("{value} is longer than {limit} characters", value=value, limit=error.validator_value)
        elif path == ("id",):
            detail = say("{value} must not start or end with spaces", value=value)
        else:
            detail = say("{value} does not match {pattern}", value=value, pattern=error.validator_value)
        return [at("bad-text", detail)]
    if validator in ("minItems", "maxItems", "uniqueItems"):
        entries: Any = error.validator_value
        if validator == "minItems":
            listed = say_n("the list needs at least {count} entry", "the list needs at least {count} entries", entries)
        elif validator == "maxItems":
            listed = say("the list has more than {limit} entries", limit=entries)
        else:
            listed = say("the list lists the same entry twice")
        return [at("bad-list", listed)]
    if validator in ("minProperties", "maxProperties") and "field" in schema.get("properties", {}):
        ops = [k for k in schema["properties"] if k != "field"]
        return [
            at("bad-test", say("a field test needs 'field' and exactly one operator ({operators})", operators=", ".join(ops)))
        ]
    if validator == "oneOf" and "covers" in schema.get("properties", {}):
        return [at("bad-rule", say("an exception rule needs either 'exception' or 'covers', not both"))]
    if validator == "oneOf" and "points_each" in schema.get("properties", {}):
        return [at("bad-factor", say("a factor needs either 'points' or 'points_each'"))]
    if validator == "not" and error.validator_value == {"required": ["criterion"]}:
        return [
            at(
                "bad-file",
                say("'criterion' belongs only in a file with stage: condition"),
                path + ("criterion",),
                key=True,
            )
        ]
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
