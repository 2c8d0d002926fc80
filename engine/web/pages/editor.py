"""The rule editor (authors): the files of the release in force, one page per file, checked and proposed in the browser.

An author opens a rule or criteria file, changes it in a text box with line numbers, and
checks it: the ruleset (the release in force with the author's draft over it,
:mod:`engine.web.editing`) goes through lint, and every message of the loader or of lint is
shown at its line and listed above the text.  Proposing is refused while a message is an
error; then the draft is proposed exactly as an upload is (:func:`.releases.propose_folder`:
lint, the authors' test cases and the impact over the log, kept with the release).

These routes are registered before ``/releases/{number}``, which would otherwise take
``/releases/editor`` for a release number.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from ...i18n.said import in_language
from ...log.releases import Release, releases
from ..editing import KINDS, Draft, Message, check, normalized, write_ruleset
from ..routing import Pages, form_of, signed_in, web
from ..views import redirect, render, translator
from .releases import AUTHOR_ROLES, Refusal, add_cases, propose_folder

LINE_HEIGHT_EM = 1.5  # the text box's line height (engage.css, .editor): the marks of the lines are drawn with it
PADDING_REM = 0.5  # and its padding at the top


def _base(request: Request) -> tuple[Release | None, str, dict[str, bytes]]:
    """The release in force today (None on a log with none: the served files), its ruleset hash and its files."""
    w = web(request)
    current = releases(w.store).in_force(w.config.today())
    if current is not None:
        stored = w.store.ruleset_files(current.ruleset_hash)
        files = {f"{f.kind}/{f.path}": f.content for f in stored if f.content is not None and f.kind in KINDS}
        return current, current.ruleset_hash, files
    policy = w.engine.policy
    roots = {"rules": Path(policy.rules_dir or "."), "criteria": Path(policy.criteria_dir or ".")}
    return None, policy.hash, {f"{f.kind}/{f.path}": (roots[f.kind] / f.path).read_bytes() for f in policy.files}


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return len(parts) >= 2 and parts[0] in KINDS and not any(p in ("..", "") or p.startswith(".") for p in parts)


def _merged(files: dict[str, bytes], draft: Draft) -> dict[str, bytes]:
    return {**files, **{name: text.encode("utf-8") for name, text in draft.files.items()}}


def _text_of(files: dict[str, bytes], draft: Draft, name: str) -> str:
    if name in draft.files:
        return draft.files[name]
    return files[name].decode("utf-8", "replace")


def _marks(messages: list[Message]) -> str:
    """The text box's background: a band behind each line with a message (drawn by the server, so without script)."""
    bands = []
    for m in messages:
        if m.line is None:
            continue
        top = f"calc({PADDING_REM}rem + {(m.line - 1) * LINE_HEIGHT_EM}em)"
        bottom = f"calc({PADDING_REM}rem + {m.line * LINE_HEIGHT_EM}em)"
        colour = "var(--error-bg)" if m.severity == "error" else "var(--warn-bg)"
        bands.append(f"linear-gradient(transparent {top}, {colour} {top}, {colour} {bottom}, transparent {bottom})")
    return f"background-image: {', '.join(bands)};" if bands else ""


def _list_page(request: Request) -> Response:
    current, base_hash, files = _base(request)
    draft = web(request).edits.of(signed_in(request).account.name, base_hash)
    names = sorted(files)
    return render(
        request,
        "editor.html",
        {
            "current": current,
            "groups": [(kind, [n for n in names if n.startswith(kind + "/")]) for kind in KINDS],
            "changed": sorted(n for n in draft.files if files.get(n) != draft.files[n].encode("utf-8")),
            "dropped": draft.dropped,
        },
    )


