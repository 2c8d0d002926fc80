"""Batch upload: a .csv, .xlsx or .jsonl file of requests, read by the same readers as ``engage evaluate``.

Every row gets a line: its outcome (recorded in the decision log, with a link to its
decision page) or why it could not be evaluated.  An invalid row never stops the others,
and a row whose request is already in the log is not recorded twice.  The file is read,
evaluated and recorded as a stream by an upload job (engine/web/uploads.py): a small one in
the request, whose answer is its summary; a larger one in the background, with a progress
page that refreshes itself, then the summary, read a page at a time.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from ...batches.tables import TABLE_SUFFIXES
from ...batches.template import write_template
from ...batches.workbooks import save_workbook
from ..auth import Session
from ..routing import Pages, form_of, signed_in, web
from ..uploads import PAGE_ROWS, Job, Upload, run_upload
from ..views import redirect, render, translator

INTAKE = ("intake",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFRESH_SECONDS = 2  # how often a running job's page reloads itself
SPOOL_BLOCK = 1 << 20  # bytes copied at a time from the parsed form to the job's own file


def safe_name(filename: str) -> str:
    """The uploaded file's own name, without any folder, safe to write in a temporary folder."""
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).lstrip(".") or "upload"
    return base[:120]


def _spool(upload: UploadFile, path: Path, limit: int) -> int | None:
    """Copy the uploaded file to ``path`` a block at a time; its size, or None past ``limit`` bytes."""
    size = 0
    with path.open("wb") as out:
        while block := upload.file.read(SPOOL_BLOCK):
            size += len(block)
            if size > limit:
                return None
            out.write(block)
    return size


def _read_as(request: Request, job: Job) -> str | None:
    how = job.how_read
    if how is None:
        return None
    t = translator(request)
    key = "batch.read_as_decimal" if how.get("decimal_comma") else "batch.read_as"
    return t(key, encoding=how["encoding"], separator=t(f"batch.separator.{how['separator']}"))


def _summary(request: Request, job: Job, status: int = 200) -> Response:
    """A finished job: its counts and its rows, a page at a time (all rows, or only those with problems)."""
    only = request.query_params.get("show") == "problems"
    try:
        start = max(int(request.query_params.get("from", "0")), 0)
    except ValueError:
        start = 0
    jobs = web(request).uploads
    rows = jobs.rows(job.id, start, only, PAGE_ROWS + 1)
    following = rows[PAGE_ROWS].n if len(rows) > PAGE_ROWS else None
    rows = rows[:PAGE_ROWS]
    context = {
        "rows": rows,
        "job": job,
        "error": None,
        "filename": job.filename,
        "read_as": _read_as(request, job),
        "only_problems": only,
        "following": following,
        "previous": jobs.page_before(job.id, start, only, PAGE_ROWS) if start > 0 else None,
        "start": start,
        "recent": None,
    }
    return render(request, "batch.html", context, status)


def register(pages: Pages) -> None:
    @pages.get("/batch", roles=INTAKE)
    def batch_form(request: Request) -> Response:
        recent = web(request).uploads.recent()
        return render(request, "batch.html", {"rows": None, "error": None, "filename": None, "recent": recent})

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
        # The job's own folder: the file (Starlette spooled it to disk as it arrived, under the body's
        # limit) and the ids seen so far; removed when the job ends.
        folder = Path(tempfile.mkdtemp(prefix="engage-upload-"))
        path = folder / name
        size = _spool(upload, path, w.config.max_upload_bytes)
        if size is None:
            shutil.rmtree(folder, ignore_errors=True)
            limit = w.config.max_upload_bytes // (1024 * 1024)
            return render(request, "batch.html", {"rows": None, "error": t("batch.too_large", mb=limit), "filename": name}, 413)
        user = session.account.name
        job = w.uploads.create(name, size, user)
        work = Upload(job, path, name, user, t)
        today = w.config.today()
        if size > w.config.inline_upload_bytes:
            w.runner.start(job, lambda stop: run_upload(w.uploads, w.engine, w.store, today, work, stop))
            return redirect(f"/batch/jobs/{job}")
        run_upload(w.uploads, w.engine, w.store, today, work)
        done = w.uploads.get(job)
        assert done is not None
        return _summary(request, done, 200 if done.problems == 0 and done.state == "done" else 422)

    @pages.get("/batch/jobs/{job_id}", roles=INTAKE)
    def job_page(request: Request, job_id: int) -> Response:
        job = web(request).uploads.get(job_id)
        if job is None:
            raise HTTPException(404)
        if job.running:
            return render(request, "batch_job.html", {"job": job, "refresh": REFRESH_SECONDS})
        if job.state != "done":  # interrupted or failed: what it did, and how to finish
            return render(request, "batch_job.html", {"job": job, "refresh": None})
        return _summary(request, job)

    @pages.get("/batch/template.xlsx", roles=INTAKE)
    def template(request: Request) -> Response:
        with tempfile.TemporaryDirectory(prefix="engage-template-") as folder:
            path = Path(folder) / "intake.xlsx"
            save_workbook(write_template(web(request).engine.policy), path)
            data = path.read_bytes()
        headers = {"Content-Disposition": 'attachment; filename="intake.xlsx"'}
        return Response(data, media_type=XLSX, headers=headers)
