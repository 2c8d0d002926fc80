"""The only module that talks to durable-rules.

durable-rules 2.0.28 is unmaintained and has sharp edges, measured on this machine in
``tests/evaluation/test_matcher.py`` and summarised in ``docs/durable-rules.md``.  This adapter
is built around them:

* Its ``Host`` starts two timer threads that may run rule actions on their own thread;
  we drive the C engine (``durable_rules_engine``, the core that ``durable.engine``
  wraps) directly, on the calling thread, and never create a ``Host``.
* An event is consumed by the first rule that matches it; we assert *facts*, which let
  every matching rule fire.
* A fact that no rule matches raises, and with some rule shapes the following
  ``delete_state`` crashes the process; every ruleset therefore gets a catch-all rule
  guarded, like every other rule, by a marker field that only our facts carry (an
  unguarded ``$nex`` pattern also matches the engine's own session-state document and
  loops forever).
* Sessions are bounded (the 1,025th live session fails) and facts are de-duplicated by
  ``id``: each match runs in a fresh session whose ``sid`` and ``id`` come from one
  counter, and the session is deleted before returning, so nothing is left behind.
* The C core has no locks: every call into it holds one process-wide lock.
* Its JSON reader rejects numbers in exponent form (``1e-05``) and reads a number without
  a decimal point as a 64-bit integer that overflows silently: facts and rulesets are
  written by :func:`encode`, which writes floats as plain decimals with a point and refuses
  integers outside 64 bits (the loader keeps rule numbers within 2**53).
* A rule whose pattern is an ``$or`` fires once per true branch: results are a set.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import durable_rules_engine as _core

MARKER_FIELD = "_t"
MARKER = "engage"
CATCH_ALL = "~all"

_LOCK = threading.Lock()
_SESSIONS = itertools.count(1)
# Rulesets the garbage collector finalised.  __del__ may run while this very thread holds
# _LOCK (collection can start at any allocation inside match), so it only queues the handle;
# queued handles are freed at the next safe point, with the lock held, before any other call.
_UNUSED: list[int] = []


def _free_unused() -> None:
    while _UNUSED:
        _core.delete_ruleset(_UNUSED.pop())


class MatcherError(RuntimeError):
    """durable-rules refused a ruleset or a fact: a defect of Engage, never of the input."""


_INT64 = 2**63


def _number(value: float) -> str:
    # Plain decimal with a point: its reader refuses exponents and reads a number without
    # a point as a 64-bit integer, which silently overflows past 2**63.
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if "." not in text:
        text += ".0"
    return text


def encode(value: Any) -> str:
    """JSON that durable-rules' parser accepts: no exponents, UTF-8, keys as given."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise MatcherError(f"{value} does not fit the 64-bit integers durable-rules reads")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MatcherError(f"{value!r} has no JSON form")
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode(v) for v in value) + "]"
    raise MatcherError(f"cannot encode {type(value).__name__}")


_PLAIN = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def guarded(pattern: Mapping[str, Any] | None) -> dict[str, Any]:
    """A rule whose single fact pattern also requires our marker field."""
    parts: list[Any] = [{MARKER_FIELD: MARKER}]
    if pattern is not None:
        # One $and for the marker and the pattern's own conjuncts: nodes count (see compiler).
        parts.extend(pattern["$and"] if set(pattern) == {"$and"} else [pattern])
    body: Any = parts[0] if len(parts) == 1 else {"$and": parts}
    return {"all": [{"m": body}]}


class DurableRuleset:
    """One compiled durable-rules ruleset; :meth:`match` returns the names of the rules that fire."""

    def __init__(self, name: str, rules: Mapping[str, Mapping[str, Any]]) -> None:
        if CATCH_ALL in rules:
            raise MatcherError(f"the rule name {CATCH_ALL} is reserved")
        definition = dict(rules)
        definition[CATCH_ALL] = guarded(None)
        self.name = name
        self.definition = definition
        with _LOCK:
            _free_unused()
            try:
                self._handle: int | None = _core.create_ruleset(name, encode(definition))
            except _core.error as exc:
                raise MatcherError(f"durable-rules refused the ruleset {name}: {exc}") from None

    def match(self, fields: Mapping[str, Any], *, plain: bool = False) -> frozenset[str]:
        """Assert ``fields`` as one fact in a fresh session and collect every rule that fires.

        ``plain``: the caller knows ``fields`` holds no float, so the C JSON encoder writes it
        (it is :func:`encode`'s care for floats that costs; text, booleans and day numbers are safe).
        """
        fired: set[str] = set()
        with _LOCK:
            _free_unused()
            if self._handle is None:
                raise MatcherError(f"the ruleset {self.name} is closed")
            sid = str(next(_SESSIONS))
            fact = {**fields, "sid": sid, "id": sid, MARKER_FIELD: MARKER}
            text = _PLAIN(fact) if plain else encode(fact)
            try:
                code, state = _core.assert_fact(self._handle, text)
            except _core.error as exc:
                raise MatcherError(f"durable-rules refused a fact for {self.name}: {exc}") from None
            try:
                if code != 0:
                    raise MatcherError(f"durable-rules answered {code} to a fact for {self.name}")
                result = _core.start_action_for_state(self._handle, state)
                while result:
                    fired.update(json.loads(result[1]))
                    following = _core.complete_and_start_action(self._handle, state)
                    result = (None, following) if following else None
            finally:
                _core.delete_state(self._handle, sid)
        if CATCH_ALL not in fired:
            raise MatcherError(f"the catch-all rule of {self.name} did not fire")
        fired.discard(CATCH_ALL)
        return frozenset(fired)

    def close(self) -> None:
        """Free the ruleset in the C engine; later matches raise."""
        with _LOCK:
            _free_unused()
            if self._handle is not None:
                _core.delete_ruleset(self._handle)
                self._handle = None

    def __del__(self) -> None:
        # Never take _LOCK here: see _UNUSED.  list.append is atomic under the GIL.
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            _UNUSED.append(handle)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version("durable_rules")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def bare_host() -> Any:
    """durable-rules' own ``Host`` API, untouched: only ``engage bench`` uses it, as a baseline to measure against.

    It lives here so that this module stays the only one that imports durable-rules.
    """
    from durable import engine as durable_engine

    return durable_engine.Host()
