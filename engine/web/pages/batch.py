"""Batch upload: a .csv, .xlsx or .jsonl file of requests, read by the same readers as ``engage evaluate``.

Every row gets a line: its outcome (recorded in the decision log, with a link to its
decision page) or why it could not be evaluated.  An invalid row never stops the others,
and a row whose request is already in the log is not recorded twice.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData, UploadFile

from ...batches.batch import evaluate_items
from ...batches.columns import request_columns
from ...batches.inputs import Item
from ...batches.tables import TABLE_SUFFIXES, TableErrors, csv_note, read_table
from ...batches.template import write_template
from ...batches.workbooks import save_workbook
from ...errors import EngageError
from ...evaluation.decision import Decision
from ...log.store import decision_draft
from ..auth import Session
from ..i18n import Translator
from ..releases import recording_engine
from ..routing import Pages, form_of, signed_in, web
from ..views import render, translator

INTAKE = ("intake",)
# A file read whole that holds no request: the page says so instead of showing a table of its problems.
NO_REQUESTS = ("no-requests", "empty-file")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Row:
    where: str  # file:row N (or file:line:col)
    request_id: str | None
    outcome: str | None = None
    seq: int | None = None
    priority: float | None = None
    problems: list[str] = field(default_factory=list)
    no_request: bool = False  # the file was read and holds no request (blank, empty, a header alone)
    whole_file: bool = False  # its header or its syntax stopped the whole table: no row of it was read


def safe_name(filename: str) -> str:
    """The uploaded file's own name, without any folder, safe to write in a temporary folder."""
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).lstrip(".") or "upload"
    return base[:120]


def _problem(text: str, name: str) -> str:
    """A reader's message without the file name the page already shows."""
    return text[len(name) + 1 :] if text.startswith(name + ":") else text


def _message(error: EngageError, t: Translator) -> str:
    """One problem of a row in words: the column (or field) it is about and what is wrong, without the code."""
    path = error.location.path
    if path and error.location.row:
        return f"{t('batch.column', column=path)}: {error.message}"
    return f"{path}: {error.message}" if path else error.message


def _where(where: str, name: str, t: Translator) -> str:
    """``intake.csv:row 7`` -> ``row 7``; ``batch.jsonl:12:1`` -> ``line 12``."""
    rest = _problem(where, name).strip()
    line = re.match(r"^(\d+)(:\d+)?$", rest)
    return t("batch.line", number=line.group(1)) if line else rest or name


def evaluate_upload(request: Request, path: Path, name: str, user: str) -> list[Row]:
    """Evaluate every request of the table at ``path``; record the valid ones; one row per input."""
    w = web(request)
    columns = request_columns(w.engine.policy.request_schema)
    items = [
        Item(name, doc=read) if not isinstance(read, Exception) else Item(name, error=read)
        for read in read_table(path, name, columns)
    ]
    if not items:
        return []
    engine, release = recording_engine(w.engine, w.store, w.config.today(), user)
    results = list(evaluate_items(engine, items, w.config.today()))
    rows: list[Row] = []
    drafts = []
    pending: list[tuple[Row, Decision]] = []
    t = translator(request)
    for item, result in zip(items, results, strict=True):
        row = Row(_where(item.where, name, t), item.request_id)
        if result.decision is None:
            every = [one for error in result.errors for one in getattr(error, "errors", [error])]
            row.problems.extend(_message(one, t) for one in every)
            row.no_request = bool(every) and all(one.code in NO_REQUESTS for one in every)
            row.whole_file = not row.no_request and any(isinstance(error, TableErrors) for error in result.errors)
        else:
            received = item.doc.data if item.doc is not None else result.record
            drafts.append(decision_draft(received, result.decision, user, f"web upload {name}", release, release is None))
            pending.append((row, result.decision))
        rows.append(row)
    if drafts:
        w.store.save_ruleset(engine.policy, user)
        # One transaction under the log's lock: of uploads racing with the same rows, each row is
        # recorded by exactly one of them, and the others say it is already in the log.
        for (row, decision), outcome in zip(pending, w.store.record(drafts), strict=True):
            if outcome.record is None:
                row.problems.append(t("batch.already_recorded", seq=outcome.existing))
                continue
            row.outcome = decision.outcome
            row.priority = decision.priority_score
            row.seq = outcome.record.seq
    return rows


def register(pages: Pages) -> None:
    @pages.get("/batch", roles=INTAKE)
    def batch_form(request: Request) -> Response:
        return render(request, "batch.html", {"rows": None, "error": None, "filename": None})

    @pages.post("/batch", roles=INTAKE)
    def upload(
        request: Request,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w, t = web(request), translator(request)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return render(request, "batch.html", {"rows": None, "error": t("batch.no_file"), "filename": None}, 422)
        name = safe_name(upload.filename)
        if Path(name).suffix.lower() not in TABLE_SUFFIXES:
            return render(request, "batch.html", {"rows": None, "error": t("batch.wrong_kind"), "filename": name}, 422)
        data = upload.file.read(w.config.max_upload_bytes + 1)
        if len(data) > w.config.max_upload_bytes:
            limit = w.config.max_upload_bytes // (1024 * 1024)
            return render(request, "batch.html", {"rows": None, "error": t("batch.too_large", mb=limit), "filename": name}, 413)
        with tempfile.TemporaryDirectory(prefix="engage-upload-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            rows = evaluate_upload(request, path, name, session.account.name)
            note = csv_note(path)
        status = 200 if all(r.outcome for r in rows) else 422
        read_as = None
        if note is not None:  # a CSV file not in UTF-8 with commas: say how it was read
            key = "batch.read_as_decimal" if note.decimal_comma else "batch.read_as"
            read_as = t(key, encoding=note.encoding, separator=t(f"batch.separator.{note.separator_name}"))
        return render(request, "batch.html", {"rows": rows, "error": None, "filename": name, "read_as": read_as}, status)

    @pages.get("/batch/template.xlsx", roles=INTAKE)
    def template(request: Request) -> Response:
        with tempfile.TemporaryDirectory(prefix="engage-template-") as folder:
            path = Path(folder) / "intake.xlsx"
            save_workbook(write_template(web(request).engine.policy), path)
            data = path.read_bytes()
        headers = {"Content-Disposition": 'attachment; filename="intake.xlsx"'}
        return Response(data, media_type=XLSX, headers=headers)
