"""The rules (authors, Board) and the impact of a candidate change (authors).

The rules page shows every rule in force on the server with its condition in words, its
effect, reason, citations and effective dates, grouped by condition, with the lint status of
the rules (:func:`engine.authoring.lint.lint_policy`).  The impact page takes a changed rule file (or
a git revision of the repository the rules come from), lints it, and compares it with the
rules in force on the requests of the decision log (:func:`engine.authoring.impact.compare`).  The
candidate lives in a temporary folder for the length of the request: nothing goes live from
the browser.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData, UploadFile

from ...authoring.impact import ImpactReport, RuleSet, compare, resolve
from ...authoring.lint import LintReport, lint
from ...batches.inputs import Item, read_requests
from ...errors import EngageError
from ...evaluation.evaluator import Engine
from ...i18n.said import in_language, replaced
from ...log.logview import entries
from ...policy.documents import Document
from ...policy.shipped import shipped_dir
from ..present import condition_view, effect_words, rule_citations, words
from ..routing import Pages, form_of, web
from ..views import render, translator
from .batch import safe_name

RULES_ROLES = ("author", "board")
IMPACT_ROLES = ("author",)
MAX_REVISIONS = 30


@dataclass(frozen=True)
class Revision:
    value: str  # a commit hash or a branch/tag name
    text: str


def revisions(repo: Path | None, rules_dir: str, criteria_dir: str) -> list[Revision]:
    """Branches, tags and the recent commits that changed the rules, newest first."""
    if repo is None:
        return []

    def git(*args: str) -> list[str]:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
        return done.stdout.splitlines() if done.returncode == 0 else []

    out = [Revision(ref, ref) for ref in git("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags")]
    inside = [str(Path(p).resolve().relative_to(repo.resolve())) for p in (rules_dir, criteria_dir) if _inside(p, repo)]
    paths = inside or ["rules", "criteria"]  # a repository given with --repo: its own rules/ and criteria/
    if paths:
        for line in git(
            "log", "--branches", "--tags", f"-n{MAX_REVISIONS}", "--format=%H%x1f%h%x1f%ad%x1f%s", "--date=short", "--", *paths
        ):
            full, short, day, subject = (line.split("\x1f") + ["", "", ""])[:4]
            out.append(Revision(full, f"{short} {day} {subject}"))
    return out


def _inside(path: str, repo: Path) -> bool:
    try:
        Path(path).resolve().relative_to(repo.resolve())
        return True
    except ValueError:
        return False


def policy_files(request: Request) -> list[str]:
    policy = web(request).engine.policy
    return [f"{f.kind}/{f.path}" for f in policy.files]


def in_policy(policy: Any, text: str) -> str:
    """``text`` with the policy's own folders named as the authors know them (``rules/x.yaml:3:5``),
    not by where the server happens to have them installed."""
    for folder, name in ((policy.rules_dir, "rules"), (policy.criteria_dir, "criteria")):
        if not folder:
            continue
        for prefix in sorted({str(Path(folder)), str(Path(folder).resolve())}, key=len, reverse=True):
            text = replaced(text, prefix + "/", name + "/")
    return text


def corpus(request: Request) -> tuple[list[Item], str]:
    """The requests of the decision log in force (or the shipped examples when the log holds none)."""
    w = web(request)
    with w.store.reading() as conn:
        found = entries(w.store, conn)
    items = [Item(f"#{e.seq}", doc=Document(e.record.request_data(), f"#{e.seq}")) for e in found]
    if items:
        return items, "log"
    return list(read_requests([str(shipped_dir("examples"))])), "examples"


def _clean(text: str, folder: Path) -> str:
    for prefix in {str(folder) + "/", str(folder.resolve()) + "/"}:
        text = replaced(text, prefix, "")
    return text


def _impact_page(request: Request, **context: Any) -> Response:
    w = web(request)
    values: dict[str, Any] = {
        "files": policy_files(request),
        "revisions": revisions(w.repo, w.engine.policy.rules_dir, w.engine.policy.criteria_dir),
        "error": None,
        "report": None,
        "lint_report": None,
        "lint_lines": [],
        "candidate": None,
        "corpus_kind": None,
        "as_of": w.config.today().isoformat(),
        "chosen_revision": "",
        "chosen_replaces": "",
    }
    values.update(context)
    if values["lint_report"] is not None:
        values["lint_summary"] = in_language(values["lint_report"].summary(), translator(request).lang)
    status = values.pop("status", 200)
    return render(request, "impact.html", values, status)


def register(pages: Pages) -> None:
    @pages.get("/rules", roles=RULES_ROLES)
    def rules(request: Request) -> Response:
        w, t = web(request), translator(request)
        policy = w.engine.policy
        labels = w.labels_in(t)

        def view(rule: Any) -> dict[str, Any]:
            return {
                "rule": rule,
                "when": condition_view(t, policy, rule.when),
                "effect": effect_words(t, labels.statuses, rule, labels.outcome(rule.outcome) if rule.outcome else None),
                "cites": rule_citations(policy, rule),
                "where": in_policy(policy, rule.location.prefix()),
                "reason": words(t, rule.reason),
                "description": words(t, rule.description),
            }

        groups = [
            {
                "title": labels.criterion(c.name),
                "summary": words(t, c.summary),
                "rules": [view(r) for r in policy.condition_rules.get(c.name, ())],
            }
            for c in policy.criteria
        ]
        groups.append(
            {
                "title": t("rules.exceptions"),
                "summary": t("rules.exceptions_intro"),
                "rules": [view(r) for r in policy.exception_rules],
            }
        )
        groups.append(
            {"title": t("rules.outcomes"), "summary": t("rules.outcomes_intro"), "rules": [view(r) for r in policy.outcome_rules]}
        )
        report = w.lint()
        findings = [in_language(in_policy(policy, f.line()), t.lang) for f in report.findings]
        return render(
            request,
            "rules.html",
            {
                "groups": groups,
                "lint_report": report,
                "lint_summary": in_language(report.summary(), t.lang),
                "findings": findings,
                "policy": policy,
                "today": w.config.today(),
            },
        )

    @pages.get("/rules/impact", roles=IMPACT_ROLES)
    def impact_form(request: Request) -> Response:
        return _impact_page(request)

    @pages.post("/rules/impact", roles=IMPACT_ROLES)
    def impact(request: Request, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        w, t = web(request), translator(request)
        upload = form.get("file")
        revision = str(form.get("revision") or "")
        replaces = str(form.get("replaces") or "")
        as_of_text = str(form.get("as_of") or "")

        def page(**context: Any) -> Response:
            # The form comes back as it was sent: the revision, the file it replaces and the date.
            shown = {
                "chosen_revision": revision,
                "chosen_replaces": replaces,
                "as_of": as_of_text or w.config.today().isoformat(),
            }
            return _impact_page(request, **{**shown, **context})

        try:
            as_of = date.fromisoformat(as_of_text) if as_of_text else w.config.today()
        except ValueError:
            return page(error=t("impact.bad_date"), status=422)
        has_file = isinstance(upload, UploadFile) and bool(upload.filename)
        if has_file == bool(revision):
            return page(error=t("impact.choose_one"), status=422)
        policy = w.engine.policy
        with tempfile.TemporaryDirectory(prefix="engage-candidate-") as scratch:
            folder = Path(scratch)
            if has_file:
                assert isinstance(upload, UploadFile)
                name = safe_name(upload.filename or "")
                if Path(name).suffix.lower() not in (".yaml", ".yml"):
                    return page(error=t("impact.not_yaml"), status=422)
                data = upload.file.read(w.config.max_upload_bytes + 1)
                if len(data) > w.config.max_upload_bytes:
                    return page(error=t("impact.too_large"), status=413)
                files = policy_files(request)
                same_name = [f for f in files if f.split("/", 1)[1] == name]
                if replaces not in files and len(same_name) > 1:
                    return page(error=t("impact.ambiguous", file=name), status=422)
                target = replaces if replaces in files else (same_name[0] if same_name else f"rules/{name}")
                shutil.copytree(policy.rules_dir, folder / "rules", ignore=shutil.ignore_patterns("tests"))
                shutil.copytree(policy.criteria_dir, folder / "criteria")
                (folder / target).write_bytes(data)
                candidate = RuleSet(t("impact.uploaded", file=name, target=target), folder / "rules", folder / "criteria")
            else:
                if w.repo is None or revision not in {r.value for r in revisions(w.repo, policy.rules_dir, policy.criteria_dir)}:
                    return page(error=t("impact.unknown_revision"), status=422)
                try:
                    found = resolve(revision, w.repo, folder)
                except EngageError as exc:
                    return page(error=in_language(exc.message, t.lang), status=422)
                candidate = RuleSet(
                    t("impact.revision", revision=revision[:12]), found.rules_dir, found.criteria_dir, found.revision
                )
            report: LintReport = lint(candidate.rules_dir, candidate.criteria_dir)
            lint_lines = [(f.severity, in_language(_clean(f.line(), folder), t.lang)) for f in report.findings]
            if report.rules == 0:  # the candidate does not load: there is nothing to compare
                return page(
                    error=t("impact.does_not_load"),
                    lint_report=report,
                    lint_lines=lint_lines,
                    candidate=candidate.label,
                    status=422,
                )
            items, kind = corpus(request)
            head = Engine.load(candidate.rules_dir, candidate.criteria_dir)
            try:
                result: ImpactReport = compare(
                    w.engine, head, items, as_of, base_label=t("impact.in_force"), head_label=candidate.label
                )
            finally:
                head.close()
        return page(
            report=result,
            lint_report=report,
            lint_lines=lint_lines,
            candidate=candidate.label,
            corpus_kind=kind,
            as_of=as_of.isoformat(),
        )
