"""The Jinja2 environment of the dashboard: templates shipped in ``web/templates``,
autoescaped, with a few display filters, and one ``render`` that adds what every page's
layout needs (the user, their CSRF token, the navigation)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: the top navigation: (label, path, least role). Pages of other modules add theirs here.
NAV: list[tuple[str, str, str]] = [
    ("Portfolio", "/", "viewer"),
    ("Approvals", "/approvals", "viewer"),
    ("Audit log", "/audit", "viewer"),
    ("Contracts", "/contracts", "viewer"),
]


def _number(value: Any, digits: int = 3) -> str:
    """A number for people: None and non-finite values as an em dash, integers plainly,
    other floats with ``digits`` significant digits."""
    if value is None or isinstance(value, bool):
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.{digits}g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and len(value) >= 16 and value[10] == "T":
        return value[:10] + " " + value[11:16]
    return "" if value is None else str(value)


def _day(value: Any) -> str:
    return _when(value)[:10]


def _json_script(value: Any) -> Markup:
    """JSON safe to embed in a ``<script type="application/json">`` element."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


#: sent with every page: scripts only from this server (chart data travels as JSON, never
#: as inline script), no framing, forms post only here
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters["num"] = _number
templates.env.filters["when"] = _when
templates.env.filters["day"] = _day
templates.env.filters["json_script"] = _json_script
templates.env.globals["NAV"] = NAV


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    page: Any = None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """Render ``template`` with ``page`` (the page's typed context), the logged-in session
    (``me``, None on the login and error pages before login) and ``extra``."""
    session = getattr(request.state, "session", None)
    context = {"page": page, "me": session, "path": request.url.path, **extra}
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.setdefault("Cache-Control", "no-store")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
