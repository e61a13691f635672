"""Built-in criterion kinds. Each is registered through :func:`register`, like a plugin."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator

from scalegate.domain.evidence import Evidence, EvidenceStatus
from scalegate.domain.policy import Policy
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import CHARTER_FIELDS, IntegrationMode, RiskTier
from scalegate.domain.user import DOMAIN_PATTERN
from scalegate.gates.context import GateContext
from scalegate.gates.registry import Outcome, Params, register


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- charter_complete
DEFAULT_CHARTER_FIELDS = ("purpose", "strategic_objective", "business_owner", "departments")


class CharterParams(Params):
    fields: tuple[str, ...] = DEFAULT_CHARTER_FIELDS

    @field_validator("fields")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for f in v:
            if f not in CHARTER_FIELDS:
                raise ValueError(
                    f"unknown charter field '{f}'; known fields are {', '.join(CHARTER_FIELDS)}"
                )
        return v


@register("charter_complete", CharterParams, "the named charter fields are filled in")
def charter_complete(p: CharterParams, ctx: GateContext, gate: Stage) -> Outcome:
    uc = ctx.use_case
    missing = [f for f in p.fields if not getattr(uc, f)]
    if missing:
        return Outcome.fail("charter is missing " + ", ".join(f.replace("_", " ") for f in missing))
    return Outcome.ok(f"charter has {', '.join(f.replace('_', ' ') for f in p.fields)}")


# ---------------------------------------------------------------- owners_assigned
class OwnersParams(Params):
    owners: tuple[str, ...] = ("business_owner", "technical_owner")
    #: the business and technical owner must be different people
    distinct: bool = False

    @field_validator("owners")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for o in v:
            if o not in ("business_owner", "technical_owner"):
                raise ValueError(f"unknown owner '{o}'; use business_owner or technical_owner")
        return v


@register("owners_assigned", OwnersParams, "owners are assigned and are known, active users")
def owners_assigned(p: OwnersParams, ctx: GateContext, gate: Stage) -> Outcome:
    uc = ctx.use_case
    problems: list[str] = []
    names: list[str] = []
    for field in p.owners:
        label = field.replace("_", " ")
        who = getattr(uc, field)
        if not who:
            problems.append(f"no {label} assigned")
            continue
        user = ctx.users.get(who)
        if user is None:
            problems.append(f"{label} '{who}' is not a known user")
        elif not user.active:
            problems.append(f"{label} '{who}' is deactivated")
        else:
            names.append(f"{label} {who}")
    if p.distinct and uc.business_owner and uc.business_owner == uc.technical_owner:
        problems.append("business and technical owner are the same person")
    if problems:
        return Outcome.fail("; ".join(problems))
    return Outcome.ok(", ".join(names))


# ---------------------------------------------------------------- kpis_defined
class KpiParams(Params):
    min_count: Annotated[int, Field(ge=1)] = 1


@register("kpis_defined", KpiParams, "success KPIs are defined with a baseline and a target")
def kpis_defined(p: KpiParams, ctx: GateContext, gate: Stage) -> Outcome:
    kpis = ctx.use_case.kpis
    if not kpis:
        return Outcome.fail("no success KPI defined")
    problems = []
    for k in kpis:
        if k.baseline is None and k.target is None:
            problems.append(f"KPI '{k.name}' has no baseline and no target")
        elif k.baseline is None:
            problems.append(f"KPI '{k.name}' has no baseline")
        elif k.target is None:
            problems.append(f"KPI '{k.name}' has no target")
    if problems:
        return Outcome.fail("; ".join(problems))
    if len(kpis) < p.min_count:
        return Outcome.fail(f"{_plural(len(kpis), 'KPI')} defined, policy asks for {p.min_count}")
    return Outcome.ok(f"{_plural(len(kpis), 'KPI')} with baseline and target")


# ---------------------------------------------------------------- integration_defined
class IntegrationParams(Params):
    min_count: Annotated[int, Field(ge=1)] = 1
    modes: tuple[IntegrationMode, ...] | None = None


@register(
    "integration_defined", IntegrationParams, "the business systems it feeds, and how, are named"
)
def integration_defined(p: IntegrationParams, ctx: GateContext, gate: Stage) -> Outcome:
    targets = [t for t in ctx.use_case.integration_targets if p.modes is None or t.mode in p.modes]
    if len(targets) < p.min_count:
        modes = " (" + "/".join(m.value for m in p.modes) + ")" if p.modes else ""
        if not targets:
            return Outcome.fail(f"no integration target{modes} named")
        return Outcome.fail(
            f"{_plural(len(targets), 'integration target')}{modes}, policy asks for {p.min_count}"
        )
    return Outcome.ok(", ".join(f"{t.system} ({t.mode.value})" for t in targets))


# ---------------------------------------------------------------- approvals
class ApprovalParams(Params):
    domains: Annotated[
        tuple[Annotated[str, Field(pattern=DOMAIN_PATTERN)], ...], Field(min_length=1)
    ]
    #: approvals older than this no longer count (None: valid for the whole stage)
    max_age_days: Annotated[int, Field(gt=0)] | None = None


@register("approvals", ApprovalParams, "sign-off from each named approval domain")
def approvals(p: ApprovalParams, ctx: GateContext, gate: Stage) -> Outcome:
    uc = ctx.use_case
    owners = {uc.business_owner, uc.technical_owner} - {None}
    requester = ctx.request.requested_by if ctx.request and ctx.request.gate == gate else None
    missing: list[str] = []
    notes: list[str] = []
    used: list[str] = []
    for domain in p.domains:
        found = None
        for ap in ctx.approvals:
            if ap.gate != gate or ap.domain != domain or ap.stage != uc.stage:
                continue
            if ap.approver in owners:
                notes.append(f"{ap.approver}'s {domain} approval ignored: owns this use case")
                continue
            if ap.approver == requester:
                notes.append(f"{ap.approver}'s {domain} approval ignored: requested the promotion")
                continue
            if p.max_age_days is not None and ap.created_at < ctx.now - timedelta(
                days=p.max_age_days
            ):
                notes.append(
                    f"{ap.approver}'s {domain} approval is older than {p.max_age_days} days"
                )
                continue
            found = ap
            break
        if found is None:
            missing.append(domain)
        else:
            used.append(found.ref)
    if missing:
        reason = "missing approval from " + ", ".join(missing)
        if notes:
            reason += " (" + "; ".join(notes) + ")"
        return Outcome.fail(reason, *used)
    return Outcome.ok("approved by " + ", ".join(p.domains), *used)


# ---------------------------------------------------------------- time_box
class TimeBoxParams(Params):
    #: overrides the policy's time box for the current stage
    max_days: Annotated[int, Field(gt=0)] | None = None


@register("time_box", TimeBoxParams, "the use case has not overrun its current stage's time box")
def time_box(p: TimeBoxParams, ctx: GateContext, gate: Stage) -> Outcome:
    uc = ctx.use_case
    box = p.max_days if p.max_days is not None else ctx.policy.time_box(uc.stage)
    if box is None:
        return Outcome.na(f"no time box for stage {uc.stage.value}")
    days = int(uc.days_in_stage(ctx.now))
    if days > box:
        return Outcome.fail(
            f"in {uc.stage.value} for {days} days, past its {box}-day time box by {days - box}"
        )
    return Outcome.ok(f"in {uc.stage.value} for {days} of {box} days")


# ---------------------------------------------------------------- risk_acceptable
class RiskParams(Params):
    allowed: tuple[RiskTier, ...] = (RiskTier.MINIMAL, RiskTier.LIMITED, RiskTier.HIGH)


@register("risk_acceptable", RiskParams, "the risk tier is allowed through this gate")
def risk_acceptable(p: RiskParams, ctx: GateContext, gate: Stage) -> Outcome:
    tier = ctx.use_case.risk_tier
    if tier not in p.allowed:
        extra = " (prohibited practice under the EU AI Act)" if tier is RiskTier.PROHIBITED else ""
        return Outcome.fail(f"risk tier '{tier.value}' may not pass this gate{extra}")
    return Outcome.ok(f"risk tier '{tier.value}' is allowed")


# ---------------------------------------------------------------- evidence
class EvidenceParams(Params):
    evidence_kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
    status: tuple[EvidenceStatus, ...] = (EvidenceStatus.PASS,)
    max_age_days: Annotated[int, Field(gt=0)] | None = None


@register("evidence", EvidenceParams, "recent evidence of a kind, with a passing status")
def evidence(p: EvidenceParams, ctx: GateContext, gate: Stage) -> Outcome:
    kind = p.evidence_kind
    ev = ctx.latest_evidence.get(kind)
    if ev is None:
        return Outcome.fail(f"no {kind} evidence recorded")
    age = (ctx.now - ev.created_at).total_seconds() / 86400.0
    if ev.status not in p.status:
        wanted = " or ".join(s.value for s in p.status)
        return Outcome.fail(
            f"latest {kind} ({ev.ref}) has status {ev.status.value}, needs {wanted}", ev.ref
        )
    if p.max_age_days is not None and age > p.max_age_days:
        return Outcome.fail(
            f"latest {kind} ({ev.ref}) is {int(age)} days old, policy allows {p.max_age_days}",
            ev.ref,
        )
    return Outcome.ok(f"{kind} {ev.status.value} ({ev.ref}, {int(age)} days old)", ev.ref)


# ---------------------------------------------------------------- data_contract
#: evidence kind of stored data check runs (``scalegate check --use-case``)
DATA_CHECK = "data_check"


class DataContractParams(Params):
    #: the contract's name; leave out to require every contract checked for the use case
    contract: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    #: the newest run must be at most this old
    max_age_days: Annotated[int, Field(gt=0)] | None = None
    #: judge the share of passing runs over ``window_days`` instead of the newest run alone
    min_pass_rate: Annotated[float, Field(gt=0, le=1)] | None = None
    window_days: Annotated[int, Field(gt=0, le=366)] = 30
    #: a run whose only failures are ``warn`` rules counts as passing
    allow_warnings: bool = True


def _passing(p: DataContractParams, ev: Evidence) -> bool:
    ok = (EvidenceStatus.PASS, EvidenceStatus.WARN) if p.allow_warnings else (EvidenceStatus.PASS,)
    return ev.status in ok


def _one_contract(
    p: DataContractParams, name: str, runs: list[Evidence], ctx: GateContext
) -> tuple[bool, str, str]:
    """(passed, reason, evidence ref) for the runs of one contract, newest first."""
    latest = runs[0]
    age = (ctx.now - latest.created_at).total_seconds() / 86400.0
    if p.max_age_days is not None and age > p.max_age_days:
        return (
            False,
            f"'{name}' last checked {int(age)} days ago ({latest.ref}), "
            f"policy allows {p.max_age_days}",
            latest.ref,
        )
    if p.min_pass_rate is None:
        if _passing(p, latest):
            return (
                True,
                f"'{name}' {latest.status.value} ({latest.ref}, {int(age)} days old)",
                latest.ref,
            )
        detail = latest.summary.split(": ", 1)[-1] if latest.summary.startswith(name) else ""
        reason = f"latest check of '{name}' ({latest.ref}) did not pass"
        return False, reason + (f": {detail}" if detail else ""), latest.ref
    since = ctx.now - timedelta(days=p.window_days)
    window = [r for r in runs if r.created_at >= since]
    if not window:
        return False, f"'{name}' has no run in the last {p.window_days} days", latest.ref
    passed = sum(_passing(p, r) for r in window)
    rate = passed / len(window)
    share = f"{passed} of {_plural(len(window), 'run')} in {p.window_days} days"
    if rate + 1e-12 < p.min_pass_rate:
        return (
            False,
            f"'{name}' passed {rate:.0%} ({share}), policy asks for {p.min_pass_rate:.0%}",
            latest.ref,
        )
    return True, f"'{name}' passed {rate:.0%} ({share})", latest.ref


@register(
    "data_contract",
    DataContractParams,
    "data checks of the named contract (or of every contract checked) pass",
)
def data_contract(p: DataContractParams, ctx: GateContext, gate: Stage) -> Outcome:
    by_contract: dict[str, list[Evidence]] = {}
    for ev in ctx.data_checks:  # newest first
        by_contract.setdefault(ev.subject or "(unnamed)", []).append(ev)
    if p.contract is not None:
        if p.contract not in by_contract:
            return Outcome.fail(f"no data check run recorded for contract '{p.contract}'")
        by_contract = {p.contract: by_contract[p.contract]}
    elif not by_contract:
        return Outcome.fail("no data check run recorded")
    verdicts = [_one_contract(p, name, runs, ctx) for name, runs in sorted(by_contract.items())]
    refs = [ref for _, _, ref in verdicts]
    failed = [reason for ok, reason, _ in verdicts if not ok]
    if failed:
        return Outcome.fail("; ".join(failed), *refs)
    return Outcome.ok("; ".join(reason for _, reason, _ in verdicts), *refs)


def history_days(policy: Policy) -> int:
    """How many days of data check history the policy's ``data_contract`` criteria look
    back over (the longest ``window_days`` of those judging a pass rate; 0 when none does)."""
    longest = 0
    for specs in policy.gates.values():
        for spec in specs:
            if spec.kind != "data_contract":
                continue
            variants = [spec.params, *(spec.params_for(tier) for tier in spec.by_tier)]
            for params in map(DataContractParams.model_validate, variants):
                if params.min_pass_rate is not None:
                    longest = max(longest, params.window_days)
    return longest
