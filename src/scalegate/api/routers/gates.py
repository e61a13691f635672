"""Gates: evaluate, promote, approve, waive; the approvers' inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from scalegate.api.auth import Approver, Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import ApproveIn, JsonObject, PromoteIn, PromoteOut, WaiveIn
from scalegate.domain.evidence import Approval, Waiver
from scalegate.services import gates

router = APIRouter(prefix=API_PREFIX, tags=["gates"])


@router.get("/use-cases/{slug}/gate", response_model=JsonObject)
def evaluate_gate(
    caller: Viewer,
    slug: str,
    to: str | None = Query(None, description="Gate: pilot | production | scaled [default: next]"),
) -> dict[str, Any]:
    """Every criterion's verdict and reason for a gate. Reads only."""
    return gates.evaluate(caller.store, slug, to).to_dict()


@router.post("/use-cases/{slug}/promote", response_model=PromoteOut)
def promote(caller: Contributor, slug: str, body: PromoteIn) -> PromoteOut:
    """Promote if the gate passes; otherwise open a request for approvers
    (``promoted: false``)."""
    out = gates.promote(caller.store, slug, body.to, actor=caller.actor, note=body.note)
    return PromoteOut(
        promoted=out.promoted,
        stage=out.use_case.stage.value,
        request_opened=out.request_opened,
        decision=out.decision.to_dict(),
    )


@router.post(
    "/use-cases/{slug}/approvals", response_model=Approval, status_code=status.HTTP_201_CREATED
)
def approve(caller: Approver, slug: str, body: ApproveIn) -> Approval:
    """Record the caller's approval for the use case's next gate in one of their domains."""
    return gates.approve(
        caller.store, slug, gate=body.gate, domain=body.domain, actor=caller.actor, note=body.note
    )


@router.post(
    "/use-cases/{slug}/waivers", response_model=Waiver, status_code=status.HTTP_201_CREATED
)
def waive(caller: Approver, slug: str, body: WaiveIn) -> Waiver:
    """Grant a time-limited, justified exception to one criterion of the next gate."""
    return gates.waive(
        caller.store,
        slug,
        gate=body.gate,
        criterion=body.criterion,
        justification=body.justification,
        expires=body.expires,
        actor=caller.actor,
    )


@router.get("/inbox", response_model=list[JsonObject])
def inbox(caller: Viewer) -> list[dict[str, Any]]:
    """Open promotion requests, what blocks them and whether the caller may act on them."""
    items = gates.inbox(caller.store, actor=caller.actor)
    return [
        {**item, "blockers": [{"criterion": c, "reason": r} for c, r in item["blockers"]]}  # type: ignore[attr-defined]
        for item in items
    ]
