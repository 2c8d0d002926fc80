"""An error's one-line form (``file:line:col: code: message``) with its message in the reader's language.

The place and the code stay as they are in every language: tools and people search for them.
"""

from __future__ import annotations

import copy

from ..errors import EngageError, ManyErrors
from .said import in_language


def error_in_language(error: EngageError, lang: str) -> str:
    """``str(error)``, its message (and each of several errors') said again in ``lang``."""
    if isinstance(error, ManyErrors):
        return "\n".join(error_in_language(one, lang) for one in error.errors)
    shown = copy.copy(error)
    shown.message = in_language(error.message, lang)
    return str(shown)
