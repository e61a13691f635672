"""Production monitoring: monitors, logged batches, labels that arrive later.

A monitor watches one model version of a use case against a reference (a dataset, profiled
once, or a stored profile). Each logged batch is profiled in one pass inside its own engine
and compared with the reference: drift per feature and for the model output, a multivariate
signal, and, for binary classifiers with scores, a label-free performance estimate. Only
profiles and statistics are stored, plus the ids, predictions and scores of the batch (not
the features) so that labels arriving later can be joined to compute realised performance.

Every batch and every label upload is evidence (``drift_report``, ``performance_report``)
and an audit event, written in one transaction together with the alerts it opens or
resolves; webhooks are called after that transaction commits.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from scalegate.domain.evidence import EvidenceStatus
from scalegate.domain.monitoring import DriftStatus, Task
from scalegate.domain.stage import Stage
from scalegate.domain.user import Role
from scalegate.errors import ConflictError, NotFoundError, UnknownChoiceError, ValidationError
from scalegate.services.access import require
from scalegate.services.clock import aware, utcnow
from scalegate.services.registry import use_case_in
from scalegate.store import Store
from scalegate.store import monitor_repository as mrepo
from scalegate.store import repositories as repo
from scalegate.store.audit_log import append_event

if TYPE_CHECKING:
    import polars as pl

#: evidence kinds written by monitoring
DRIFT_REPORT = "drift_report"
PERFORMANCE_REPORT = "performance_report"
DEFAULT_MONITOR = "default"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: column names tried for each role when none is given
ROLE_DEFAULTS = {
    "id": ("id",),
    "timestamp": ("timestamp",),
    "prediction": ("prediction",),
    "score": ("score",),
    "label": ("label",),
}
ROLES = tuple(ROLE_DEFAULTS)
#: roles whose column may be absent from the reference and still appear in batches
_OPTIONAL_ROLES = ("id", "timestamp", "label")
_STATUS_EVIDENCE = {
    DriftStatus.OK: EvidenceStatus.PASS,
    DriftStatus.DRIFT: EvidenceStatus.WARN,
    DriftStatus.CRITICAL: EvidenceStatus.FAIL,
}
#: a batch may be dated this far in the future (clock skew between machines)
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Monitor:
    """A monitor as services hand it out."""

    id: int
    use_case: str
    name: str
    model_name: str
    model_version: str
    artifact_uri: str
    training_fingerprint: str
    code_revision: str
    task: Task | None
    columns: Mapping[str, str | None]
    primary_metric: str | None
    reference_metrics: Mapping[str, float]
    reference_source: str
    has_estimator: bool
    active: bool
    created_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case,
            "name": self.name,
            "model": {
                "name": self.model_name,
                "version": self.model_version,
                "artifact_uri": self.artifact_uri,
                "training_fingerprint": self.training_fingerprint,
                "code_revision": self.code_revision,
            },
            "task": self.task.value if self.task else None,
            "columns": dict(self.columns),
            "primary_metric": self.primary_metric,
            "reference_metrics": dict(self.reference_metrics),
            "reference_source": self.reference_source,
            "estimates_performance": self.has_estimator,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class BatchResult:
    """What logging one batch produced."""

    batch_id: int
    monitor: str
    at: datetime
    rows: int
    status: DriftStatus
    metrics: dict[str, float]
    drift: dict[str, Any]
    estimated: dict[str, Any] | None
    performance: dict[str, Any] | None
    evidence: str
    #: the monitor's open alerts after this batch
    alerts: list[dict[str, Any]] = field(default_factory=list)
    #: webhook deliveries this batch caused, as they stand after sending
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drifted(self) -> list[str]:
        return list(self.drift.get("drifted", []))

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "monitor": self.monitor,
            "at": self.at.isoformat(),
            "rows": self.rows,
            "status": self.status.value,
            "metrics": self.metrics,
            "drift": self.drift,
            "estimated": self.estimated,
            "performance": self.performance,
            "evidence": self.evidence,
            "alerts": self.alerts,
            "deliveries": self.deliveries,
        }


@dataclass(frozen=True)
class LabelsResult:
    """What joining one upload of labels produced."""

    monitor: str
    labels: int
    matched: int
    unknown: int
    unknown_examples: list[Any]
    batches: list[dict[str, Any]]
    evidence: list[str]
    alerts: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "labels": self.labels,
            "matched": self.matched,
            "unknown": self.unknown,
            "unknown_examples": self.unknown_examples,
            "batches": self.batches,
            "evidence": self.evidence,
            "alerts": self.alerts,
            "deliveries": self.deliveries,
        }


# ---------------------------------------------------------------------------- helpers


def _monitor(data: Mapping[str, Any], slug: str) -> Monitor:
    return Monitor(
        id=int(data["id"]),
        use_case=slug,
        name=data["name"],
        model_name=data["model_name"],
        model_version=data["model_version"],
        artifact_uri=data["artifact_uri"],
        training_fingerprint=data["training_fingerprint"],
        code_revision=data["code_revision"],
        task=Task(data["task"]) if data["task"] else None,
        columns=dict(data["columns"]),
        primary_metric=data["primary_metric"],
        reference_metrics=dict(data["reference_metrics"] or {}),
        reference_source=data["reference_source"],
        has_estimator=data.get("estimator") is not None or bool(data.get("has_estimator")),
        active=bool(data["active"]),
        created_at=data["created_at"],
        created_by=data["created_by"],
    )


def _check_name(name: str, what: str = "monitor name") -> str:
    if not _NAME.match(name):
        raise ValidationError(
            f"{what} '{name}' should be lower-case letters, digits, '-', '_' or '.', "
            "starting with a letter or digit, at most 64 characters",
            field="name",
        )
    return name


def _monitor_in(conn: Connection, use_case_id: int, slug: str, name: str) -> dict[str, Any]:
    data = mrepo.get_monitor(conn, use_case_id, name)
    if data is None:
        known = [m["name"] for m in mrepo.list_monitors(conn, use_case_id)]
        hint = (
            f"; its monitors are {', '.join(known)}"
            if known
            else "; create one with 'scalegate monitor create'"
        )
        raise NotFoundError(
            f"use case '{slug}' has no monitor '{name}'{hint}", field="monitor", value=name
        )
    return data


def _columns_of(frame: Any) -> list[str]:
    return list(frame.collect_schema().names())


def _resolve_roles(
    names: list[str], given: Mapping[str, str | None], source: str
) -> dict[str, str | None]:
    """Column name per role: the one given (which must exist) or a default found in the data."""
    roles: dict[str, str | None] = {}
    for role in ROLES:
        wanted = given.get(role)
        if wanted:
            if wanted not in names and role != "label":
                raise ValidationError(
                    f"{source}: no column '{wanted}' for the {role} (columns: {', '.join(names)})",
                    field=f"{role}_column",
                    value=wanted,
                )
            roles[role] = wanted
        elif role in _OPTIONAL_ROLES:
            # batches may carry these though the reference does not: never compared
            roles[role] = ROLE_DEFAULTS[role][0]
        else:
            roles[role] = next((c for c in ROLE_DEFAULTS[role] if c in names), None)
    chosen = [c for c in roles.values() if c]
    if len(chosen) != len(set(chosen)):
        raise ValidationError("one column cannot play two roles", field="columns")
    return roles


def _primary_metric(task: Task | None, roles: Mapping[str, str | None]) -> str | None:
    if task is Task.CLASSIFICATION:
        return "roc_auc" if roles.get("score") else "accuracy"
    if task is Task.REGRESSION:
        return "rmse"
    return None


def _finite(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Numbers only: metrics that are None (undefined) are left out."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
            out[key] = float(value)
    return out


# ---------------------------------------------------------------------------- engine calls
# Thin wrappers over scalegate.engine, so that the engine's API shows in one place here.


def _drift_config(roles: Mapping[str, str | None], config: Any) -> Any:
    """The drift config with the monitor's roles: ids, times and labels are not compared;
    the model's output (its score if it has one, else its prediction) is the prediction."""
    from scalegate.engine.drift import DriftConfig
    from scalegate.engine.drift.config import coerce

    base: DriftConfig = coerce(config)
    output = roles.get("score") or roles.get("prediction")
    excluded = [roles[r] for r in ("id", "timestamp", "label") if roles.get(r)]
    if roles.get("score") and roles.get("prediction"):
        excluded.append(roles["prediction"])  # the thresholded score says nothing more
    exclude = [*base.exclude, *(c for c in excluded if c and c not in base.exclude)]
    return base.model_copy(update={"exclude": exclude, "prediction": output})


