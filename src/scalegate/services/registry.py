"""The use-case registry: charters, edits, retirement and evidence."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import pydantic
from pydantic import Field
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from scalegate.domain import documents
from scalegate.domain.evidence import Evidence, EvidenceStatus
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import Charter, RiskTier, UseCase
from scalegate.domain.user import Role
from scalegate.domain.value import KPI_MEASUREMENT, measurement_name, measurement_payload
from scalegate.errors import (
    ConflictError,
    NotFoundError,
    ScalegateError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.services.access import require
from scalegate.services.clock import aware, utcnow
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store.audit_log import append_event

#: the largest id an Integer column holds on every backend (PostgreSQL: 32-bit)
MAX_ID = 2**31 - 1
EVIDENCE_KIND_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"


class UseCaseDocument(Charter):
    """``usecase add --file``: a charter, optionally registering an existing use case
    already in a later stage (admins only)."""

    stage: Stage = Stage.IDEA
    stage_since: datetime | None = None


def parse_document(text: str, source: str) -> UseCaseDocument:
    return documents.load(UseCaseDocument, text, source)


def charter_from_fields(**fields: Any) -> Charter:
    """Build a charter from CLI/API fields, with errors that name the field."""
    try:
        return Charter.model_validate({k: v for k, v in fields.items() if v is not None})
    except pydantic.ValidationError as exc:
        raise documents.field_error(exc) from None


def use_case_in(conn: Connection, slug: str) -> UseCase:
    """The use case ``slug`` inside an open transaction, or NotFoundError."""
    uc = repo.get_use_case(conn, slug)
    if uc is None:
        raise NotFoundError.named(
            "use case", slug, hint="'scalegate usecase list' shows the registered ones"
        )
    return uc


def get(store: Store, slug: str) -> UseCase:
    with store.read() as conn:
        return use_case_in(conn, slug)


def list_all(
    store: Store,
    *,
    stage: str | None = None,
    department: str | None = None,
    owner: str | None = None,
    risk_tier: str | None = None,
) -> list[UseCase]:
    st = Stage.parse(stage) if stage else None
    if risk_tier is not None and risk_tier not in {t.value for t in RiskTier}:
        raise UnknownChoiceError.of("risk tier", risk_tier, [t.value for t in RiskTier])
    with store.read() as conn:
        return repo.list_use_cases(
            conn, stage=st, department=department, owner=owner, risk_tier=risk_tier
        )


def detail(store: Store, slug: str) -> dict[str, Any]:
    """Everything about a use case for ``usecase show``."""
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        return {
            "use_case": uc,
            "history": repo.stage_history(conn, uc.id),
            "approvals": repo.approvals_for(conn, uc.id, uc.stage),
            "waivers": repo.waivers_for(conn, uc.id, uc.stage),
            "request": repo.open_request(conn, uc.id),
            "evidence": repo.list_evidence(conn, uc.id, limit=20),
        }


def _audit_charter(uc: UseCase | Charter) -> dict[str, Any]:
    return uc.model_dump(mode="json", exclude={"id", "created_at", "updated_at"})


def _check_owners(conn: Connection, charter: Charter) -> None:
    """Owners may be left empty (a gate will say so) but must not be misspelt."""
    for field in ("business_owner", "technical_owner"):
        name = getattr(charter, field)
        if name and repo.get_user(conn, name) is None:
            raise NotFoundError(
                f"field '{field}': unknown user '{name}'; add the user first "
                "('scalegate user add') or leave the owner empty",
                field=field,
                value=name,
            )


def add(
    store: Store,
    charter: Charter,
    *,
    actor: str | None,
    stage: Stage = Stage.IDEA,
    stage_since: datetime | None = None,
    now: datetime | None = None,
) -> UseCase:
    """Register a use case. Registering one that is already past ``idea`` needs an admin."""
    now = now or utcnow()
    if isinstance(charter, UseCaseDocument):
        stage, stage_since = charter.stage, charter.stage_since
        charter = Charter.model_validate(charter.model_dump(include=set(Charter.model_fields)))
    if stage is Stage.RETIRED:
        raise ValidationError("a use case cannot be registered as retired", field="stage")
    since = aware(stage_since) if stage_since else now
    if since > now:
        raise ValidationError("stage_since lies in the future", field="stage_since")
    with store.write() as conn:
        needed = Role.CONTRIBUTOR if stage is Stage.IDEA else Role.ADMIN
        user = require(conn, actor, needed, doing=f"registering a use case in stage {stage.value}")
        if repo.get_use_case(conn, charter.slug) is not None:
            raise ConflictError(
                f"a use case with slug '{charter.slug}' already exists", value=charter.slug
            )
        _check_owners(conn, charter)
        try:
            uc = repo.insert_use_case(conn, charter, stage=stage, stage_entered_at=since, at=now)
        except IntegrityError:
            raise ConflictError(
                f"a use case with slug '{charter.slug}' already exists", value=charter.slug
            ) from None
        repo.insert_stage_change(
            conn,
            use_case_id=uc.id,
            from_stage=None,
            to_stage=stage,
            at=since,
            actor=user.username,
            note="registered",
        )
        append_event(
            conn,
            actor=user.username,
            action="usecase.created",
            subject_type="use_case",
            subject_id=uc.slug,
            after=_audit_charter(uc),
        )
    return uc


EDITABLE = tuple(f for f in Charter.model_fields if f != "slug")


def edit(
    store: Store,
    slug: str,
    changes: dict[str, Any],
    *,
    actor: str | None,
    now: datetime | None = None,
) -> UseCase:
    """Change charter fields. Only changed fields go into the audit event."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise UnknownChoiceError.of("charter field", unknown[0], EDITABLE)
    if not changes:
        raise ValidationError("nothing to change: give at least one field to edit")
    now = now or utcnow()
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="editing a use case")
        uc = use_case_in(conn, slug)
        if uc.stage is Stage.RETIRED:
            raise ConflictError(f"use case '{slug}' is retired; its charter is kept as it was")
        merged = uc.charter().model_dump(mode="json")
        merged.update(changes)
        charter = charter_from_fields(**merged)
        _check_owners(conn, charter)
        old, new = _audit_charter(uc.charter()), _audit_charter(charter)
        changed = {k for k in new if new[k] != old[k]}
        if not changed:
            return uc
        values = repo.charter_values(charter)
        repo.update_use_case(conn, uc.id, **{k: values[k] for k in changed}, updated_at=now)
        append_event(
            conn,
            actor=user.username,
            action="usecase.updated",
            subject_type="use_case",
            subject_id=slug,
            before={k: old[k] for k in sorted(changed)},
            after={k: new[k] for k in sorted(changed)},
        )
        updated = use_case_in(conn, slug)
    return updated


