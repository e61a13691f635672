"""Errors on dashboard pages answer as HTML; everything else keeps the API's JSON.

A request is a page request when its path is not an API or system path and the client asks
for HTML (browsers do) or is htmx. ``install`` wraps the handlers ``api.errors`` registered,
so the JSON mapping stays the one place for the API.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from scalegate.errors import PermissionDeniedError, ScalegateError
from scalegate.services import auth as auth_service
from scalegate.web.auth import LoginRequired, login_url
from scalegate.web.templating import is_htmx, render

log = logging.getLogger("scalegate.web")

Handler = Callable[[Request, Exception], Awaitable[Response]]

_NOT_PAGES = ("/api/", "/healthz", "/metrics", "/docs", "/redoc", "/openapi", "/static/")

_TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Cannot do that",
    500: "Something went wrong",
    503: "Unavailable",
}


def is_page(request: Request) -> bool:
    """True for a browser (or htmx) request of a dashboard path."""
    if request.url.path.startswith(_NOT_PAGES):
        return False
    return is_htmx(request) or "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str) -> Response:
    response = render(
        request,
        "error.html",
        {"status": status, "title": _TITLES.get(status, "Error"), "message": message},
        status_code=status,
    )
    if is_htmx(request):  # swap the error into the page instead of nothing
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = login_url(exc.next_url)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install(app: FastAPI) -> None:
    """Make page errors HTML, leaving API errors to the handlers already installed."""
    previous: dict[type[Exception] | int, Handler] = dict(app.exception_handlers)

    def wrap(kind: type[Exception]) -> Handler:
        fallback = previous[kind]

        async def handler(request: Request, exc: Exception) -> Response:
            if not is_page(request):
                return await fallback(request, exc)
            if isinstance(exc, ScalegateError):
                user = getattr(request.state, "user", None)
                if isinstance(exc, PermissionDeniedError) and user:
                    try:
                        await run_in_threadpool(
                            auth_service.record_denial,
                            request.app.state.store,
                            actor=user,
                            doing=f"{request.method} {request.url.path}",
                            message=exc.message,
                        )
                    except ScalegateError:  # the store is down: the 403 still stands
                        log.exception("could not record auth.denied for %s", user)
                return error_page(request, exc.http_status, exc.message)
            if isinstance(exc, RequestValidationError):
                problems = [
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                    for e in exc.errors()
                ]
                return error_page(request, 422, "; ".join(problems) or "invalid request")
            if isinstance(exc, StarletteHTTPException):
                if exc.status_code == 404:
                    return error_page(request, 404, f"There is no page at {request.url.path}.")
                return error_page(request, exc.status_code, str(exc.detail))
            log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
            return error_page(request, 500, "Internal error; the server log has the details.")

        return handler

    for kind in (ScalegateError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, wrap(kind))
    app.add_exception_handler(LoginRequired, _login_required)
