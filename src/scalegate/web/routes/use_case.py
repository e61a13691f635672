"""The use case page: charter, KPIs against baseline and target, the next gate's checklist,
evidence, data check history, drift and performance charts, alerts, recent activity; one
evidence record's page; and the approve and promote forms.

Forms post with the session's CSRF token, go through the same services as the API (which
enforce roles, approval domains and separation of duties) and redirect back to the page
(post/redirect/get) with a fixed confirmation message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from scalegate.domain.stage import next_stage
from scalegate.domain.user import DEFAULT_DOMAINS, Role, User
from scalegate.errors import NotFoundError
from scalegate.services import alerts, audit, gates, kpis, monitoring, registry
from scalegate.store import Store
from scalegate.web.auth import Approver, Contributor, Viewer
from scalegate.web.contexts import (
    ActivityRow,
    CriterionRow,
    EvidencePage,
    GateView,
    KpiRow,
    MonitorView,
    UseCasePage,
)
from scalegate.web.templating import render

router = APIRouter(include_in_schema=False)

TIMELINE = 20
CHECKS_SHOWN = 15
CHART_BATCHES = 200
ACTIVITY = 12
#: the confirmation shown after a form, by the ``done`` query parameter
FLASH = {
    "approved": "Approval recorded.",
    "promoted": "Promoted.",
    "requested": "The gate does not pass yet: a promotion request is open for approvers.",
}


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _kpis(report: kpis.KpiReport) -> tuple[list[KpiRow], dict[str, Any]]:
    """The KPI table's rows and each measured KPI's chart series (oldest first), from the
    same report as ``scalegate kpi show``."""
    rows, series = [], {}
    for s in report.kpis:
        latest = s.latest
        fraction = s.progress.fraction
        realised = None
        if s.realised is not None:
            realised = f"{s.realised.amount:+,.0f} {s.realised.unit.label}"
        rows.append(
            KpiRow(
                name=s.kpi.name,
                unit=s.kpi.unit,
                direction=s.kpi.direction.value,
                baseline=s.kpi.baseline,
                target=s.kpi.target,
                latest=latest.value if latest else None,
                latest_at=latest.at.isoformat() if latest else None,
                latest_ref=latest.ref if latest else None,
                progress=None if fraction is None else 100.0 * fraction,
                progress_reason=s.progress.reason,
                realised=realised,
            )
        )
        if len(s.points) >= 2:
            series[s.kpi.name] = {
                "labels": [p.at.date().isoformat() for p in s.points],
                "values": [p.value for p in s.points],
                "baseline": s.kpi.baseline,
                "target": s.kpi.target,
                "unit": s.kpi.unit,
            }
    return rows, series


def _chart(monitor: Any, batches: list[dict[str, Any]]) -> dict[str, Any]:
    """The series of one monitor's charts, oldest batch first; gaps are None."""
    batches = list(reversed(batches))
    features = sorted(
        {k for b in batches for k in b["metrics"] if k.startswith("drift.")},
        key=lambda k: -max((_finite(b["metrics"].get(k)) or 0.0) for b in batches),
    )
    primary = monitor.primary_metric
    series: dict[str, Any] = {
        "labels": [b["at"][:10] for b in batches],
        "status": [b["status"] for b in batches],
        "drift_share": [_finite(b["metrics"].get("drift_share")) for b in batches],
        "features": {
            f.removeprefix("drift."): [_finite(b["metrics"].get(f)) for b in batches]
            for f in features
        },
        "metric": primary,
    }
    if primary:
        series["realised"] = [_finite(b["metrics"].get(primary)) for b in batches]
        series["estimated"] = [_finite(b["metrics"].get(f"estimated_{primary}")) for b in batches]
        series["reference"] = _finite(monitor.reference_metrics.get(primary))
    return series


def _approve_domains(user: User, gate: GateView | None) -> list[str]:
    if not user.role.allows(Role.APPROVER) or gate is None:
        return []
    if user.role is Role.ADMIN:
        return list(DEFAULT_DOMAINS)
    return list(user.domains)


def _activity(store: Store, slug: str) -> list[ActivityRow]:
    rows = []
    for ev in audit.recent(store, limit=ACTIVITY, subject_type="use_case", subject_id=slug):
        after = json.loads(ev.after) if ev.after and ev.after != "null" else {}
        detail = ""
        if isinstance(after, dict):
            parts = [
                f"{k}: {after[k]}"
                for k in ("stage", "gate", "domain", "approval", "criterion")
                if k in after
            ]
            detail = ", ".join(parts)
        rows.append(ActivityRow(ev.seq, ev.at, ev.actor, ev.action, detail))
    return rows


