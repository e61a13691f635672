"""Logging in and out."""

from __future__ import annotations

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


def safe_next(value: str | None) -> str:
    """Only a local path may be the target after login (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", LoginPage(next_url=safe_next(next)))


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    settings: Settings = request.app.state.settings
    target = safe_next(next)
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
        return render(request, "login.html", page)
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
    return response


@router.post("/logout")
async def logout(caller: Viewer, request: Request) -> Response:
    await run_in_threadpool(sessions.logout, caller.store, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response
