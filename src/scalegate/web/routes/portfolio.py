"""The portfolio page: the stage funnel, stalled use cases and why, ready to promote.

Filters are query parameters (plain links work); htmx asks for the same URL and gets only
the part of the page that changes. The stalled table is served in slices of
:data:`PAGE_ROWS`, so 10,000 use cases never become 10,000 table rows.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from scalegate.domain.stage import PATH, Stage
from scalegate.services import portfolio, portfolio_cache
from scalegate.store import Store
from scalegate.web.auth import Viewer
from scalegate.web.contexts import Blocker, Filters, FunnelStep, PortfolioPage, StalledRow
from scalegate.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

#: stalled rows per slice, and ready-to-promote slugs listed
PAGE_ROWS = 50
READY_SHOWN = 30
TOP_BLOCKERS = 8


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _funnel(stages: dict[str, int]) -> list[FunnelStep]:
    counts = [(s.value, stages.get(s.value, 0)) for s in PATH]
    widest = max((c for _, c in counts), default=0) or 1
    return [
        FunnelStep(stage, count, max(100.0 * count / widest, 4.0 if count else 0.0))
        for stage, count in counts
    ]


def _row(s: portfolio.StalledUseCase) -> StalledRow:
    return StalledRow(
        slug=s.slug,
        name=s.name,
        stage=s.stage.value,
        gate=s.gate.value if s.gate else None,
        days_stalled=s.days_stalled,
        days_in_stage=s.days_in_stage,
        why=s.why,
        departments=s.departments,
        risk_tier=s.risk_tier,
        business_owner=s.business_owner,
        blockers=tuple(Blocker(b.id, b.kind, b.reason, tuple(b.evidence)) for b in s.blockers),
    )


def build_page(store: Store, filters: Filters, offset: int) -> PortfolioPage:
    """The portfolio page's context (runs the portfolio service and the facet query)."""
    view = (
        portfolio_cache.cache_for(store)
        .get(department=filters.department, risk_tier=filters.risk_tier, owner=filters.owner)
        .portfolio
    )
    facets = portfolio.facets(store)
    offset = max(0, min(offset, len(view.stalled)))
    shown = view.stalled[offset : offset + PAGE_ROWS]
    end = offset + len(shown)
    more = f"/?{filters.query(offset=end)}" if end < len(view.stalled) else None
    return PortfolioPage(
        generated_at=view.generated_at.isoformat(),
        policy=f"{view.policy_name} v{view.policy_version}",
        stall_after_days=view.stall_after_days,
        total=view.total,
        active=view.total - view.stages.get(Stage.RETIRED.value, 0),
        funnel=_funnel(view.stages),
        retired=view.stages.get(Stage.RETIRED.value, 0),
        stalled_total=len(view.stalled),
        stalled=[_row(s) for s in shown],
        shown=end,
        more_url=more,
        more_count=min(PAGE_ROWS, len(view.stalled) - end),
        ready_total=len(view.ready),
        ready=view.ready[:READY_SHOWN],
        top_blockers=view.top_blockers[:TOP_BLOCKERS],
        filters=filters,
        departments=facets["departments"],
        owners=facets["owners"],
        risk_tiers=facets["risk_tiers"],
    )


@router.get("/")
async def portfolio_page(
    caller: Viewer,
    request: Request,
    department: str | None = Query(None),
    risk_tier: str | None = Query(None),
    owner: str | None = Query(None),
    offset: int = Query(0, ge=0),
    part: str | None = Query(None, description="'rows': only the next slice of stalled rows"),
) -> Response:
    filters = Filters(_blank(department), _blank(risk_tier), _blank(owner))
    page = await run_in_threadpool(build_page, caller.store, filters, offset)
    if is_htmx(request) and part == "rows":
        return render(request, "portfolio/_rows.html", page)
    if is_htmx(request) and part == "body":
        response = render(request, "portfolio/_body.html", page)
        query = filters.query()
        response.headers["HX-Push-Url"] = "/" + (f"?{query}" if query else "")
        return response
    return render(request, "portfolio/page.html", page)