def _build_reference(frame: Any, config: Any) -> Any:
    from scalegate.engine.drift import build_reference

    return build_reference(frame, config=config)


def _reference_from_profile(profile: Mapping[str, Any], config: Any) -> Any:
    from scalegate.engine.drift import DriftReference
    from scalegate.engine.profile_model import DatasetProfile

    return DriftReference.from_profile(DatasetProfile.from_dict(profile), config=config)


def _performance(
    frame: Any, task: Task, roles: Mapping[str, str | None], *, drop_unlabelled: bool = True
) -> dict[str, Any]:
    """Realised metrics as plain JSON (``to_dict`` of the engine's report)."""
    from scalegate.engine import performance as perf

    label = roles["label"]
    assert label is not None
    if task is Task.CLASSIFICATION:
        report = perf.classification_metrics(
            frame, label=label, prediction=roles.get("prediction"), score=roles.get("score")
        )
    else:
        report = perf.regression_metrics(frame, label=label, prediction=str(roles["prediction"]))
    return dict(report.to_dict())


def _metric_values(report: Mapping[str, Any]) -> dict[str, float]:
    """The overall metric values of a performance report's ``to_dict``."""
    overall = report.get("overall", report)
    metrics = overall.get("metrics", overall)
    return _finite(metrics)


