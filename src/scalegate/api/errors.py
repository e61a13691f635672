"""One exception-to-JSON mapping for the whole API.

Every error body is ``{"error": <stable code>, "message": <one line>, ...fields}``:
:class:`~scalegate.errors.ScalegateError` subclasses give their own ``http_status`` and
``to_dict()``; request validation gives 422 naming the field; unknown routes 404; anything
unexpected 500 with no internals (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from scalegate.errors import (
    AuthenticationError,
    PermissionDeniedError,
    ScalegateError,
    TooManyAttemptsError,
)
from scalegate.services import auth

log = logging.getLogger("scalegate.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_body(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **fields}


async def _scalegate_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScalegateError)
    user = getattr(request.state, "user", None)
    if isinstance(exc, PermissionDeniedError) and user:
        try:
            await run_in_threadpool(
                auth.record_denial,
                request.app.state.store,
                actor=user,
                doing=f"{request.method} {request.url.path}",
                message=exc.message,
            )
        except ScalegateError:  # the store is down: the 403 still stands
            log.exception("could not record auth.denied for %s", user)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else None
    if isinstance(exc, TooManyAttemptsError):
        headers = {"Retry-After": str(exc.fields.get("retry_after", 60))}
    return JSONResponse(
        jsonable_encoder(exc.to_dict()), status_code=exc.http_status, headers=headers
    )


def _where(loc: tuple[Any, ...]) -> tuple[str, str]:
    """(``body``/``query``/``path``/..., dotted field name) of a validation error."""
    parts = [str(p) for p in loc]
    if not parts:
        return "request", ""
    return parts[0], ".".join(parts[1:])


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = []
    for err in errors:
        place, field = _where(tuple(err.get("loc", ())))
        text = str(err.get("msg", "")).removeprefix("Value error, ")
        details.append({"in": place, "field": field, "message": text, "type": err.get("type", "")})
    first = details[0] if details else {"in": "request", "field": "", "message": "invalid"}
    if first.get("type") == "json_invalid":
        ctx = errors[0].get("ctx") or {}
        message = f"request body is not valid JSON: {ctx.get('error', 'cannot parse')}"
    elif first["field"]:
        message = f"{first['in']} field '{first['field']}': {first['message']}"
    else:
        message = f"{first['in']}: {first['message']}"
    if len(details) > 1:
        message += f" (and {len(details) - 1} more problems)"
    body = error_body("invalid", message, field=first["field"] or None, errors=details)
    return JSONResponse(jsonable_encoder(body), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    if exc.status_code == 404 and exc.detail in ("Not Found", None):
        message = f"no such route: {request.method} {request.url.path}; see /docs"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; see /docs"
    else:
        message = str(exc.detail)
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("internal", "internal server error; the server log has the details"),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ScalegateError, _scalegate_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
