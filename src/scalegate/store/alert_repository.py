"""Reading and writing alert rules, alerts and their webhook deliveries.

Functions take a connection from ``Store.read()`` or ``Store.write()``; they never open
transactions themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, Select, and_, insert, or_, select, update

from scalegate.domain.alert import (
    Alert,
    AlertRule,
    AlertStatus,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Op,
    metric_value,
)
from scalegate.store import tables as t


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


# ---------------------------------------------------------------------------- batches


def recent_metric_values(
    conn: Connection, monitor_id: int, metric: str, *, limit: int
) -> list[tuple[int, float]]:
    """``(batch id, value)`` of the newest ``limit`` batches (by ``at``, then id) that carry
    ``metric`` as a finite number, newest first. Batches without it are skipped."""
    b = t.monitor_batches
    chunk = max(2 * limit, 64)
    found: list[tuple[int, float]] = []
    after: tuple[datetime, int] | None = None
    while len(found) < limit:
        query = select(b.c.id, b.c.at, b.c.metrics).where(b.c.monitor_id == monitor_id)
        if after is not None:
            at, bid = after
            query = query.where(or_(b.c.at < at, and_(b.c.at == at, b.c.id < bid)))
        rows = conn.execute(query.order_by(b.c.at.desc(), b.c.id.desc()).limit(chunk)).all()
        for bid, _at, metrics in rows:
            value = metric_value(metrics, metric)
            if value is not None:
                found.append((int(bid), value))
                if len(found) == limit:
                    break
        if len(rows) < chunk:
            break
        after = (rows[-1][1], int(rows[-1][0]))
    return found


# ---------------------------------------------------------------------------- rules


def _rules_query() -> Select[Any]:
    r, m, u = t.alert_rules, t.monitors, t.use_cases
    return (
        select(r, u.c.slug.label("use_case"), m.c.name.label("monitor"))
        .join(m, m.c.id == r.c.monitor_id)
        .join(u, u.c.id == m.c.use_case_id)
    )


def _rule(row: Any) -> AlertRule:
    return AlertRule(
        id=row.id,
        use_case=row.use_case,
        monitor=row.monitor,
        monitor_id=row.monitor_id,
        name=row.name,
        metric=row.metric,
        op=Op(row.op),
        threshold=row.threshold,
        windows=row.windows,
        webhook=row.webhook,
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def insert_rule(
    conn: Connection,
    *,
    monitor_id: int,
    name: str,
    metric: str,
    op: Op,
    threshold: float,
    windows: int,
    webhook: str | None,
    at: datetime,
    by: str,
) -> int:
    result = conn.execute(
        insert(t.alert_rules).values(
            monitor_id=monitor_id,
            name=name,
            metric=metric,
            op=op.value,
            threshold=threshold,
            windows=windows,
            webhook=webhook,
            active=True,
            created_at=at,
            created_by=by,
        )
    )
    return _new_id(result)


def get_rule(conn: Connection, rule_id: int) -> AlertRule | None:
    row = conn.execute(_rules_query().where(t.alert_rules.c.id == rule_id)).first()
    return _rule(row) if row else None


def find_rule(conn: Connection, monitor_id: int, name: str) -> AlertRule | None:
    r = t.alert_rules
    row = conn.execute(_rules_query().where(r.c.monitor_id == monitor_id, r.c.name == name)).first()
    return _rule(row) if row else None


def list_rules(
    conn: Connection,
    *,
    use_case_id: int | None = None,
    monitor_id: int | None = None,
    active_only: bool = False,
) -> list[AlertRule]:
    r, m = t.alert_rules, t.monitors
    query = _rules_query()
    if use_case_id is not None:
        query = query.where(m.c.use_case_id == use_case_id)
    if monitor_id is not None:
        query = query.where(r.c.monitor_id == monitor_id)
    if active_only:
        query = query.where(r.c.active.is_(True))
    return [_rule(row) for row in conn.execute(query.order_by(m.c.name, r.c.name))]


def set_rule_active(conn: Connection, rule_id: int, active: bool) -> None:
    conn.execute(update(t.alert_rules).where(t.alert_rules.c.id == rule_id).values(active=active))


# ---------------------------------------------------------------------------- alerts


def _alerts_query() -> Select[Any]:
    a, r, m, u = t.alerts, t.alert_rules, t.monitors, t.use_cases
    return (
        select(
            a,
            r.c.name.label("rule"),
            r.c.metric,
            r.c.op,
            r.c.threshold,
            r.c.windows,
            u.c.slug.label("use_case"),
            m.c.name.label("monitor"),
        )
        .join(r, r.c.id == a.c.rule_id)
        .join(m, m.c.id == a.c.monitor_id)
        .join(u, u.c.id == m.c.use_case_id)
    )


def _alert(row: Any) -> Alert:
    return Alert(
        id=row.id,
        rule_id=row.rule_id,
        monitor_id=row.monitor_id,
        use_case=row.use_case,
        monitor=row.monitor,
        rule=row.rule,
        metric=row.metric,
        op=Op(row.op),
        threshold=row.threshold,
        windows=row.windows,
        status=AlertStatus(row.status),
        opened_at=row.opened_at,
        resolved_at=row.resolved_at,
        value=row.value,
        batch_ids=tuple(int(b) for b in row.batch_ids or ()),
        message=row.message,
    )


def get_alert(conn: Connection, alert_id: int) -> Alert | None:
    row = conn.execute(_alerts_query().where(t.alerts.c.id == alert_id)).first()
    return _alert(row) if row else None


def open_alert(conn: Connection, rule_id: int) -> Alert | None:
    """The rule's open alert; there is never more than one."""
    a = t.alerts
    row = conn.execute(
        _alerts_query()
        .where(a.c.rule_id == rule_id, a.c.status == AlertStatus.OPEN.value)
        .order_by(a.c.id.desc())
    ).first()
    return _alert(row) if row else None


