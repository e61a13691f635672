"""The approvals inbox: what awaits the approver's domains, the approve form, and the
approver's recent decisions.

Approving posts to :func:`approve`, which calls ``services.gates.approve``, the same service
the API's approve route calls: domains and separation of duties are enforced there.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from scalegate.domain.user import Role, User
from scalegate.services import gates
from scalegate.store import Store
from scalegate.web.auth import Approver, Viewer
from scalegate.web.contexts import ApprovalsPage, DecisionRow, InboxRow, RequestRow
from scalegate.web.templating import render

router = APIRouter(include_in_schema=False)

#: rows of the inbox and of open requests shown (the rest are counted); decisions shown
INBOX_ROWS = 100
REQUEST_ROWS = 50
DECISIONS = 15


def _row(a: gates.AwaitedApproval) -> InboxRow:
    return InboxRow(
        slug=a.slug,
        name=a.name,
        stage=a.stage.value,
        gate=a.gate.value,
        risk_tier=a.risk_tier,
        criterion=a.criterion,
        domain=a.domain,
        reason=a.reason,
        requested_by=a.request.requested_by if a.request else None,
        requested_at=a.request.created_at.isoformat() if a.request else None,
        days_in_stage=a.days_in_stage,
        can_act=a.can_act,
        why_not=a.why_not,
    )


def build_page(store: Store, user: User, flash: str | None = None) -> ApprovalsPage:
    """The inbox of ``user``; for a viewer or contributor only the explanation."""
    if not user.role.allows(Role.APPROVER):
        return ApprovalsPage(False, user.domains, [], 0, [], 0, [], flash)
    awaiting = gates.awaiting_approval(store, actor=user.username)
    requests = [
        RequestRow(
            slug=str(r["use_case"]),
            gate=str(r["gate"]),
            requested_by=str(r["requested_by"]),
            requested_at=str(r["requested_at"]),
            blockers=tuple(r["blockers"]),  # type: ignore[arg-type]
            can_act=bool(r["can_act"]),
        )
        for r in gates.inbox(store, actor=user.username, limit=REQUEST_ROWS)
    ]
    decisions = [
        DecisionRow(
            kind=str(d["kind"]),
            ref=str(d["ref"]),
            use_case=str(d["use_case"]),
            gate=str(d["gate"]),
            what=str(d["what"]),
            note=str(d["note"]),
            at=str(d["at"].isoformat() if hasattr(d["at"], "isoformat") else d["at"]),
        )
        for d in gates.decisions_by(store, actor=user.username, limit=DECISIONS)
    ]
    domains = ("every domain (admin)",) if user.role is Role.ADMIN else user.domains
    return ApprovalsPage(
        is_approver=True,
        domains=domains,
        awaiting=[_row(a) for a in awaiting[:INBOX_ROWS]],
        awaiting_total=len(awaiting),
        requests=requests,
        requests_total=gates.open_request_count(store),
        decisions=decisions,
        flash=flash,
    )


@router.get("/approvals")
async def inbox(
    caller: Viewer,
    request: Request,
    approved: str | None = Query(None, description="the approval just recorded, e.g. ap-12"),
    slug: str | None = Query(None),
) -> Response:
    flash = None
    if approved and slug:
        flash = f"Approval {approved[:20]} of {slug[:100]} recorded."
    page = await run_in_threadpool(build_page, caller.store, caller.user, flash)
    return render(request, "approvals/page.html", page)


@router.post("/approvals")
async def approve(
    caller: Approver,
    slug: str = Form(...),
    gate: str = Form(...),
    domain: str = Form(...),
    note: str = Form(""),
) -> Response:
    """Record the approval through the service, then show the inbox again (303)."""
    approval = await run_in_threadpool(
        lambda: gates.approve(
            caller.store, slug, gate=gate, domain=domain, actor=caller.actor, note=note[:2000]
        )
    )
    query = urlencode({"approved": approval.ref, "slug": slug})
    return RedirectResponse(f"/approvals?{query}", status_code=303)
