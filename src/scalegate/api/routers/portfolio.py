"""The portfolio: stages, stalled use cases and why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from scalegate.api.auth import Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import JsonObject
from scalegate.services import portfolio

router = APIRouter(prefix=API_PREFIX, tags=["portfolio"])


@router.get("/portfolio", response_model=JsonObject)
def show_portfolio(
    caller: Viewer,
    department: str | None = Query(None),
    risk_tier: str | None = Query(None),
    owner: str | None = Query(None),
) -> dict[str, Any]:
    """Use cases per stage, stalled ones with their blockers, readiness."""
    return portfolio.build(
        caller.store, department=department, risk_tier=risk_tier, owner=owner
    ).to_dict()
