"""The application factory: routers under ``/api/v1``, one error mapping, metrics, the
upload limit, and the web dashboard's pages (``scalegate.web``) on the same app. Settings
and the store are built before and handed in; nothing is read at import time."""

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
    fairness,
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
The scalegate REST API: use cases, gates, evidence, data checks, monitoring, fairness,
alerts, portfolio and audit. Authenticate with `Authorization: Bearer sg_...` (a token from
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
        # Synchronous endpoints run on AnyIO's thread pool (40 threads by default). Run no
        # more of them at once than the store pools connections, so that overload queues
        # requests for a thread instead of timing them out waiting for a connection (503).
        from anyio import to_thread

        to_thread.current_default_thread_limiter().total_tokens = store.pool_size
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
        fairness,
        monitors,
        alerts,
        portfolio,
        audit,
        users,
        tokens,
        value,
    ):
        app.include_router(module.router)
    from scalegate import web

    web.install(app)
    app.add_middleware(BodyLimit, limit=int(settings.max_upload_mb * 1_000_000))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of ``app`` (those of included routers too), in mounting order; the
    web dashboard's pages (``scalegate.web``) are not API routes."""
    found: list[APIRoute] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            if isinstance(route, APIRoute) and not route.endpoint.__module__.startswith(
                "scalegate.web."
            ):
                found.append(route)
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))

    walk(list(app.router.routes))
    return found
