"""Objectives, their links to use cases, and KPI measurements (evidence with payloads).

Functions take a connection from ``Store.read()`` or ``Store.write()``; they never open
transactions themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from scalegate.domain.value import KPI_MEASUREMENT, KpiMeasurement, Objective
from scalegate.store import tables as t
from scalegate.store.repositories import _json, _records, _utc

# ---------------------------------------------------------------------------- objectives


def _objective(data: dict[str, Any]) -> Objective:
    data["created_at"] = _utc(data["created_at"])
    return Objective.model_validate(data)


def get_objective(conn: Connection, slug: str) -> Objective | None:
    row = conn.execute(select(t.objectives).where(t.objectives.c.slug == slug)).first()
    return _objective(dict(row._mapping)) if row else None


def list_objectives(conn: Connection) -> list[Objective]:
    rows = conn.execute(select(t.objectives).order_by(t.objectives.c.slug))
    return [_objective(d) for d in _records(rows)]


def insert_objective(
    conn: Connection, *, slug: str, name: str, sponsor: str, outcome: str, at: datetime, by: str
) -> Objective:
    values = {"slug": slug, "name": name, "sponsor": sponsor, "outcome": outcome}
    result = conn.execute(insert(t.objectives).values(**values, created_at=at, created_by=by))
    return Objective(
        id=result.inserted_primary_key[0],  # type: ignore[index]
        **values,
        created_at=at,
        created_by=by,
    )


def update_objective(conn: Connection, objective_id: int, **values: Any) -> None:
    conn.execute(update(t.objectives).where(t.objectives.c.id == objective_id).values(**values))


def delete_objective(conn: Connection, objective_id: int) -> None:
    conn.execute(delete(t.objectives).where(t.objectives.c.id == objective_id))


# ---------------------------------------------------------------------------- links


def objective_of(conn: Connection, use_case_id: int) -> Objective | None:
    """The objective a use case is linked to, if any."""
    o, link = t.objectives, t.objective_links
    row = conn.execute(
        select(o).join(link, link.c.objective_id == o.c.id).where(link.c.use_case_id == use_case_id)
    ).first()
    return _objective(dict(row._mapping)) if row else None


def links(conn: Connection) -> dict[int, int]:
    """use case id -> objective id, for every linked use case."""
    rows = conn.execute(select(t.objective_links.c.use_case_id, t.objective_links.c.objective_id))
    return {uc: obj for uc, obj in rows}


def set_link(
    conn: Connection, *, use_case_id: int, objective_id: int, at: datetime, by: str
) -> None:
    """Link a use case to an objective, replacing any earlier link."""
    link = t.objective_links
    conn.execute(delete(link).where(link.c.use_case_id == use_case_id))
    conn.execute(
        insert(link).values(
            use_case_id=use_case_id, objective_id=objective_id, linked_at=at, linked_by=by
        )
    )


def remove_link(conn: Connection, use_case_id: int) -> None:
    link = t.objective_links
    conn.execute(delete(link).where(link.c.use_case_id == use_case_id))


# ---------------------------------------------------------------------------- KPI measurements


def kpi_measurements(
    conn: Connection,
    use_case_ids: Iterable[int] | None = None,
    *,
    since: datetime | None = None,
) -> dict[int, list[KpiMeasurement]]:
    """KPI measurements per use case, oldest first (by the date they were measured, then
    by record id), optionally only those measured at or after ``since``."""
    ev = t.evidence
    query = select(ev.c.id, ev.c.use_case_id, ev.c.subject, ev.c.payload, ev.c.created_at).where(
        ev.c.kind == KPI_MEASUREMENT
    )
    if use_case_ids is not None:
        ids: Sequence[int] = list(use_case_ids)
        query = query.where(ev.c.use_case_id.in_(ids))
    if since is not None:
        query = query.where(ev.c.created_at >= since)
    return _measurements(conn, query.order_by(ev.c.created_at, ev.c.id))


def latest_kpi_measurements(
    conn: Connection, *, stages: Iterable[str]
) -> dict[int, list[KpiMeasurement]]:
    """The latest measurement (by the date measured, then record id) of each KPI of each use
    case in one of ``stages``: what realised value needs, without loading whole series."""
    ev, uc = t.evidence, t.use_cases
    rank = (
        func.row_number()
        .over(
            partition_by=(ev.c.use_case_id, ev.c.subject),
            order_by=(ev.c.created_at.desc(), ev.c.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(ev.c.id, ev.c.use_case_id, ev.c.subject, ev.c.payload, ev.c.created_at, rank)
        .join(uc, uc.c.id == ev.c.use_case_id)
        .where(ev.c.kind == KPI_MEASUREMENT, uc.c.stage.in_(list(stages)))
        .subquery()
    )
    query = select(
        ranked.c.id, ranked.c.use_case_id, ranked.c.subject, ranked.c.payload, ranked.c.created_at
    ).where(ranked.c.rank == 1)
    return _measurements(conn, query)


def _measurements(conn: Connection, query: Any) -> dict[int, list[KpiMeasurement]]:
    out: dict[int, list[KpiMeasurement]] = {}
    for d in _records(conn.execute(query)):
        payload = _json(d["payload"]) or {}
        value = payload.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue  # a kpi_measurement added by hand through `evidence add`, without a value
        out.setdefault(d["use_case_id"], []).append(
            KpiMeasurement(
                kpi=d["subject"] or "",
                value=float(value),
                unit=str(payload.get("unit") or ""),
                at=_utc(d["created_at"]),
                ref=f"ev-{d['id']}",
            )
        )
    return out
