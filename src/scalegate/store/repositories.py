"""Reading and writing domain records. Functions take a connection from ``Store.read()`` or
``Store.write()``; they never open transactions themselves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Result,
    Table,
    Text,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from scalegate.audit import canonical_json
from scalegate.domain.evidence import (
    Approval,
    Evidence,
    EvidenceStatus,
    PromotionRequest,
    Waiver,
)
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import Charter, UseCase
from scalegate.domain.user import User
from scalegate.store import tables as t
from scalegate.store.types import UTCDateTime


def _records(result: Result[Any]) -> Iterator[dict[str, Any]]:
    """Each row as a dict. The column names are looked up once per result: going through
    ``row._mapping`` builds them again for every row, which shows on 10,000 use cases."""
    keys = tuple(result.keys())
    return (dict(zip(keys, row, strict=True)) for row in result)


# ---------------------------------------------------------------------------- users


def _user(row: Any) -> User:
    return User(
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        role=row.role,
        domains=tuple(row.domains or ()),
        active=row.active,
        created_at=row.created_at,
    )


def get_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    return _user(row) if row else None


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(t.users).order_by(t.users.c.username))]


def users_by_name(conn: Connection) -> dict[str, User]:
    return {u.username: u for u in list_users(conn)}


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.users)).scalar_one())


def insert_user(conn: Connection, user: User, at: datetime) -> User:
    conn.execute(
        insert(t.users).values(
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            role=user.role.value,
            domains=list(user.domains),
            active=user.active,
            created_at=at,
        )
    )
    return user.model_copy(update={"created_at": at})


def update_user(conn: Connection, user: User) -> None:
    conn.execute(
        update(t.users)
        .where(t.users.c.username == user.username)
        .values(
            display_name=user.display_name,
            email=user.email,
            role=user.role.value,
            domains=list(user.domains),
            active=user.active,
        )
    )


# ---------------------------------------------------------------------------- use cases


_raw_decode = json.JSONDecoder().raw_decode


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        # stored JSON has no surrounding whitespace: skip json.loads' two regex scans
        decoded, end = _raw_decode(value)
        if end == len(value):
            return decoded
    except ValueError:
        pass
    return json.loads(value)


def _utc(value: Any) -> datetime:
    parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# Use-case columns read without SQLAlchemy's per-value result processing: SQLite hands back
# JSON and timestamps as text (decoded below with the C json and fromisoformat), PostgreSQL's
# driver already returns Python objects. On 10,000 use cases this halves the load time.
_UC_RAW_TYPES = (JSON, UTCDateTime)
_UC_COLUMNS = tuple(
    type_coerce(c, Text).label(c.name) if isinstance(c.type, _UC_RAW_TYPES) else c
    for c in t.use_cases.c
)


def _use_case(data: dict[str, Any]) -> UseCase:
    for key in ("departments", "integration_targets", "kpis", "tags"):
        data[key] = _json(data[key])
    for key in ("stage_entered_at", "created_at", "updated_at"):
        data[key] = _utc(data[key])
    return UseCase.model_validate(data)


def charter_values(charter: Charter) -> dict[str, Any]:
    """Column values for a charter (JSON columns as plain lists)."""
    data = charter.model_dump(mode="json")
    return {k: data[k] for k in Charter.model_fields}


def get_use_case(conn: Connection, slug: str) -> UseCase | None:
    row = conn.execute(select(*_UC_COLUMNS).where(t.use_cases.c.slug == slug)).first()
    return _use_case(dict(row._mapping)) if row else None


def list_use_cases(
    conn: Connection,
    *,
    stage: Stage | None = None,
    department: str | None = None,
    owner: str | None = None,
    risk_tier: str | None = None,
) -> list[UseCase]:
    query = select(*_UC_COLUMNS).order_by(t.use_cases.c.slug)
    if stage is not None:
        query = query.where(t.use_cases.c.stage == stage.value)
    if risk_tier is not None:
        query = query.where(t.use_cases.c.risk_tier == risk_tier)
    if owner is not None:
        query = query.where(
            (t.use_cases.c.business_owner == owner) | (t.use_cases.c.technical_owner == owner)
        )
    cases = [_use_case(d) for d in _records(conn.execute(query))]
    if department is not None:
        cases = [c for c in cases if department in c.departments]
    return cases


def use_cases_by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, UseCase]:
    """The use cases with these ids (unknown ids are left out), by id."""
    wanted = sorted(set(ids))
    out: dict[int, UseCase] = {}
    for start in range(0, len(wanted), 500):  # keep each IN list short
        part = wanted[start : start + 500]
        query = select(*_UC_COLUMNS).where(t.use_cases.c.id.in_(part))
        for d in _records(conn.execute(query)):
            uc = _use_case(d)
            out[uc.id] = uc
    return out


def insert_use_case(
    conn: Connection, charter: Charter, *, stage: Stage, stage_entered_at: datetime, at: datetime
) -> UseCase:
    values = charter_values(charter)
    result = conn.execute(
        insert(t.use_cases).values(
            **values,
            stage=stage.value,
            stage_entered_at=stage_entered_at,
            created_at=at,
            updated_at=at,
        )
    )
    new_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    return UseCase.model_validate(
        {
            **values,
            "id": new_id,
            "stage": stage,
            "stage_entered_at": stage_entered_at,
            "created_at": at,
            "updated_at": at,
        }
    )


def update_use_case(conn: Connection, use_case_id: int, **values: Any) -> None:
    conn.execute(update(t.use_cases).where(t.use_cases.c.id == use_case_id).values(**values))


def insert_stage_change(
    conn: Connection,
    *,
    use_case_id: int,
    from_stage: Stage | None,
    to_stage: Stage,
    at: datetime,
    actor: str,
    policy_version: int | None = None,
    decision: dict[str, Any] | None = None,
    note: str = "",
) -> None:
    conn.execute(
        insert(t.stage_history).values(
            use_case_id=use_case_id,
            from_stage=from_stage.value if from_stage else None,
            to_stage=to_stage.value,
            at=at,
            actor=actor,
            policy_version=policy_version,
            decision=decision,
            note=note,
        )
    )


def stage_history(conn: Connection, use_case_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.stage_history)
        .where(t.stage_history.c.use_case_id == use_case_id)
        .order_by(t.stage_history.c.id)
    )
    out = []
    for r in rows:
        d = dict(r._mapping)
        d.pop("decision", None)
        d.pop("use_case_id", None)
        out.append(d)
    return out


# ---------------------------------------------------------------------------- policies


def latest_policy(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(
        select(t.policies.c.version, t.policies.c.document)
        .order_by(t.policies.c.version.desc())
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def policy_version(conn: Connection, version: int) -> str | None:
    row = conn.execute(select(t.policies.c.document).where(t.policies.c.version == version)).first()
    return str(row[0]) if row else None


def list_policies(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            t.policies.c.version,
            t.policies.c.name,
            t.policies.c.sha256,
            t.policies.c.created_at,
            t.policies.c.created_by,
        ).order_by(t.policies.c.version)
    )
    return [dict(r._mapping) for r in rows]


def insert_policy(conn: Connection, *, name: str, document: str, at: datetime, by: str) -> int:
    current = conn.execute(select(func.max(t.policies.c.version))).scalar()
    version = int(current or 0) + 1
    conn.execute(
        insert(t.policies).values(
            version=version,
            name=name,
            document=document,
            sha256=hashlib.sha256(document.encode()).hexdigest(),
            created_at=at,
            created_by=by,
        )
    )
    return version


# ---------------------------------------------------------------------------- approvals, waivers

# Approvals and waivers belong to the stage in which they were given: a promotion makes them
# history, and the next gate needs fresh ones.
_StageRecord = TypeVar("_StageRecord", Approval, Waiver)


def _insert_stage_record(
    conn: Connection, table: Table, model: type[_StageRecord], values: dict[str, Any]
) -> _StageRecord:
    result = conn.execute(insert(table).values(**values))
    return model.model_validate({**values, "id": result.inserted_primary_key[0]})  # type: ignore[index]


def _stage_records(
    conn: Connection, table: Table, model: type[_StageRecord], use_case_id: int, stage: Stage
) -> list[_StageRecord]:
    rows = conn.execute(
        select(table)
        .where(table.c.use_case_id == use_case_id, table.c.stage == stage.value)
        .order_by(table.c.id)
    )
    return [model.model_validate(d) for d in _records(rows)]


def _current_stage_records(
    conn: Connection, table: Table, model: type[_StageRecord]
) -> dict[int, list[_StageRecord]]:
    """Records given in each use case's current stage, for every use case at once."""
    query = (
        select(table)
        .join(t.use_cases, t.use_cases.c.id == table.c.use_case_id)
        .where(table.c.stage == t.use_cases.c.stage)
        .order_by(table.c.id)
    )
    out: dict[int, list[_StageRecord]] = {}
    for d in _records(conn.execute(query)):
        out.setdefault(d["use_case_id"], []).append(model.model_validate(d))
    return out


