"""The request form, generated from the effective request JSON Schema.

Each leaf of the schema becomes a field named by its path as the engine names it in its
errors (``presence.type``, ``priority.recommendations[0].mechanism``), so the engine's own
validation messages land next to the field they are about.  Kinds:

* a closed list (``enum``) -> a select whose first choice is *unknown*;
* yes/no -> three radio buttons, *yes*, *no* and *unknown* (a real answer: the engine never
  guesses an unknown field);
* a list of closed values (themes, the conditions an exception waives) -> check boxes;
* a list of text or of records (UN partners, recommendations) -> repeatable rows;
* text, long text, dates and numbers -> inputs of that type.

Top-level fields between two groups form a group of their own; a group the policy fills in
only in some cases (``only_when`` in ``criteria/fields.yaml``, e.g. the exception) is left
closed until used.  Text is trimmed (spaces around a value are ignored, as
in a spreadsheet cell); a blank field, an *unknown* choice and a list with no entries are
all unknown, as a blank cell is.  A number that does not read as one is passed on as text,
so the engine reports it in its own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import EngageError
from ..evaluation.logic import lookup
from ..i18n.languages import DEFAULT
from ..i18n.said import in_language
from ..policy.schema import LEAVE_OUT

FormValues = dict[str, str | list[str]]
YES, NO, UNKNOWN = "yes", "no", "unknown"
LONG_TEXT = 1000  # text that may be longer than this gets a text area
_INDEX = re.compile(r"^(?P<list>.+)\[(?P<i>\d+)\](?:\.(?P<key>[a-z_]+))?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Field:
    path: str
    kind: str  # enum, bool, text, longtext, date, integer, number, choices, rows, records
    required: bool = False
    options: tuple[str, ...] = ()  # enum and choices
    minimum: float | None = None
    maximum: float | None = None
    maxlength: int | None = None
    columns: tuple[Field, ...] = ()  # records: the fields of one row, with paths relative to the row
    description: str = ""

    @property
    def html_id(self) -> str:
        return html_id(self.path)

    @property
    def repeated(self) -> bool:
        return self.kind in ("rows", "records")


def html_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


@dataclass(frozen=True)
class Group:
    name: str
    fields: tuple[Field, ...]
    optional: bool = False
    description: str = ""
    when: str = ""  # an optional group: when it is filled in ("an exception is asked for")


@dataclass
class Parsed:
    request: dict[str, Any]
    values: FormValues


@dataclass
class FieldErrors:
    """The engine's errors, by the field (or row) they are about; the rest in ``general``."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[tuple[str | None, str]] = field(default_factory=list)  # (field path or None, message)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)

    def count(self) -> int:
        return sum(len(v) for v in self.by_field.values()) + len(self.general)

    def add(self, path: str, message: str) -> None:
        self.by_field.setdefault(path, []).append(message)


def _types(node: Mapping[str, Any]) -> list[str]:
    types = node.get("type", [])
    return [types] if isinstance(types, str) else [t for t in types if t != "null"]


def _leaf(path: str, node: Mapping[str, Any], required: bool) -> Field:
    description = str(node.get("description", ""))
    if "enum" in node:
        return Field(path, "enum", required, tuple(v for v in node["enum"] if v is not None), description=description)
    kind = (_types(node) or ["string"])[0]
    if kind == "boolean":
        return Field(path, "bool", required, description=description)
    if kind in ("integer", "number"):
        return Field(path, kind, required, minimum=node.get("minimum"), maximum=node.get("maximum"), description=description)
    if kind == "array":
        items = node.get("items", {})
        if "enum" in items:
            return Field(path, "choices", required, tuple(items["enum"]), description=description)
        if "object" in _types(items):
            inner = set(items.get("required", ()))
            columns = tuple(_leaf(name, sub, name in inner) for name, sub in items.get("properties", {}).items())
            return Field(path, "records", required, columns=columns, description=description)
        return Field(path, "rows", required, maxlength=items.get("maxLength"), description=description)
    if node.get("format") == "date":
        return Field(path, "date", required, description=description)
    length = node.get("maxLength")
    return Field(
        path, "longtext" if length and length > LONG_TEXT else "text", required, maxlength=length, description=description
    )


