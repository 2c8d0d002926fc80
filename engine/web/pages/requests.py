"""New request: the form generated from the request schema, drafts, and corrections.

Submitting evaluates the request as of today and records the decision in the decision log
(the same chain and record as ``engage evaluate --record``), then shows the decision page.
An invalid form comes back with the engine's messages next to each field.  A form may be
saved as a draft at any point and resumed by any intake officer.  A recorded request is
updated by a correction (``engage log correct``): the form opens with the request as
recorded, and the new decision supersedes the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData, UploadFile

from ...errors import EngageError, InvalidRequest
from ...i18n.said import in_language
from ...log.logview import find_decision, superseded_among
from ...log.review import correct
from ...log.store import DECISION, decision_draft
from ..auth import Session
from ..drafts import FormValues
from ..forms import FieldErrors
from ..releases import recording_engine
from ..routing import Pages, form_of, signed_in, web
from ..views import redirect, render, translator

INTAKE = ("intake",)
BLANK_ROWS = 1


def fields_of(form: FormData) -> dict[str, list[str]]:
    """The text fields of a submitted form, each with all its values."""
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not isinstance(value, UploadFile):
            out.setdefault(key, []).append(value)
    return out


@dataclass
class Correction:
    seq: int
    request_id: str
    reason: str = ""


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _label(values: FormValues) -> str:
    ident = values.get("id")
    title = values.get("request.title")
    parts = [str(v) for v in (ident, title) if isinstance(v, str) and v]
    return " - ".join(parts)


def _form_page(
    request: Request,
    values: FormValues,
    *,
    errors: FieldErrors | None = None,
    draft_id: int | None = None,
    correction: Correction | None = None,
    extra_rows: dict[str, int] | None = None,
    status: int = 200,
) -> Response:
    w = web(request)
    form = w.form
    rows = {
        f.path: form.rows(f, values, BLANK_ROWS + (extra_rows or {}).get(f.path, 0)) for f in form.fields.values() if f.repeated
    }
    return render(
        request,
        "request_form.html",
        {
            "form": form,
            "policy": w.engine.policy,
            "values": values,
            "errors": errors or FieldErrors(),
            "rows": rows,
            "draft_id": draft_id,
            "correction": correction,
        },
        status,
    )


def _correction_target(request: Request, seq: int) -> Correction | None:
    w = web(request)
    with w.store.reading() as conn:
        record = w.store.get(seq, conn)
        gone = superseded_among(conn, [seq])
    if record is None or record.role != DECISION or record.seq in gone:
        return None
    return Correction(record.seq, record.request_id)


def register(pages: Pages) -> None:
    @pages.get("/requests/new", roles=INTAKE)
    def new_request(request: Request) -> Response:
        w = web(request)
        draft_id = _number(request.query_params.get("draft"))
        correct_seq = _number(request.query_params.get("correct"))
        if draft_id is not None:
            draft = w.drafts.get(draft_id, signed_in(request).account.name)
            if draft is None:
                return render(request, "error.html", {"kind": "no_draft"}, 404)
            return _form_page(request, draft.values, draft_id=draft_id)
        if correct_seq is not None:
            correction = _correction_target(request, correct_seq)
            record = w.store.get(correct_seq) if correction else None
            if correction is None or record is None:
                return render(request, "error.html", {"kind": "not_correctable"}, 404)
            data = record.request_data()
            return _form_page(request, w.form.values_of(data if isinstance(data, dict) else {}), correction=correction)
        return _form_page(request, {"received": w.config.today().isoformat()})

    @pages.post("/requests/new", roles=INTAKE)
    def submit_request(
        request: Request,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w, t = web(request), translator(request)
        raw = fields_of(form)
        parsed = w.form.parse(raw)
        draft_id = _number(_first(raw, "draft_id"))
        correct_seq = _number(_first(raw, "correct"))
        correction = _correction_target(request, correct_seq) if correct_seq is not None else None
        if correct_seq is not None and correction is None:
            return render(request, "error.html", {"kind": "not_correctable"}, 404)
        if correction is not None:
            correction.reason = _first(raw, "correction_reason").strip()
        user = session.account.name
        action = _first(raw, "action")
        add_row = _first(raw, "add_row")
        if add_row in w.form.fields:
            return _form_page(request, parsed.values, draft_id=draft_id, correction=correction, extra_rows={add_row: 1})
        if action == "stay":  # Enter pressed in a field: nothing is recorded, the form comes back as typed
            return _form_page(request, parsed.values, draft_id=draft_id, correction=correction)
        if action == "draft" and correction is None:
            saved = w.drafts.save(parsed.values, _label(parsed.values) or t("drafts.untitled"), user, draft_id)
            return redirect("/requests/new", draft=saved, notice="draft_saved")
        errors = FieldErrors()
        checked = None
        try:
            checked = w.engine.check(parsed.request)
        except InvalidRequest as exc:
            errors = w.form.place(exc.errors, t.lang, t("form.leave_blank"))
        if correction is not None and not correction.reason:
            errors.add("correction_reason", t("form.reason_needed"))
        if checked is not None and correction is None:
            with w.store.reading() as conn:
                earlier = find_decision(w.store, conn, checked.request_id)
                in_force = (
                    earlier is not None and earlier.role == DECISION and earlier.seq not in superseded_among(conn, [earlier.seq])
                )
            if earlier is not None and in_force:
                errors.add("id", t("form.id_taken", seq=earlier.seq))
        if errors or checked is None:
            return _form_page(request, parsed.values, errors=errors, draft_id=draft_id, correction=correction, status=422)
        try:
            engine, release = recording_engine(w.engine, w.store, w.config.today(), user)
            decision = engine.decide(engine.check(parsed.request), w.config.today(), "today")
            w.store.save_ruleset(engine.policy, user)
            if correction is not None:
                record = correct(
                    w.store,
                    str(correction.seq),
                    by=user,
                    reason=correction.reason,
                    recorded_by=user,
                    replacement=(parsed.request, decision),
                )
            else:
                # The check above is for the common case; this one, under the log's lock, is the rule.
                draft = decision_draft(parsed.request, decision, user, "web form", release, release is None)
                (outcome,) = w.store.record([draft])
                if outcome.record is None:
                    errors.add("id", t("form.id_taken", seq=outcome.existing))
                    return _form_page(request, parsed.values, errors=errors, draft_id=draft_id, correction=correction, status=422)
                record = outcome.record
        except EngageError as exc:
            errors.general.append((None, in_language(exc.message, t.lang)))
            return _form_page(request, parsed.values, errors=errors, draft_id=draft_id, correction=correction, status=422)
        if draft_id is not None:
            w.drafts.delete(draft_id, user)
        return redirect(f"/decisions/{record.seq}", notice="corrected" if correction else "recorded")

    @pages.get("/drafts", roles=INTAKE)
    def drafts(request: Request) -> Response:
        return render(request, "drafts.html", {"drafts": web(request).drafts.all(signed_in(request).account.name)})

    @pages.post("/drafts/{draft_id}/delete", roles=INTAKE)
    def delete_draft(request: Request, draft_id: int) -> Response:
        if not web(request).drafts.delete(draft_id, signed_in(request).account.name):
            return render(request, "error.html", {"kind": "no_draft"}, 404)
        return redirect("/drafts", notice="draft_deleted")


def _first(raw: dict[str, list[str]], key: str) -> Any:
    values = raw.get(key)
    return values[0] if values else ""
