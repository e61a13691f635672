"""Reading and writing monitors and their batches. Functions take a connection from
``Store.read()`` or ``Store.write()``; they never open transactions themselves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select, update

from scalegate.domain.monitoring import BatchRecord, DriftStatus, MonitorRecord, Task
from scalegate.store import tables as t

#: columns of ``monitors`` small enough to read for listings and gates
_MONITOR_LIGHT = [c for c in t.monitors.c if c.name not in ("reference", "estimator")]
#: columns of ``monitor_batches`` gates and listings read (not the profile or drift detail)
_BATCH_LIGHT = [c for c in t.monitor_batches.c if c.name not in ("summary", "drift", "estimated")]


def insert_monitor(conn: Connection, **values: Any) -> int:
    result = conn.execute(insert(t.monitors).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_monitor(conn: Connection, monitor_id: int, **values: Any) -> None:
    conn.execute(update(t.monitors).where(t.monitors.c.id == monitor_id).values(**values))


def get_monitor(
    conn: Connection, use_case_id: int, name: str, *, full: bool = True
) -> dict[str, Any] | None:
    columns = list(t.monitors.c) if full else _MONITOR_LIGHT
    row = conn.execute(
        select(*columns).where(t.monitors.c.use_case_id == use_case_id, t.monitors.c.name == name)
    ).first()
    return dict(row._mapping) if row else None


def list_monitors(conn: Connection, use_case_id: int) -> list[dict[str, Any]]:
    query = (
        select(*_MONITOR_LIGHT)
        .where(t.monitors.c.use_case_id == use_case_id)
        .order_by(t.monitors.c.name)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def insert_batch(conn: Connection, **values: Any) -> int:
    result = conn.execute(insert(t.monitor_batches).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_batch(conn: Connection, batch_id: int, **values: Any) -> None:
    conn.execute(
        update(t.monitor_batches).where(t.monitor_batches.c.id == batch_id).values(**values)
    )


def get_batch(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(t.monitor_batches).where(t.monitor_batches.c.id == batch_id)).first()
    return dict(row._mapping) if row else None


def list_batches(
    conn: Connection,
    monitor_id: int,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    full: bool = False,
) -> list[dict[str, Any]]:
    """Batches of a monitor, newest first (by time, then id)."""
    b = t.monitor_batches
    query = select(*(b.c if full else _BATCH_LIGHT)).where(b.c.monitor_id == monitor_id)
    if since is not None:
        query = query.where(b.c.at >= since)
    query = query.order_by(b.c.at.desc(), b.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [dict(r._mapping) for r in conn.execute(query)]


def insert_batch_rows(conn: Connection, batch_id: int, rows: int, data: bytes) -> None:
    conn.execute(insert(t.batch_rows).values(batch_id=batch_id, rows=rows, data=data))


def update_batch_rows(conn: Connection, batch_id: int, data: bytes) -> None:
    conn.execute(update(t.batch_rows).where(t.batch_rows.c.batch_id == batch_id).values(data=data))


def batch_rows_of(conn: Connection, monitor_id: int) -> list[tuple[int, bytes]]:
    """(batch id, Parquet bytes) of every batch of a monitor that kept its rows, oldest first."""
    b, r = t.monitor_batches, t.batch_rows
    query = (
        select(r.c.batch_id, r.c.data)
        .join(b, b.c.id == r.c.batch_id)
        .where(b.c.monitor_id == monitor_id)
        .order_by(b.c.at, b.c.id)
    )
    return [(int(row.batch_id), bytes(row.data)) for row in conn.execute(query)]


def batch_record(data: dict[str, Any], monitor: str) -> BatchRecord:
    return BatchRecord(
        id=int(data["id"]),
        monitor=monitor,
        at=data["at"],
        rows=int(data["rows"]),
        status=DriftStatus(data["status"]),
        metrics=dict(data["metrics"] or {}),
        labelled_rows=int(data["labelled_rows"] or 0),
        evidence_id=data["evidence_id"],
    )


def monitor_records(
    conn: Connection, use_case_ids: Iterable[int] | None, *, since: datetime | None
) -> dict[int, list[MonitorRecord]]:
    """Active and inactive monitors per use case with their batches newest first: every
    batch at or after ``since``, and always the newest one."""
    m, b = t.monitors, t.monitor_batches
    mq = select(*_MONITOR_LIGHT)
    ids: Sequence[int] | None = None
    if use_case_ids is not None:
        ids = list(use_case_ids)
        mq = mq.where(m.c.use_case_id.in_(ids))
    monitors = [dict(r._mapping) for r in conn.execute(mq.order_by(m.c.name))]
    if not monitors:
        return {}
    monitor_ids = [d["id"] for d in monitors]
    newest = (
        select(func.max(b.c.id)).where(b.c.monitor_id.in_(monitor_ids)).group_by(b.c.monitor_id)
    ).scalar_subquery()
    wanted: ColumnElement[bool] = b.c.id.in_(newest)
    if since is not None:
        wanted = or_(wanted, b.c.at >= since)
    bq = (
        select(*_BATCH_LIGHT)
        .where(b.c.monitor_id.in_(monitor_ids), wanted)
        .order_by(b.c.at.desc(), b.c.id.desc())
    )
    names = {d["id"]: d["name"] for d in monitors}
    batches: dict[int, list[BatchRecord]] = {}
    for row in conn.execute(bq):
        data = dict(row._mapping)
        batches.setdefault(data["monitor_id"], []).append(
            batch_record(data, names[data["monitor_id"]])
        )
    out: dict[int, list[MonitorRecord]] = {}
    for d in monitors:
        out.setdefault(d["use_case_id"], []).append(monitor_record(d, batches.get(d["id"], [])))
    return out


def monitor_record(data: dict[str, Any], batches: Sequence[BatchRecord] = ()) -> MonitorRecord:
    return MonitorRecord(
        name=data["name"],
        model_name=data["model_name"],
        model_version=data["model_version"],
        task=Task(data["task"]) if data["task"] else None,
        primary_metric=data["primary_metric"],
        reference_metrics=dict(data["reference_metrics"] or {}),
        batches=tuple(batches),
        active=bool(data["active"]),
    )