def insert_approval(conn: Connection, **values: Any) -> Approval:
    return _insert_stage_record(conn, t.approvals, Approval, values)


def approvals_for(conn: Connection, use_case_id: int, stage: Stage) -> list[Approval]:
    return _stage_records(conn, t.approvals, Approval, use_case_id, stage)


def all_current_approvals(conn: Connection) -> dict[int, list[Approval]]:
    return _current_stage_records(conn, t.approvals, Approval)


def insert_waiver(conn: Connection, **values: Any) -> Waiver:
    return _insert_stage_record(conn, t.waivers, Waiver, values)


def waivers_for(conn: Connection, use_case_id: int, stage: Stage) -> list[Waiver]:
    return _stage_records(conn, t.waivers, Waiver, use_case_id, stage)


def all_current_waivers(conn: Connection) -> dict[int, list[Waiver]]:
    return _current_stage_records(conn, t.waivers, Waiver)


# ---------------------------------------------------------------------------- requests


def _request(data: dict[str, Any]) -> PromotionRequest:
    data.pop("closed_at", None)
    return PromotionRequest.model_validate(data)


def open_request(conn: Connection, use_case_id: int) -> PromotionRequest | None:
    row = conn.execute(
        select(t.promotion_requests)
        .where(
            t.promotion_requests.c.use_case_id == use_case_id,
            t.promotion_requests.c.status == "open",
        )
        .order_by(t.promotion_requests.c.id.desc())
        .limit(1)
    ).first()
    return _request(dict(row._mapping)) if row else None


