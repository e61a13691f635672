"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from scalegate.api.auth import Viewer, store_of
from scalegate.api.schemas import Health
from scalegate.services import stats

router = APIRouter(tags=["system"])

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz", response_model=Health)
def healthz(request: Request) -> Health:
    """The server answers and its database opens (no authentication)."""
    return Health(status="ok", schema_revision=store_of(request).current_revision())


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {PROMETHEUS_TEXT: {}}}},
)
async def metrics(caller: Viewer, request: Request) -> PlainTextResponse:
    """Request counts and latency per route and status, and workspace gauges, in the
    Prometheus text format."""
    c = await run_in_threadpool(stats.counts, caller.store)
    gauges = {
        "scalegate_use_cases": (
            "Use cases per stage.",
            [({"stage": k}, v) for k, v in c.use_cases.items()],
        ),
        "scalegate_alerts": (
            "Alerts per status.",
            [({"status": k}, v) for k, v in c.alerts.items()],
        ),
        "scalegate_users": (
            "Active users per role.",
            [({"role": k}, v) for k, v in c.users.items()],
        ),
        "scalegate_audit_events": ("Events in the audit chain.", [({}, c.audit_events)]),
    }
    text = request.app.state.metrics.render(gauges)
    return PlainTextResponse(text, media_type=PROMETHEUS_TEXT)
