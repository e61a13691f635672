"""Fairness reports of a use case's model: computed on data, kept as evidence.

A report is stored as immutable ``fairness_report`` evidence whose subject is its sensitive
columns (``gender,age_band``); the ``fairness`` gate criterion judges the newest report per
subject. The stored payload is the report's JSON; a report computed elsewhere is accepted
as its per-group confusion counts, from which every rate and disparity is recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from scalegate.domain.evidence import Evidence
from scalegate.domain.user import Role
from scalegate.errors import ValidationError
from scalegate.gates import FAIRNESS_REPORT
from scalegate.gates.fairness import subject_of
from scalegate.services import registry
from scalegate.services.access import require
from scalegate.store import Store

if TYPE_CHECKING:
    from scalegate.engine.fairness import FairnessReport

#: groups a stored or uploaded report may hold
MAX_GROUPS = 10_000
_Name = Field(min_length=1, max_length=200)


def compute(
    data: Any,
    *,
    sensitive: str | Sequence[str],
    label: str,
    prediction: str | None = None,
    score: str | None = None,
    threshold: float = 0.5,
    positive: Any = None,
) -> FairnessReport:
    """Per-group rates and disparities of ``data`` (a path or any dataframe). Reads only;
    see :func:`scalegate.engine.fairness.fairness_metrics` for what is guaranteed."""
    from scalegate.engine.fairness import fairness_metrics

    return fairness_metrics(
        data,
        sensitive=sensitive,
        label=label,
        prediction=prediction,
        score=score,
        threshold=threshold,
        positive=positive,
    )


def can_record(store: Store, slug: str, *, actor: str | None) -> None:
    """Raise now, before any data is read, if ``actor`` could not store a report on ``slug``."""
    with store.read() as conn:
        require(conn, actor, Role.CONTRIBUTOR, doing="storing a fairness report")
        registry.use_case_in(conn, slug)


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3g}"


def summary_of(report: FairnessReport) -> str:
    """One line: the headline disparities, groups and rows."""
    d = report.disparities
    groups = len(report.groups)
    return (
        f"{subject_of(list(report.sensitive))}: demographic parity difference "
        f"{_number(d['demographic_parity_difference'])}, equalized odds difference "
        f"{_number(d['equalized_odds_difference'])}; {groups} group{'s' if groups != 1 else ''}, "
        f"{report.used:,} rows"
    )


def record(
    store: Store,
    slug: str,
    report: FairnessReport,
    *,
    actor: str | None,
    at: datetime | None = None,
) -> Evidence:
    """Store ``report`` as ``fairness_report`` evidence of a use case (audited).

    Its status is ``info``: the ``fairness`` criterion of the policy decides what the
    numbers mean for a gate. The payload is ``report.to_dict()``.
    """
    return registry.record_evidence(
        store,
        slug,
        kind=FAIRNESS_REPORT,
        subject=subject_of(list(report.sensitive)),
        status="info",
        summary=summary_of(report),
        payload=report.to_dict(),
        actor=actor,
        at=at,
    )


class _Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tp: int = Field(0, ge=0)
    fp: int = Field(0, ge=0)
    fn: int = Field(0, ge=0)
    tn: int = Field(0, ge=0)


class _Group(BaseModel):
    model_config = ConfigDict(extra="ignore")

    group: dict[str, str | int | float | bool | None]
    counts: _Counts


class _Columns(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str = _Name
    prediction: str | None = None
    score: str | None = None


class _ReportDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sensitive: list[str] = Field(min_length=1, max_length=20)
    columns: _Columns
    positive: str | int | float | bool
    threshold: float | None = None
    source: str = Field("", max_length=2000)
    backend: str = Field("", max_length=50)
    skipped: dict[str, int] = Field(default_factory=dict)
    groups: list[_Group] = Field(min_length=1, max_length=MAX_GROUPS)


def report_from_dict(data: Any, *, source: str = "request body") -> FairnessReport:
    """A report computed elsewhere (``FairnessReport.to_dict()``, e.g. ``scalegate fairness
    --json`` next to the data), validated field by field; errors name ``source`` and the
    field. Only the per-group counts are read: every rate and disparity is recomputed."""
    from scalegate.domain import documents
    from scalegate.engine.fairness import report_from_counts

    try:
        doc = _ReportDocument.model_validate(data)
    except pydantic.ValidationError as exc:
        raise documents.field_error(exc, what=f"{source} field") from None
    names = doc.sensitive
    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    for i, g in enumerate(doc.groups):
        if set(g.group) != set(names):
            raise ValidationError(
                f"{source}: groups[{i}] has columns {sorted(g.group)}, not the sensitive "
                f"columns {names}",
                field=f"groups.{i}.group",
            )
        key = tuple(g.group[n] for n in names)
        if key in counts:
            raise ValidationError(
                f"{source}: groups[{i}] repeats the group {dict(zip(names, key, strict=True))}",
                field=f"groups.{i}.group",
            )
        counts[key] = g.counts.model_dump()
    if not any(sum(c.values()) for c in counts.values()):
        raise ValidationError(f"{source}: every group has 0 rows", field="groups")
    return report_from_counts(
        names,
        counts,
        columns={
            "sensitive": list(names),
            "label": doc.columns.label,
            "prediction": doc.columns.prediction,
            "score": doc.columns.score,
        },
        positive=doc.positive,
        threshold=doc.threshold,
        skipped=doc.skipped,
        source=doc.source,
        backend=doc.backend,
    )
