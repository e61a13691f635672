"""Monitors: create against a reference, log batches and labels, list, batches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from scalegate.api.auth import Contributor, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.routers.checks import upload_limit
from scalegate.api.schemas import JsonObject, RowId
from scalegate.api.uploads import uploads
from scalegate.domain.monitoring import Task
from scalegate.services import drift, monitoring

router = APIRouter(prefix=API_PREFIX, tags=["monitoring"])


@router.post(
    "/use-cases/{slug}/monitors", response_model=JsonObject, status_code=status.HTTP_201_CREATED
)
def create_monitor(
    caller: Contributor,
    slug: str,
    reference: Annotated[
        UploadFile, File(description="Reference data, or a profile JSON ('check --json' output)")
    ],
    model_name: Annotated[str, Form(description="Model name, e.g. churn-gbm")],
    model_version: Annotated[str, Form(description="Model version")],
    name: Annotated[str, Form(description="Monitor name")] = "default",
    task: Annotated[Task | None, Form(description="Enables performance metrics")] = None,
    artifact_uri: Annotated[str, Form()] = "",
    training_fingerprint: Annotated[str, Form()] = "",
    code_revision: Annotated[str, Form()] = "",
    id_column: Annotated[str | None, Form()] = None,
    timestamp_column: Annotated[str | None, Form()] = None,
    prediction_column: Annotated[str | None, Form()] = None,
    score_column: Annotated[str | None, Form()] = None,
    label_column: Annotated[str | None, Form()] = None,
    config: Annotated[UploadFile | None, File(description="Drift config YAML")] = None,
) -> dict[str, Any]:
    """Set up a monitor for a model version against its reference."""
    with uploads(upload_limit(caller)) as files:
        cfg = None
        if config is not None:
            from scalegate.engine.drift import load_config

            cfg = load_config(files.text(config, field="config"), config.filename or "config")
        path = files.save(reference, field="reference")
        stored = drift.stored_profile(path)
        ref: Any = stored.get("profile", stored) if stored is not None else str(path)
        monitor = monitoring.create(
            caller.store,
            slug,
            ref,
            actor=caller.actor,
            name=name,
            model_name=model_name,
            model_version=model_version,
            artifact_uri=artifact_uri,
            training_fingerprint=training_fingerprint,
            code_revision=code_revision,
            task=task,
            columns={
                "id": id_column,
                "timestamp": timestamp_column,
                "prediction": prediction_column,
                "score": score_column,
                "label": label_column,
            },
            config=cfg,
            reference_source=reference.filename or "upload",
        )
    return monitor.to_dict()


@router.get("/use-cases/{slug}/monitors", response_model=list[JsonObject])
def list_monitors(caller: Viewer, slug: str) -> list[dict[str, Any]]:
    """A use case's monitors."""
    return [m.to_dict() for m in monitoring.list_monitors(caller.store, slug)]


@router.get("/use-cases/{slug}/monitors/{name}", response_model=JsonObject)
def show_monitor(caller: Viewer, slug: str, name: str) -> dict[str, Any]:
    """One monitor."""
    return monitoring.get(caller.store, slug, name).to_dict()


@router.get("/use-cases/{slug}/monitors/{name}/batches", response_model=list[JsonObject])
def list_batches(
    caller: Viewer, slug: str, name: str, limit: int = Query(100, ge=1, le=10_000)
) -> list[dict[str, Any]]:
    """The monitor's batches, newest first: time, rows, status, metrics, evidence."""
    return monitoring.batches(caller.store, slug, name, limit=limit)


@router.post(
    "/use-cases/{slug}/monitors/{name}/batches",
    response_model=JsonObject,
    status_code=status.HTTP_201_CREATED,
)
def log_batch(
    caller: Contributor,
    slug: str,
    name: str,
    data: Annotated[UploadFile, File(description="Features and predictions")],
    at: Annotated[
        datetime | None,
        Form(
            description="The batch's time (ISO date-time) [default: its timestamp column, or now]"
        ),
    ] = None,
) -> dict[str, Any]:
    """Log a production batch: drift against the reference, estimated performance, alerts."""
    with uploads(upload_limit(caller)) as files:
        path = files.save(data, field="data")
        result = monitoring.log_batch(
            caller.store, slug, str(path), actor=caller.actor, monitor=name, at=at
        )
    return result.to_dict()


@router.post("/use-cases/{slug}/monitors/{name}/labels", response_model=JsonObject)
def log_labels(
    caller: Contributor,
    slug: str,
    name: str,
    data: Annotated[UploadFile, File(description="An id column and a label column")],
    id_column: Annotated[str | None, Form()] = None,
    label_column: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Join labels that arrived later to the logged batches; realised performance."""
    with uploads(upload_limit(caller)) as files:
        path = files.save(data, field="data")
        result = monitoring.log_labels(
            caller.store,
            slug,
            str(path),
            actor=caller.actor,
            monitor=name,
            id_column=id_column,
            label_column=label_column,
        )
    return result.to_dict()


@router.get("/use-cases/{slug}/batches/{batch_id}", response_model=JsonObject)
def show_batch(caller: Viewer, slug: str, batch_id: RowId) -> dict[str, Any]:
    """Everything stored about one batch: drift report, estimate, performance, profile."""
    return monitoring.batch_detail(caller.store, slug, batch_id)
