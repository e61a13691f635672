"""Who is looking: the session cookie resolved to a user, CSRF on every POST, and the least
role each page or form needs.

Pages depend on exactly one of :data:`viewer`, :data:`contributor`, :data:`approver` or
:data:`admin`, the same ladder as the API (``Role.allows``). Without a live session a page
redirects to ``/login?next=...``. A POST must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``, which htmx sends from ``hx-headers``), else 403.
Services enforce the finer rules (approval domains, separation of duties) with the user as
``actor``, exactly as for the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from scalegate.domain.user import Role, User
from scalegate.errors import AuthenticationError, PermissionDeniedError
from scalegate.services import sessions
from scalegate.services.access import require_role
from scalegate.settings import Settings
from scalegate.store import Store

#: the session cookie's name
COOKIE = "scalegate_session"
#: the form field and header a POST carries its CSRF token in
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """No live session: the page answers with a redirect to the login page."""

    def __init__(self, next_url: str, message: str = "") -> None:
        super().__init__(message or "not logged in")
        self.next_url = next_url
        self.message = message


class CsrfError(PermissionDeniedError):
    """A POST without the session's CSRF token."""

    code = "csrf"


@dataclass(frozen=True)
class WebCaller:
    """The logged-in user of one page request, with the store and settings to act on."""

    session: sessions.Session
    store: Store
    settings: Settings

    @property
    def user(self) -> User:
        return self.session.user

    @property
    def actor(self) -> str:
        return self.session.user.username


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _csrf_ok(request: Request, session_text: str) -> bool:
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    return sessions.csrf_valid(session_text, token)


def _needs(role: Role) -> Callable[[Request], Awaitable[WebCaller]]:
    async def dependency(request: Request) -> WebCaller:
        store: Store = request.app.state.store
        text = request.cookies.get(COOKIE)
        try:
            session = await run_in_threadpool(sessions.resolve, store, text)
        except AuthenticationError as exc:
            back = _here(request) if request.method == "GET" else "/"
            raise LoginRequired(back, exc.message if text else "") from None
        request.state.user = session.user.username
        request.state.session = session
        if request.method not in ("GET", "HEAD") and not await _csrf_ok(request, text or ""):
            raise CsrfError(
                f"{request.method} {request.url.path} without a valid CSRF token; "
                "reload the page and submit the form again",
                actor=session.user.username,
            )
        user = session.user
        require_role(user, role, doing=f"{request.method} {request.url.path}")
        return WebCaller(session, store, request.app.state.settings)

    dependency.__name__ = f"page_needs_{role.value}"
    dependency.min_role = role  # type: ignore[attr-defined]
    return dependency


#: page dependencies: the least role a page or form needs
viewer = _needs(Role.VIEWER)
contributor = _needs(Role.CONTRIBUTOR)
approver = _needs(Role.APPROVER)
admin = _needs(Role.ADMIN)

Viewer = Annotated[WebCaller, Depends(viewer)]
Contributor = Annotated[WebCaller, Depends(contributor)]
Approver = Annotated[WebCaller, Depends(approver)]
Admin = Annotated[WebCaller, Depends(admin)]
