"""Strategic objectives: add, edit, delete, link use cases, and which objectives have
nothing in production."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pydantic
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from scalegate.domain import documents
from scalegate.domain.stage import PATH, Stage
from scalegate.domain.use_case import UseCase
from scalegate.domain.user import Role
from scalegate.domain.value import Objective, ObjectiveFields
from scalegate.errors import ConflictError, NotFoundError, ValidationError
from scalegate.services.access import require
from scalegate.services.clock import utcnow
from scalegate.services.registry import use_case_in
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store import value_repository as vrepo
from scalegate.store.audit_log import append_event

#: stages in which a use case delivers: an objective with none of its use cases here has
#: "nothing in production"
LIVE = (Stage.PRODUCTION, Stage.SCALED)
EDITABLE = ("name", "sponsor", "outcome")


def objective_in(conn: Connection, slug: str) -> Objective:
    found = vrepo.get_objective(conn, slug)
    if found is None:
        raise NotFoundError.named(
            "objective", slug, hint="'scalegate objective list' shows the registered ones"
        )
    return found


def _fields(**values: Any) -> ObjectiveFields:
    try:
        return ObjectiveFields.model_validate({k: v for k, v in values.items() if v is not None})
    except pydantic.ValidationError as exc:
        raise documents.field_error(exc) from None


def _audit(o: Objective | ObjectiveFields) -> dict[str, Any]:
    return {"name": o.name, "sponsor": o.sponsor, "outcome": o.outcome}


def add(
    store: Store,
    slug: str,
    *,
    name: str,
    sponsor: str = "",
    outcome: str = "",
    actor: str | None,
    now: datetime | None = None,
) -> Objective:
    """Register a strategic objective (contributors and above)."""
    data = _fields(slug=slug, name=name, sponsor=sponsor, outcome=outcome)
    now = now or utcnow()
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="adding an objective")
        if vrepo.get_objective(conn, data.slug) is not None:
            raise ConflictError(f"an objective with slug '{slug}' already exists", value=slug)
        try:
            obj = vrepo.insert_objective(
                conn,
                slug=data.slug,
                name=data.name,
                sponsor=data.sponsor,
                outcome=data.outcome,
                at=now,
                by=user.username,
            )
        except IntegrityError:
            raise ConflictError(
                f"an objective with slug '{slug}' already exists", value=slug
            ) from None
        append_event(
            conn,
            actor=user.username,
            action="objective.created",
            subject_type="objective",
            subject_id=obj.slug,
            after=_audit(obj),
        )
    return obj


def edit(store: Store, slug: str, changes: dict[str, Any], *, actor: str | None) -> Objective:
    """Change an objective's name, sponsor or outcome; the audit event holds what changed."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            f"unknown objective field '{unknown[0]}'; editable fields are " + ", ".join(EDITABLE),
            field=unknown[0],
        )
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise ValidationError("nothing to change: give at least one of " + ", ".join(EDITABLE))
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="editing an objective")
        obj = objective_in(conn, slug)
        new = _fields(**{**_audit(obj), "slug": slug, **changes})
        before, after = _audit(obj), _audit(new)
        changed = sorted(k for k in after if after[k] != before[k])
        if not changed:
            return obj
        vrepo.update_objective(conn, obj.id, **{k: after[k] for k in changed})
        append_event(
            conn,
            actor=user.username,
            action="objective.updated",
            subject_type="objective",
            subject_id=slug,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        return objective_in(conn, slug)


def delete(store: Store, slug: str, *, actor: str | None) -> None:
    """Delete an objective no use case is linked to (admins only; the audit trail keeps it)."""
    with store.write() as conn:
        user = require(conn, actor, Role.ADMIN, doing="deleting an objective")
        obj = objective_in(conn, slug)
        linked = sorted(uc for uc, o in vrepo.links(conn).items() if o == obj.id)
        if linked:
            raise ConflictError(
                f"objective '{slug}' still has {len(linked)} linked use case(s); unlink them "
                "first ('scalegate objective unlink')",
                value=slug,
            )
        vrepo.delete_objective(conn, obj.id)
        append_event(
            conn,
            actor=user.username,
            action="objective.deleted",
            subject_type="objective",
            subject_id=slug,
            before=_audit(obj),
        )


def link(
    store: Store,
    objective: str,
    use_cases: Sequence[str],
    *,
    actor: str | None,
    now: datetime | None = None,
) -> list[tuple[str, str | None]]:
    """Link use cases to an objective, moving any that served another one. All or nothing:
    an unknown use case links none. Returns (use case, objective it left or None)."""
    if not use_cases:
        raise ValidationError("name at least one use case to link", field="use_cases")
    now = now or utcnow()
    moved: list[tuple[str, str | None]] = []
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="linking use cases to an objective")
        obj = objective_in(conn, objective)
        cases = [use_case_in(conn, slug) for slug in dict.fromkeys(use_cases)]
        for uc in cases:
            before = vrepo.objective_of(conn, uc.id)
            if before is not None and before.id == obj.id:
                continue
            vrepo.set_link(conn, use_case_id=uc.id, objective_id=obj.id, at=now, by=user.username)
            append_event(
                conn,
                actor=user.username,
                action="objective.linked",
                subject_type="use_case",
                subject_id=uc.slug,
                before={"objective": before.slug if before else None},
                after={"objective": obj.slug},
            )
            moved.append((uc.slug, before.slug if before else None))
    return moved


