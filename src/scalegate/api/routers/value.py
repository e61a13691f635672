"""Strategy and value: objectives, their use cases, KPI measurements and realised value."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from scalegate.api.auth import Admin, Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import JsonObject, KpiIn, LinkIn, ObjectiveChanges, ObjectiveIn
from scalegate.domain.evidence import Evidence
from scalegate.domain.value import Objective
from scalegate.services import kpis, objectives, value

router = APIRouter(prefix=API_PREFIX, tags=["strategy and value"])


@router.get("/objectives", response_model=list[JsonObject])
def list_objectives(caller: Viewer) -> list[dict[str, Any]]:
    """Every objective with its use cases per stage and the "nothing in production" flag."""
    return [s.to_dict() for s in objectives.list_all(caller.store)]


@router.post("/objectives", response_model=Objective, status_code=status.HTTP_201_CREATED)
def add_objective(caller: Contributor, body: ObjectiveIn) -> Objective:
    """Register a strategic objective."""
    return objectives.add(
        caller.store,
        body.slug,
        name=body.name,
        sponsor=body.sponsor,
        outcome=body.outcome,
        actor=caller.actor,
    )


@router.get("/objectives/{slug}", response_model=JsonObject)
def show_objective(caller: Viewer, slug: str) -> dict[str, Any]:
    """One objective with its linked use cases."""
    return objectives.show(caller.store, slug).to_dict()


@router.patch("/objectives/{slug}", response_model=Objective)
def edit_objective(caller: Contributor, slug: str, body: ObjectiveChanges) -> Objective:
    """Change name, sponsor or intended outcome."""
    return objectives.edit(
        caller.store, slug, body.model_dump(exclude_unset=True), actor=caller.actor
    )


@router.delete("/objectives/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_objective(caller: Admin, slug: str) -> Response:
    """Delete an objective no use case is linked to."""
    objectives.delete(caller.store, slug, actor=caller.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/objectives/{slug}/links", response_model=JsonObject)
def link_use_cases(caller: Contributor, slug: str, body: LinkIn) -> dict[str, Any]:
    """Link use cases to the objective; one that served another objective moves."""
    moved = objectives.link(caller.store, slug, body.use_cases, actor=caller.actor)
    return {
        "objective": slug,
        "linked": [{"use_case": uc, "moved_from": before} for uc, before in moved],
    }


@router.delete("/use-cases/{slug}/objective", response_model=JsonObject)
def unlink_use_case(caller: Contributor, slug: str) -> dict[str, Any]:
    """Remove the use case's link to its objective."""
    before = objectives.unlink(caller.store, slug, actor=caller.actor)
    return {"use_case": slug, "unlinked_from": before}


@router.get("/use-cases/{slug}/kpis", response_model=JsonObject)
def show_kpis(caller: Viewer, slug: str) -> dict[str, Any]:
    """Each charter KPI: measurements (oldest first), progress and realised value."""
    return kpis.report(caller.store, slug).to_dict()


@router.post("/use-cases/{slug}/kpis", response_model=Evidence, status_code=status.HTTP_201_CREATED)
def record_kpi(caller: Contributor, slug: str, body: KpiIn) -> Evidence:
    """Record one KPI measurement (immutable ``kpi_measurement`` evidence)."""
    return kpis.record(
        caller.store, slug, body.kpi, body.value, at=body.at, unit=body.unit, actor=caller.actor
    )


@router.get("/portfolio/value", response_model=JsonObject)
def portfolio_value(caller: Viewer) -> dict[str, Any]:
    """Objectives with nothing in production; realised value per currency."""
    return value.build(caller.store).to_dict()
