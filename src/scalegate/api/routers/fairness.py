"""Fairness reports: computed on an uploaded batch, or computed elsewhere and stored."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status

from scalegate.api.auth import Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.routers.checks import upload_limit
from scalegate.api.schemas import FairnessReportIn, JsonObject
from scalegate.api.uploads import uploads
from scalegate.services import fairness, registry

router = APIRouter(prefix=API_PREFIX, tags=["fairness"])


@router.post("/use-cases/{slug}/fairness", response_model=JsonObject)
def fairness_report(
    caller: Viewer,
    slug: str,
    data: Annotated[UploadFile, File(description="The data: Parquet, CSV or NDJSON")],
    sensitive: Annotated[
        str, Form(description="Sensitive column(s), comma-separated (intersections)")
    ],
    label: Annotated[str, Form(description="The true class column")],
    prediction: Annotated[str | None, Form(description="The predicted class column")] = None,
    score: Annotated[str | None, Form(description="A score column instead of prediction")] = None,
    threshold: Annotated[float, Form(description="With score: positive when >= this")] = 0.5,
    positive: Annotated[str | None, Form(description="The positive class (default 1)")] = None,
    record: Annotated[
        bool, Form(description="Store the report as fairness_report evidence (contributor)")
    ] = False,
) -> dict[str, Any]:
    """Per-group rates and disparities of the uploaded data; with ``record``, stored as
    evidence of the use case (contributor or above)."""
    names = [n.strip() for n in sensitive.split(",")]
    if record:
        fairness.can_record(caller.store, slug, actor=caller.actor)
    else:
        registry.get(caller.store, slug)
    with uploads(upload_limit(caller)) as files:
        path = files.save(data, field="data")
        report = fairness.compute(
            str(path),
            sensitive=names,
            label=label,
            prediction=prediction,
            score=score,
            threshold=threshold,
            positive=positive,
        )
    # the report names the uploaded file, not the temporary copy it was read from
    report = dataclasses.replace(report, source=data.filename or path.name)
    out = report.to_dict()
    if record:
        out["evidence"] = fairness.record(caller.store, slug, report, actor=caller.actor).ref
    return out


@router.post(
    "/use-cases/{slug}/fairness-reports",
    response_model=JsonObject,
    status_code=status.HTTP_201_CREATED,
)
def record_fairness_report(
    caller: Contributor, slug: str, body: FairnessReportIn
) -> dict[str, Any]:
    """Store a report computed next to the data (``scalegate fairness --json`` output) as
    fairness_report evidence; rates and disparities are recomputed from its group counts."""
    report = fairness.report_from_dict(body.report, source="report")
    evidence = fairness.record(caller.store, slug, report, actor=caller.actor)
    return {**report.to_dict(), "evidence": evidence.ref}
