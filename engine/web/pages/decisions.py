"""The decision page (every role) and recording the human decision on it (intake, board).

The page shows the four conditions with a status word and icon (never colour alone), the
reasons with their citations linking to the official documents, what is missing, the
exceptions, what would change the outcome (:func:`engine.authoring.explain.what_would_change`, with
the rules that made the decision), the priority breakdown and the request as received.
A human decision goes through :func:`engine.log.review.decide`, as ``engage log decide`` does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from ...authoring.explain import what_would_change
from ...errors import EngageError
from ...evaluation.decision import Decision
from ...evaluation.letter import requester_fields
from ...evaluation.stored_decision import decision_from_dict
from ...log.inforequests import requests_on
from ...log.logview import HumanDecision, human_decisions, superseded_among
from ...log.releases import read_releases
from ...log.review import decide
from ...log.rulesets import load_stored
from ...log.store import DECISION, LogRecord
from ..accounts import ROLES
from ..auth import Session
from ..present import changes_view, factor_label, reason_words
from ..routing import Pages, form_of, signed_in, web
from ..views import redirect, render, translator
from .letters import ASKERS, default_language, language_names

DECIDERS = ("intake", "board")


def _alternatives(
    request: Request, record: LogRecord, decision: Decision
) -> tuple[list[Any], tuple[str, ...], tuple[str, ...], bool]:
    """What would change the outcome, worked out with the rules that made the decision."""
    w, t = web(request), translator(request)
    served = w.engine
    loaded = None
    engine = served
    if record.ruleset_hash != served.policy.hash:
        loaded = load_stored(w.store, record.ruleset_hash or "", cache_size=0)
        engine = loaded.engine  # type: ignore[assignment]
    try:
        if engine is None:
            return [], (), (), False
        checked = engine.check(record.request_data())
        found = what_would_change(engine, checked.record, decision.as_of)
        return changes_view(t, engine.policy, found.alternatives), found.unreached, found.stopped, True
    except EngageError:
        return [], (), (), False
    finally:
        if loaded is not None and loaded.engine is not None:
            loaded.engine.close()


def made_by(conn: Any, info: dict[str, Any]) -> dict[str, Any] | None:
    """The release a record names, with who approved it and when (None when it names none)."""
    number = info.get("release")
    if number is None:
        return None
    found = read_releases(conn).by_number.get(int(number))
    approval = None if found is None else found.approval
    if found is None or approval is None:
        return None
    return {"number": found.number, "by": approval.by, "day": approval.at[:10], "adopted": found.adopted}


def _page(
    request: Request,
    seq: int,
    *,
    error: str | None = None,
    invalid: str = "outcome",
    chosen: str = "",
    text: str = "",
    status: int = 200,
) -> Response:
    """The decision page; with ``error``, the human decision's form again, ``invalid`` naming the field it is about."""
    w, t = web(request), translator(request)
    with w.store.reading() as conn:
        record = w.store.get(seq, conn)
        if record is not None and record.role != DECISION and record.decides is not None:
            return redirect(f"/decisions/{record.decides}")
        if record is None or record.role != DECISION:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        gone = superseded_among(conn, [seq])
        human: HumanDecision | None = human_decisions(w.store, conn, [seq]).get(seq)
        replaced_from = record.supersedes
        release = made_by(conn, record.info)
        asked = requests_on(w.store, conn, seq)
    decision = decision_from_dict(record.decision_data(), w.engine.policy.criterion_names)
    changes, unreached, stopped, explained = _alternatives(request, record, decision)
    data = record.request_data()
    policy = w.engine.policy
    return render(
        request,
        "decision.html",
        {
            "record": record,
            "decision": decision,
            "request_data": data if isinstance(data, dict) else {},
            "human": human,
            "superseded_by": gone.get(seq),
            "replaces": replaced_from,
            "changes": changes,
            "unreached": unreached,
            "stopped": stopped,
            "explained": explained,
            "outcomes": list(policy.vocab.outcomes),
            "factor_label": lambda f: factor_label(policy, f, t),
            "reason_text": lambda r: reason_words(t, policy, r, data if isinstance(data, dict) else {}, decision.as_of),
            "criterion": {c.name: c for c in policy.criteria},
            "form": w.form,
            "policy": policy,
            "error": error,
            "invalid": invalid,
            "chosen": chosen or decision.outcome,
            "justification": text,
            "deciders": DECIDERS,
            "release": release,
            "info_fields": requester_fields(policy, decision),
            "info_requests": asked,
            "letter_languages": language_names(request),
            "letter_default": default_language(request, record),
            "askers": ASKERS,
        },
        status,
    )


def _review_message(request: Request, exc: EngageError, outcome: str) -> str:
    """The review module's refusal in the interface's words where it has them."""
    t = translator(request)
    labels = web(request).labels_in(t)
    if exc.code == "justification-required":
        return t("decision.justification_required", outcome=labels.outcome(outcome))
    if exc.code == "already-decided":
        return t("decision.already_decided")
    if exc.code == "unknown-outcome":
        return t("decision.unknown_outcome")
    return exc.message


def register(pages: Pages) -> None:
    @pages.get("/decisions/{seq}", roles=ROLES)
    def show(request: Request, seq: int) -> Response:
        return _page(request, seq)

    @pages.post("/decisions/{seq}/human", roles=DECIDERS)
    def record_human(
        request: Request,
        seq: int,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w = web(request)
        outcome = str(form.get("outcome") or "").strip()
        text = str(form.get("justification") or "")
        if not outcome:
            return _page(request, seq, error=translator(request)("decision.choose_outcome"), text=text, status=422)
        try:
            decide(w.store, str(seq), outcome, session.account.name, text, session.account.name)
        except EngageError as exc:
            invalid = "justification" if exc.code == "justification-required" else "outcome"
            message = _review_message(request, exc, outcome)
            return _page(request, seq, error=message, invalid=invalid, chosen=outcome, text=text, status=422)
        return redirect(f"/decisions/{seq}", notice="human_recorded")