class RequestForm:
    """The form of one effective request schema: its groups and fields, reading and filling."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        blank_words: str = "(or leave it blank when unknown)",
        optional: Mapping[str, str] | None = None,
    ) -> None:
        self.blank_words = blank_words  # what the engine's "(or leave it out when unknown)" says on a form
        self.groups: tuple[Group, ...] = tuple(self._groups(schema, optional or {}))
        self.fields: dict[str, Field] = {f.path: f for g in self.groups for f in g.fields}

    @staticmethod
    def _groups(schema: Mapping[str, Any], optional: Mapping[str, str]) -> Iterable[Group]:
        required = set(schema.get("required", ()))
        loose: list[Field] = []
        for name, node in schema.get("properties", {}).items():
            if "object" in _types(node) and "properties" in node:
                if loose:
                    yield Group(loose[0].path, tuple(loose))
                    loose = []
                inner = set(node.get("required", ()))
                fields = tuple(_leaf(f"{name}.{sub}", child, sub in inner) for sub, child in node["properties"].items())
                yield Group(name, fields, name in optional, str(node.get("description", "")), optional.get(name, ""))
            else:
                loose.append(_leaf(name, node, name in required))
        if loose:
            yield Group(loose[0].path, tuple(loose))

    # -- reading a submitted form --------------------------------------------------------------

    def parse(self, form: Mapping[str, Sequence[str]]) -> Parsed:
        """The request the form describes, and its values as given (for showing the form again)."""
        request: dict[str, Any] = {}
        values: FormValues = {}
        for group in self.groups:
            for f in group.fields:
                value = self._read(f, form, values)
                if value is not None:
                    _put(request, f.path, value)
        return Parsed(request, values)

    def _read(self, f: Field, form: Mapping[str, Sequence[str]], values: FormValues) -> Any:
        if f.kind == "choices":
            chosen = [v.strip() for v in form.get(f.path, ()) if v.strip()]
            # known values in the vocabulary's order; any other is passed on for the engine to report
            ordered = [v for v in f.options if v in chosen] + [v for v in dict.fromkeys(chosen) if v not in f.options]
            values[f.path] = ordered
            return ordered or None
        if f.kind == "rows":
            texts = [t for t in (_one(form, k).strip() for k in _row_keys(form, f.path)) if t]
            for i, text in enumerate(texts):
                values[f"{f.path}[{i}]"] = text
            return texts or None
        if f.kind == "records":
            rows = []
            for index in _row_indexes(form, f.path):
                row = {c.path: _one(form, f"{f.path}[{index}].{c.path}").strip() for c in f.columns}
                if any(row.values()):
                    rows.append(row)
            out = []
            for i, row in enumerate(rows):
                record: dict[str, Any] = {}
                for c in f.columns:
                    values[f"{f.path}[{i}].{c.path}"] = row[c.path]
                    value = _scalar(c, row[c.path])
                    if value is not None:
                        record[c.path] = value
                out.append(record)
            return out or None
        text = _one(form, f.path).strip()
        values[f.path] = text
        if f.required and not text:
            return ""  # a blank required field goes to the engine, which says so on that field
        return _scalar(f, text)

    # -- filling the form from a request --------------------------------------------------------

    def values_of(self, request: Mapping[str, Any]) -> FormValues:
        """The form's values for a request (the inverse of :meth:`parse` for a valid request)."""
        values: FormValues = {}
        for f in self.fields.values():
            value = lookup(request, f.path)
            if value is None:
                continue
            if f.kind == "choices" and isinstance(value, list):
                values[f.path] = [str(v) for v in value]
            elif f.kind == "rows" and isinstance(value, list):
                for i, item in enumerate(value):
                    values[f"{f.path}[{i}]"] = _text(item)
            elif f.kind == "records" and isinstance(value, list):
                for i, item in enumerate(value):
                    for c in f.columns:
                        inner = item.get(c.path) if isinstance(item, Mapping) else None
                        if inner is not None:
                            values[f"{f.path}[{i}].{c.path}"] = _text(inner)
            else:
                values[f.path] = _text(value)
        return values

    def rows(self, f: Field, values: Mapping[str, Any], extra: int = 1) -> int:
        """How many rows a repeatable field shows: those filled in, and ``extra`` blank ones."""
        prefix = f"{f.path}["
        indexes = [
            int(m.group("i")) for k in values if k.startswith(prefix) and (m := _INDEX.match(k)) and m.group("list") == f.path
        ]
        return (max(indexes) + 1 if indexes else 0) + extra

    # -- the engine's errors, next to their fields ------------------------------------------------

    def place(self, errors: Iterable[EngageError], lang: str = DEFAULT, blank_words: str | None = None) -> FieldErrors:
        """Each error next to its field, said in ``lang``.

        A form has no "leaving out": the engine's "(or leave it out when unknown)", in ``lang``, becomes
        ``blank_words`` (the form's own words in that language; by default :attr:`blank_words`, English).
        """
        out = FieldErrors()
        leave_out = in_language(LEAVE_OUT, lang)
        for error in errors:
            path = error.location.path
            target = self._target(path) if path else None
            message = in_language(error.message, lang).replace(leave_out, blank_words or self.blank_words)
            if target is None:
                out.general.append((path, message))
            else:
                out.add(target, message)
        return out

    def _target(self, path: str) -> str | None:
        """The field or row of the form that ``path`` (as the engine names it) is about."""
        if path in self.fields:
            return path
        match = _INDEX.match(path)
        if match and match.group("list") in self.fields:
            f = self.fields[match.group("list")]
            if f.kind == "choices":
                return f.path
            return path  # a row, or one cell of a row
        probe = path
        while "." in probe:
            probe = probe.rsplit(".", 1)[0]
            if probe in self.fields:
                return probe
        return None


def _one(form: Mapping[str, Sequence[str]], key: str) -> str:
    got = form.get(key, ())
    return str(got[0]) if got else ""


def _row_indexes(form: Mapping[str, Sequence[str]], path: str) -> list[int]:
    found = set()
    for key in form:
        match = _INDEX.match(key)
        if match and match.group("list") == path:
            found.add(int(match.group("i")))
    return sorted(found)


def _row_keys(form: Mapping[str, Sequence[str]], path: str) -> list[str]:
    return [f"{path}[{i}]" for i in _row_indexes(form, path)]


def _scalar(f: Field, text: str) -> Any:
    if not text:
        return None
    if f.kind == "bool":
        return {YES: True, NO: False}.get(text)  # "unknown" (or anything else) is unknown
    if f.kind == "integer" and _INTEGER.match(text):
        return int(text)
    if f.kind == "number" and _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and _INTEGER.match(text) else number
    return text  # text, dates, choices; and numbers that do not read as numbers, for the engine to report


def _text(value: Any) -> str:
    if value is True:
        return YES
    if value is False:
        return NO
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *groups, last = path.split(".")
    node = data
    for group in groups:
        node = node.setdefault(group, {})
    node[last] = value
