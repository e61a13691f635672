"""The gate policy: show, history, apply a new version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from scalegate.api.auth import Admin, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import JsonObject, PolicyIn, PolicyOut
from scalegate.services import policies

router = APIRouter(prefix=API_PREFIX, tags=["policies"])


def _out(pv: Any) -> PolicyOut:
    return PolicyOut(version=pv.version, name=pv.policy.name, document=pv.document)


@router.get("/policy", response_model=PolicyOut)
def show_policy(
    caller: Viewer,
    version: int | None = Query(None, ge=1, le=2**31 - 1, description="[default: active]"),
) -> PolicyOut:
    """The active policy (or one version) as stored YAML."""
    pv = (
        policies.active(caller.store)
        if version is None
        else policies.get_version(caller.store, version)
    )
    return _out(pv)


@router.get("/policy/history", response_model=list[JsonObject])
def policy_history(caller: Viewer) -> list[dict[str, Any]]:
    """Every policy version: who applied it and when."""
    return policies.history(caller.store)


@router.post("/policy", response_model=PolicyOut, status_code=status.HTTP_201_CREATED)
def apply_policy(caller: Admin, body: PolicyIn) -> PolicyOut:
    """Validate a policy document fully, then store it as the next version."""
    return _out(policies.apply(caller.store, body.document, source=body.source, actor=caller.actor))
