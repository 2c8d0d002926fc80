"""Accounts (admin): who may sign in, with which roles; add, change roles, disable, set a password.

The first account is made with ``engage users add NAME --role admin``; after that an
administrator can manage the others here.  Disabling an account or changing its password
ends its sessions.  API tokens (:mod:`engine.web.tokens`) are made and revoked here too; a
new token is shown on the page that answers its making, once, and never again.
"""

from __future__ import annotations

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from ..accounts import ROLES, AccountError
from ..auth import Session
from ..routing import Pages, form_of, signed_in, web
from ..tokens import ApiToken
from ..views import redirect, render, translator

ADMIN = ("admin",)


def _page(request: Request, *, error: str | None = None, status: int = 200, made: tuple[ApiToken, str] | None = None) -> Response:
    w = web(request)
    accounts = w.accounts.all()
    tokens = [k for a in accounts for k in w.tokens.of(a.name)]
    context = {
        "accounts": accounts,
        "roles": ROLES,
        "error": error,
        "tokens": tokens,
        "now": w.config.now(),
        "made": made[0] if made else None,
        "made_secret": made[1] if made else None,
    }
    return render(request, "accounts.html", context, status)


def _days(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        return -1  # refused by check_days, with its message
    return int(text)


def register(pages: Pages) -> None:
    @pages.get("/accounts", roles=ADMIN)
    def accounts(request: Request) -> Response:
        return _page(request)

    @pages.post("/accounts", roles=ADMIN)
    def add_account(
        request: Request,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w, t = web(request), translator(request)
        password = str(form.get("password") or "")
        if password != str(form.get("password_again") or ""):
            return _page(request, error=t("accounts.passwords_differ"), status=422)
        try:
            w.accounts.add(str(form.get("name") or ""), [str(r) for r in form.getlist("roles")], password, session.account.name)
        except AccountError as exc:
            return _page(request, error=t.maybe(f"accounts.error.{exc.code}", exc.message), status=422)
        return redirect("/accounts", notice="account_added")

    @pages.post("/accounts/{name}", roles=ADMIN)
    def change_account(
        request: Request,
        name: str,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w, t = web(request), translator(request)
        action = str(form.get("action") or "")
        if name == session.account.name and action in ("disable", "roles"):
            return _page(request, error=t("accounts.not_yourself"), status=422)
        try:
            if action == "roles":
                w.accounts.set_roles(name, [str(r) for r in form.getlist("roles")])
            elif action == "disable":
                w.accounts.set_active(name, False)
                w.sessions.end_all(name)
            elif action == "enable":
                w.accounts.set_active(name, True)
            elif action == "language":
                w.accounts.set_language(name, str(form.get("language") or ""))
            elif action == "password":
                w.accounts.set_password(name, str(form.get("password") or ""))
                w.sessions.end_all(name)
            else:
                return _page(request, error=t("accounts.unknown_action"), status=422)
        except AccountError as exc:
            return _page(request, error=t.maybe(f"accounts.error.{exc.code}", exc.message), status=422)
        return redirect("/accounts", notice="account_changed")

    @pages.post("/accounts/{name}/tokens", roles=ADMIN)
    def make_token(
        request: Request,
        name: str,
        form: FormData = Depends(form_of),  # noqa: B008
        session: Session = Depends(signed_in),  # noqa: B008
    ) -> Response:
        w, t = web(request), translator(request)
        try:
            made = w.tokens.create(name, session.account.name, _days(str(form.get("days") or "")))
        except AccountError as exc:
            return _page(request, error=t.maybe(f"accounts.error.{exc.code}", exc.message), status=422)
        return _page(request, made=made)

    @pages.post("/accounts/{name}/tokens/{token_id}/revoke", roles=ADMIN)
    def revoke_token(request: Request, name: str, token_id: int) -> Response:
        w, t = web(request), translator(request)
        try:
            w.tokens.revoke(name, token_id)
        except AccountError as exc:
            return _page(request, error=t.maybe(f"accounts.error.{exc.code}", exc.message), status=422)
        return redirect("/accounts", notice="token_revoked")
