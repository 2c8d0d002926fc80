"""Signing in and out, and the start page (what the user's roles let them do)."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from ...log.listing import totals
from ..accounts import ROLES
from ..auth import CSRF_COOKIE, SESSION_COOKIE, Session, new_token
from ..i18n import LANGUAGES
from ..routing import PUBLIC, Pages, form_of, session_of, signed_in, web
from ..views import LANG_COOKIE, redirect, render, translator

EVERYONE = ROLES
LANG_COOKIE_AGE = 365 * 24 * 3600  # a visitor's choice of language, kept for a year


def login_target(path: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _secure(request: Request) -> bool:
    configured = web(request).config.secure_cookies
    return request.url.scheme == "https" if configured is None else configured


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, *, error: str | None = None, name: str = "", status: int = 200) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    response = render(
        request,
        "login.html",
        {"error": error, "name": name, "login_csrf": token, "next": login_target(request.query_params.get("next"))},
        status,
    )
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/")
    return response


def _language_chosen(request: Request, form: FormData) -> Response:
    """Back to the page the switcher was on, in the language chosen (also kept for the sign-in page)."""
    lang = str(form.get("lang") or "")
    response = redirect(login_target(str(form.get("next") or "")))
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True, samesite="lax", secure=_secure(request), path="/"
        )
    return response


def register(pages: Pages) -> None:
    @pages.get("/login", roles=PUBLIC)
    def login_form(request: Request) -> Response:
        if session_of(request) is not None:
            return redirect(login_target(request.query_params.get("next")))
        return _login_page(request)

    @pages.post("/login", roles=PUBLIC)
    def login(request: Request, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        w, t = web(request), translator(request)
        name = str(form.get("name") or "").strip()
        password = str(form.get("password") or "")
        client = _client(request)
        known = bool(name) and w.accounts.get(name) is not None
        wait = w.limiter.wait(name, client, known=known)
        if wait is not None:
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            return _login_page(request, error=t.plural("login.too_many", minutes), name=name, status=429)
        account = w.accounts.authenticate(name, password) if name and password else None
        if account is None:
            w.limiter.failed(name or "(none)", client, known=known)
            return _login_page(request, error=t("login.wrong"), name=name, status=401)
        w.limiter.cleared(account.name, client)
        session = w.sessions.start(account)
        response = redirect(login_target(str(form.get("next") or "")))
        response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="lax", secure=_secure(request), path="/")
        return response

    @pages.post("/logout", roles=EVERYONE)
    def logout(request: Request, session: Session = Depends(signed_in)) -> Response:  # noqa: B008
        web(request).sessions.end(session.token)
        response = redirect("/login", notice="signed_out")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @pages.post("/language", roles=PUBLIC)
    def choose_language(request: Request, form: FormData = Depends(form_of)) -> Response:  # noqa: B008
        """The switcher before signing in: a cookie (the sign-in form's CSRF token guards it)."""
        return _language_chosen(request, form)

    @pages.post("/account/language", roles=EVERYONE)
    def my_language(
        request: Request,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        """The switcher once signed in: the account's own setting, which follows it to any browser."""
        lang = str(form.get("lang") or "")
        if lang in LANGUAGES:
            web(request).accounts.set_language(session.account.name, lang)
        return _language_chosen(request, form)

    @pages.get("/", roles=EVERYONE)
    def home(request: Request, session: Session = Depends(signed_in)) -> Response:  # noqa: B008
        w = web(request)
        with w.store.reading() as conn:
            recorded, awaiting = totals(conn)  # two counts on log_entries' indexes, not a read of every record
        return render(
            request,
            "home.html",
            {
                "recorded": recorded,
                "awaiting": awaiting,
                "drafts": len(w.drafts.all(session.account.name)) if session.account.has("intake") else 0,
            },
        )
