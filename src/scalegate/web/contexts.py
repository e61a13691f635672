"""One typed context per page: what a template may use, built by the route from services.

Templates read only these fields (plus ``me``, the session, and ``path``), so a change in a
service shows up as a type error here rather than as a blank cell in a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

# ---------------------------------------------------------------- approvals, audit, contracts
# (kept above the login page's context so additions at the end of the module merge cleanly)


@dataclass(frozen=True)
class InboxRow:
    """One approval a domain of the approver still owes a use case's next gate."""

    slug: str
    name: str
    stage: str
    gate: str
    risk_tier: str
    criterion: str
    domain: str
    reason: str
    requested_by: str | None
    requested_at: str | None
    days_in_stage: int
    can_act: bool
    why_not: str


@dataclass(frozen=True)
class RequestRow:
    """An open promotion request and what still blocks it."""

    slug: str
    gate: str
    requested_by: str
    requested_at: str
    blockers: tuple[tuple[str, str], ...]
    can_act: bool


@dataclass(frozen=True)
class DecisionRow:
    kind: str
    ref: str
    use_case: str
    gate: str
    what: str
    note: str
    at: str


@dataclass(frozen=True)
class ApprovalsPage:
    #: False for viewers and contributors: the page explains instead of listing forms
    is_approver: bool
    domains: tuple[str, ...]
    awaiting: list[InboxRow]
    awaiting_total: int
    requests: list[RequestRow]
    requests_total: int
    decisions: list[DecisionRow]
    flash: str | None = None


@dataclass(frozen=True)
class ChainStatus:
    """The last verification of the audit chain this server ran (None: not yet)."""

    ok: bool | None = None
    message: str = ""
    events: int = 0
    first_bad_seq: int | None = None
    verified_at: str | None = None
    #: the chain's head when the page was drawn; events appended after the verification
    head_seq: int = 0
    appended_since: int = 0
    seconds: float | None = None


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    #: the event's before/after JSON, indented for reading
    before: str
    after: str
    #: a one-line digest of ``after`` for the collapsed row
    gist: str
    hash: str


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    subject: str = ""
    since: str = ""
    until: str = ""

    def query(self, **more: Any) -> str:
        values = {
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "since": self.since,
            "until": self.until,
            **more,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    @property
    def active(self) -> bool:
        return any((self.actor, self.action, self.subject, self.since, self.until))


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    filters: AuditFilters
    chain: ChainStatus
    head_seq: int
    #: the next (older) page's URL, None on the last page
    older_url: str | None
    #: True when this is not the newest page
    paged: bool


@dataclass(frozen=True)
class ContractsPage:
    contracts: list[Any]  # scalegate.services.contracts.ContractSummary


@dataclass(frozen=True)
class ContractPage:
    contract: Any  # scalegate.services.contracts.ContractDetail


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
    #: rows the "more" link will add
    more_count: int
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
class KpiRow:
    name: str
    unit: str
    direction: str
    baseline: float | None
    target: float | None
    #: the newest ``kpi_measurement`` evidence for this KPI, if any
    latest: float | None
    latest_at: str | None
    latest_ref: str | None
    #: how far from baseline to target the latest value is, in % (not clamped; None with
    #: ``progress_reason``)
    progress: float | None
    progress_reason: str | None = None
    #: improvement over the baseline of a money KPI, e.g. "+39,600 EUR/month"
    realised: str | None = None

    @property
    def bar(self) -> float:
        """The progress bar's width, 0-100."""
        return max(0.0, min(100.0, self.progress or 0.0))


@dataclass(frozen=True)
class MonitorView:
    name: str
    model: str
    primary_metric: str | None
    reference: float | None
    batches: int
    latest_status: str | None


@dataclass(frozen=True)
class ActivityRow:
    seq: int
    at: str
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class UseCasePage:
    use_case: Any  # scalegate.domain.use_case.UseCase
    gate: GateView | None
    kpis: list[KpiRow]
    #: KPI name -> its measurements for the KPI chart (KPIs with at least two)
    kpi_charts: dict[str, Any]
    approvals: list[Any]  # scalegate.domain.evidence.Approval
    waivers: list[Any]  # scalegate.domain.evidence.Waiver
    request: Any | None  # scalegate.domain.evidence.PromotionRequest
    history: list[dict[str, Any]]
    evidence: list[Any]  # scalegate.domain.evidence.Evidence, newest first
    data_checks: list[Any]
    monitors: list[MonitorView]
    #: per monitor: batch dates and the series the charts draw (embedded as JSON)
    charts: dict[str, Any]
    alerts: list[Any]  # scalegate.domain.alert.Alert, open first
    activity: list[ActivityRow]
    can_promote: bool
    can_approve: bool
    approve_domains: list[str]
    flash: str | None = None


@dataclass(frozen=True)
class EvidencePage:
    use_case: Any
    evidence: Any
    payload_json: str