def _file_page(
    request: Request,
    name: str,
    text: str | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    current, base_hash, files = _base(request)
    if name not in files:
        return render(request, "error.html", {"kind": "not_found"}, 404)
    draft = web(request).edits.of(signed_in(request).account.name, base_hash)
    shown_text = text if text is not None else _text_of(files, draft, name)
    lang = translator(request).lang
    # The check's messages in the page's language; the prefix and the check id are as lint writes them.
    messages = (
        None if draft.messages is None else [dataclasses.replace(m, text=in_language(m.text, lang)) for m in draft.messages]
    )
    here: dict[int, list[Message]] = {}
    for m in messages or []:
        if m.file == name and m.line is not None:
            here.setdefault(m.line, []).append(m)
    source = shown_text.split("\n")
    today = web(request).config.today().isoformat()
    values: dict[str, Any] = {
        "name": name,
        "current": current,
        "text": shown_text,
        "lines": len(source),  # as editor.js counts them: the empty line after the last line break too
        "source": source,
        "messages": messages,
        "errors": sum(1 for m in messages or [] if m.severity == "error"),
        "here": here,
        "marks": _marks([m for m in messages or [] if m.file == name]),
        "known": set(files),
        "line_href": lambda m: f"#L{m.line}" if m.file == name else f"/releases/editor/{m.file}#L{m.line}",
        "changed": sorted(n for n in draft.files if files.get(n) != draft.files[n].encode("utf-8")),
        "dropped": draft.dropped,
        "refusal": None,
        "note": "",
        "effective": today,
    }
    values.update(context)
    return render(request, "editor_file.html", values, status)


def _edited(request: Request, form: FormData) -> tuple[str, str, dict[str, bytes], Draft] | None:
    """The file and its new text from the form, saved into the author's draft; None for a file not in the release."""
    name, text = form.get("file"), form.get("text")
    if not isinstance(name, str) or not isinstance(text, str):
        return None
    _, base_hash, files = _base(request)
    if name not in files or not _safe(name):
        return None
    w, author = web(request), signed_in(request).account.name
    draft = w.edits.of(author, base_hash)
    text = normalized(text)
    if text.encode("utf-8") == files[name]:
        draft.files.pop(name, None)
    else:
        draft.files[name] = text
    draft.messages = None
    draft.dropped = ()  # said once: the author works on the new rules now
    w.edits.save(author, draft)
    return name, text, files, draft


def _checked(request: Request, files: dict[str, bytes], draft: Draft, folder: Path) -> list[Message]:
    """Lint of the release in force with ``draft`` over it, written under ``folder``; kept with the draft."""
    write_ruleset(folder, _merged(files, draft))
    draft.messages = check(folder)
    web(request).edits.save(signed_in(request).account.name, draft)
    return draft.messages


def _form_text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def register(pages: Pages) -> None:
    @pages.get("/releases/editor", roles=AUTHOR_ROLES)
    def editor(request: Request) -> Response:
        return _list_page(request)

    @pages.get("/releases/editor/{kind}/{path:path}", roles=AUTHOR_ROLES)
    def editor_file(request: Request, kind: str, path: str) -> Response:
        return _file_page(request, f"{kind}/{path}")

    @pages.post("/releases/editor/check", roles=AUTHOR_ROLES)
    def editor_check(request: Request, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        edited = _edited(request, form)
        if edited is None:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        name, text, files, draft = edited
        with tempfile.TemporaryDirectory(prefix="engage-edit-") as scratch:
            _checked(request, files, draft, Path(scratch))
        kept: dict[str, Any] = {"note": _form_text(form, "note")}
        if _form_text(form, "effective_from"):
            kept["effective"] = _form_text(form, "effective_from")
        return _file_page(request, name, text, **kept)

    @pages.post("/releases/editor/propose", roles=AUTHOR_ROLES)
    def editor_propose(request: Request, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        t = translator(request)
        edited = _edited(request, form)
        if edited is None:
            return render(request, "error.html", {"kind": "not_found"}, 404)
        name, text, files, draft = edited
        note, effective_text = _form_text(form, "note"), _form_text(form, "effective_from")

        def refuse(message: str, lines: list[str] | None = None) -> Response:
            refusal = Refusal(message, lines or [])
            return _file_page(request, name, text, 422, refusal=refusal, note=note, effective=effective_text)

        try:
            effective = date.fromisoformat(effective_text)
        except ValueError:
            return refuse(t("releases.bad_date"))
        if not note:
            return refuse(t("releases.need_note"))
        if not draft.files:
            return refuse(t("editor.unchanged"))
        with tempfile.TemporaryDirectory(prefix="engage-edit-") as scratch:
            folder = Path(scratch)
            messages = _checked(request, files, draft, folder)
            errors = [m.text for m in messages if m.severity == "error"]
            if errors:
                return refuse(t.plural("releases.lint_refused", len(errors)))
            add_cases(request, folder)
            label = t("releases.edited", files=", ".join(sorted(draft.files)))
            proposed = propose_folder(request, folder, label, note, effective)
        if isinstance(proposed, Refusal):
            return refuse(proposed.message, proposed.lines)
        web(request).edits.drop(signed_in(request).account.name)
        return redirect(f"/releases/{proposed.number}", notice="release_proposed")

    @pages.post("/releases/editor/discard", roles=AUTHOR_ROLES)
    def editor_discard(request: Request) -> Response:
        web(request).edits.drop(signed_in(request).account.name)
        return redirect("/releases/editor", notice="draft_discarded")
