"""What the approvals inbox reads: the use cases that have a next gate, the approvals given
in their current stage, and the approvals and waivers one person gave."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from scalegate.domain.evidence import Approval
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import RiskTier, UseCase
from scalegate.store import tables as t


def decisions_by(conn: Connection, approver: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The newest ``limit`` approvals and waivers given by ``approver``, newest first."""
    a, w, uc = t.approvals, t.waivers, t.use_cases
    approvals = conn.execute(
        select(a.c.id, uc.c.slug, a.c.gate, a.c.domain, a.c.note, a.c.created_at)
        .join(uc, uc.c.id == a.c.use_case_id)
        .where(a.c.approver == approver)
        .order_by(a.c.id.desc())
        .limit(limit)
    ).all()
    waivers = conn.execute(
        select(
            w.c.id,
            uc.c.slug,
            w.c.gate,
            w.c.criterion,
            w.c.justification,
            w.c.created_at,
            w.c.expires_at,
        )
        .join(uc, uc.c.id == w.c.use_case_id)
        .where(w.c.approver == approver)
        .order_by(w.c.id.desc())
        .limit(limit)
    ).all()
    out: list[dict[str, Any]] = [
        {
            "kind": "approval",
            "ref": f"ap-{r.id}",
            "use_case": r.slug,
            "gate": r.gate,
            "what": f"{r.domain} approval",
            "note": r.note,
            "at": r.created_at,
        }
        for r in approvals
    ]
    out.extend(
        {
            "kind": "waiver",
            "ref": f"wv-{r.id}",
            "use_case": r.slug,
            "gate": r.gate,
            "what": f"waived {r.criterion} until {r.expires_at.date().isoformat()}",
            "note": r.justification,
            "at": r.created_at,
        }
        for r in waivers
    )
    out.sort(key=lambda d: d["at"], reverse=True)
    return out[:limit]


def gate_candidates(conn: Connection) -> list[UseCase]:
    """Use cases with a next gate (idea, pilot, production), with only the fields a gate's
    approvals and the inbox look at: id, slug, name, stage, risk tier, owners and dates.

    The rows were validated when written; building them without re-validating the whole
    charter is what keeps the inbox of 10,000 use cases fast. Other charter fields keep
    their defaults, so these objects must not be written back or shown as charters.
    """
    uc = t.use_cases
    rows = conn.execute(
        select(
            uc.c.id,
            uc.c.slug,
            uc.c.name,
            uc.c.stage,
            uc.c.risk_tier,
            uc.c.business_owner,
            uc.c.technical_owner,
            uc.c.stage_entered_at,
            uc.c.created_at,
            uc.c.updated_at,
        )
        .where(uc.c.stage.in_([s.value for s in (Stage.IDEA, Stage.PILOT, Stage.PRODUCTION)]))
        .order_by(uc.c.slug)
    )
    return [
        UseCase.model_construct(
            id=r.id,
            slug=r.slug,
            name=r.name,
            stage=Stage(r.stage),
            risk_tier=RiskTier(r.risk_tier),
            business_owner=r.business_owner,
            technical_owner=r.technical_owner,
            stage_entered_at=r.stage_entered_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def current_approvals_in(
    conn: Connection, domains: Sequence[str] | None
) -> dict[int, list[Approval]]:
    """Approvals given in each use case's current stage, in ``domains`` only (None: all)."""
    a = t.approvals
    query = (
        select(a)
        .join(t.use_cases, t.use_cases.c.id == a.c.use_case_id)
        .where(a.c.stage == t.use_cases.c.stage)
        .order_by(a.c.id)
    )
    if domains is not None:
        query = query.where(a.c.domain.in_(list(domains)))
    out: dict[int, list[Approval]] = {}
    for row in conn.execute(query):
        out.setdefault(row.use_case_id, []).append(Approval.model_validate(dict(row._mapping)))
    return out
