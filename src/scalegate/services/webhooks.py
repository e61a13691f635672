"""POSTing JSON to an incoming webhook with the standard library, never raising on the
network: every outcome comes back as a :class:`PostResult`."""

from __future__ import annotations

import functools
import http.client
import importlib.metadata
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

#: how much of a receiver's error answer is kept in the delivery log
ERROR_BODY_CHARS = 200
MAX_ERROR_CHARS = 500

#: client errors worth retrying (timeout, conflict, too early, rate limited)
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, slots=True)
class PostResult:
    """What one POST achieved. ``permanent`` failures (most 4xx answers) are not retried."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be re-sent as a GET without its body: report it instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: dict[str, Any], *, timeout: float) -> PostResult:
    """POST ``body`` as JSON to ``url``; a 2xx answer is success.

    Never raises for a network problem, a refused connection, a timeout or an HTTP error
    status: those become a failed result with the status code and a one-line error.
    """
    data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": _user_agent(),
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            code = int(response.status)
            response.read(65536)
    except urllib.error.HTTPError as exc:
        code = int(exc.code)
        try:
            detail = exc.read(ERROR_BODY_CHARS * 4).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            detail = ""
        finally:
            exc.close()
        where = f" to {exc.headers.get('Location')}" if 300 <= code < 400 and exc.headers else ""
        message = f"HTTP {code} {exc.reason}{where}"
        if detail:
            message += ": " + " ".join(detail.split())[:ERROR_BODY_CHARS]
        permanent = 400 <= code < 500 and code not in _RETRYABLE_4XX
        return PostResult(False, code, message[:MAX_ERROR_CHARS], permanent)
    except urllib.error.URLError as exc:
        return PostResult(False, None, _one_line(exc.reason))
    except (OSError, http.client.HTTPException) as exc:
        return PostResult(False, None, _one_line(exc))
    except ValueError as exc:  # a URL urllib cannot use at all
        return PostResult(False, None, _one_line(exc), permanent=True)
    if 200 <= code < 300:
        return PostResult(True, code)
    return PostResult(False, code, f"HTTP {code}: not a 2xx answer")


@functools.cache
def _user_agent() -> str:
    try:
        return f"scalegate/{importlib.metadata.version('scalegate')}"
    except importlib.metadata.PackageNotFoundError:
        return "scalegate"


def _one_line(reason: object) -> str:
    text = str(reason) if not isinstance(reason, BaseException) else _describe(reason)
    return " ".join(text.split())[:MAX_ERROR_CHARS] or "unknown error"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, TimeoutError) or "timed out" in text:
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host: {exc.strerror or text}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