def _fit_estimator(frame: Any, roles: Mapping[str, str | None]) -> dict[str, Any]:
    from scalegate.engine.estimation import CBPE

    est = CBPE.fit(
        frame,
        label=str(roles["label"]),
        score=str(roles["score"]),
        prediction=roles.get("prediction"),
    )
    return dict(est.to_dict())


def _estimate(estimator: Mapping[str, Any], frame: Any) -> dict[str, Any]:
    from scalegate.engine.estimation import CBPE

    return dict(CBPE.from_dict(dict(estimator)).estimate(frame).to_dict())


def _drift_metrics(drift: Mapping[str, Any]) -> dict[str, float]:
    """The flat metrics alert rules read from a drift report's ``to_dict``: ``drift_share``,
    ``drifted_features``, ``multivariate_error``, ``prediction_drift``, ``drift.<column>``."""
    columns = drift.get("columns", [])
    out: dict[str, Any] = {
        "drift_share": drift.get("drifted_share"),
        "drifted_features": sum(
            1 for c in columns if c.get("drifted") and c.get("role") == "feature"
        ),
        "multivariate_error": (drift.get("multivariate") or {}).get("value"),
    }
    for c in columns:
        out[f"drift.{c['name']}"] = c.get("value")
        if c.get("role") == "prediction":
            out["prediction_drift"] = c.get("value")
    return _finite(out)


def _estimate_values(estimated: Mapping[str, Any]) -> dict[str, float]:
    metrics = (estimated.get("overall") or {}).get("metrics") or {}
    out: dict[str, float] = {}
    for name, value in metrics.items():
        point = value.get("value") if isinstance(value, Mapping) else value
        out.update({f"estimated_{k}": v for k, v in _finite({name: point}).items()})
    return out


# ---------------------------------------------------------------------------- monitors


