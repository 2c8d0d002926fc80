"""Rendering pages: the Jinja2 environment (autoescaping everything) and what every page shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ..errors import visible
from ..evaluation.logic import lookup
from ..evaluation.render import by_field
from ..log.releases import ADOPTION_NOTE
from .auth import CSRF_FIELD, Session
from .forms import html_id
from .i18n import NAMES, Translator, choose
from .present import (
    citation_href,
    citation_words,
    field_help,
    field_label,
    form_hint,
    group_label,
    option_label,
    options,
    question_words,
    reason_words,
    shown,
    status_badge,
    words,
)
from .routing import session_of, web

# Pages whose sub-pages are other items of the navigation (or not marked as theirs).
OWN_ITEM_ONLY = ("/rules", "/releases")
# The navigation: (catalogue key, path); an item shows when the user has a role its page allows.
NAVIGATION = (
    ("nav.new_request", "/requests/new"),
    ("nav.batch", "/batch"),
    ("nav.drafts", "/drafts"),
    ("nav.queue", "/queue"),
    ("nav.audit", "/audit"),
    ("nav.rules", "/rules"),
    ("nav.impact", "/rules/impact"),
    ("nav.releases", "/releases"),
    ("nav.accounts", "/accounts"),
)
# Notices shown after a redirect (?notice=KEY): only these keys, so a link cannot inject text.
NOTICES = (
    "signed_out",
    "draft_saved",
    "draft_deleted",
    "human_recorded",
    "info_requested",
    "recorded",
    "corrected",
    "account_added",
    "account_changed",
    "password_changed",
    "token_revoked",
    "release_proposed",
    "release_step",
    "draft_discarded",
)


def _shown(value: Any) -> Any:
    """Every text a page shows: hidden characters (bidi overrides, zero-width) as <U+XXXX>, then escaped."""
    return visible(value, lines=True) if isinstance(value, str) and not isinstance(value, Markup) else value


environment = Environment(
    loader=PackageLoader("engine.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_shown,
)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


LANG_COOKIE = "engage_lang"  # the language chosen before signing in (the account's own setting wins once signed in)


def translator(request: Request) -> Translator:
    """The page's language: the account's setting, else the visitor's choice, else the browser's, else English."""
    session = session_of(request)
    account = session.account.language if session is not None else None
    return Translator(choose(account, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")))


def here(request: Request) -> str:
    """The current page with its query, for the language switcher to come back to."""
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def navigation(request: Request, session: Session | None, t: Translator) -> list[NavItem]:
    if session is None:
        return []
    declared = request.app.state.declared
    path = request.url.path
    return [
        NavItem(t(key), href, path == href or (href != "/" and path.startswith(href + "/") and href not in OWN_ITEM_ONLY))
        for key, href in NAVIGATION
        if session.account.has(*declared[("GET", href)])
    ]


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    t = translator(request)
    session = session_of(request)
    notice = request.query_params.get("notice")
    w = web(request)
    policy = w.engine.policy
    values: dict[str, Any] = {
        "t": t,
        "lang": t.lang,
        "session": session,
        "csrf": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "nav": navigation(request, session, t),
        "notice": t(f"notice.{notice}") if notice in NOTICES else None,
        "labels": w.labels_in(t),
        "path": request.url.path,
        "here": here(request),
        "languages": list(NAMES.items()),
        "field_label": lambda path: field_label(t, policy, path),
        "field_help": lambda f: field_help(t, policy, f),
        "form_hint": lambda f: form_hint(t, policy, f),
        "group_label": lambda name: group_label(t, policy, name),
        "question": lambda path: question_words(t, policy, path),
        "could_change": lambda decision: by_field(decision.could_change),
        "field_options": lambda f, path=None: options(t, policy, f, path),
        "badge": lambda code: status_badge(w.labels_in(t).statuses, t, code),
        "option_label": lambda path, code: option_label(t, policy, path, code),
        "shown": lambda path, value: shown(t, policy, path, value),
        "lookup": lookup,
        "cite_text": lambda c: citation_words(t, policy, c),
        "adoption_note": ADOPTION_NOTE,
        "policy_words": lambda text: words(t, text),
        "reason_text": lambda r: reason_words(t, policy, r, None, None),
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


def redirect(path: str, **params: str | int) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def csrf_input(token: str) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


environment.globals.update(csrf_input=csrf_input, html_id=html_id, citation_href=citation_href)
