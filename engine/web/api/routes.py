"""The routes of the JSON API, each with the roles it allows (:data:`DECLARED`).

They follow the same rules as the pages: a request is evaluated with the rules in force; one
request id has one record in force (the same request, date and rules again is a no-op that
says so; a changed one is refused with 409 unless ``update=true`` asks for a correction); a
human decision goes through :func:`engine.log.review.decide`.  Answers are canonical JSON (sorted
keys), so that ``POST /evaluate`` gives the same bytes as ``engage evaluate --format json``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ...errors import EngageError, InvalidRequest, RuleConflict
from ...evaluation.decision import Decision, canonical_json
from ...evaluation.evaluator import Checked, Engine
from ...log.kept import whole_register
from ...log.listing import Filters, seq_page
from ...log.logview import Entry, HumanDecision, human_decisions, superseded_among
from ...log.register import expiring
from ...log.review import decide
from ...log.store import DECISION, REFUSED, UNCHANGED, UPDATED, already_recorded, decision_draft
from ...policy.documents import Document, decode, parse
from ..accounts import ROLES, Account
from ..releases import recording_engine
from .access import caller, web_of
from .problems import SCHEMA, TITLES, Problem

PREFIX = "/api/v1"
BODY = "<body>"  # how errors name the request sent in the body
INTAKE = ("intake",)
QUEUE_ROLES = ("intake", "board")  # as the queue page
DECIDERS = ("intake", "board")  # as the human decision on the decision page
AUDIT_ROLES = ("board", "admin")  # as the audit page, which shows the exception register
DEFAULT_PAGE = 100
MAX_PAGE = 500
Declared = dict[tuple[str, str], tuple[str, ...]]
Endpoint = Callable[..., Response]
REVIEW_STATUS = {"not-found": 404, "not-a-decision": 404, "superseded": 409, "already-decided": 409}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem answers a route may give, for the OpenAPI description."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {s: {"description": TITLES[s], "content": {"application/problem+json": {"schema": ref}}} for s in statuses}


def json_answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(canonical_json(data) + "\n", status_code=status, media_type="application/json", headers=headers)


async def body_of(request: Request) -> bytes:
    return await request.body()


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "one request, as `engage schema request` describes it",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Request"}}},
    }
}
AUTHENTICATED = (401, 403, 429)


def _document(raw: bytes) -> Document:
    try:
        (doc,) = parse(decode(raw, BODY), BODY, fmt="json")
    except EngageError as exc:
        raise Problem.of(422, exc) from None
    return doc


def _checked(request: Request, doc: Document, engine: Engine | None = None) -> Checked:
    try:
        return (engine or web_of(request).engine).check(doc.data, doc)
    except InvalidRequest as exc:
        problem = Problem.of(422, exc)
        count = len(problem.errors)
        problem.code = "invalid-request"
        problem.detail = f"the request has {count} problem{'s' if count != 1 else ''}; the first: {problem.detail}"
        raise problem from None


def _decide(request: Request, checked: Checked, when: date, source: str, engine: Engine | None = None) -> Decision:
    try:
        return (engine or web_of(request).engine).decide(checked, when, source)
    except RuleConflict as exc:  # a defect in the rules, not in the request (the CLI's exit status 1)
        raise Problem(500, exc.code, exc.message) from None


def _cursor(text: str | None) -> int:
    """The last number a page showed (0 before the first page) from the opaque cursor."""
    if not text:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(text.encode("ascii") + b"==").decode("ascii").partition(":")
        if kind == "after" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    error = {"code": "bad-cursor", "message": "not a cursor this API gave", "path": "cursor", "line": None, "col": None}
    raise Problem(422, "bad-cursor", "the cursor is not one this API gave; start again without it", errors=[error])


def _next_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"after:{seq}".encode("ascii")).decode("ascii").rstrip("=")


def _human(found: HumanDecision | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "seq": found.record.seq,
        "outcome": found.outcome,
        "by": found.by,
        "justification": found.justification,
        "recorded_at": found.record.recorded_at,
        "follows_engine": found.follows,
    }


def _line(entry: Entry) -> dict[str, Any]:
    data: Any = entry.record.request_data()
    data = data if isinstance(data, dict) else {}
    return {
        "seq": entry.seq,
        "request_id": entry.request_id,
        "outcome": entry.outcome,
        "priority_score": entry.priority_score,
        "as_of": entry.as_of,
        "country": entry.country,
        "region": entry.region,
        "title": (data.get("request") or {}).get("title"),
        "requester": (data.get("requester") or {}).get("name"),
        "recorded_at": entry.record.recorded_at,
        "recorded_by": entry.record.recorded_by,
        "corrects": entry.corrects,
        "human": _human(entry.human),
        "href": f"{PREFIX}/decisions/{entry.seq}",
    }


class HumanDecisionIn(BaseModel):
    """The people's decision on an engine decision."""

    outcome: str = Field(min_length=1, description="one of the policy's outcomes")
    justification: str | None = Field(
        default=None, description="why; needed when the outcome differs from the engine's and for some outcomes"
    )


