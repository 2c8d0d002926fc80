"""The releases of the rules (authors, Board): the list, one release's page, and its steps.

A release's page shows its steps, the difference against the release in force
(:func:`engine.releases.diff.diff`, as ``engage rules diff``), and the report of the checks
kept with the proposal.  Board members approve or reject it there, its author withdraws it;
authors propose a release by uploading changed rule or criteria files (or a zip of
``rules/`` and ``criteria/``), checked as ``engage rules propose`` checks them
(:func:`engine.releases.checks.propose_checked`).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData, UploadFile

from ...errors import EngageError
from ...i18n.said import in_language
from ...i18n.understood import understood
from ...log.releases import PROPOSED, Release, ReleaseError, Releases, approve, reject, releases, withdraw
from ...log.rulesets import write_files
from ...releases.checks import Candidate, propose_checked
from ...releases.diff import Change, diff
from ..editing import check, shown
from ..routing import Pages, form_of, signed_in, web
from ..views import redirect, render, translator
from .batch import safe_name

LIST_ROLES = ("author", "board")
BOARD_ROLES = ("board",)
AUTHOR_ROLES = ("author",)
KINDS = ("rules", "criteria")


def _list_page(request: Request, status: int = 200, **context: Any) -> Response:
    w = web(request)
    today = w.config.today()
    found = releases(w.store)
    rows = [{"release": r, "state": found.state(r, today)} for r in reversed(list(found))]
    values: dict[str, Any] = {
        "rows": rows,
        "today": today.isoformat(),
        "error": None,
        "messages": [],
        "effective": today.isoformat(),
        "note": "",
    }
    values.update(context)
    return render(request, "releases.html", values, status)


def _changes(request: Request, found: Releases, release: Release) -> tuple[Release | None, Release | None, list[Change]]:
    """The release in force today, the one ``release`` is compared with, and what it changes from that one.

    A release is compared with the release in force today; the release in force itself with the
    one in force the day before its own first day (its predecessor), so that its page still says
    what it changed.
    """
    w = web(request)
    current = found.in_force(w.config.today())
    against = current
    if current is not None and current.number == release.number:
        against = found.in_force(release.effective_from - timedelta(days=1)) if release.effective_from else None
    if against is None or against.number == release.number:
        return current, None, []
    return current, against, diff(w.store.ruleset_files(against.ruleset_hash), w.store.ruleset_files(release.ruleset_hash))


def _release_page(request: Request, number: int, status: int = 200, error: str | None = None) -> Response:
    w = web(request)
    found = releases(w.store)
    try:
        release = found.get(number)
    except ReleaseError:
        return render(request, "error.html", {"kind": "no_release"}, 404)
    current, against, changes = _changes(request, found, release)
    session = signed_in(request)
    report = release.report or {}
    lang = translator(request).lang
    return render(
        request,
        "release.html",
        {
            "release": release,
            "state": found.state(release, w.config.today()),
            "current": current,
            "against": against,
            "changes": changes,
            "lint_part": _in_language(report.get("lint") or {}, "findings", lang),
            "cases": _in_language(report.get("cases") or {}, "note", lang),
            "impact": report.get("impact"),
            "source": report.get("source"),
            "open": release.closing is None,
            "may_decide": release.closing is None and session.account.has(*BOARD_ROLES),
            "may_withdraw": release.closing is None and session.account.name == release.author,
            "error": error,
            "record_href": _record_href,
            "proposed_step": PROPOSED,
        },
        status,
    )


def _in_language(part: dict[str, Any], key: str, lang: str) -> dict[str, Any]:
    """A part of the kept report with its English ``key`` (a text, or a list of them) in ``lang``, as far as it is understood."""
    value = part.get(key)
    if isinstance(value, str):
        return {**part, key: in_language(understood(value), lang)}
    if isinstance(value, list):
        return {**part, key: [in_language(understood(v), lang) if isinstance(v, str) else v for v in value]}
    return part


def _record_href(record: str) -> str | None:
    """``/decisions/{seq}`` for a report's ``#seq``."""
    text = str(record)
    return f"/decisions/{text[1:]}" if text.startswith("#") and text[1:].isdigit() else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _uploads(form: FormData) -> list[UploadFile]:
    return [u for u in form.getlist("files") if isinstance(u, UploadFile) and u.filename]


def _place(base: Path, known: dict[str, str], name: str, data: bytes) -> str:
    """Write one uploaded YAML file where the rules in force have a file of that name (else in ``rules/``)."""
    target = known.get(name, f"rules/{name}")
    (base / target).parent.mkdir(parents=True, exist_ok=True)
    (base / target).write_bytes(data)
    return target


def _unzip(base: Path, data: bytes, limit: int) -> list[str]:
    """The archive's ``rules/`` and ``criteria/`` files over the base (other entries, and unsafe paths, ignored)."""
    placed: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(i.file_size for i in archive.infolist()) > limit:
            raise ValueError("too large")
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts
            while parts and parts[0] not in KINDS:  # a zip of a checkout: .../rules/x.yaml
                parts = parts[1:]
            if info.is_dir() or len(parts) < 2 or any(p in ("..", "") or p.startswith(".") for p in parts):
                continue
            target = base.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            placed.append("/".join(parts))
    return placed


