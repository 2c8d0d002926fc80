"""Engage: triage of requests for technical cooperation in the field of human rights.

The package is cut into parts, each in its own subpackage, whose imports only point down:

- ``i18n``: the languages, their gettext catalogues, dates and numbers (Babel), under every other part;
- ``policy``: the rule and criteria files, read, checked and typed;
- ``evaluation``: one request to one decision (the only part that talks to durable-rules);
- ``batches``: request files and tables in, decisions out;
- ``log``: the hash-chained decision log;
- ``report``: the Board's figures and report;
- ``authoring``: lint, test cases, explain and impact for policy authors;
- ``releases``: proposing a release of the rules with its checks, and the difference between releases;
- ``bench``: the benchmarks;
- ``web`` and ``commands``: the two front ends, over all of the above.

``from engine import Engine`` is the Python API; it is loaded on first use, so that
``import engine`` (which every command does) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .evaluation.evaluator import Engine

__all__ = ["Engine", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from .evaluation.evaluator import Engine

        return Engine
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
