"""The request for information: the letter to the requester, printable, and the text of an e-mail (intake).

"Prepare the request for information" on the decision page (a POST) records in the decision
log that the requester was asked, by whom, when, in which language and for which fields
(:func:`engine.log.inforequests.record_request`), then shows the letter's page.  The page
itself (a GET) records nothing: switching its language, printing it or copying the e-mail is
the same request for information, not another one.  The letter comes from the policy's
template (:func:`engine.evaluation.letter.compose`), as ``engage letter`` writes it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from ...errors import EngageError
from ...evaluation.letter import Letter, LetterError, NothingToAsk, choose_language, compose
from ...evaluation.stored_decision import decision_from_dict
from ...log.inforequests import record_request, requests_on
from ...log.logview import superseded
from ...log.store import DECISION, LogRecord
from ...policy.texts import in_language
from ..auth import Session
from ..routing import Pages, form_of, signed_in, web
from ..views import redirect, render, translator

ASKERS = ("intake",)


def language_names(request: Request) -> dict[str, str]:
    """Each language of the letters, named by the requester.language field (else its code), in the page's language."""
    policy = web(request).engine.policy
    declared = policy.fields.get("requester.language")
    labels = declared.labels if declared is not None else {}
    shown = translator(request).lang
    return {lang: in_language(labels[lang], shown) if lang in labels else lang for lang in policy.letters.languages}


def _decision_record(request: Request, seq: int) -> tuple[LogRecord | None, int | None]:
    w = web(request)
    with w.store.reading() as conn:
        record = w.store.get(seq, conn)
        by = superseded(conn).get(seq)
    if record is None or record.role != DECISION:
        return None, None
    return record, by


def letter_of(request: Request, record: LogRecord, language: str | None) -> Letter:
    """The letter for a recorded engine decision, in ``language`` (None: the requester's)."""
    w = web(request)
    policy = w.engine.policy
    decision = decision_from_dict(record.decision_data(), policy.criterion_names)
    return compose(policy, decision, record.request_data(), language=language, today=w.config.today())


def default_language(request: Request, record: LogRecord) -> str | None:
    try:
        return choose_language(web(request).engine.policy, record.request_data())
    except LetterError:
        return None


def register(pages: Pages) -> None:
    @pages.post("/decisions/{seq}/letter", roles=ASKERS)
    def prepare(
        request: Request,
        seq: int,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w = web(request)
        record, by = _decision_record(request, seq)
        if record is None:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        if by is not None:
            return redirect(f"/decisions/{by}")
        chosen = str(form.get("lang") or "").strip() or None
        try:
            letter = letter_of(request, record, chosen)
            record_request(
                w.store,
                seq,
                by=session.account.name,
                language=letter.language,
                fields=[q.field for q in letter.questions],
                recorded_by=session.account.name,
            )
        except NothingToAsk:
            return render(request, "error.html", {"kind": "nothing_to_ask"}, 409)
        except LetterError:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        except EngageError as exc:
            if exc.code == "superseded":
                return redirect(f"/decisions/{seq}")
            raise
        return redirect(f"/decisions/{seq}/letter", lang=letter.language, notice="info_requested")

    @pages.get("/decisions/{seq}/letter", roles=ASKERS)
    def show(request: Request, seq: int) -> Response:
        w = web(request)
        record, _ = _decision_record(request, seq)
        if record is None:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        names = language_names(request)
        wanted = request.query_params.get("lang") or None
        try:
            letter = letter_of(request, record, wanted if wanted in names else None)
        except NothingToAsk:
            return render(request, "error.html", {"kind": "nothing_to_ask"}, 409)
        except LetterError:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        with w.store.reading() as conn:
            asked = requests_on(w.store, conn, seq)
        context: dict[str, Any] = {
            "record": record,
            "letter": letter,
            "letter_languages": names,
            "asked": asked,
        }
        return render(request, "letter.html", context)
