"""The portfolio's strategy and value: objectives with nothing in production, and the value
realised by the use cases in production, per currency.

Kept beside :mod:`scalegate.services.portfolio` (not inside it) so the stalled-use-case view
stays as fast as it is; the CLI and the API show both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scalegate.domain.value import sum_by_unit
from scalegate.services import kpis as kpi_services
from scalegate.services.clock import utcnow
from scalegate.services.objectives import LIVE, ObjectiveSummary, summaries_in
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store import value_repository as vrepo


@dataclass(frozen=True)
class UseCaseValue:
    slug: str
    stage: str
    objective: str | None
    #: realised value per currency (and period) over the use case's money KPIs
    realised: dict[str, float]


@dataclass(frozen=True)
class PortfolioValue:
    """Objectives (with stage counts and the "nothing in production" flag) and realised
    value: per use case in production or scaled, and summed per currency for the portfolio."""

    generated_at: datetime
    objectives: list[ObjectiveSummary] = field(default_factory=list)
    use_cases: list[UseCaseValue] = field(default_factory=list)
    #: use cases in production or scaled that serve no objective
    unlinked_live: list[str] = field(default_factory=list)

    @property
    def nothing_in_production(self) -> list[str]:
        return [s.objective.slug for s in self.objectives if s.nothing_in_production]

    @property
    def realised(self) -> dict[str, float]:
        """Total per currency and period; different currencies are never added."""
        totals: dict[str, float] = {}
        for uc in self.use_cases:
            for unit, amount in uc.realised.items():
                totals[unit] = totals.get(unit, 0.0) + amount
        return dict(sorted(totals.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.isoformat(),
            "objectives": [s.to_dict() for s in self.objectives],
            "nothing_in_production": self.nothing_in_production,
            "unlinked_in_production": self.unlinked_live,
            "realised_value": self.realised,
            "use_cases": [
                {
                    "slug": u.slug,
                    "stage": u.stage,
                    "objective": u.objective,
                    "realised_value": u.realised,
                }
                for u in self.use_cases
            ],
        }


def build(store: Store, *, now: datetime | None = None) -> PortfolioValue:
    """Objectives and realised value. Only use cases in production or scaled count towards
    realised value: a pilot's measurements are of a trial, not of value delivered."""
    now = now or utcnow()
    with store.read() as conn:
        cases = repo.list_use_cases(conn)
        summaries = summaries_in(conn, cases)
        links = vrepo.links(conn)
        live = [uc for uc in cases if uc.stage in LIVE]
        points = vrepo.latest_kpi_measurements(conn, stages=[s.value for s in LIVE])
    slugs = {s.objective.id: s.objective.slug for s in summaries}
    values = []
    for uc in live:
        series = kpi_services.series_for(uc, points.get(uc.id, []))
        realised = sum_by_unit(s.realised for s in series if s.realised is not None)
        obj = links.get(uc.id)
        values.append(
            UseCaseValue(uc.slug, uc.stage.value, slugs.get(obj) if obj else None, realised)
        )
    return PortfolioValue(
        generated_at=now,
        objectives=summaries,
        use_cases=values,
        unlinked_live=[uc.slug for uc in live if uc.id not in links],
    )
