"""Alert rules on monitors, the alerts they raised and their webhook deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from scalegate.api.auth import Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import JsonObject, RuleIn
from scalegate.domain.alert import Alert, Delivery
from scalegate.services import alerts

router = APIRouter(prefix=API_PREFIX, tags=["alerts"])


@router.post(
    "/use-cases/{slug}/alert-rules", response_model=JsonObject, status_code=status.HTTP_201_CREATED
)
def add_rule(caller: Contributor, slug: str, body: RuleIn) -> dict[str, Any]:
    """Add an alert rule to one of the use case's monitors (the webhook URL is shown
    redacted)."""
    rule = alerts.add_rule(
        caller.store,
        slug,
        monitor=body.monitor,
        name=body.name,
        metric=body.metric,
        op=body.op,
        threshold=body.threshold,
        windows=body.windows,
        webhook=body.webhook,
        actor=caller.actor,
    )
    return rule.public_dict()


@router.get("/use-cases/{slug}/alert-rules", response_model=list[JsonObject])
def list_rules(
    caller: Viewer, slug: str, monitor: str | None = Query(None, description="Only this monitor")
) -> list[dict[str, Any]]:
    """The use case's rules, active and disabled."""
    return [r.public_dict() for r in alerts.list_rules(caller.store, slug, monitor)]


@router.post("/use-cases/{slug}/alert-rules/{monitor}/{name}/disable", response_model=JsonObject)
def disable_rule(caller: Contributor, slug: str, monitor: str, name: str) -> dict[str, Any]:
    """Stop evaluating a rule; its open alert, if any, resolves."""
    return alerts.disable_rule(
        caller.store, slug, name, monitor=monitor, actor=caller.actor
    ).public_dict()


@router.get("/alerts", response_model=list[Alert])
def list_alerts(
    caller: Viewer,
    use_case: str | None = Query(None, description="Only this use case"),
    status_: str | None = Query(None, alias="status", description="open | resolved"),
    limit: int = Query(100, ge=1, le=10_000),
) -> list[Alert]:
    """Alerts, newest first."""
    return alerts.list_alerts(caller.store, use_case, status_, limit=limit)


@router.get("/alerts/deliveries", response_model=list[Delivery])
def list_deliveries(
    caller: Viewer,
    use_case: str | None = Query(None, description="Only this use case"),
    limit: int = Query(100, ge=1, le=10_000),
) -> list[Delivery]:
    """The webhook delivery log, newest first."""
    return alerts.list_deliveries(caller.store, use_case, limit=limit)