def retire(
    store: Store, slug: str, *, lessons: str, actor: str | None, now: datetime | None = None
) -> UseCase:
    """Retire from any stage; the lessons learned are kept, nothing is deleted."""
    lessons = (lessons or "").strip()
    if len(lessons) < 10:
        raise ValidationError(
            "retiring needs the lessons learned (--lessons, at least 10 characters): "
            "failure is kept as knowledge",
            field="lessons",
        )
    now = now or utcnow()
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="retiring a use case")
        uc = use_case_in(conn, slug)
        if uc.stage is Stage.RETIRED:
            raise ConflictError(f"use case '{slug}' is already retired")
        repo.update_use_case(
            conn,
            uc.id,
            stage=Stage.RETIRED.value,
            stage_entered_at=now,
            lessons_learned=lessons,
            updated_at=now,
        )
        repo.insert_stage_change(
            conn,
            use_case_id=uc.id,
            from_stage=uc.stage,
            to_stage=Stage.RETIRED,
            at=now,
            actor=user.username,
            note=lessons,
        )
        repo.close_requests(conn, uc.id, status="withdrawn", at=now)
        append_event(
            conn,
            actor=user.username,
            action="usecase.retired",
            subject_type="use_case",
            subject_id=slug,
            before={"stage": uc.stage.value},
            after={"stage": Stage.RETIRED.value, "lessons_learned": lessons},
        )
        return use_case_in(conn, slug)


