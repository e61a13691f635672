"""KPI measurements: record one, import a CSV of them, and each KPI's series, progress and
realised value."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scalegate.domain.evidence import Evidence
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import Kpi, UseCase
from scalegate.domain.value import (
    KPI_MEASUREMENT,
    KpiMeasurement,
    Progress,
    RealisedValue,
    format_number,
    measurement_payload,
    progress,
    realised_value,
    sum_by_unit,
)
from scalegate.errors import ScalegateError, ValidationError
from scalegate.services import registry
from scalegate.services.clock import aware, utcnow
from scalegate.services.registry import EvidenceDraft, use_case_in
from scalegate.store import Store
from scalegate.store import value_repository as vrepo

#: the columns of ``kpi import`` files (``unit`` may be left out)
CSV_COLUMNS = ("kpi", "value", "at")
CSV_OPTIONAL = ("unit",)


def _summary(kpi: str, payload: dict[str, Any]) -> str:
    unit = f" {payload['unit']}" if payload.get("unit") else ""
    return f"{kpi} = {format_number(payload['value'])}{unit}"


def record(
    store: Store,
    slug: str,
    kpi: str,
    value: object,
    *,
    at: datetime | None = None,
    unit: str | None = None,
    actor: str | None,
) -> Evidence:
    """Record one measurement of a charter KPI as immutable ``kpi_measurement`` evidence.

    ``value`` must be a finite number (or text that reads as one); ``unit``, if given, must
    be the KPI's unit; ``at`` (default now) may lie in the past, never in the future.
    """
    uc = registry.get(store, slug)
    payload = measurement_payload(uc.kpis, kpi, {"value": value, "unit": unit})
    return registry.record_evidence(
        store,
        slug,
        kind=KPI_MEASUREMENT,
        status="info",
        summary=_summary(kpi, payload),
        payload={"value": payload["value"], **({"unit": unit} if unit else {})},
        actor=actor,
        at=at,
        subject=kpi,
    )


def record_series(
    store: Store,
    slug: str,
    points: Sequence[tuple[str, float, datetime]],
    *,
    actor: str | None,
) -> list[Evidence]:
    """Record several (KPI, value, when) measurements in one transaction: all or none."""
    uc = registry.get(store, slug)
    drafts = []
    for kpi, value, at in points:
        payload = measurement_payload(uc.kpis, kpi, {"value": value})
        drafts.append(
            EvidenceDraft(
                kind=KPI_MEASUREMENT,
                status="info",
                summary=_summary(kpi, payload),
                payload={"value": payload["value"]},
                at=at,
                subject=kpi,
            )
        )
    return registry.record_evidence_many(store, slug, drafts, actor=actor)


def _parse_at(raw: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"cannot read '{raw}' as a date; use YYYY-MM-DD") from None
    return aware(parsed)


def import_csv(
    store: Store, slug: str, text: str, *, source: str, actor: str | None
) -> list[Evidence]:
    """Record every measurement of a CSV file (columns ``kpi,value,at[,unit]``, ``at`` as
    YYYY-MM-DD or an ISO timestamp, empty for now) in one transaction.

    All or nothing: a bad row stores no row, and the message names the file, the line and
    the column.
    """
    uc = registry.get(store, slug)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise ValidationError(
            f"{source}: empty file; expected a header line kpi,value,at[,unit]", source=source
        )
    names = [h.strip().lower() for h in header]
    for col in CSV_COLUMNS:
        if col not in names:
            raise ValidationError(
                f"{source}, line 1: missing column '{col}'; the columns are kpi, value, at "
                "and optionally unit",
                source=source,
                line=1,
                column=col,
            )
    for name in names:
        if name not in (*CSV_COLUMNS, *CSV_OPTIONAL):
            raise ValidationError(
                f"{source}, line 1: unknown column '{name}'; the columns are kpi, value, at "
                "and optionally unit",
                source=source,
                line=1,
                column=name,
            )
    if len(set(names)) != len(names):
        raise ValidationError(f"{source}, line 1: a column is named twice", source=source)
    now = utcnow()
    drafts: list[EvidenceDraft] = []
    lines: list[int] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise ValidationError(
                f"{source}, line {line}: {len(row)} cells, the header has {len(names)}",
                source=source,
                line=line,
            )
        cells = dict(zip(names, (c.strip() for c in row), strict=True))

        def bad(column: str, problem: str, line: int = line) -> ValidationError:
            return ValidationError(
                f"{source}, line {line}, column '{column}': {problem}",
                source=source,
                line=line,
                column=column,
            )

        if not cells["kpi"]:
            raise bad("kpi", "empty; name one of the charter's KPIs")
        when = now
        if cells["at"]:
            try:
                when = _parse_at(cells["at"])
            except ValueError as exc:
                raise bad("at", str(exc)) from None
            if when > now:
                raise bad("at", f"{cells['at']} lies in the future")
        unit = cells.get("unit") or None
        try:
            payload = measurement_payload(
                uc.kpis, cells["kpi"], {"value": cells["value"], "unit": unit}
            )
        except ScalegateError as exc:
            column = str(exc.fields.get("field", "value"))
            raise bad(column, exc.message) from None
        drafts.append(
            EvidenceDraft(
                kind=KPI_MEASUREMENT,
                status="info",
                summary=_summary(cells["kpi"], payload),
                payload={"value": payload["value"], **({"unit": unit} if unit else {})},
                at=when,
                subject=cells["kpi"],
            )
        )
        lines.append(line)
    if not drafts:
        raise ValidationError(f"{source}: no measurements after the header line", source=source)
    return registry.record_evidence_many(
        store, slug, drafts, actor=actor, where=lambda i: f"{source}, line {lines[i]}"
    )


@dataclass(frozen=True)
class KpiSeries:
    """One charter KPI with its measurements (oldest first), progress and realised value."""

    kpi: Kpi
    points: tuple[KpiMeasurement, ...]
    progress: Progress
    realised: RealisedValue | None
    realised_reason: str | None

    @property
    def latest(self) -> KpiMeasurement | None:
        return self.points[-1] if self.points else None

    def to_dict(self) -> dict[str, Any]:
        latest = self.latest
        return {
            **self.kpi.model_dump(mode="json"),
            "series": [
                {"at": p.at.isoformat(), "value": p.value, "evidence": p.ref} for p in self.points
            ],
            "latest": (
                {"at": latest.at.isoformat(), "value": latest.value, "evidence": latest.ref}
                if latest
                else None
            ),
            "progress": self.progress.fraction,
            "progress_reason": self.progress.reason,
            "realised_value": (
                {
                    "amount": self.realised.amount,
                    "currency": self.realised.unit.currency,
                    "period": self.realised.unit.period,
                    "unit": self.realised.unit.label,
                }
                if self.realised
                else None
            ),
            "realised_value_reason": self.realised_reason,
        }


@dataclass(frozen=True)
class KpiReport:
    """A use case's KPIs: what ``kpi show`` prints and the web charts draw."""

    use_case: str
    stage: Stage
    objective: str | None
    kpis: tuple[KpiSeries, ...]

    @property
    def realised_total(self) -> dict[str, float]:
        """Realised value per currency (and period) over this use case's money KPIs."""
        return sum_by_unit(s.realised for s in self.kpis if s.realised is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case,
            "stage": self.stage.value,
            "objective": self.objective,
            "kpis": [s.to_dict() for s in self.kpis],
            "realised_value": self.realised_total,
        }