def create(
    store: Store,
    slug: str,
    reference: Any,
    *,
    actor: str | None,
    name: str = DEFAULT_MONITOR,
    model_name: str,
    model_version: str,
    artifact_uri: str = "",
    training_fingerprint: str = "",
    code_revision: str = "",
    task: str | Task | None = None,
    columns: Mapping[str, str | None] | None = None,
    config: Any = None,
    reference_source: str | None = None,
) -> Monitor:
    """Set up a monitor for ``slug``'s model version against ``reference``.

    ``reference`` is data (a path or any dataframe) or a stored profile (a
    ``DatasetProfile.to_dict()`` mapping). From data, the reference is profiled once, the
    multivariate model fitted, and where the reference has labels and ``task`` is set, the
    model's reference metrics computed and, for binary classifiers with scores, the
    label-free estimator calibrated. ``columns`` names the id, timestamp, prediction, score
    and label columns (each defaults to a column of that name, if present); every other
    column is a feature.
    """
    from scalegate.engine.frames import read_error, to_lazy

    _check_name(name)
    for label, value in (("model name", model_name), ("model version", model_version)):
        if not value or not value.strip():
            raise ValidationError(f"the {label} is required", field=label.replace(" ", "_"))
    if task is not None and task not in {t.value for t in Task}:
        raise UnknownChoiceError.of("task", task, [t.value for t in Task])
    task = Task(task) if task is not None else None
    with store.read() as conn:  # fail before reading any data
        require(conn, actor, Role.CONTRIBUTOR, doing="creating a monitor")
        uc = use_case_in(conn, slug)
        if mrepo.get_monitor(conn, uc.id, name, full=False) is not None:
            raise ConflictError(f"use case '{slug}' already has a monitor '{name}'")

    estimator = None
    reference_metrics: dict[str, float] = {}
    if isinstance(reference, Mapping):
        source = reference_source or "stored profile"
        names = [c["name"] for c in reference.get("columns", [])]
        roles = _resolve_roles(names, columns or {}, source)
        drift_ref = _reference_from_profile(reference, _drift_config(roles, config))
    else:
        frame, src = to_lazy(reference)
        source = reference_source or src.description
        try:
            names = _columns_of(frame)
        except Exception as exc:
            raise read_error(src, exc) from None
        roles = _resolve_roles(names, columns or {}, source)
        if task is not None and roles["prediction"] is None and roles["score"] is None:
            raise ValidationError(
                f"{source}: a {task.value} monitor needs the model's predictions in the "
                "reference; name the column with --prediction-column",
                field="prediction_column",
            )
        drift_ref = _build_reference(frame, _drift_config(roles, config))
        if task is not None and roles["label"] in names:
            if task is Task.REGRESSION and roles["prediction"] is None:
                raise ValidationError(
                    f"{source}: a regression monitor needs a prediction column",
                    field="prediction_column",
                )
            reference_metrics = _metric_values(_performance(frame, task, roles))
            if task is Task.CLASSIFICATION and roles["score"] and roles["prediction"]:
                estimator = _fit_estimator(frame, roles)
    now = utcnow()
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="creating a monitor")
        uc = use_case_in(conn, slug)
        if uc.stage is Stage.RETIRED:
            raise ConflictError(f"use case '{slug}' is retired")
        values = {
            "use_case_id": uc.id,
            "name": name,
            "model_name": model_name.strip(),
            "model_version": model_version.strip(),
            "artifact_uri": artifact_uri,
            "training_fingerprint": training_fingerprint,
            "code_revision": code_revision,
            "task": task.value if task else None,
            "columns": roles,
            "reference": drift_ref.to_dict(),
            "reference_source": source[:2000],
            "estimator": estimator,
            "primary_metric": _primary_metric(task, roles),
            "reference_metrics": reference_metrics,
            "active": True,
            "created_at": now,
            "created_by": user.username,
        }
        try:
            monitor_id = mrepo.insert_monitor(conn, **values)
        except IntegrityError:
            raise ConflictError(f"use case '{slug}' already has a monitor '{name}'") from None
        monitor = _monitor({**values, "id": monitor_id}, slug)
        append_event(
            conn,
            actor=user.username,
            action="monitor.created",
            subject_type="use_case",
            subject_id=slug,
            after={k: v for k, v in monitor.to_dict().items() if k not in ("created_at",)},
        )
    return monitor


def get(store: Store, slug: str, name: str = DEFAULT_MONITOR) -> Monitor:
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        return _monitor(_monitor_in(conn, uc.id, slug, name), slug)


def list_monitors(store: Store, slug: str) -> list[Monitor]:
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        return [_monitor(d, slug) for d in mrepo.list_monitors(conn, uc.id)]


def batches(
    store: Store, slug: str, name: str = DEFAULT_MONITOR, *, limit: int | None = 100
) -> list[dict[str, Any]]:
    """The monitor's batches, newest first: time, rows, status, metrics, evidence."""
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        monitor = _monitor_in(conn, uc.id, slug, name)
        rows = mrepo.list_batches(conn, monitor["id"], limit=limit)
    return [
        {
            "batch": r["id"],
            "at": r["at"].isoformat(),
            "rows": r["rows"],
            "status": r["status"],
            "labelled_rows": r["labelled_rows"],
            "metrics": r["metrics"],
            "evidence": f"ev-{r['evidence_id']}" if r["evidence_id"] else None,
        }
        for r in rows
    ]


def batch_detail(store: Store, slug: str, batch_id: int) -> dict[str, Any]:
    """Everything stored about one batch: drift report, estimate, performance, profile."""
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        data = mrepo.get_batch(conn, batch_id)
        monitors = {m["id"]: m["name"] for m in mrepo.list_monitors(conn, uc.id)}
    if data is None or data["monitor_id"] not in monitors:
        raise NotFoundError(f"use case '{slug}' has no batch {batch_id}", field="batch")
    return {
        "batch": data["id"],
        "monitor": monitors[data["monitor_id"]],
        "at": data["at"].isoformat(),
        "rows": data["rows"],
        "status": data["status"],
        "labelled_rows": data["labelled_rows"],
        "metrics": data["metrics"],
        "drift": data["drift"],
        "estimated": data["estimated"],
        "performance": data["performance"],
        "profile": data["summary"],
        "evidence": f"ev-{data['evidence_id']}" if data["evidence_id"] else None,
    }


# ---------------------------------------------------------------------------- batches