def all_open_requests(conn: Connection) -> dict[int, PromotionRequest]:
    rows = conn.execute(
        select(t.promotion_requests)
        .where(t.promotion_requests.c.status == "open")
        .order_by(t.promotion_requests.c.id)
    )
    return {d["use_case_id"]: _request(d) for d in _records(rows)}


def insert_request(conn: Connection, **values: Any) -> PromotionRequest:
    result = conn.execute(insert(t.promotion_requests).values(status="open", **values))
    return PromotionRequest.model_validate(
        {**values, "status": "open", "id": result.inserted_primary_key[0]}  # type: ignore[index]
    )


def close_requests(conn: Connection, use_case_id: int, *, status: str, at: datetime) -> None:
    conn.execute(
        update(t.promotion_requests)
        .where(
            t.promotion_requests.c.use_case_id == use_case_id,
            t.promotion_requests.c.status == "open",
        )
        .values(status=status, closed_at=at)
    )


# ---------------------------------------------------------------------------- evidence


def _evidence(data: dict[str, Any]) -> Evidence:
    data.pop("sha256", None)
    return Evidence.model_validate(data)


def insert_evidence(
    conn: Connection,
    *,
    use_case_id: int,
    kind: str,
    status: EvidenceStatus,
    summary: str,
    payload: dict[str, Any],
    at: datetime,
    by: str,
    subject: str | None = None,
) -> Evidence:
    digest = hashlib.sha256(canonical_json(payload).encode()).hexdigest()
    result = conn.execute(
        insert(t.evidence).values(
            use_case_id=use_case_id,
            kind=kind,
            subject=subject,
            status=status.value,
            summary=summary,
            payload=payload,
            sha256=digest,
            created_at=at,
            created_by=by,
        )
    )
    return Evidence(
        id=result.inserted_primary_key[0],  # type: ignore[index]
        use_case_id=use_case_id,
        kind=kind,
        subject=subject,
        status=status,
        summary=summary,
        payload=payload,
        created_at=at,
        created_by=by,
    )


def get_evidence(conn: Connection, evidence_id: int) -> Evidence | None:
    row = conn.execute(select(t.evidence).where(t.evidence.c.id == evidence_id)).first()
    return _evidence(dict(row._mapping)) if row else None


