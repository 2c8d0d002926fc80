"""The columns of an intake table: one per request field, derived from the request schema.

A spreadsheet or CSV batch has one column per leaf field of the request schema, named by
its dotted path (``presence.type``).  The columns, their kinds and their explanations all
come from the schema through :class:`~engine.policy.schema.FieldCatalog`, so a field added to the
schema is a new column at once; nothing here lists fields by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..policy.schema import FieldCatalog

LIST_SEPARATOR = ";"
RECORD_SEPARATOR = ":"

# The kinds of column: the kinds of FieldCatalog, except that a list of mappings is "records".
KINDS = ("bool", "enum", "string", "integer", "number", "date", "list", "records")


@dataclass(frozen=True)
class Column:
    """One column of an intake table."""

    name: str  # the dotted field path, which is also the header
    kind: str  # one of KINDS
    description: str  # from the schema
    required: bool = False
    values: tuple[str, ...] | None = None  # enum: the values; list: the item values; records: values of `key`
    key: str | None = None  # records: the field written before ':' (e.g. mechanism)
    tail: str | None = None  # records: the field written after ':' (e.g. reference)
    minimum: float | None = None
    maximum: float | None = None

    @property
    def hint(self) -> str:
        """How to fill in a cell of this column, in plain words."""
        blank = "Required." if self.required else "Leave blank when unknown."
        if self.kind == "bool":
            return f"yes or no. {blank}"
        if self.kind == "enum":
            return f"One value from the drop-down list (sheet Vocabularies). {blank}"
        if self.kind == "date":
            return f"A date: a date cell, or text in the form YYYY-MM-DD. {blank}"
        if self.kind in ("integer", "number"):
            what = "A whole number" if self.kind == "integer" else "A number"
            bounds = []
            if self.minimum is not None:
                bounds.append(f"at least {_plain(self.minimum)}")
            if self.maximum is not None:
                bounds.append(f"at most {_plain(self.maximum)}")
            limits = f" ({', '.join(bounds)})" if bounds else ""
            return f"{what}{limits}, digits only (no thousands separators). {blank}"
        if self.kind == "list":
            if self.values is not None:
                example = "; ".join(self.values[:2])
                return f"One or more values from the drop-down list, separated by ';' (e.g. {example}). {blank}"
            return f"One or more entries separated by ';'. {blank}"
        if self.kind == "records":
            first = self.values[0] if self.values else self.key
            return (
                f"One or more entries separated by ';', each '{self.key}:{self.tail}' or just '{self.key}'"
                f" (e.g. {first}:A/HRC/99/1 para 12; {self.values[-1] if self.values else self.key})."
                f" {self.key} is a value from sheet Vocabularies; {self.tail} may not contain ';'. {blank}"
            )
        return f"Text. {blank}"


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def _node(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    node = schema
    for part in path.split("."):
        node = node["properties"][part]
    return node


def _bound(node: Mapping[str, Any], name: str) -> float | None:
    value = node.get(name)
    return float(value) if isinstance(value, (int, float)) else None


def request_columns(request_schema: Mapping[str, Any]) -> tuple[Column, ...]:
    """Every leaf field of ``request_schema`` as a column, in the schema's order."""
    catalog = FieldCatalog(request_schema, ())
    required = set(request_schema.get("required", ()))
    columns: list[Column] = []
    for path in catalog.request_paths:
        spec = catalog.fields[path]
        if spec.kind == "object":
            continue
        node = _node(request_schema, path)
        description = str(node.get("description", ""))
        values = tuple(str(v) for v in spec.enum) if spec.enum is not None else None
        if spec.kind == "list" and spec.item_kind == "object":
            items = node["items"]
            props = list(items["properties"])
            keys = list(items.get("required", ()))
            if len(props) != 2 or len(keys) != 1:
                raise ValueError(f"{path}: a list of mappings needs exactly two fields, one of them required")
            key = keys[0]
            tail = next(p for p in props if p != key)
            key_values = items["properties"][key].get("enum")
            columns.append(
                Column(
                    path,
                    "records",
                    description,
                    values=tuple(str(v) for v in key_values if v is not None) if key_values else None,
                    key=key,
                    tail=tail,
                )
            )
            continue
        if spec.kind not in KINDS:
            raise ValueError(f"{path}: a field of kind {spec.kind} has no spreadsheet form")
        columns.append(
            Column(
                path,
                spec.kind,
                description,
                required=path in required,
                values=values,
                minimum=_bound(node, "minimum"),
                maximum=_bound(node, "maximum"),
            )
        )
    return tuple(columns)


def column_names(columns: Sequence[Column]) -> list[str]:
    return [c.name for c in columns]