class _EvidenceInput(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    kind: Annotated[str, Field(pattern=EVIDENCE_KIND_PATTERN)]
    subject: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    status: EvidenceStatus
    summary: Annotated[str, Field(max_length=2000)] = ""
    payload: dict[str, Any] = {}


def record_evidence(
    store: Store,
    slug: str,
    *,
    kind: str,
    status: str,
    summary: str = "",
    payload: dict[str, Any] | None = None,
    actor: str | None,
    at: datetime | None = None,
    subject: str | None = None,
) -> Evidence:
    """Attach an immutable evidence record to a use case.

    ``subject`` says what the record is about within its kind (a data check's contract).
    A ``kpi_measurement`` is checked against the charter's KPIs (see
    :func:`scalegate.domain.value.measurement_payload`) and its payload completed.
    """
    return record_evidence_many(
        store,
        slug,
        [
            EvidenceDraft(
                kind=kind, status=status, summary=summary, payload=payload, at=at, subject=subject
            )
        ],
        actor=actor,
    )[0]


@dataclass(frozen=True)
class EvidenceDraft:
    """One evidence record to write with :func:`record_evidence_many`."""

    kind: str
    status: str
    summary: str = ""
    payload: dict[str, Any] | None = None
    at: datetime | None = None
    subject: str | None = None


def record_evidence_many(
    store: Store,
    slug: str,
    drafts: Sequence[EvidenceDraft],
    *,
    actor: str | None,
    where: Callable[[int], str] | None = None,
) -> list[Evidence]:
    """Attach several evidence records in one transaction: all of them, or none.

    ``where(i)`` prefixes the message of an error in draft ``i`` (e.g. "file.csv, line 4").
    """
    checked: list[tuple[_EvidenceInput, datetime]] = []
    now = utcnow()
    for i, draft in enumerate(drafts):
        try:
            try:
                data = _EvidenceInput(
                    kind=draft.kind,
                    subject=draft.subject,
                    status=draft.status,
                    summary=draft.summary,
                    payload=draft.payload or {},
                )
            except pydantic.ValidationError as exc:
                raise documents.field_error(exc, what="evidence field") from None
            when = aware(draft.at) if draft.at else now
            if when > now:
                raise ValidationError("evidence cannot be dated in the future", field="at")
        except ScalegateError as exc:
            raise _located(exc, where, i) from None
        checked.append((data, when))
    records: list[Evidence] = []
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="recording evidence")
        uc = use_case_in(conn, slug)
        if uc.stage is Stage.RETIRED:
            raise ConflictError(f"use case '{slug}' is retired")
        for i, (data, when) in enumerate(checked):
            payload, subject = data.payload, data.subject
            if data.kind == KPI_MEASUREMENT:
                try:
                    subject = measurement_name(subject, payload)
                    payload = measurement_payload(uc.kpis, subject, payload)
                except ScalegateError as exc:
                    raise _located(exc, where, i) from None
            ev = repo.insert_evidence(
                conn,
                use_case_id=uc.id,
                kind=data.kind,
                status=data.status,
                summary=data.summary,
                payload=payload,
                at=when,
                by=user.username,
                subject=subject,
            )
            append_event(
                conn,
                actor=user.username,
                action="evidence.recorded",
                subject_type="use_case",
                subject_id=slug,
                after={
                    "evidence": ev.ref,
                    "kind": ev.kind,
                    **({"subject": ev.subject} if ev.subject is not None else {}),
                    "status": ev.status.value,
                    "summary": ev.summary,
                },
            )
            records.append(ev)
    return records


def _located(exc: ScalegateError, where: Callable[[int], str] | None, i: int) -> ScalegateError:
    if where is None:
        return exc
    return type(exc)(f"{where(i)}: {exc.message}", **exc.fields)


def list_evidence(
    store: Store, slug: str, *, kind: str | None = None, limit: int = 200
) -> list[Evidence]:
    """The use case's evidence (of one kind), newest first, at most ``limit`` records."""
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        return repo.list_evidence(conn, uc.id, kind=kind, limit=limit)


def get_evidence(store: Store, ref: str) -> Evidence:
    raw = ref.removeprefix("ev-")
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationError(f"evidence id '{ref}' should look like ev-12", field="evidence")
    if len(raw) > 10 or int(raw) > MAX_ID:  # beyond any stored id (and the column's range)
        raise NotFoundError.named("evidence", ref)
    with store.read() as conn:
        ev = repo.get_evidence(conn, int(raw))
    if ev is None:
        raise NotFoundError.named("evidence", ref)
    return ev
