"""The rules the web application records with: the release in force on the decision's date, found per request.

The server is started with one set of files; a release approved while it runs comes into force
on its day without a restart: each recording asks the log which release is in force on its
``as_of`` and, when that is not the served files, decides with the release's stored files
(loaded once per release; the release chain's head says when to look again).  A log with no
release yet adopts the served rules as release 1, by the person recording.
"""

from __future__ import annotations

import threading
from datetime import date

from ..evaluation.evaluator import Engine
from ..log.releases import adopt_first, chain, read_releases
from ..log.rulesets import load_stored
from ..log.store import LogStore

_lock = threading.Lock()
_loaded: dict[tuple[str, str], Engine] = {}  # (log, ruleset hash) -> the release's engine


def recording_engine(served: Engine, store: LogStore, as_of: date, user: str) -> tuple[Engine, int | None]:
    """The engine of the release in force on ``as_of`` and its number (the served engine and None if there is none)."""
    with store.reading() as conn:
        held = chain(conn)
        found = read_releases(conn) if held else None
    if found is None:
        return served, adopt_first(store, served.policy, user).number
    current = found.in_force(as_of)
    if current is None:
        return served, None
    if current.ruleset_hash == served.policy.hash:
        return served, current.number
    key = (store.where, current.ruleset_hash)
    with _lock:
        engine = _loaded.get(key)
        if engine is None:
            loaded = load_stored(store, current.ruleset_hash)
            if loaded.engine is None:
                return served, None
            engine = _loaded[key] = loaded.engine
    return engine, current.number