def _batch_time(at: datetime | None, frame: Any, timestamp: str | None, now: datetime) -> datetime:
    if at is None and timestamp:
        import narwhals as nw

        newest = frame.select(nw.col(timestamp).max()).collect().item()
        if isinstance(newest, datetime):
            at = newest
    when = aware(at) if at is not None else now
    if when > now + _SKEW:
        raise ValidationError(
            f"batch time {when.isoformat()} is in the future", field="at", value=when.isoformat()
        )
    return when


def _kept_rows(frame: Any, roles: Mapping[str, str | None], source: str) -> pl.DataFrame | None:
    """The id, prediction, score (and label, timestamp) columns of a batch, to join labels
    later; None when the batch has no id column."""
    import polars as pl

    names = _columns_of(frame)
    if not roles.get("id") or roles["id"] not in names:
        return None
    wanted = [roles[r] for r in ("id", "timestamp", "prediction", "score", "label")]
    kept = [c for c in wanted if c and c in names]
    table: pl.DataFrame = frame.select(kept).collect().to_polars()
    id_col = str(roles["id"])
    if table[id_col].null_count():
        raise ValidationError(
            f"{source}: {table[id_col].null_count():,} rows have no {id_col}; every row needs "
            "an id so that labels can be joined later",
            column=id_col,
        )
    dup = table[id_col].is_duplicated()
    if dup.any():
        examples = table.filter(dup)[id_col].unique(maintain_order=True).head(5).to_list()
        raise ValidationError(
            f"{source}: {int(dup.sum()):,} rows share an {id_col} with another row "
            f"(e.g. {', '.join(map(repr, examples))}); ids must be unique within a batch",
            column=id_col,
        )
    label = roles.get("label")
    if label and label not in table.columns:
        table = table.with_columns(pl.lit(None).alias(label))
    return table


