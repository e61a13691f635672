"""One typed context per page: what a template may use, built by the route from services.

Templates read only these fields (plus ``me``, the session, and ``path``), so a change in a
service shows up as a type error here rather than as a blank cell in a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class LoginPage:
    next_url: str = "/"
    username: str = ""
    error: str = ""


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    count: int
    #: bar width in percent of the widest stage (at least a sliver when count > 0)
    width: float


@dataclass(frozen=True)
class Blocker:
    id: str
    kind: str
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class StalledRow:
    slug: str
    name: str
    stage: str
    gate: str | None
    days_stalled: int
    days_in_stage: int
    why: str
    departments: tuple[str, ...]
    risk_tier: str
    business_owner: str | None
    blockers: tuple[Blocker, ...]


@dataclass(frozen=True)
class Filters:
    department: str | None = None
    risk_tier: str | None = None
    owner: str | None = None

    def query(self, **more: Any) -> str:
        """The query string of these filters plus ``more`` (None values dropped)."""
        values = {
            "department": self.department,
            "risk_tier": self.risk_tier,
            "owner": self.owner,
            **more,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    @property
    def active(self) -> bool:
        return any((self.department, self.risk_tier, self.owner))


@dataclass(frozen=True)
class PortfolioPage:
    generated_at: str
    policy: str
    stall_after_days: int
    total: int
    active: int
    funnel: list[FunnelStep]
    retired: int
    stalled_total: int
    stalled: list[StalledRow]
    #: rows shown so far (the "more" link asks for the next slice after them)
    shown: int
    more_url: str | None
    ready_total: int
    ready: list[str]
    top_blockers: list[tuple[str, int]]
    filters: Filters
    departments: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    risk_tiers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CriterionRow:
    id: str
    kind: str
    verdict: str
    reason: str
    description: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class GateView:
    gate: str
    passed: bool
    policy: str
    criteria: list[CriterionRow]

    @property
    def blockers(self) -> list[CriterionRow]:
        return [c for c in self.criteria if c.verdict == "fail"]


@dataclass(frozen=True)
class UseCasePage:
    use_case: Any  # scalegate.domain.use_case.UseCase
    gate: GateView | None
