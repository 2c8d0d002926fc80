"""Where the shipped ``rules/``, ``criteria/`` and ``examples/`` are.

In a checkout (or an editable install) they sit beside the ``engine`` package.  A wheel
carries copies inside the package, under ``engine/_shipped/`` (see the hatch
``force-include`` table in ``pyproject.toml``), so ``engage`` works from any directory.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the engine package, above policy/


def shipped_dir(name: str) -> Path:
    """The shipped directory ``rules``, ``criteria`` or ``examples``."""
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped '{name}' directory is missing from this installation")
