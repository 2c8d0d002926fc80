"""Checking a request against the effective request schema, and its normal form.

The normal form is what every later stage sees: ``null`` values are removed (absent and
null both mean *unknown*, policy-v1 section 1) and so are groups left with no known field.
Nothing else changes: no value is guessed, trimmed or converted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import EngageError, InputError, Location
from ..i18n.said import say
from ..policy.documents import Document
from ..policy.model import Criterion
from ..policy.schema import schema_errors


def normalize(value: Any) -> Any:
    """``value`` without nulls and without mappings that are left empty."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            kept = None if item is None else normalize(item)
            if kept is None or (isinstance(kept, dict) and not kept):
                continue
            out[key] = kept
        return out
    if isinstance(value, list):
        return [normalize(item) for item in value]
    return value


def _non_finite(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite(v, (*path, i))]
    return []


def check_request(
    data: Any,
    validator: Draft202012Validator,
    criteria: Sequence[Criterion],
    doc: Document,
    fast: Callable[[Any], dict[str, Any] | None] | None = None,
) -> tuple[dict[str, Any] | None, list[EngageError]]:
    """The normal form of ``data``, or None with every problem found (best first).

    ``fast`` (see :mod:`engine.evaluation.fastcheck`) answers for valid requests; the full check with
    its messages runs when it says no.
    """
    if fast is not None:
        record = fast(data)
        if record is not None:
            return record, []
    if not isinstance(data, dict):
        kind = say("a list") if isinstance(data, list) else say("a single value ({value})", value=repr(data))
        return None, [
            InputError(
                "wrong-type",
                say("a request must be a mapping of fields (field: value), not {kind}; put one request per document", kind=kind),
                doc.locate(()),
            )
        ]
    errors: list[EngageError] = [
        InputError("not-a-number", say("is not a finite number"), doc.locate(path)) for path in _non_finite(data)
    ]
    never = {c.name: c for c in criteria if not c.waivable}
    waives = (data.get("exception") or {}).get("waives") if isinstance(data.get("exception"), dict) else None
    forbidden: dict[Location, str] = {}  # where each waiver that is never allowed stands: its name
    if isinstance(waives, list):
        for i, name in enumerate(waives):
            if isinstance(name, str) and name in never:
                forbidden[doc.locate(("exception", "waives", i))] = name
                crit = never[name]
                errors.append(
                    InputError(
                        "waiver-not-allowed",
                        say(
                            "'{name}' can never be waived: condition ({letter}), {title}, is never set aside by an exception",
                            name=name,
                            letter=crit.letter,
                            title=crit.title,
                        ),
                        doc.locate(("exception", "waives", i)),
                    )
                )
    for error in schema_errors(data, validator, doc, "request"):
        # The enum error for a forbidden waiver says less than the error above.  Matched by place
        # and value, not path: a table row gives the whole list one place, its cell.
        name = forbidden.get(error.location)
        if name is not None and error.code == "not-in-vocabulary" and error.message.startswith(f"'{name}' "):
            continue
        errors.append(error)
    if errors:
        return None, errors
    return normalize(data), []
