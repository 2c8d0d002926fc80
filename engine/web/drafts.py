"""Drafts of requests: a form saved as it stands (valid or not) to be completed later.

A draft is working data, not a decision: it is kept in the web tables, any intake officer
may resume it, and it is deleted when the request it holds is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..log.store import LogStore
from .db import WebTables, drafts, stamp, utc_now

FormValues = dict[str, str | list[str]]


@dataclass(frozen=True)
class Draft:
    id: int
    label: str
    values: FormValues
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str


def _draft(row: sa.Row[tuple[object, ...]]) -> Draft:
    m = row._mapping
    values = json.loads(str(m["form"]))
    return Draft(
        int(str(m["id"])),
        str(m["label"]),
        values if isinstance(values, dict) else {},
        str(m["created_by"]),
        str(m["created_at"]),
        str(m["updated_by"]),
        str(m["updated_at"]),
    )


class Drafts:
    def __init__(self, store: LogStore, clock: Callable[[], datetime] = utc_now) -> None:
        self.tables = WebTables(store)
        self.clock = clock

    # A draft belongs to the officer who started it: nobody else sees, continues or deletes it
    # (a draft may hold what a requester said in confidence before it is recorded).

    def save(self, values: FormValues, label: str, user: str, draft_id: int | None = None) -> int:
        """Save ``values`` as a new draft, or over ``user``'s draft ``draft_id`` when it still exists; returns its number."""
        now = stamp(self.clock())
        text = json.dumps(values, sort_keys=True, ensure_ascii=False)
        with self.tables.writing() as conn:
            if draft_id is not None:
                done = conn.execute(
                    sa.update(drafts)
                    .where(drafts.c.id == draft_id, drafts.c.created_by == user)
                    .values(label=label, form=text, updated_by=user, updated_at=now)
                )
                if done.rowcount:
                    return draft_id
            result = conn.execute(
                sa.insert(drafts).values(label=label, form=text, created_by=user, created_at=now, updated_by=user, updated_at=now)
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def get(self, draft_id: int, owner: str) -> Draft | None:
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(drafts).where(drafts.c.id == draft_id, drafts.c.created_by == owner)).first()
        return None if row is None else _draft(row)

    def all(self, owner: str) -> list[Draft]:
        query = sa.select(drafts).where(drafts.c.created_by == owner).order_by(drafts.c.updated_at.desc(), drafts.c.id.desc())
        with self.tables.reading() as conn:
            return [_draft(r) for r in conn.execute(query)]

    def delete(self, draft_id: int, owner: str) -> bool:
        with self.tables.writing() as conn:
            return bool(conn.execute(sa.delete(drafts).where(drafts.c.id == draft_id, drafts.c.created_by == owner)).rowcount)
