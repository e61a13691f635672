"""Monitors and their logged batches, as gate criteria and reports see them (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class DriftStatus(StrEnum):
    """Overall drift verdict of one batch against its monitor's reference."""

    OK = "ok"
    DRIFT = "drift"
    CRITICAL = "critical"

    @property
    def level(self) -> int:
        """0, 1 or 2: what alert rules compare (metric ``drift_status``)."""
        return {"ok": 0, "drift": 1, "critical": 2}[self.value]


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


#: metrics where a larger value is worse
LOWER_IS_BETTER = frozenset({"log_loss", "brier", "calibration_error", "mae", "rmse", "mape"})


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One logged production batch: when, how many rows, its drift status and metrics.

    ``metrics`` is flat: ``drift_share``, ``drifted_features``, ``drift_status`` (0-2), and
    where known ``estimated_<metric>`` (label-free estimate) and ``<metric>`` (realised, once
    labels are joined).
    """

    id: int
    monitor: str
    at: datetime
    rows: int
    status: DriftStatus
    metrics: Mapping[str, float] = field(default_factory=dict)
    labelled_rows: int = 0
    evidence_id: int | None = None

    @property
    def ref(self) -> str | None:
        return f"ev-{self.evidence_id}" if self.evidence_id is not None else None


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """A monitor with its recent batches (newest first), as gate criteria see it.

    ``primary_metric`` is what a ``performance`` criterion judges unless it names one;
    ``reference_metrics`` are the model's metrics on the reference data, where it had labels.
    """

    name: str
    model_name: str
    model_version: str
    task: Task | None
    primary_metric: str | None
    reference_metrics: Mapping[str, float] = field(default_factory=dict)
    batches: tuple[BatchRecord, ...] = ()
    active: bool = True
