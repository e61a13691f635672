"""The portfolio: use cases per stage, and which are stalled and exactly why.

Everything is loaded in a handful of queries and evaluated in memory, so the view of
10,000 use cases stays well under a second.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scalegate.domain.decision import CriterionResult
from scalegate.domain.stage import PATH, Stage, next_stage
from scalegate.domain.use_case import RiskTier
from scalegate.errors import UnknownChoiceError
from scalegate.gates import GateContext, evaluate_gate
from scalegate.services import gates as gate_services
from scalegate.services import policies
from scalegate.services.clock import utcnow
from scalegate.store import Store
from scalegate.store import repositories as repo


@dataclass(frozen=True)
class StalledUseCase:
    slug: str
    name: str
    stage: Stage
    gate: Stage | None
    days_in_stage: int
    days_stalled: int
    departments: tuple[str, ...]
    risk_tier: str
    business_owner: str | None
    blockers: tuple[CriterionResult, ...]
    why: str  # "failing gate" / "past time box"

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "stage": self.stage.value,
            "gate": self.gate.value if self.gate else None,
            "days_in_stage": self.days_in_stage,
            "days_stalled": self.days_stalled,
            "departments": list(self.departments),
            "risk_tier": self.risk_tier,
            "business_owner": self.business_owner,
            "why": self.why,
            "blockers": [
                {"id": b.id, "kind": b.kind, "reason": b.reason, "evidence": list(b.evidence)}
                for b in self.blockers
            ],
        }


@dataclass(frozen=True)
class Portfolio:
    generated_at: datetime
    policy_name: str
    policy_version: int
    stall_after_days: int
    stages: dict[str, int]
    total: int
    stalled: list[StalledUseCase] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)
    #: (criterion id, number of stalled use cases it blocks), most frequent first
    top_blockers: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self, *, stalled: slice | None = None) -> dict[str, Any]:
        """JSON-ready form; ``stalled`` picks a part of the stalled list (default: all)."""
        shown = self.stalled if stalled is None else self.stalled[stalled]
        return {
            "generated_at": self.generated_at.isoformat(),
            "policy": {"name": self.policy_name, "version": self.policy_version},
            "stall_after_days": self.stall_after_days,
            "total": self.total,
            "stages": self.stages,
            "stalled": [s.to_dict() for s in shown],
            "ready_to_promote": self.ready,
            "top_blockers": [{"criterion": c, "stalled": n} for c, n in self.top_blockers],
        }


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector out of the way while the portfolio is built.

    Loading and evaluating 10,000 use cases allocates a few hundred thousand objects (models,
    tuples, dicts) that hold no reference cycles. Each burst of allocations triggers
    collections that re-scan every live object and free nothing, a quarter of the build
    time. Reference counting still frees everything as usual; if the collector was on, it is
    switched back on afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@_gc_paused()
def build(
    store: Store,
    *,
    now: datetime | None = None,
    department: str | None = None,
    risk_tier: str | None = None,
    owner: str | None = None,
) -> Portfolio:
    now = now or utcnow()
    if risk_tier is not None and risk_tier not in {t.value for t in RiskTier}:
        raise UnknownChoiceError.of("risk tier", risk_tier, [t.value for t in RiskTier])
    with store.read() as conn:
        pv = policies.active_in(conn)
        cases = repo.list_use_cases(conn, department=department, owner=owner, risk_tier=risk_tier)
        users = repo.users_by_name(conn)
        approvals = repo.all_current_approvals(conn)
        waivers = repo.all_current_waivers(conn)
        evidence = repo.latest_evidence(conn)
        checks = gate_services.data_check_history(conn, pv.policy, now)
        monitors = gate_services.monitor_history(conn, pv.policy, now)
        fairness = gate_services.fairness_history(conn, pv.policy)
        kpi_points = gate_services.kpi_history(conn, pv.policy, now)
        requests = repo.all_open_requests(conn)
    policy = pv.policy
    stages = {s.value: 0 for s in (*PATH, Stage.RETIRED)}
    stalled: list[StalledUseCase] = []
    ready: list[str] = []
    top_blockers: dict[str, int] = {}
    for uc in cases:
        stages[uc.stage.value] += 1
        gate = next_stage(uc.stage)
        if gate is None:
            continue
        ctx = GateContext(
            use_case=uc,
            policy=policy,
            policy_version=pv.version,
            now=now,
            users=users,
            approvals=approvals.get(uc.id, ()),
            waivers=waivers.get(uc.id, ()),
            latest_evidence=evidence.get(uc.id, {}),
            data_checks=checks.get(uc.id, ()),
            monitors=monitors.get(uc.id, ()),
            fairness=fairness.get(uc.id, ()),
            kpi_measurements=kpi_points.get(uc.id, ()),
            request=requests.get(uc.id),
        )
        decision = evaluate_gate(ctx, gate)
        days = int(uc.days_in_stage(now))
        if decision.passed:
            ready.append(uc.slug)
            continue
        # A gate blocked by anything but the time box has failed since the use case entered
        # its stage, so it stalls once the grace period is over; the time box itself only
        # starts failing when the box runs out.
        blockers = decision.blockers
        box = policy.time_box(uc.stage)
        over_box = days - box if box is not None and days > box else 0
        gate_blocked = any(b.kind != "time_box" for b in blockers)
        over_grace = days - policy.stall_after_days if gate_blocked else 0
        if over_box <= 0 and over_grace <= 0:
            continue
        if over_box > 0 and over_grace > 0:
            why = "gate failing, past its time box"
        else:
            why = "past its time box" if over_box > 0 else "gate failing"
        for b in blockers:
            top_blockers[b.id] = top_blockers.get(b.id, 0) + 1
        stalled.append(
            StalledUseCase(
                slug=uc.slug,
                name=uc.name,
                stage=uc.stage,
                gate=gate,
                days_in_stage=days,
                days_stalled=max(over_box, over_grace),
                departments=uc.departments,
                risk_tier=uc.risk_tier.value,
                business_owner=uc.business_owner,
                blockers=blockers,
                why=why,
            )
        )
    stalled.sort(key=lambda s: (-s.days_stalled, s.slug))
    return Portfolio(
        generated_at=now,
        policy_name=policy.name,
        policy_version=pv.version,
        stall_after_days=policy.stall_after_days,
        stages=stages,
        total=len(cases),
        stalled=stalled,
        ready=ready,
        top_blockers=sorted(top_blockers.items(), key=lambda kv: (-kv[1], kv[0])),
    )


def facets(store: Store) -> dict[str, list[str]]:
    """What the portfolio can be filtered by: departments, owners and risk tiers in use or
    allowed, each sorted."""
    with store.read() as conn:
        found = repo.use_case_facets(conn)
    return {**found, "risk_tiers": [t.value for t in RiskTier]}