def _base_files(request: Request, found: Releases, base: Path) -> None:
    """The proposal starts from the release in force today (or the served files), with the authors' test cases."""
    w = web(request)
    current = found.in_force(w.config.today())
    policy = w.engine.policy
    if current is not None:
        write_files(w.store.ruleset_files(current.ruleset_hash), base)
    else:
        shutil.copytree(policy.rules_dir, base / "rules", ignore=shutil.ignore_patterns("tests"))
        shutil.copytree(policy.criteria_dir, base / "criteria")
    add_cases(request, base)


def add_cases(request: Request, base: Path) -> None:
    """The authors' test cases of the served rules into the proposal's ``rules/tests`` (unless it has its own)."""
    policy = web(request).engine.policy
    cases = Path(policy.rules_dir) / "tests" if policy.rules_dir else None
    if cases is not None and cases.is_dir() and not (base / "rules" / "tests").exists():
        shutil.copytree(cases, base / "rules" / "tests")


@dataclass(frozen=True)
class Refusal:
    """Why a proposal from the browser was refused: a sentence, and the checks' lines."""

    message: str
    lines: list[str]


def propose_folder(request: Request, base: Path, label: str, note: str, effective: date) -> Release | Refusal:
    """The rules under ``base`` (linted already, without error) checked and proposed as ``engage rules propose`` does."""
    t = translator(request)
    candidate = Candidate(label, base / "rules", base / "criteria", base)
    try:
        by = signed_in(request).account.name
        return propose_checked(web(request).store, candidate, by=by, note=note, effective_from=effective)
    except EngageError as exc:
        return Refusal(t("releases.refused"), [in_language(shown(exc.message, base), t.lang)])


def register(pages: Pages) -> None:
    @pages.get("/releases", roles=LIST_ROLES)
    def release_list(request: Request) -> Response:
        return _list_page(request)

    @pages.post("/releases", roles=AUTHOR_ROLES)
    def propose_upload(request: Request, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        w, t = web(request), translator(request)
        note, effective_text = _text(form, "note"), _text(form, "effective_from")
        kept = {"note": note, "effective": effective_text}

        def refuse(message: str, lines: list[str] | None = None, status: int = 422) -> Response:
            return _list_page(request, status, error=message, messages=lines or [], **kept)

        try:
            effective = date.fromisoformat(effective_text)
        except ValueError:
            return refuse(t("releases.bad_date"))
        if not note:
            return refuse(t("releases.need_note"))
        uploads = _uploads(form)
        if not uploads:
            return refuse(t("releases.need_files"))
        found = releases(w.store)
        limit = w.config.max_upload_bytes
        with tempfile.TemporaryDirectory(prefix="engage-upload-") as scratch:
            base = Path(scratch) / "proposal"
            _base_files(request, found, base)
            known = {p.name: f"{k}/{p.relative_to(base / k)}" for k in KINDS for p in sorted((base / k).rglob("*.y*ml"))}
            known = {name: path for name, path in known.items() if not path.startswith("rules/tests/")}
            placed: list[str] = []
            for upload in uploads:
                name = safe_name(upload.filename or "")
                data = upload.file.read(limit + 1)
                if len(data) > limit:
                    return refuse(t("releases.too_large", file=name), status=413)
                suffix = Path(name).suffix.lower()
                if suffix == ".zip":
                    try:
                        placed.extend(_unzip(base, data, limit))
                    except (zipfile.BadZipFile, ValueError):
                        return refuse(t("releases.bad_zip", file=name))
                elif suffix in (".yaml", ".yml"):
                    placed.append(_place(base, known, name, data))
                else:
                    return refuse(t("releases.not_yaml", file=name))
            if not placed:
                return refuse(t("releases.need_files"))
            errors = [in_language(m.text, t.lang) for m in check(base) if m.severity == "error"]
            if errors:
                return refuse(t.plural("releases.lint_refused", len(errors)), errors)
            proposed = propose_folder(request, base, t("releases.uploaded", files=", ".join(sorted(placed))), note, effective)
            if isinstance(proposed, Refusal):
                return refuse(proposed.message, proposed.lines)
            release = proposed
        return redirect(f"/releases/{release.number}", notice="release_proposed")

    @pages.get("/releases/{number}", roles=LIST_ROLES)
    def release_page(request: Request, number: int) -> Response:
        return _release_page(request, number)

    def step(request: Request, number: int, action: Any) -> Response:
        try:
            action()
        except ReleaseError as exc:
            return _release_page(request, number, 409, error=in_language(exc.message, translator(request).lang))
        return redirect(f"/releases/{number}", notice="release_step")

    @pages.post("/releases/{number}/approve", roles=BOARD_ROLES)
    def approve_release(request: Request, number: int, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        who = signed_in(request).account.name
        return step(request, number, lambda: approve(web(request).store, number, by=who, justification=_text(form, "text")))

    @pages.post("/releases/{number}/reject", roles=BOARD_ROLES)
    def reject_release(request: Request, number: int, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        who = signed_in(request).account.name
        return step(request, number, lambda: reject(web(request).store, number, by=who, reason=_text(form, "text")))

    @pages.post("/releases/{number}/withdraw", roles=AUTHOR_ROLES)
    def withdraw_release(request: Request, number: int) -> Response:
        who = signed_in(request).account.name
        return step(request, number, lambda: withdraw(web(request).store, number, by=who))