def series_for(uc: UseCase, points: Sequence[KpiMeasurement]) -> tuple[KpiSeries, ...]:
    """Each charter KPI's series from a use case's measurements (oldest first).

    Progress and realised value use the KPI's baseline and target as the charter states
    them now; measurements of KPIs no longer in the charter are left out.
    """
    out = []
    for kpi in uc.kpis:
        mine = tuple(p for p in points if p.kpi == kpi.name)
        if mine:
            prog = progress(kpi, mine[-1].value)
            real = realised_value(kpi, mine[-1].value)
        else:
            prog = Progress(None, f"no measurement of KPI '{kpi.name}' recorded")
            real = prog.reason or ""
        if isinstance(real, str):
            out.append(KpiSeries(kpi, mine, prog, None, real))
        else:
            out.append(KpiSeries(kpi, mine, prog, real, None))
    return tuple(out)


def report(store: Store, slug: str) -> KpiReport:
    """The use case's KPIs with their series, progress and realised value."""
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        points = vrepo.kpi_measurements(conn, [uc.id]).get(uc.id, [])
        obj = vrepo.objective_of(conn, uc.id)
    return KpiReport(uc.slug, uc.stage, obj.slug if obj else None, series_for(uc, points))


__all__ = ["CSV_COLUMNS", "KpiReport", "KpiSeries", "import_csv", "record", "report", "series_for"]
