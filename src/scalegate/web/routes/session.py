"""Logging in and out.

The login form is protected against login CSRF (a foreign site logging the browser in as
someone else) with a double-submit token: ``GET /login`` sets a random token in a short-lived
HttpOnly cookie and in a hidden field, and ``POST /login`` accepts only when both match.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from scalegate.errors import AuthenticationError, TooManyAttemptsError
from scalegate.services import sessions
from scalegate.settings import Settings
from scalegate.web.auth import COOKIE, Viewer
from scalegate.web.contexts import LoginPage
from scalegate.web.templating import render

router = APIRouter(include_in_schema=False)

#: the login form's double-submit cookie, and how long a login form stays usable
LOGIN_COOKIE = "scalegate_login"
LOGIN_FORM_SECONDS = 3600


def safe_next(value: str | None) -> str:
    """Only a local path may be the target after login (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_form(request: Request, page: LoginPage, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", page, status_code=status_code, login_token=token)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=LOGIN_FORM_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, LoginPage(next_url=safe_next(next)))


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    login_token: str = Form(""),
) -> Response:
    settings: Settings = request.app.state.settings
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_token):
        page = LoginPage(
            next_url=target,
            username=username[:100],
            error="this login form expired or did not come from this site; log in again",
        )
        return _login_form(request, page, status_code=403)
    try:
        text, _session = await run_in_threadpool(
            sessions.login,
            request.app.state.store,
            username[:100],
            password[:1024],
            lifetime=timedelta(hours=settings.session_hours),
        )
    except (AuthenticationError, TooManyAttemptsError) as exc:
        page = LoginPage(next_url=target, username=username[:100], error=exc.message)
        # 200, not 401: the form is shown again, and browsers log 4xx documents as errors
        return _login_form(request, page)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        text,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(caller: Viewer, request: Request) -> Response:
    await run_in_threadpool(sessions.logout, caller.store, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response
