"""Reading data contracts back from their stored check runs.

Contracts themselves are files the caller owns; what scalegate keeps is every run, as
``data_check`` evidence whose subject is the contract's name and whose payload holds the
contract version, the observed schema and every rule result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, distinct, func, select

from scalegate.store import tables as t

#: the evidence kind of a stored check run (as in scalegate.gates.DATA_CHECK)
DATA_CHECK = "data_check"


def contract_summaries(conn: Connection) -> list[dict[str, Any]]:
    """One row per contract name: runs, use cases, and the newest run's id, use case, time,
    status, summary and contract version; sorted by name."""
    ev = t.evidence
    grouped = (
        select(
            ev.c.subject.label("name"),
            func.count().label("runs"),
            func.count(distinct(ev.c.use_case_id)).label("use_cases"),
            func.max(ev.c.id).label("latest_id"),
        )
        .where(ev.c.kind == DATA_CHECK, ev.c.subject.is_not(None))
        .group_by(ev.c.subject)
        .subquery()
    )
    uc = t.use_cases
    rows = conn.execute(
        select(
            grouped.c.name,
            grouped.c.runs,
            grouped.c.use_cases,
            uc.c.slug.label("use_case"),
            ev.c.id,
            ev.c.status,
            ev.c.summary,
            ev.c.created_at,
            ev.c.payload["version"].as_string().label("version"),
        )
        .join(ev, ev.c.id == grouped.c.latest_id)
        .join(uc, uc.c.id == ev.c.use_case_id)
        .order_by(grouped.c.name)
    ).all()
    return [dict(r._mapping) for r in rows]


def contract_use_cases(conn: Connection, name: str) -> list[dict[str, Any]]:
    """The use cases with runs of contract ``name``: slug, name, stage, runs, newest run id."""
    ev, uc = t.evidence, t.use_cases
    rows = conn.execute(
        select(
            uc.c.slug,
            uc.c.name,
            uc.c.stage,
            func.count().label("runs"),
            func.max(ev.c.id).label("latest_id"),
        )
        .join(uc, uc.c.id == ev.c.use_case_id)
        .where(ev.c.kind == DATA_CHECK, ev.c.subject == name)
        .group_by(uc.c.slug, uc.c.name, uc.c.stage)
        .order_by(uc.c.slug)
    ).all()
    return [dict(r._mapping) for r in rows]


def contract_runs(conn: Connection, name: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` runs of contract ``name``, newest first, with the counts their
    payloads carry (read inside the database; profiles and rule results stay there)."""
    ev, uc = t.evidence, t.use_cases
    p = ev.c.payload
    rows = conn.execute(
        select(
            ev.c.id,
            uc.c.slug.label("use_case"),
            ev.c.status,
            ev.c.summary,
            ev.c.created_at,
            ev.c.created_by,
            p["version"].as_string().label("version"),
            p["rows"].as_integer().label("rows"),
            p["summary"]["failed"].as_integer().label("failed"),
            p["summary"]["warnings"].as_integer().label("warnings"),
            p["source"].as_string().label("source"),
        )
        .join(uc, uc.c.id == ev.c.use_case_id)
        .where(ev.c.kind == DATA_CHECK, ev.c.subject == name)
        .order_by(ev.c.id.desc())
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def latest_run_payload(conn: Connection, name: str) -> dict[str, Any] | None:
    """The payload of the newest run of contract ``name`` (None if it never ran)."""
    ev = t.evidence
    newest = (
        select(func.max(ev.c.id))
        .where(ev.c.kind == DATA_CHECK, ev.c.subject == name)
        .scalar_subquery()
    )
    row = conn.execute(select(ev.c.payload).where(ev.c.id == newest)).first()
    return dict(row[0]) if row is not None and isinstance(row[0], dict) else None
