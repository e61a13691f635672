"""Data checks (an upload and a contract, or a run computed elsewhere) and standalone drift."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status

from scalegate.api.auth import Caller, Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import CheckResultIn, JsonObject
from scalegate.api.uploads import uploads
from scalegate.services import data_checks, drift

router = APIRouter(prefix=API_PREFIX, tags=["data checks"])


def upload_limit(caller: Caller) -> int:
    return int(caller.settings.max_upload_mb * 1_000_000)


@router.post("/checks", response_model=JsonObject)
def check(
    caller: Viewer,
    data: Annotated[UploadFile, File(description="The batch: Parquet, CSV or NDJSON")],
    contract: Annotated[UploadFile, File(description="The data contract YAML")],
    use_case: Annotated[
        str | None, Form(description="Store the run as data_check evidence of this use case")
    ] = None,
    profile: Annotated[bool, Form(description="Also profile the batch (for drift)")] = True,
) -> dict[str, Any]:
    """Check an uploaded batch against a contract; with ``use_case``, store the run
    (contributor or above). ``passed`` says whether every error rule passed."""
    with uploads(upload_limit(caller)) as files:
        spec_text = files.text(contract, field="contract")
        spec = data_checks.load_contract(spec_text, contract.filename or "contract")
        if use_case is not None:
            data_checks.can_record(caller.store, use_case, actor=caller.actor)
        path = files.save(data, field="data")
        result = data_checks.run(str(path), spec, profile=profile)
    # the run names the uploaded file, not the temporary copy it was read from
    result = dataclasses.replace(result, source=path.name)
    out = result.to_dict()
    if use_case is not None:
        out["evidence"] = data_checks.record(caller.store, use_case, result, actor=caller.actor).ref
    return out


@router.post(
    "/use-cases/{slug}/checks", response_model=JsonObject, status_code=status.HTTP_201_CREATED
)
def record_check(caller: Contributor, slug: str, body: CheckResultIn) -> dict[str, Any]:
    """Store a check run computed next to the data (``scalegate check --json`` output,
    profile included) as data_check evidence."""
    result = data_checks.result_from_dict(body.result, source="result")
    evidence = data_checks.record(caller.store, slug, result, actor=caller.actor)
    return {**result.to_dict(), "evidence": evidence.ref}


@router.post("/drift", response_model=JsonObject)
def drift_report(
    caller: Viewer,
    reference: Annotated[
        UploadFile, File(description="Reference data, or a profile / drift reference JSON")
    ],
    current: Annotated[UploadFile, File(description="Current data: Parquet, CSV or NDJSON")],
    config: Annotated[
        UploadFile | None, File(description="Drift config YAML (methods, thresholds)")
    ] = None,
    prediction: Annotated[str | None, Form(description="The model output column")] = None,
) -> dict[str, Any]:
    """Compare ``current`` with ``reference`` column by column and as a whole. Reads only."""
    with uploads(upload_limit(caller)) as files:
        config_text = files.text(config, field="config") if config is not None else None
        ref = files.save(reference, field="reference")
        cur = files.save(current, field="current")
        report = drift.compare(
            ref,
            cur,
            config_text=config_text,
            config_source=(config.filename or "config") if config is not None else "config",
            prediction=prediction,
        )
    return report.to_dict()
