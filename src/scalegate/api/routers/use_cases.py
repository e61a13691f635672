"""Use cases: list, register, show, edit, retire; their evidence."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from scalegate.api.auth import Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import EvidenceIn, JsonObject, RetireIn, UseCaseChanges, UseCaseIn
from scalegate.domain.evidence import Evidence
from scalegate.domain.use_case import UseCase
from scalegate.services import registry

router = APIRouter(prefix=API_PREFIX, tags=["use cases"])


@router.get("/use-cases", response_model=list[UseCase])
def list_use_cases(
    caller: Viewer,
    stage: str | None = Query(None, description="Only this stage"),
    department: str | None = Query(None, description="Only this department"),
    owner: str | None = Query(None, description="Only use cases this user owns"),
    risk_tier: str | None = Query(None, description="Only this risk tier"),
) -> list[UseCase]:
    """Registered use cases, filtered."""
    return registry.list_all(
        caller.store, stage=stage, department=department, owner=owner, risk_tier=risk_tier
    )


@router.post("/use-cases", response_model=UseCase, status_code=status.HTTP_201_CREATED)
def add_use_case(caller: Contributor, body: UseCaseIn) -> UseCase:
    """Register a use case from its charter."""
    return registry.add(caller.store, body, actor=caller.actor)


@router.get("/use-cases/{slug}", response_model=JsonObject)
def show_use_case(caller: Viewer, slug: str) -> dict[str, Any]:
    """A use case: charter, stage history, approvals, waivers, open request, recent evidence."""
    d = registry.detail(caller.store, slug)
    return {
        **d["use_case"].model_dump(mode="json"),
        "history": d["history"],
        "approvals": [a.model_dump(mode="json") for a in d["approvals"]],
        "waivers": [w.model_dump(mode="json") for w in d["waivers"]],
        "open_request": d["request"].model_dump(mode="json") if d["request"] else None,
        "evidence": [e.model_dump(mode="json") for e in d["evidence"]],
    }


@router.patch("/use-cases/{slug}", response_model=UseCase)
def edit_use_case(caller: Contributor, slug: str, body: UseCaseChanges) -> UseCase:
    """Change charter fields; the audit trail records before and after."""
    changes = body.model_dump(exclude_unset=True)
    return registry.edit(caller.store, slug, changes, actor=caller.actor)


@router.post("/use-cases/{slug}/retire", response_model=UseCase)
def retire_use_case(caller: Contributor, slug: str, body: RetireIn) -> UseCase:
    """Retire from any stage, keeping the history and the lessons learned."""
    return registry.retire(caller.store, slug, lessons=body.lessons, actor=caller.actor)


@router.get("/use-cases/{slug}/evidence", response_model=list[Evidence])
def list_evidence(
    caller: Viewer, slug: str, kind: str | None = Query(None, description="Only this kind")
) -> list[Evidence]:
    """A use case's evidence, newest first."""
    return registry.list_evidence(caller.store, slug, kind=kind)


@router.post(
    "/use-cases/{slug}/evidence", response_model=Evidence, status_code=status.HTTP_201_CREATED
)
def add_evidence(caller: Contributor, slug: str, body: EvidenceIn) -> Evidence:
    """Record an immutable evidence record."""
    return registry.record_evidence(
        caller.store,
        slug,
        kind=body.kind,
        status=body.status,
        summary=body.summary,
        payload=body.payload,
        actor=caller.actor,
        at=body.at,
        subject=body.subject,
    )


@router.get("/evidence/{ref}", response_model=Evidence)
def get_evidence(caller: Viewer, ref: str) -> Evidence:
    """One evidence record by its reference (``ev-12`` or ``12``)."""
    return registry.get_evidence(caller.store, ref)
