"""The web dashboard: server-rendered Jinja2 pages with htmx, on the API's FastAPI app.

:func:`install` adds the pages (``/``, ``/login``, ``/use-cases/{slug}``, ``/approvals``,
``/audit``, ``/contracts``, ...), the static
files under ``/static`` and the HTML error pages to an app built by
:func:`scalegate.api.create_app`. The pages call services only, like the API's routers.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from scalegate.web import errors
from scalegate.web.routes import approvals, audit, contracts, portfolio, session, use_case
from scalegate.web.templating import STATIC


def install(app: FastAPI) -> None:
    """Mount the dashboard on ``app`` (after the API's routers and error handlers)."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (session, portfolio, use_case, approvals, audit, contracts):
        app.include_router(module.router)
    errors.install(app)
