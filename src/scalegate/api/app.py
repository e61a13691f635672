"""The application factory: routers under ``/api/v1``, one error mapping, metrics and the
upload limit. Settings and the store are built before and handed in; nothing is read at
import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.routing import APIRoute

from scalegate.api import errors
from scalegate.api.limits import BodyLimit
from scalegate.api.metrics import MetricsMiddleware, RequestMetrics
from scalegate.api.routers import (
    alerts,
    audit,
    checks,
    gates,
    monitors,
    policies,
    portfolio,
    system,
    tokens,
    use_cases,
    users,
    value,
)
from scalegate.settings import Settings
from scalegate.store import Store

DESCRIPTION = """\
The scalegate REST API: use cases, gates, evidence, data checks, monitoring, alerts,
portfolio and audit. Authenticate with `Authorization: Bearer sg_...` (a token from
`scalegate token create`). Errors are JSON: `{"error": code, "message": one line, ...}`.
"""


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """The ASGI app over ``store`` (default: the workspace at ``settings.db``, opened and
    migrated now). The caller owns a store it passes in; one opened here closes on shutdown."""
    settings = settings or Settings()
    owned = store is None
    if store is None:
        from scalegate.services.workspace import open_store

        store = open_store(settings.db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            store.close()

    app = FastAPI(
        title="scalegate",
        version=version("scalegate"),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.metrics = RequestMetrics()
    errors.install(app)
    app.include_router(system.router)
    for module in (
        use_cases,
        gates,
        policies,
        checks,
        monitors,
        alerts,
        portfolio,
        audit,
        users,
        tokens,
        value,
    ):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=int(settings.max_upload_mb * 1_000_000))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of ``app`` (those of included routers too), in mounting order."""
    found: list[APIRoute] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))

    walk(list(app.router.routes))
    return found