def build_page(store: Store, slug: str, user: User, done: str | None = None) -> UseCasePage:
    """The use case page's context. Raises NotFoundError for an unknown slug."""
    d = registry.detail(store, slug)
    uc = d["use_case"]
    gate = next_stage(uc.stage)
    view = None
    if gate is not None:
        decision = gates.evaluate(store, slug, gate)
        view = GateView(
            gate=decision.gate.value,
            passed=decision.passed,
            policy=f"{decision.policy_name} v{decision.policy_version}",
            criteria=[
                CriterionRow(r.id, r.kind, r.verdict.value, r.reason, r.description, r.evidence)
                for r in decision.results
            ],
        )
    monitors = monitoring.list_monitors(store, slug)
    views, charts = [], {}
    for m in monitors:
        batches = monitoring.batches(store, slug, m.name, limit=CHART_BATCHES)
        views.append(
            MonitorView(
                name=m.name,
                model=" ".join(p for p in (m.model_name, m.model_version) if p),
                primary_metric=m.primary_metric,
                reference=_finite(m.reference_metrics.get(m.primary_metric or "")),
                batches=len(batches),
                latest_status=batches[0]["status"] if batches else None,
            )
        )
        if batches:
            charts[m.name] = _chart(m, batches)
    kpi_rows, kpi_charts = _kpis(kpis.report(store, slug))
    found = alerts.list_alerts(store, slug, limit=50)
    found.sort(key=lambda a: (a.status.value != "open", -a.opened_at.timestamp()))
    return UseCasePage(
        use_case=uc,
        gate=view,
        kpis=kpi_rows,
        kpi_charts=kpi_charts,
        approvals=d["approvals"],
        waivers=d["waivers"],
        request=d["request"],
        history=d["history"],
        evidence=registry.list_evidence(store, slug, limit=TIMELINE),
        data_checks=registry.list_evidence(store, slug, kind="data_check", limit=CHECKS_SHOWN),
        monitors=views,
        charts=charts,
        alerts=found,
        activity=_activity(store, slug),
        can_promote=user.role.allows(Role.CONTRIBUTOR) and gate is not None,
        can_approve=bool(_approve_domains(user, view)),
        approve_domains=_approve_domains(user, view),
        flash=FLASH.get(done or ""),
    )


@router.get("/use-cases/{slug}")
async def show(caller: Viewer, request: Request, slug: str, done: str | None = None) -> Response:
    page = await run_in_threadpool(build_page, caller.store, slug, caller.user, done)
    return render(request, "use_case/page.html", page)


@router.get("/use-cases/{slug}/evidence/{ref}")
async def evidence(caller: Viewer, request: Request, slug: str, ref: str) -> Response:
    def build() -> EvidencePage:
        uc = registry.get(caller.store, slug)
        ev = registry.get_evidence(caller.store, ref)
        if ev.use_case_id != uc.id:
            raise NotFoundError.named("evidence", f"{ref} of use case '{slug}'")
        text = json.dumps(ev.payload, indent=2, sort_keys=True, default=str)
        return EvidencePage(use_case=uc, evidence=ev, payload_json=text)

    page = await run_in_threadpool(build)
    return render(request, "use_case/evidence.html", page)


def _back(slug: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/use-cases/{slug}?done={done}#gate", status_code=303)


@router.post("/use-cases/{slug}/approve")
async def approve(
    caller: Approver,
    slug: str,
    gate: str = Form(...),
    domain: str = Form(...),
    note: str = Form(""),
) -> Response:
    await run_in_threadpool(
        lambda: gates.approve(
            caller.store, slug, gate=gate, domain=domain, actor=caller.actor, note=note[:2000]
        )
    )
    return _back(slug, "approved")


@router.post("/use-cases/{slug}/promote")
async def promote(
    caller: Contributor, slug: str, to: str = Form(...), note: str = Form("")
) -> Response:
    outcome = await run_in_threadpool(
        lambda: gates.promote(caller.store, slug, to, actor=caller.actor, note=note[:2000])
    )
    return _back(slug, "promoted" if outcome.promoted else "requested")
