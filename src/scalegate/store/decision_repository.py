"""Reading the approvals and waivers one person gave (the approvals inbox's history)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

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