def _parquet(table: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.write_parquet(buffer, compression="zstd")
    return buffer.getvalue()


def _summary_line(rows: int, drift: Mapping[str, Any], metrics: Mapping[str, float]) -> str:
    drifted = list(drift.get("drifted", []))
    features = (drift.get("summary") or {}).get("judged", len(drift.get("columns", [])))
    text = f"{rows:,} rows; {len(drifted)} of {features} columns drifted"
    if drifted:
        shown = ", ".join(drifted[:4]) + (
            f" and {len(drifted) - 4} more" if len(drifted) > 4 else ""
        )
        text += f" ({shown})"
    estimates = [(k, v) for k, v in metrics.items() if k.startswith("estimated_")]
    if estimates:
        key, value = estimates[0]
        text += f"; {key.replace('_', ' ')} {value:.3f}"
    return text


def _alerts_after(conn: Connection, monitor_id: int, now: datetime, actor: str) -> list[int]:
    from scalegate.services import alerts

    return alerts.evaluate(conn, monitor_id, now=now, actor=actor)


def _after_commit(
    store: Store, slug: str, monitor: str, delivery_ids: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Send the webhooks queued by the transaction; return the monitor's open alerts and the
    deliveries as they now stand."""
    from scalegate.services import alerts

    sent = alerts.deliver_pending(store, ids=delivery_ids) if delivery_ids else []
    open_alerts = [
        {
            "id": a.id,
            "rule": a.rule,
            "metric": a.metric,
            "value": a.value,
            "opened_at": a.opened_at.isoformat(),
            "message": a.message,
        }
        for a in alerts.list_alerts(store, slug, "open")
        if a.monitor == monitor
    ]
    return open_alerts, [d.public_dict() for d in sent]


def log_batch(
    store: Store,
    slug: str,
    data: Any,
    *,
    actor: str | None,
    monitor: str = DEFAULT_MONITOR,
    at: datetime | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Log one production batch: profile it in one pass, compare with the reference, estimate
    performance, keep ids and predictions for later labels, and raise or resolve alerts.

    ``data`` is a path or any dataframe with the reference's feature columns and the
    monitor's prediction (and score) columns; with the id column, labels can be joined later;
    with the label column, realised performance is computed at once. ``at`` is the batch's
    time (default: the newest value of the timestamp column, else now); ``now`` when it is
    recorded (default: the current time; the demo backdates).
    """
    from scalegate.engine.drift import DriftReference, compare, summarize
    from scalegate.engine.frames import read_error, to_lazy

    with store.read() as conn:
        require(conn, actor, Role.CONTRIBUTOR, doing="logging a batch")
        uc = use_case_in(conn, slug)
        if uc.stage is Stage.RETIRED:
            raise ConflictError(f"use case '{slug}' is retired")
        m = _monitor_in(conn, uc.id, slug, monitor)
    if not m["active"]:
        raise ConflictError(f"monitor '{monitor}' of '{slug}' is no longer active")
    roles: dict[str, str | None] = dict(m["columns"])
    task = Task(m["task"]) if m["task"] else None
    frame, src = to_lazy(data)
    try:
        names = _columns_of(frame)
    except Exception as exc:
        raise read_error(src, exc) from None
    for role in ("prediction", "score"):
        if roles.get(role) and roles[role] not in names:
            raise ValidationError(
                f"{src.description}: the batch has no {role} column '{roles[role]}' "
                f"(columns: {', '.join(names)}); log the model's {role}s with the features",
                column=roles[role],
            )
    reference = DriftReference.from_dict(m["reference"])
    summary = summarize(frame, reference)
    report = compare(reference, summary)
    drift = report.to_dict()
    status = DriftStatus(report.status)
    now = aware(now) if now is not None else utcnow()
    stamp = roles.get("timestamp")
    when = _batch_time(at, frame, stamp if stamp in names else None, now)
    rows = int(summary.rows)
    metrics: dict[str, float] = {"rows": float(rows)}
    metrics.update(_drift_metrics(drift))
    metrics["drift_status"] = float(status.level)
    estimated = None
    if m["estimator"] is not None and rows:
        estimated = _estimate(m["estimator"], frame)
        metrics.update(_estimate_values(estimated))
    performance = None
    labelled = 0
    kept = _kept_rows(frame, roles, src.description)
    label = roles.get("label")
    if task is not None and label and label in names:
        performance = _performance(frame, task, roles)
        labelled = int(performance["overall"]["used"])
        metrics.update(_metric_values(performance))
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="logging a batch")
        uc = use_case_in(conn, slug)
        ev_status = _STATUS_EVIDENCE[status]
        summary_line = _summary_line(rows, drift, metrics)
        batch_id = mrepo.insert_batch(
            conn,
            monitor_id=m["id"],
            at=when,
            rows=rows,
            status=status.value,
            metrics=metrics,
            summary=summary.to_dict(),
            drift=drift,
            estimated=estimated,
            performance=performance,
            labelled_rows=labelled,
            created_at=now,
            created_by=user.username,
        )
        payload = {
            "monitor": monitor,
            "model": {"name": m["model_name"], "version": m["model_version"]},
            "batch": batch_id,
            "at": when.isoformat(),
            "rows": rows,
            "status": status.value,
            "metrics": metrics,
            "drift": drift,
            "estimated": estimated,
        }
        ev = repo.insert_evidence(
            conn,
            use_case_id=uc.id,
            kind=DRIFT_REPORT,
            status=ev_status,
            summary=f"{monitor}: {summary_line}",
            payload=payload,
            at=now,
            by=user.username,
            subject=monitor,
        )
        mrepo.update_batch(conn, batch_id, evidence_id=ev.id)
        if kept is not None:
            mrepo.insert_batch_rows(conn, batch_id, kept.height, _parquet(kept))
        append_event(
            conn,
            actor=user.username,
            action="monitor.batch_logged",
            subject_type="use_case",
            subject_id=slug,
            after={
                "monitor": monitor,
                "batch": batch_id,
                "evidence": ev.ref,
                "at": when.isoformat(),
                "rows": rows,
                "status": status.value,
                "summary": summary_line,
            },
        )
        delivery_ids = _alerts_after(conn, m["id"], now, user.username)
    open_alerts, deliveries = _after_commit(store, slug, monitor, delivery_ids)
    return BatchResult(
        batch_id=batch_id,
        monitor=monitor,
        at=when,
        rows=rows,
        status=status,
        metrics=metrics,
        drift=drift,
        estimated=estimated,
        performance=performance,
        evidence=ev.ref,
        alerts=open_alerts,
        deliveries=deliveries,
    )


# ---------------------------------------------------------------------------- labels


def log_labels(
    store: Store,
    slug: str,
    data: Any,
    *,
    actor: str | None,
    monitor: str = DEFAULT_MONITOR,
    id_column: str | None = None,
    label_column: str | None = None,
    now: datetime | None = None,
) -> LabelsResult:
    """Join labels that arrived later to the logged batches by id, and compute realised
    performance for every batch that gained labels.

    Labels for ids no batch logged are counted and a few shown, not stored; if none matches,
    nothing is stored and a ValidationError says so. A label given again replaces the old one.
    """
    import polars as pl

    from scalegate.engine.frames import read_error, to_lazy

    with store.read() as conn:
        require(conn, actor, Role.CONTRIBUTOR, doing="logging labels")
        uc = use_case_in(conn, slug)
        m = _monitor_in(conn, uc.id, slug, monitor)
        stored = mrepo.batch_rows_of(conn, m["id"])
    roles: dict[str, str | None] = dict(m["columns"])
    task = Task(m["task"]) if m["task"] else None
    if task is None:
        raise ValidationError(
            f"monitor '{monitor}' has no task; labels need a classification or regression monitor",
            field="task",
        )
    id_col = str(id_column or roles.get("id") or "id")
    label_col = label_column or roles.get("label") or "label"
    if not stored:
        raise ValidationError(
            f"monitor '{monitor}' has no batch logged with an '{roles.get('id')}' column, so "
            "labels cannot be joined; log batches with their row ids first",
            field="id_column",
        )
    frame, src = to_lazy(data)
    try:
        names = _columns_of(frame)
        missing = [c for c in (id_col, label_col) if c not in names]
        if missing:
            raise ValidationError(
                f"{src.description}: no column {', '.join(repr(c) for c in missing)} "
                f"(columns: {', '.join(names)})",
                column=missing[0],
            )
        labels = frame.select([id_col, label_col]).collect().to_polars()
    except ValidationError:
        raise
    except Exception as exc:
        raise read_error(src, exc) from None
    labels = labels.rename({id_col: "__id", label_col: "__label"}).filter(
        pl.col("__label").is_not_null()
    )
    labels = labels.unique("__id", keep="last", maintain_order=True)
    try:
        labels = labels.with_columns(pl.col("__label").cast(pl.Float64, strict=True))
    except pl.exceptions.PolarsError:
        bad = labels["__label"].cast(pl.String).head(3).to_list()
        raise ValidationError(
            f"{src.description}: labels in '{label_col}' must be numbers (0/1 or true/false "
            f"for a classifier), not {', '.join(map(repr, bad))}",
            column=label_col,
        ) from None
    stored_id, stored_label = roles["id"], roles.get("label") or "label"
    assert stored_id is not None
    seen: set[Any] = set()
    updates: list[tuple[int, pl.DataFrame, int]] = []
    for batch_id, blob in stored:
        table = pl.read_parquet(io.BytesIO(blob))
        try:
            joined = table.join(
                labels, left_on=stored_id, right_on="__id", how="left", coalesce=True
            )
        except pl.exceptions.PolarsError:
            raise ValidationError(
                f"{src.description}: the ids in '{id_col}' ({labels['__id'].dtype}) cannot "
                f"be matched with the logged ids ({table[stored_id].dtype})",
                column=id_col,
            ) from None
        hits = joined["__label"].is_not_null()
        count = int(hits.sum())
        if not count:
            continue
        seen.update(joined.filter(hits)[stored_id].to_list())
        if stored_label not in joined.columns:
            joined = joined.with_columns(pl.lit(None).alias(stored_label))
        merged = joined.with_columns(
            pl.coalesce(
                pl.col("__label").cast(pl.Float64), pl.col(stored_label).cast(pl.Float64)
            ).alias(stored_label)
        ).drop("__label")
        updates.append((batch_id, merged, count))
    unknown = labels.filter(~pl.col("__id").is_in(list(seen)))
    if not updates:
        raise ValidationError(
            f"{src.description}: none of the {labels.height:,} labelled ids matches a batch "
            f"logged by monitor '{monitor}' "
            f"(e.g. {', '.join(map(repr, labels['__id'].head(5).to_list()))})",
            column=id_col,
        )
    results: list[tuple[int, pl.DataFrame, dict[str, Any], dict[str, float], int]] = []
    for batch_id, table, _count in updates:
        labelled = table.filter(pl.col(stored_label).is_not_null())
        if task is Task.CLASSIFICATION:
            labelled = labelled.with_columns(pl.col(stored_label).cast(pl.Int64))
        performance = _performance(labelled, task, roles)
        results.append((batch_id, table, performance, _metric_values(performance), labelled.height))
    now = aware(now) if now is not None else utcnow()
    evidence: list[str] = []
    summaries: list[dict[str, Any]] = []
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="logging labels")
        uc = use_case_in(conn, slug)
        for batch_id, table, performance, values, labelled_rows in results:
            batch = mrepo.get_batch(conn, batch_id)
            assert batch is not None
            metrics = {
                k: v
                for k, v in dict(batch["metrics"]).items()
                if k.startswith(("estimated_", "drift", "rows", "multivariate", "prediction"))
            }
            metrics.update(values)
            mrepo.update_batch_rows(conn, batch_id, _parquet(table))
            mrepo.update_batch(
                conn,
                batch_id,
                performance=performance,
                metrics=metrics,
                labelled_rows=labelled_rows,
            )
            shown = ", ".join(f"{k} {v:.3f}" for k, v in list(values.items())[:3])
            line = (
                f"{monitor}: batch {batch_id} of {batch['at'].date()}, "
                f"{labelled_rows:,} labelled rows"
            )
            ev = repo.insert_evidence(
                conn,
                use_case_id=uc.id,
                kind=PERFORMANCE_REPORT,
                status=EvidenceStatus.INFO,
                summary=line + (f"; {shown}" if shown else ""),
                payload={
                    "monitor": monitor,
                    "model": {"name": m["model_name"], "version": m["model_version"]},
                    "batch": batch_id,
                    "at": batch["at"].isoformat(),
                    "labelled_rows": labelled_rows,
                    "performance": performance,
                    "estimated": batch["estimated"],
                },
                at=now,
                by=user.username,
                subject=monitor,
            )
            evidence.append(ev.ref)
            summaries.append(
                {
                    "batch": batch_id,
                    "at": batch["at"].isoformat(),
                    "labelled_rows": labelled_rows,
                    "metrics": values,
                    "evidence": ev.ref,
                }
            )
        append_event(
            conn,
            actor=user.username,
            action="monitor.labels_logged",
            subject_type="use_case",
            subject_id=slug,
            after={
                "monitor": monitor,
                "labels": labels.height,
                "matched": labels.height - unknown.height,
                "unknown": unknown.height,
                "batches": [s["batch"] for s in summaries],
                "evidence": evidence,
            },
        )
        delivery_ids = _alerts_after(conn, m["id"], now, user.username)
    open_alerts, deliveries = _after_commit(store, slug, monitor, delivery_ids)
    return LabelsResult(
        monitor=monitor,
        labels=labels.height,
        matched=labels.height - unknown.height,
        unknown=unknown.height,
        unknown_examples=unknown["__id"].head(5).to_list(),
        batches=summaries,
        evidence=evidence,
        alerts=open_alerts,
        deliveries=deliveries,
    )


