"""Counts for gauges (``/metrics``): cheap aggregate queries, no rows loaded."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from scalegate.store import tables as t


def use_cases_by_stage(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(t.use_cases.c.stage, func.count()).group_by(t.use_cases.c.stage)
    ).all()
    return {str(stage): int(n) for stage, n in rows}


def alerts_by_status(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(t.alerts.c.status, func.count()).group_by(t.alerts.c.status)).all()
    return {str(status): int(n) for status, n in rows}


def users_by_role(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(t.users.c.role, func.count())
        .where(t.users.c.active.is_(True))
        .group_by(t.users.c.role)
    ).all()
    return {str(role): int(n) for role, n in rows}


def audit_length(conn: Connection) -> int:
    seq = conn.execute(select(t.audit_head.c.seq)).scalar_one_or_none()
    return int(seq or 0)
