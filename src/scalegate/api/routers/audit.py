"""The audit chain: verify, recent events, full export as NDJSON."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from scalegate.api.auth import Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import JsonObject
from scalegate.services import audit

router = APIRouter(prefix=API_PREFIX, tags=["audit"])


@router.get("/audit/verify", response_model=JsonObject)
def verify(caller: Viewer) -> dict[str, Any]:
    """Recompute every hash and link; ``ok`` is false with the first bad sequence number."""
    report = audit.verify(caller.store)
    return {**dataclasses.asdict(report), "message": report.message()}


@router.get("/audit/events", response_model=list[JsonObject])
def events(
    caller: Viewer,
    limit: int = Query(50, ge=1, le=10_000),
    subject_type: str | None = Query(None, description="e.g. use_case, user, policy"),
    subject_id: str | None = Query(None, description="e.g. a use case slug"),
) -> list[dict[str, Any]]:
    """The newest events first."""
    found = audit.recent(
        caller.store, limit=limit, subject_type=subject_type, subject_id=subject_id
    )
    return [audit.event_dict(ev) for ev in found]


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export(caller: Viewer) -> StreamingResponse:
    """Every event, oldest first, one JSON object per line, streamed."""
    return StreamingResponse(audit.export_lines(caller.store), media_type="application/x-ndjson")