def list_evidence(
    conn: Connection, use_case_id: int, *, kind: str | None = None, limit: int = 200
) -> list[Evidence]:
    query = select(t.evidence).where(t.evidence.c.use_case_id == use_case_id)
    if kind:
        query = query.where(t.evidence.c.kind == kind)
    query = query.order_by(t.evidence.c.id.desc()).limit(limit)
    return [_evidence(d) for d in _records(conn.execute(query))]


def latest_evidence(
    conn: Connection, use_case_ids: Iterable[int] | None = None
) -> dict[int, dict[str, Evidence]]:
    """Newest evidence record per (use case, kind), for gate evaluation.

    Payloads are left in the database (``payload`` is empty here): criteria judge evidence by
    kind, status and age, and a stored check run's payload holds every rule result, which
    the portfolio would otherwise decode for every use case on every call.
    """
    newest = select(func.max(t.evidence.c.id).label("id")).group_by(
        t.evidence.c.use_case_id, t.evidence.c.kind
    )
    if use_case_ids is not None:
        ids: Sequence[int] = list(use_case_ids)
        newest = newest.where(t.evidence.c.use_case_id.in_(ids))
    columns = [c for c in t.evidence.c if c.name not in ("payload", "sha256")]
    rows = conn.execute(select(*columns).where(t.evidence.c.id.in_(newest.scalar_subquery())))
    out: dict[int, dict[str, Evidence]] = {}
    for d in _records(rows):
        ev = _evidence(d)
        out.setdefault(ev.use_case_id, {})[ev.kind] = ev
    return out


def evidence_history(
    conn: Connection,
    kind: str,
    use_case_ids: Iterable[int] | None = None,
    *,
    since: datetime | None = None,
) -> dict[int, list[Evidence]]:
    """Evidence of one kind per use case, newest first, without payloads: the newest record
    per subject, plus every record created at or after ``since``."""
    ev = t.evidence
    newest = select(func.max(ev.c.id)).where(ev.c.kind == kind)
    scope = [ev.c.kind == kind]
    if use_case_ids is not None:
        ids: Sequence[int] = list(use_case_ids)
        newest = newest.where(ev.c.use_case_id.in_(ids))
        scope.append(ev.c.use_case_id.in_(ids))
    per_subject = newest.group_by(ev.c.use_case_id, ev.c.subject).scalar_subquery()
    wanted: ColumnElement[bool] = ev.c.id.in_(per_subject)
    if since is not None:
        wanted = or_(wanted, ev.c.created_at >= since)
    columns = [c for c in ev.c if c.name not in ("payload", "sha256")]
    query = select(*columns).where(*scope, wanted).order_by(ev.c.id.desc())
    out: dict[int, list[Evidence]] = {}
    for d in _records(conn.execute(query)):
        record = _evidence(d)
        out.setdefault(record.use_case_id, []).append(record)
    return out


def latest_per_subject(
    conn: Connection, kind: str, use_case_ids: Iterable[int] | None = None
) -> dict[int, list[Evidence]]:
    """The newest record of ``kind`` per (use case, subject), payloads included, newest
    first: for criteria that judge the numbers a record holds (``fairness``)."""
    ev = t.evidence
    newest = select(func.max(ev.c.id)).where(ev.c.kind == kind)
    if use_case_ids is not None:
        ids: Sequence[int] = list(use_case_ids)
        newest = newest.where(ev.c.use_case_id.in_(ids))
    per_subject = newest.group_by(ev.c.use_case_id, ev.c.subject).scalar_subquery()
    query = select(ev).where(ev.c.id.in_(per_subject)).order_by(ev.c.id.desc())
    out: dict[int, list[Evidence]] = {}
    for d in _records(conn.execute(query)):
        record = _evidence(d)
        out.setdefault(record.use_case_id, []).append(record)
    return out


def use_case_facets(conn: Connection) -> dict[str, list[str]]:
    """Distinct departments and owners over all use cases, sorted (for filter menus)."""
    departments: set[str] = set()
    owners: set[str] = set()
    query = select(
        t.use_cases.c.departments, t.use_cases.c.business_owner, t.use_cases.c.technical_owner
    )
    for deps, business, technical in conn.execute(query):
        departments.update(deps or ())
        owners.update(o for o in (business, technical) if o)
    return {"departments": sorted(departments), "owners": sorted(owners)}