# ---------------------------------------------------------------------------- SDK helpers


def _series(name: str, values: Any, rows: int, what: str) -> pl.Series:
    import polars as pl

    if isinstance(values, pl.Series):
        series = values.alias(name)
    else:
        try:
            import numpy as np

            series = pl.Series(name, np.asarray(values))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{what} cannot be read as a column: {exc}", field=what) from None
    if series.len() != rows:
        raise ValidationError(
            f"{what} has {series.len():,} values but the features have {rows:,} rows",
            field=what,
        )
    return series


def compose_batch(
    monitor: Monitor,
    features: Any,
    *,
    predictions: Any = None,
    ids: Any = None,
    scores: Any = None,
    labels: Any = None,
) -> Any:
    """One frame with the features and the monitor's prediction, id, score and label columns.

    Each extra is a sequence as long as ``features`` (NumPy, pandas or Polars, a list), the
    name of a column of ``features``, or None. Sequences need a local frame (pandas, Polars,
    PyArrow); for Spark or DuckDB pass column names.
    """
    from scalegate.engine.frames import to_lazy

    given = {"prediction": predictions, "id": ids, "score": scores, "label": labels}
    extras = {role: value for role, value in given.items() if value is not None}
    if not extras:
        return features
    frame, src = to_lazy(features)
    names = _columns_of(frame)
    renames: dict[str, str] = {}
    arrays: dict[str, Any] = {}
    for role, value in extras.items():
        target = monitor.columns.get(role) or role
        if isinstance(value, str):
            if value not in names:
                raise ValidationError(
                    f"{role}s: the features have no column '{value}' (columns: {', '.join(names)})",
                    field=role,
                )
            if value != target:
                renames[value] = target
        else:
            arrays[target] = value
    if arrays and src.backend not in ("polars", "pandas", "pyarrow", "narwhals"):
        raise ValidationError(
            f"a {src.backend} frame cannot take columns from Python sequences; add the "
            "predictions, ids and scores to the frame and pass their column names",
            field="features",
        )
    if renames:
        frame = frame.rename(renames)
    if not arrays:
        return frame
    table = frame.collect().to_polars()
    clashes = [c for c in arrays if c in table.columns]
    table = table.drop(clashes)
    return table.with_columns(
        _series(name, value, table.height, f"{name} values") for name, value in arrays.items()
    )


def compose_labels(monitor: Monitor, ids: Any, labels: Any) -> pl.DataFrame:
    """A frame of the monitor's id and label columns from two sequences."""
    import polars as pl

    id_col = monitor.columns.get("id") or "id"
    label_col = monitor.columns.get("label") or "label"
    id_series = _series(id_col, ids, len(ids), "ids")
    return pl.DataFrame([id_series, _series(label_col, labels, id_series.len(), "labels")])
