"""The use case page: charter, KPIs, the next gate's checklist, evidence, data checks,
monitoring charts and alerts; and its forms (approve, promote)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from scalegate.domain.stage import next_stage
from scalegate.services import gates, registry
from scalegate.store import Store
from scalegate.web.auth import Viewer
from scalegate.web.contexts import CriterionRow, GateView, UseCasePage
from scalegate.web.templating import render

router = APIRouter(include_in_schema=False)


def build_page(store: Store, slug: str) -> UseCasePage:
    """The use case page's context. Raises NotFoundError for an unknown slug."""
    uc = registry.get(store, slug)
    gate = next_stage(uc.stage)
    view = None
    if gate is not None:
        d = gates.evaluate(store, slug, gate)
        view = GateView(
            gate=d.gate.value,
            passed=d.passed,
            policy=f"{d.policy_name} v{d.policy_version}",
            criteria=[
                CriterionRow(r.id, r.kind, r.verdict.value, r.reason, r.description, r.evidence)
                for r in d.results
            ],
        )
    return UseCasePage(use_case=uc, gate=view)


@router.get("/use-cases/{slug}")
async def show(caller: Viewer, request: Request, slug: str) -> Response:
    page = await run_in_threadpool(build_page, caller.store, slug)
    return render(request, "use_case/page.html", page)
