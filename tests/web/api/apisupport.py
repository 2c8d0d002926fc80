"""Helpers for the API's tests: a token per role, and the examples' requests as JSON bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.policy.documents import load_file

from ...helpers.logsupport import EXAMPLES
from ...helpers.websupport import ROLES, Site

AS_OF = "2026-11-24"


def tokens(web: Site, **expires: int) -> dict[str, str]:
    """A new token for the account of each role (named by it); ``expires``: days, by role."""
    w = web.app.state.web
    return {role: w.tokens.create(role, "tests", expires.get(role))[1] for role in ROLES}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def example_requests() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))


def as_json(path: Path) -> bytes:
    """The request of an example file as a JSON body (YAML examples converted)."""
    (doc,) = load_file(path)
    return json.dumps(doc.data, ensure_ascii=False, indent=2).encode("utf-8")


def request_body(**changes: Any) -> dict[str, Any]:
    """The request of the first example (every condition met), with top-level ``changes``."""
    data: dict[str, Any] = json.loads(as_json(example_requests()[0]))
    data.update(changes)
    return data