def build(router: APIRouter) -> Declared:
    """Add every route of the API to ``router`` (the API's own application) -> the roles each allows."""
    declared: Declared = {}

    def route(method: str, path: str, roles: tuple[str, ...], **kwargs: Any) -> Callable[[Endpoint], Endpoint]:
        declared[(method, PREFIX + path)] = roles
        kwargs.setdefault("responses", answers(*AUTHENTICATED, *kwargs.pop("errors", ())))
        kwargs["dependencies"] = [Depends(caller(roles))]
        kwargs["description"] = (kwargs.get("description") or "") + f"\n\nRoles: {', '.join(roles)}."
        add: Callable[[Endpoint], Endpoint] = router.api_route(path, methods=[method], response_class=Response, **kwargs)
        return add

    @route(
        "POST",
        "/evaluate",
        ROLES,
        summary="Evaluate one request (nothing recorded)",
        description="The decision, the same bytes as `engage evaluate --format json --as-of DATE` prints for the request."
        " Without `as_of`, the server's today (and the decision says so).",
        openapi_extra=REQUEST_BODY,
        errors=(413, 422),
    )
    def evaluate(
        request: Request,
        raw: bytes = Depends(body_of),
        as_of: Annotated[date | None, Query(description="the evaluation date, YYYY-MM-DD")] = None,
    ) -> Response:
        checked = _checked(request, _document(raw))
        decision = _decide(request, checked, as_of or web_of(request).config.today(), "given" if as_of else "today")
        return Response(decision.to_json() + "\n", media_type="application/json")

    @route(
        "POST",
        "/requests",
        INTAKE,
        summary="Evaluate one request as of today and record it",
        description="201 with the new record; 200 when the same request (content, date and rules) is already the record"
        " in force, which stays as it is; 409 when the request id has a record in force with other content, unless"
        " `update=true`, which records a correction that supersedes it.",
        openapi_extra=REQUEST_BODY,
        status_code=201,
        errors=(409, 413, 422),
    )
    def record_request(
        request: Request,
        account: Account = Depends(caller(INTAKE)),  # noqa: B008
        raw: bytes = Depends(body_of),
        update: Annotated[bool, Query(description="supersede the record in force when the request changed")] = False,
    ) -> Response:
        w = web_of(request)
        doc = _document(raw)
        # Recorded under the release in force today, as the web form and the CLI's --record do.
        engine, release = recording_engine(w.engine, w.store, w.config.today(), account.name)
        decision = _decide(request, _checked(request, doc, engine), w.config.today(), "today", engine)
        try:
            w.store.save_ruleset(engine.policy, account.name)
            draft = decision_draft(doc.data, decision, account.name, "api", release, release is None)
            (outcome,) = w.store.record([draft], update=update)
        except EngageError as exc:
            raise Problem(500, exc.code, exc.message) from None
        if outcome.status == REFUSED and outcome.existing is not None:
            refused = already_recorded(decision.request_id, outcome.existing)
            raise Problem(409, refused.code, refused.message, extra={"existing": outcome.existing})
        seq = outcome.existing if outcome.status == UNCHANGED else outcome.seq
        data: dict[str, Any] = {
            "seq": seq,
            "request_id": decision.request_id,
            "status": outcome.status,
            "decision": decision.to_dict(),
            "href": f"{PREFIX}/decisions/{seq}",
        }
        if outcome.status == UPDATED:
            data["supersedes"] = outcome.existing
        status = 200 if outcome.status == UNCHANGED else 201
        return json_answer(data, status, {"Location": f"{PREFIX}/decisions/{seq}"})

    @route(
        "GET",
        "/decisions",
        QUEUE_ROLES,
        summary="The decisions in force, with the queue's filters",
        description="In log order, `limit` at a time; `next` is the cursor of the following page (null on the last).",
        errors=(422,),
    )
    def list_decisions(
        request: Request,
        outcome: Annotated[str | None, Query()] = None,
        region: Annotated[str | None, Query()] = None,
        country: Annotated[str | None, Query(description="ISO 3166-1 alpha-3")] = None,
        date_from: Annotated[date | None, Query(alias="from", description="evaluated on or after")] = None,
        date_to: Annotated[date | None, Query(alias="to", description="evaluated on or before")] = None,
        human: Annotated[Literal["awaiting", "decided"] | None, Query(description="with or without a human decision")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
        cursor: Annotated[str | None, Query(description="the `next` of the previous page")] = None,
    ) -> Response:
        w = web_of(request)
        after = _cursor(cursor)
        filters = Filters(date_from, date_to, outcome, country.upper() if country else None, region, human)
        with w.store.reading() as conn:
            page, more = seq_page(conn, filters, after, limit)
        return json_answer({"items": [_line(e) for e in page], "next": _next_cursor(page[-1].seq) if more else None})

    @route("GET", "/decisions/{seq}", ROLES, summary="One recorded decision, with the request as received", errors=(404,))
    def show_decision(request: Request, seq: int) -> Response:
        w = web_of(request)
        with w.store.reading() as conn:
            record = w.store.get(seq, conn)
            if record is None or record.role != DECISION:
                what = "no record" if record is None else f"#{seq} is a {record.kind.replace('_', ' ')}, not an engine decision"
                raise Problem(404, "not-found", f"{what} #{seq}" if record is None else what)
            gone = superseded_among(conn, [seq])
            human = human_decisions(w.store, conn, [seq]).get(seq)
        data = {
            "seq": record.seq,
            "request_id": record.request_id,
            "kind": record.kind,
            "recorded_at": record.recorded_at,
            "recorded_by": record.recorded_by,
            "ruleset_hash": record.ruleset_hash,
            "supersedes": record.supersedes,
            "superseded_by": gone.get(seq),
            "human": _human(human),
            "decision": record.decision_data(),
            "request": record.request_data(),
        }
        return json_answer(data)

    @route(
        "POST",
        "/decisions/{seq}/human",
        DECIDERS,
        summary="Record the people's decision on an engine decision",
        status_code=201,
        errors=(404, 409, 413, 422),
    )
    def record_human(
        request: Request,
        seq: int,
        given: Annotated[HumanDecisionIn, Body()],
        account: Account = Depends(caller(DECIDERS)),  # noqa: B008
    ) -> Response:
        w = web_of(request)
        try:
            done = decide(w.store, str(seq), given.outcome.strip(), account.name, given.justification, account.name)
        except EngageError as exc:
            problem = Problem.of(REVIEW_STATUS.get(exc.code, 422), exc)
            if problem.status == 422:  # the field of the body that was refused
                field = "outcome" if exc.code == "unknown-outcome" else "justification"
                problem.errors = [dict(e, path=field) for e in problem.errors]
            raise problem from None
        data = {"seq": done.seq, "decides": seq, "outcome": done.outcome, "by": account.name, "href": f"{PREFIX}/decisions/{seq}"}
        return json_answer(data, 201, {"Location": f"{PREFIX}/decisions/{seq}"})

    @route(
        "GET",
        "/exceptions",
        AUDIT_ROLES,
        summary="The exception register",
        description="The same JSON as `engage exceptions --format json`.",
        errors=(422,),
    )
    def exceptions(
        request: Request,
        as_of: Annotated[date | None, Query(description="the day expiry is counted from (default: today)")] = None,
        expiring_within: Annotated[int | None, Query(ge=0, description="only those in force expiring within DAYS")] = None,
    ) -> Response:
        w = web_of(request)
        today = as_of or w.config.today()
        with w.store.reading() as conn:
            register = whole_register(conn)
        if expiring_within is not None:
            register = expiring(register, today, min(expiring_within, (date.max - today).days))
        return json_answer([e.to_dict(today) for e in register])

    return declared


def request_schema(policy_schema: Any) -> dict[str, Any]:
    """The request schema as an OpenAPI component (its own ``$schema`` and ``$id`` left out)."""
    return {k: v for k, v in dict(policy_schema).items() if k not in ("$schema", "$id")}


PROBLEM_SCHEMA = SCHEMA
