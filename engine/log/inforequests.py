"""That the requester was asked for what is missing: ``info_request`` records of the decision log.

Preparing the letter that asks the requester for information (the web's "Prepare the request
for information") records who asked, when, in which language and for which fields.  The
record is one of the decision log's own (kind ``info_request``, ``decides`` naming the engine
decision it asks about), so it is hash-chained and append-only like every other, and
``engage log verify`` names it if it is edited, moved or deleted, or if it names no earlier
engine decision.  No table of its own: the chain already holds what happened to a request,
in order, and the number of a decision stays what people cite.

How long a request has waited for its answer is counted from its decision in force's first
request for information: an update of the request (a correction with the new information)
puts a new decision in force, which has been asked nothing yet.  :func:`first_requested` is
one ``GROUP BY`` in the database, not a walk of the records, so the queue can show it
whatever the log's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import EngageError, Location
from .logview import superseded
from .store import DECISION, INFORMATION_REQUEST, Draft, LogRecord, LogStore, records, store_json


class InformationRequestError(EngageError):
    """A request for information that cannot be recorded as asked (exit status 2)."""


@dataclass(frozen=True)
class InformationRequest:
    """One recorded request for information: who asked, when, in which language, for what."""

    record: LogRecord
    by: str
    language: str
    fields: tuple[str, ...]

    @property
    def at(self) -> str:
        return self.record.recorded_at

    @classmethod
    def of(cls, record: LogRecord) -> InformationRequest:
        info = record.info
        asked = info.get("fields")
        return cls(
            record,
            str(info.get("by") or record.recorded_by),
            str(info.get("language") or ""),
            tuple(str(f) for f in asked) if isinstance(asked, list) else (),
        )


def record_request(
    store: LogStore, decision_seq: int, *, by: str, language: str, fields: Sequence[str], recorded_by: str
) -> LogRecord:
    """Record that the requester of engine decision ``decision_seq`` was asked for ``fields``, in ``language``."""
    where = f"#{decision_seq}"
    if not by.strip():
        raise InformationRequestError("missing-name", "name who asks for the information", Location(where))
    with store.reading() as conn:
        decision = store.get(decision_seq, conn)
    if decision is None or decision.role != DECISION:
        raise InformationRequestError("not-a-decision", f"#{decision_seq} is not an engine decision", Location(where))

    def check(conn: Connection) -> None:  # under the writer lock: the decision may have been superseded meanwhile
        by_seq = superseded(conn).get(decision_seq)
        if by_seq is not None:
            raise InformationRequestError(
                "superseded", f"#{decision_seq} was superseded by #{by_seq}; ask on #{by_seq}", Location(where)
            )

    draft = Draft(
        kind=INFORMATION_REQUEST,
        request_id=decision.request_id,
        recorded_by=recorded_by,
        decides=decision_seq,
        country=decision.country,
        region=decision.region,
        details=store_json({"by": by.strip(), "language": language, "fields": list(fields)}),
    )
    return store.append([draft], check)[0]


def requests_on(store: LogStore, conn: Connection, decision_seq: int) -> list[InformationRequest]:
    """Every request for information recorded on one engine decision, in log order."""
    found = store.select(conn, records.c.decides == decision_seq, records.c.kind == INFORMATION_REQUEST)
    return [InformationRequest.of(r) for r in found]


def first_requested(conn: Connection, decision_seqs: Iterable[int] | None = None) -> dict[int, str]:
    """Engine decision number -> when information was first requested on it (ISO 8601 UTC), in one query."""
    query = sa.select(records.c.decides, sa.func.min(records.c.recorded_at)).where(
        records.c.kind == INFORMATION_REQUEST, records.c.decides.isnot(None)
    )
    if decision_seqs is not None:
        wanted = list(decision_seqs)
        if not wanted:
            return {}
        if len(wanted) <= 500:  # else every row: one query all the same, and no statement of thousands of parameters
            query = query.where(records.c.decides.in_(wanted))
    query = query.group_by(records.c.decides)
    return {int(seq): str(at) for seq, at in conn.execute(query)}