def unlink(store: Store, use_case: str, *, actor: str | None) -> str:
    """Remove a use case's link to its objective; returns the objective it served."""
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="unlinking a use case")
        uc = use_case_in(conn, use_case)
        before = vrepo.objective_of(conn, uc.id)
        if before is None:
            raise ConflictError(f"use case '{use_case}' is not linked to an objective")
        vrepo.remove_link(conn, uc.id)
        append_event(
            conn,
            actor=user.username,
            action="objective.unlinked",
            subject_type="use_case",
            subject_id=uc.slug,
            before={"objective": before.slug},
            after={"objective": None},
        )
    return before.slug


@dataclass(frozen=True)
class ObjectiveSummary:
    """An objective with its linked use cases and how many are in each stage."""

    objective: Objective
    use_cases: tuple[tuple[str, Stage], ...] = ()
    stages: dict[str, int] = field(default_factory=dict)

    @property
    def live(self) -> int:
        """Linked use cases in production or scaled."""
        return sum(1 for _, s in self.use_cases if s in LIVE)

    @property
    def nothing_in_production(self) -> bool:
        return self.live == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.objective.model_dump(mode="json"),
            "stages": self.stages,
            "use_cases": [{"slug": s, "stage": st.value} for s, st in self.use_cases],
            "in_production": self.live,
            "nothing_in_production": self.nothing_in_production,
        }


def summaries_in(
    conn: Connection, cases: Sequence[UseCase] | None = None
) -> list[ObjectiveSummary]:
    """Every objective with its linked use cases (sorted by slug) and stage counts."""
    cases = repo.list_use_cases(conn) if cases is None else cases
    by_id = {uc.id: uc for uc in cases}
    linked: dict[int, list[UseCase]] = {}
    for uc_id, obj_id in vrepo.links(conn).items():
        if uc_id in by_id:
            linked.setdefault(obj_id, []).append(by_id[uc_id])
    out = []
    for obj in vrepo.list_objectives(conn):
        ucs = sorted(linked.get(obj.id, []), key=lambda u: u.slug)
        stages = {s.value: 0 for s in (*PATH, Stage.RETIRED)}
        for uc in ucs:
            stages[uc.stage.value] += 1
        out.append(ObjectiveSummary(obj, tuple((u.slug, u.stage) for u in ucs), stages))
    return out


def list_all(store: Store) -> list[ObjectiveSummary]:
    with store.read() as conn:
        return summaries_in(conn)


def show(store: Store, slug: str) -> ObjectiveSummary:
    with store.read() as conn:
        obj = objective_in(conn, slug)
        return next(s for s in summaries_in(conn) if s.objective.id == obj.id)


def objective_of(store: Store, use_case: str) -> Objective | None:
    """The objective a use case serves, if it is linked to one."""
    with store.read() as conn:
        return vrepo.objective_of(conn, use_case_in(conn, use_case).id)