def insert_alert(
    conn: Connection,
    *,
    rule_id: int,
    monitor_id: int,
    at: datetime,
    value: float,
    batch_ids: Iterable[int],
    message: str,
) -> int:
    result = conn.execute(
        insert(t.alerts).values(
            rule_id=rule_id,
            monitor_id=monitor_id,
            status=AlertStatus.OPEN.value,
            opened_at=at,
            resolved_at=None,
            value=value,
            batch_ids=list(batch_ids),
            message=message,
        )
    )
    return _new_id(result)


def resolve_alert(conn: Connection, alert_id: int, at: datetime) -> None:
    conn.execute(
        update(t.alerts)
        .where(t.alerts.c.id == alert_id)
        .values(status=AlertStatus.RESOLVED.value, resolved_at=at)
    )


def list_alerts(
    conn: Connection,
    *,
    use_case_id: int | None = None,
    status: AlertStatus | None = None,
    limit: int | None = None,
) -> list[Alert]:
    """Newest first."""
    a, m = t.alerts, t.monitors
    query = _alerts_query()
    if use_case_id is not None:
        query = query.where(m.c.use_case_id == use_case_id)
    if status is not None:
        query = query.where(a.c.status == status.value)
    query = query.order_by(a.c.opened_at.desc(), a.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_alert(row) for row in conn.execute(query)]


# ---------------------------------------------------------------------------- deliveries


def _deliveries_query() -> Select[Any]:
    d, a, r, m, u = t.alert_deliveries, t.alerts, t.alert_rules, t.monitors, t.use_cases
    return (
        select(d, u.c.slug.label("use_case"), m.c.name.label("monitor"), r.c.name.label("rule"))
        .join(a, a.c.id == d.c.alert_id)
        .join(r, r.c.id == a.c.rule_id)
        .join(m, m.c.id == a.c.monitor_id)
        .join(u, u.c.id == m.c.use_case_id)
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        alert_id=row.alert_id,
        use_case=row.use_case,
        monitor=row.monitor,
        rule=row.rule,
        event=DeliveryEvent(row.event),
        url=row.url,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        next_attempt_at=row.next_attempt_at,
    )


def insert_delivery(
    conn: Connection, *, alert_id: int, event: DeliveryEvent, url: str, at: datetime
) -> int:
    result = conn.execute(
        insert(t.alert_deliveries).values(
            alert_id=alert_id,
            event=event.value,
            url=url,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            created_at=at,
            next_attempt_at=at,
        )
    )
    return _new_id(result)


def get_delivery(conn: Connection, delivery_id: int) -> Delivery | None:
    row = conn.execute(_deliveries_query().where(t.alert_deliveries.c.id == delivery_id)).first()
    return _delivery(row) if row else None


def pending_deliveries(
    conn: Connection,
    *,
    due_by: datetime | None,
    ids: Iterable[int] | None = None,
) -> list[Delivery]:
    """Pending deliveries, oldest first; only those due by ``due_by`` unless it is None."""
    d = t.alert_deliveries
    query = _deliveries_query().where(d.c.status == DeliveryStatus.PENDING.value)
    if due_by is not None:
        query = query.where(or_(d.c.next_attempt_at.is_(None), d.c.next_attempt_at <= due_by))
    if ids is not None:
        query = query.where(d.c.id.in_(list(ids)))
    return [_delivery(row) for row in conn.execute(query.order_by(d.c.id))]


def record_attempts(
    conn: Connection,
    delivery_id: int,
    *,
    status: DeliveryStatus,
    attempts: int,
    last_status_code: int | None,
    last_error: str | None,
    delivered_at: datetime | None,
    next_attempt_at: datetime | None,
) -> bool:
    """Write the outcome of a round of attempts; False when the delivery was no longer
    pending (another process finished it meanwhile), in which case nothing changes."""
    d = t.alert_deliveries
    result = conn.execute(
        update(d)
        .where(d.c.id == delivery_id, d.c.status == DeliveryStatus.PENDING.value)
        .values(
            status=status.value,
            attempts=attempts,
            last_status_code=last_status_code,
            last_error=last_error,
            delivered_at=delivered_at,
            next_attempt_at=next_attempt_at,
        )
    )
    return bool(result.rowcount)


def list_deliveries(
    conn: Connection, *, use_case_id: int | None = None, limit: int | None = None
) -> list[Delivery]:
    """Newest first."""
    d, m = t.alert_deliveries, t.monitors
    query = _deliveries_query()
    if use_case_id is not None:
        query = query.where(m.c.use_case_id == use_case_id)
    query = query.order_by(d.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_delivery(row) for row in conn.execute(query)]
