"""People decide: human decisions on recorded engine decisions, and corrections.

The engine recommends; a person records the final decision on it.  Departing from the
recommendation needs a justification.  A record is never changed: a correction is a new
record naming the one it supersedes, holding the replacement (a new human decision, or a
new engine decision for a corrected request) or nothing (the record is withdrawn).
Every check runs again under the log's writer lock, so two people deciding the same
request at once cannot both succeed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from ..errors import EngageError, Location
from ..evaluation.decision import Decision
from .logview import find_decision, human_decisions, superseded
from .rulesets import load_stored
from .store import CORRECTION, DECISION, HUMAN_DECISION, Draft, LogRecord, LogStore, decision_draft, store_json


class ReviewError(EngageError):
    """A human decision or correction that cannot be recorded as asked (exit status 2)."""


def _error(code: str, message: str, ident: str) -> ReviewError:
    text = ident.strip()
    return ReviewError(code, message, Location(f"#{text.lstrip('#')}" if text.lstrip("#").isdigit() else text))


def _target(store: LogStore, conn: Connection, ident: str) -> LogRecord:
    record = find_decision(store, conn, ident)
    if record is None:
        raise _error("not-found", "no such record or request in the decision log", ident)
    return record


def _not_superseded(conn: Connection, record: LogRecord, ident: str) -> None:
    by = superseded(conn).get(record.seq)
    if by is not None:
        raise _error("superseded", f"#{record.seq} was superseded by #{by}; use #{by}", ident)


def outcomes_of(store: LogStore, ruleset_hash: str | None) -> tuple[str, ...]:
    """The outcomes the ruleset that made a decision knows (its vocabulary)."""
    loaded = load_stored(store, ruleset_hash or "", cache_size=0)
    try:
        return tuple(loaded.policy.vocab.outcomes) if loaded.policy else ()
    finally:
        if loaded.engine is not None:
            loaded.engine.close()


def _human_details(by: str, justification: str | None, engine_outcome: str, reason: str | None = None) -> str:
    data: dict[str, Any] = {"by": by, "justification": justification, "engine_outcome": engine_outcome}
    if reason is not None:
        data["reason"] = reason
    return store_json(data)


def _check_outcome(store: LogStore, decision: LogRecord, outcome: str, justification: str | None, ident: str) -> str | None:
    known = outcomes_of(store, decision.ruleset_hash)
    if known and outcome not in known:
        raise _error("unknown-outcome", f"'{outcome}' is not an outcome; choose one of: {', '.join(known)}", ident)
    text = (justification or "").strip() or None
    if outcome != decision.outcome and text is None:
        raise _error(
            "justification-required",
            f"deciding '{outcome}' departs from the engine's recommendation '{decision.outcome}': give --justification",
            ident,
        )
    return text


def decide(store: LogStore, ident: str, outcome: str, by: str, justification: str | None, recorded_by: str) -> LogRecord:
    """Record the final human decision on the engine decision ``ident`` (a number or a request id)."""
    if not by.strip():
        raise _error("missing-name", "--by must name who decided", ident)
    with store.reading() as conn:
        decision = _target(store, conn, ident)
        _not_superseded(conn, decision, ident)
    if decision.role != DECISION:
        raise _error("not-a-decision", f"#{decision.seq} is a {decision.kind.replace('_', ' ')}, not an engine decision", ident)
    text = _check_outcome(store, decision, outcome, justification, ident)

    def check(conn: Connection) -> None:
        _not_superseded(conn, decision, ident)
        earlier = human_decisions(store, conn, [decision.seq]).get(decision.seq)
        if earlier is not None:
            raise _error(
                "already-decided",
                f"#{decision.seq} was decided in #{earlier.record.seq} ({earlier.outcome}, by {earlier.by});"
                f" to change that, correct it: engage log correct {earlier.record.seq} ...",
                ident,
            )

    draft = Draft(
        kind=HUMAN_DECISION,
        request_id=decision.request_id,
        recorded_by=recorded_by,
        decides=decision.seq,
        outcome=outcome,
        country=decision.country,
        region=decision.region,
        details=_human_details(by.strip(), text, decision.outcome or ""),
    )
    return store.append([draft], check)[0]


def _withdrawal(target: LogRecord, recorded_by: str, base: dict[str, str]) -> Draft:
    return Draft(
        kind=CORRECTION, request_id=target.request_id, recorded_by=recorded_by, supersedes=target.seq, details=store_json(base)
    )


def correct(
    store: LogStore,
    ident: str,
    *,
    by: str,
    reason: str,
    recorded_by: str,
    outcome: str | None = None,
    justification: str | None = None,
    replacement: tuple[Any, Decision] | None = None,
) -> LogRecord:
    """Supersede record ``ident``: with a new human decision, a new engine decision, or nothing (withdrawn)."""
    if not reason.strip():
        raise _error("missing-reason", "--reason must say why the record is corrected", ident)
    if not by.strip():
        raise _error("missing-name", "--by must name who corrects it", ident)
    with store.reading() as conn:
        target = _target(store, conn, ident)
        _not_superseded(conn, target, ident)
        decided = store.get(target.decides, conn) if target.decides is not None else None
    base = {"by": by.strip(), "reason": reason.strip()}
    if target.role == HUMAN_DECISION:
        if replacement is not None:
            raise _error("wrong-correction", f"#{target.seq} is a human decision: correct it with --decision", ident)
        if outcome is None:
            draft = _withdrawal(target, recorded_by, base)
        else:
            assert decided is not None
            text = _check_outcome(store, decided, outcome, justification, ident)
            draft = Draft(
                kind=CORRECTION,
                request_id=target.request_id,
                recorded_by=recorded_by,
                supersedes=target.seq,
                decides=target.decides,
                outcome=outcome,
                country=target.country,
                region=target.region,
                details=_human_details(by.strip(), text, decided.outcome or "", reason.strip()),
            )
    elif target.role == DECISION:
        if outcome is not None:
            raise _error("wrong-correction", f"#{target.seq} is an engine decision: correct it with --request FILE", ident)
        if replacement is None:
            draft = _withdrawal(target, recorded_by, base)
        else:
            request, new = replacement
            if new.request_id != target.request_id:
                raise _error(
                    "other-request",
                    f"the corrected request is {new.request_id}, but #{target.seq} is about {target.request_id}",
                    ident,
                )
            made = decision_draft(request, new, recorded_by)
            draft = replace(made, kind=CORRECTION, supersedes=target.seq, details=store_json(base))
    else:
        raise _error("withdrawn", f"#{target.seq} withdraws a record; there is nothing in it to correct", ident)

    def check(conn: Connection) -> None:
        _not_superseded(conn, target, ident)

    return store.append([draft], check)[0]
