"""Page times of the web application over a decision log, for ``engage bench`` and by hand.

:func:`page_times` serves the real application in process (Starlette's test client: the same
routes, templates and database reads as ``engage serve``, without the network) over the log
``db``, signs in an account with every role, and times each page's answer (best of
``repeat``, after one untimed request that warms the caches).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..evaluation.evaluator import Engine
from ..log.store import LogStore

ROLES = ("intake", "board", "author", "admin")


@dataclass(frozen=True)
class PageTime:
    path: str
    status: int
    seconds: float
    size: int


def default_paths(store: LogStore) -> list[str]:
    """The start page, the queue (first page and a deep one), the audit page, a decision page, the lists."""
    import sqlalchemy as sa

    from ..log.kept import kept

    head = store.head()[0]
    with store.reading() as conn:  # a decision in force half way through the log
        middle = conn.execute(sa.select(sa.func.max(kept.c.seq)).where(kept.c.seq <= max(1, head // 2))).scalar()
    paths = ["/", "/queue", deep_queue_path(store), "/audit", f"/decisions/{middle or 1}", "/drafts", "/accounts"]
    return paths + ["/releases", "/releases/1", "/rules"]


def deep_queue_path(store: LogStore, depth: float = 0.9) -> str:
    """The queue's page ``depth`` of the way through its largest group (found once with OFFSET, then a cursor)."""
    import sqlalchemy as sa

    from ..log.kept import kept
    from ..log.listing import Cursor

    with store.reading() as conn:
        found = conn.execute(
            sa.select(kept.c.outcome, sa.func.count()).group_by(kept.c.outcome).order_by(sa.func.count().desc()).limit(1)
        ).first()
        if found is None:
            return "/queue"
        outcome, total = str(found[0]), int(found[1])
        row = conn.execute(
            sa.select(kept.c.priority, kept.c.as_of, kept.c.seq)
            .where(kept.c.outcome == outcome)
            .order_by(kept.c.priority.desc(), kept.c.as_of, kept.c.seq)
            .offset(int(total * depth))
            .limit(1)
        ).first()
    if row is None:
        return f"/queue?outcome={outcome}"
    return f"/queue?outcome={outcome}&after={Cursor(float(row[0]), str(row[1]), int(row[2])).text()}"


def page_times(db: str, paths: Sequence[str] | None = None, repeat: int = 3) -> list[PageTime]:
    from fastapi.testclient import TestClient

    from ..web.app import create_app

    engine = Engine.load()
    store = LogStore.open(db)
    try:
        app = create_app(engine, store)
        name, password = f"bench-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
        app.state.web.accounts.add(name, list(ROLES), password, "bench")
        client = TestClient(app, follow_redirects=False)
        page = client.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        token = found.group(1) if found else ""
        client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"})
        out = []
        for path in paths or default_paths(store):
            client.get(path)
            best, status, size = float("inf"), 0, 0
            for _ in range(repeat):
                start = time.perf_counter()
                answer = client.get(path)
                best = min(best, time.perf_counter() - start)
                status, size = answer.status_code, len(answer.content)
            out.append(PageTime(path, status, best, size))
        return out
    finally:
        store.close()
        engine.close()
