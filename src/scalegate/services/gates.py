"""Gate evaluation, promotion, approvals and waivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from scalegate.domain.decision import GateDecision, Verdict
from scalegate.domain.evidence import Approval, Evidence, PromotionRequest, Waiver
from scalegate.domain.monitoring import MonitorRecord
from scalegate.domain.policy import Policy
from scalegate.domain.stage import GATES, Stage, check_promotion, next_stage, parse_gate
from scalegate.domain.use_case import RiskTier, UseCase
from scalegate.domain.user import DEFAULT_DOMAINS, Role
from scalegate.domain.value import KpiMeasurement
from scalegate.errors import (
    ConflictError,
    PermissionDeniedError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.gates import (
    CRITERIA,
    DATA_CHECK,
    FAIRNESS_REPORT,
    GateContext,
    evaluate_gate,
    history_days,
    kpi_days,
    monitoring_days,
    uses_fairness,
)
from scalegate.services import policies
from scalegate.services.access import require
from scalegate.services.clock import aware, utcnow
from scalegate.services.registry import use_case_in
from scalegate.store import Store
from scalegate.store import decision_repository as decision_repo
from scalegate.store import monitor_repository as monitor_repo
from scalegate.store import repositories as repo
from scalegate.store import value_repository as value_repo
from scalegate.store.audit_log import append_event

#: the longest a waiver may run
MAX_WAIVER_DAYS = 365


def _gate_for(uc: UseCase, gate: str | Stage | None) -> Stage:
    if gate is None:
        nxt = next_stage(uc.stage)
        if nxt is None:
            raise ConflictError(
                f"use case '{uc.slug}' is {uc.stage.value}; it has no next gate",
                stage=uc.stage.value,
            )
        return nxt
    return gate if isinstance(gate, Stage) and gate in GATES else parse_gate(str(gate))


def data_check_history(
    conn: Connection, policy: Policy, now: datetime, use_case_ids: list[int] | None = None
) -> dict[int, list[Evidence]]:
    """The data check records ``data_contract`` criteria of ``policy`` may look at."""
    days = history_days(policy)
    since = now - timedelta(days=days) if days else None
    return repo.evidence_history(conn, DATA_CHECK, use_case_ids, since=since)


def monitor_history(
    conn: Connection, policy: Policy, now: datetime, use_case_ids: list[int] | None = None
) -> dict[int, list[MonitorRecord]]:
    """The monitors and batches the monitoring criteria of ``policy`` may look at."""
    days = monitoring_days(policy)
    since = now - timedelta(days=days) if days else None
    return monitor_repo.monitor_records(conn, use_case_ids, since=since)


def fairness_history(
    conn: Connection, policy: Policy, use_case_ids: list[int] | None = None
) -> dict[int, list[Evidence]]:
    """The fairness reports ``fairness`` criteria of ``policy`` may judge (none if it has
    no such criterion): the newest per use case and set of sensitive columns."""
    if not uses_fairness(policy):
        return {}
    return repo.latest_per_subject(conn, FAIRNESS_REPORT, use_case_ids)


def kpi_history(
    conn: Connection, policy: Policy, now: datetime, use_case_ids: list[int] | None = None
) -> dict[int, list[KpiMeasurement]]:
    """The KPI measurements ``kpi_progress`` criteria of ``policy`` may look at (none are
    loaded when the policy has no such criterion)."""
    days = kpi_days(policy)
    if not days:
        return {}
    return value_repo.kpi_measurements(conn, use_case_ids, since=now - timedelta(days=days))


def context_for(conn: Connection, uc: UseCase, now: datetime) -> GateContext:
    pv = policies.active_in(conn)
    return GateContext(
        use_case=uc,
        policy=pv.policy,
        policy_version=pv.version,
        now=now,
        users=repo.users_by_name(conn),
        approvals=repo.approvals_for(conn, uc.id, uc.stage),
        waivers=repo.waivers_for(conn, uc.id, uc.stage),
        latest_evidence=repo.latest_evidence(conn, [uc.id]).get(uc.id, {}),
        data_checks=data_check_history(conn, pv.policy, now, [uc.id]).get(uc.id, []),
        monitors=monitor_history(conn, pv.policy, now, [uc.id]).get(uc.id, []),
        fairness=fairness_history(conn, pv.policy, [uc.id]).get(uc.id, []),
        kpi_measurements=kpi_history(conn, pv.policy, now, [uc.id]).get(uc.id, []),
        request=repo.open_request(conn, uc.id),
    )


def evaluate(
    store: Store, slug: str, gate: str | Stage | None = None, *, now: datetime | None = None
) -> GateDecision:
    """Evaluate a gate (default: the next one) for a use case. Reads only."""
    now = now or utcnow()
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        return evaluate_gate(context_for(conn, uc, now), _gate_for(uc, gate))


@dataclass(frozen=True)
class PromotionOutcome:
    """What ``promote`` did: promoted, or not, with the decision that says why."""

    promoted: bool
    decision: GateDecision
    use_case: UseCase
    request: PromotionRequest | None = None
    request_opened: bool = False


def promote(
    store: Store,
    slug: str,
    to: str | Stage,
    *,
    actor: str | None,
    note: str = "",
    now: datetime | None = None,
) -> PromotionOutcome:
    """Move a use case through a gate if, and only if, the gate passes.

    If it does not, a promotion request is opened (once) so approvers see it in their inbox,
    and the failing criteria say what is missing.
    """
    now = now or utcnow()
    target = parse_gate(str(to)) if not isinstance(to, Stage) else to
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="promoting a use case")
        uc = use_case_in(conn, slug)
        check_promotion(uc.stage, target)
        ctx = context_for(conn, uc, now)
        decision = evaluate_gate(ctx, target)
        if not decision.passed:
            request = ctx.request
            opened = False
            if request is None or request.gate != target:
                request = repo.insert_request(
                    conn,
                    use_case_id=uc.id,
                    gate=target.value,
                    requested_by=user.username,
                    created_at=now,
                )
                opened = True
                append_event(
                    conn,
                    actor=user.username,
                    action="promotion.requested",
                    subject_type="use_case",
                    subject_id=slug,
                    after={
                        "gate": target.value,
                        "policy_version": decision.policy_version,
                        "blockers": [b.id for b in decision.blockers],
                    },
                )
            return PromotionOutcome(False, decision, uc, request, opened)
        repo.update_use_case(conn, uc.id, stage=target.value, stage_entered_at=now, updated_at=now)
        repo.insert_stage_change(
            conn,
            use_case_id=uc.id,
            from_stage=uc.stage,
            to_stage=target,
            at=now,
            actor=user.username,
            policy_version=decision.policy_version,
            decision=decision.to_dict(),
            note=note,
        )
        repo.close_requests(conn, uc.id, status="done", at=now)
        append_event(
            conn,
            actor=user.username,
            action="usecase.promoted",
            subject_type="use_case",
            subject_id=slug,
            before={"stage": uc.stage.value},
            after={
                "stage": target.value,
                "policy_version": decision.policy_version,
                "criteria": {r.id: r.verdict.value for r in decision.results},
                "evidence": sorted({e for r in decision.results for e in r.evidence}),
                "note": note,
            },
        )
        promoted = use_case_in(conn, slug)
    return PromotionOutcome(True, decision, promoted)


def _known_domains(conn: Connection) -> set[str]:
    known = set(DEFAULT_DOMAINS)
    policy = policies.active_in(conn).policy
    for specs in policy.gates.values():
        for spec in specs:
            if spec.kind == "approvals":
                known.update(spec.params.get("domains", ()))
                for over in spec.by_tier.values():
                    known.update(over.get("domains", ()))
    for u in repo.list_users(conn):
        known.update(u.domains)
    return known


def _separation_of_duties(
    uc: UseCase, request: PromotionRequest | None, who: str, gate: Stage, doing: str
) -> None:
    if who in (uc.business_owner, uc.technical_owner):
        raise PermissionDeniedError(
            f"separation of duties: {who} owns '{uc.slug}' and cannot {doing} it",
            actor=who,
        )
    if request is not None and request.gate == gate and request.requested_by == who:
        raise PermissionDeniedError(
            f"separation of duties: {who} requested the promotion of '{uc.slug}' to "
            f"{gate.value} and cannot {doing} it",
            actor=who,
        )


def _next_gate_only(uc: UseCase, gate: Stage) -> None:
    if uc.stage is Stage.RETIRED:
        raise ConflictError(f"use case '{uc.slug}' is retired")
    expected = next_stage(uc.stage)
    if expected != gate:
        what = f"its next gate is '{expected.value}'" if expected else "it has no next gate"
        raise ConflictError(
            f"use case '{uc.slug}' is in {uc.stage.value}; {what}, not '{gate.value}'",
            stage=uc.stage.value,
        )


def _max_age_days(policy: Policy, gate: Stage, tier: RiskTier, domain: str) -> int | None:
    """The shortest ``max_age_days`` of the gate's approval criteria that ask ``domain`` for
    a use case of ``tier`` (None: an approval from that domain never goes out of date)."""
    ages: list[int] = []
    for spec in policy.criteria(gate):
        if spec.kind != "approvals" or not spec.applies_to(tier):
            continue
        params = spec.params_for(tier)
        if domain in params.get("domains", ()) and params.get("max_age_days") is not None:
            ages.append(int(params["max_age_days"]))
    return min(ages) if ages else None


def approve(
    store: Store,
    slug: str,
    *,
    gate: str | Stage,
    domain: str,
    actor: str | None,
    note: str = "",
    now: datetime | None = None,
) -> Approval:
    """Record an approval from one domain for the use case's next gate."""
    now = now or utcnow()
    target = parse_gate(str(gate)) if not isinstance(gate, Stage) else gate
    domain = domain.strip().lower()
    with store.write() as conn:
        user = require(conn, actor, Role.APPROVER, doing="approving")
        known = _known_domains(conn)
        if domain not in known:
            raise UnknownChoiceError.of("approval domain", domain, known)
        if not user.can_approve(domain):
            mine = ", ".join(user.domains) or "none"
            raise PermissionDeniedError(
                f"{user.username} may not approve for the {domain} domain (their domains: {mine})",
                actor=user.username,
                domain=domain,
            )
        uc = use_case_in(conn, slug)
        _next_gate_only(uc, target)
        request = repo.open_request(conn, uc.id)
        _separation_of_duties(uc, request, user.username, target, "approve")
        max_age = _max_age_days(policies.active_in(conn).policy, target, uc.risk_tier, domain)
        for ap in repo.approvals_for(conn, uc.id, uc.stage):
            if ap.gate == target and ap.domain == domain and ap.approver == user.username:
                if max_age is not None and ap.created_at < now - timedelta(days=max_age):
                    continue  # outdated: the gate no longer counts it, a renewal is welcome
                raise ConflictError(
                    f"{user.username} already approved '{slug}' for {target.value} "
                    f"in the {domain} domain ({ap.ref})"
                )
        approval = repo.insert_approval(
            conn,
            use_case_id=uc.id,
            gate=target.value,
            domain=domain,
            approver=user.username,
            note=note,
            stage=uc.stage.value,
            created_at=now,
        )
        append_event(
            conn,
            actor=user.username,
            action="approval.recorded",
            subject_type="use_case",
            subject_id=slug,
            after={
                "approval": approval.ref,
                "gate": target.value,
                "domain": domain,
                "note": note,
            },
        )
    return approval


def waive(
    store: Store,
    slug: str,
    *,
    gate: str | Stage,
    criterion: str,
    justification: str,
    expires: datetime,
    actor: str | None,
    now: datetime | None = None,
) -> Waiver:
    """Grant a time-limited exception to one criterion of the next gate."""
    now = now or utcnow()
    target = parse_gate(str(gate)) if not isinstance(gate, Stage) else gate
    justification = (justification or "").strip()
    if len(justification) < 10:
        raise ValidationError(
            "a waiver needs a justification of at least 10 characters", field="justification"
        )
    expires = aware(expires)
    if expires <= now:
        raise ValidationError(
            f"waiver expiry {expires.date().isoformat()} is not in the future", field="expires"
        )
    if expires > now + timedelta(days=MAX_WAIVER_DAYS):
        raise ValidationError(f"a waiver may run at most {MAX_WAIVER_DAYS} days", field="expires")
    with store.write() as conn:
        user = require(conn, actor, Role.APPROVER, doing="granting a waiver")
        uc = use_case_in(conn, slug)
        _next_gate_only(uc, target)
        policy = policies.active_in(conn).policy
        ids = [c.id for c in policy.criteria(target)]
        if criterion not in ids:
            raise UnknownChoiceError(
                f"unknown criterion '{criterion}' for gate {target.value}; "
                f"its criteria are {', '.join(sorted(ids))}",
                what="criterion",
                value=criterion,
                allowed=sorted(ids),
            )
        request = repo.open_request(conn, uc.id)
        _separation_of_duties(uc, request, user.username, target, "waive criteria for")
        waiver = repo.insert_waiver(
            conn,
            use_case_id=uc.id,
            gate=target.value,
            criterion=criterion,
            justification=justification,
            approver=user.username,
            expires_at=expires,
            stage=uc.stage.value,
            created_at=now,
        )
        append_event(
            conn,
            actor=user.username,
            action="waiver.granted",
            subject_type="use_case",
            subject_id=slug,
            after={
                "waiver": waiver.ref,
                "gate": target.value,
                "criterion": criterion,
                "justification": justification,
                "expires_at": expires.isoformat(),
            },
        )
    return waiver


def inbox(store: Store, *, actor: str, limit: int | None = None) -> list[dict[str, object]]:
    """Open promotion requests an approver could act on, with what is still missing, oldest
    first (at most ``limit``). Everything the gates need is read in a handful of queries for
    all requests at once, then each gate is evaluated in memory."""
    now = utcnow()
    out: list[dict[str, object]] = []
    with store.read() as conn:
        user = repo.get_user(conn, actor)
        requests = sorted(repo.all_open_requests(conn).values(), key=lambda r: r.id)
        if limit is not None:
            requests = requests[:limit]
        ids = [r.use_case_id for r in requests]
        cases = repo.use_cases_by_ids(conn, ids)
        if not cases:
            return out
        pv = policies.active_in(conn)
        users = repo.users_by_name(conn)
        approvals = repo.all_current_approvals(conn)
        waivers = repo.all_current_waivers(conn)
        evidence = repo.latest_evidence(conn, ids)
        checks = data_check_history(conn, pv.policy, now, ids)
        monitors = monitor_history(conn, pv.policy, now, ids)
    for req in requests:
        uc = cases.get(req.use_case_id)
        if uc is None:
            continue
        ctx = GateContext(
            use_case=uc,
            policy=pv.policy,
            policy_version=pv.version,
            now=now,
            users=users,
            approvals=approvals.get(uc.id, ()),
            waivers=waivers.get(uc.id, ()),
            latest_evidence=evidence.get(uc.id, {}),
            data_checks=checks.get(uc.id, ()),
            monitors=monitors.get(uc.id, ()),
            request=req,
        )
        decision = evaluate_gate(ctx, Stage(req.gate))
        out.append(
            {
                "use_case": uc.slug,
                "gate": req.gate,
                "requested_by": req.requested_by,
                "requested_at": req.created_at,
                "blockers": [(b.id, b.reason) for b in decision.blockers],
                "can_act": bool(
                    user
                    and user.role.allows(Role.APPROVER)
                    and user.username not in (uc.business_owner, uc.technical_owner)
                    and user.username != req.requested_by
                ),
            }
        )
    return out


def open_request_count(store: Store) -> int:
    """How many promotion requests are open."""
    with store.read() as conn:
        return len(repo.all_open_requests(conn))


@dataclass(frozen=True)
class AwaitedApproval:
    """One approval a domain still owes a use case's next gate.

    ``reason`` is the approval criterion's own reason for that domain (missing, or the
    approval given is out of date or does not count). ``can_act`` says whether the approver
    who asked may give it; ``why_not`` says why not (separation of duties).
    """

    slug: str
    name: str
    stage: Stage
    gate: Stage
    risk_tier: str
    criterion: str
    domain: str
    reason: str
    request: PromotionRequest | None
    days_in_stage: int
    can_act: bool
    why_not: str = ""


def awaiting_approval(
    store: Store, *, actor: str, now: datetime | None = None
) -> list[AwaitedApproval]:
    """Approvals that ``actor``'s domains (every domain, for an admin) still owe: for each
    active use case, each ``approvals`` criterion of its next gate that applies to its risk
    tier, is not waived, and still fails for one of those domains, judged by the criterion
    itself (so out-of-date approvals show up exactly when the gate stops counting them).

    Use cases with an open promotion request come first (oldest request first), then the
    longest in their stage. Reads only; a viewer or contributor gets an empty list.
    """
    now = now or utcnow()
    with store.read() as conn:
        user = repo.get_user(conn, actor)
        if user is None or not user.active or not user.role.allows(Role.APPROVER):
            return []
        pv = policies.active_in(conn)
        mine = None if user.role is Role.ADMIN else user.domains
        cases = decision_repo.gate_candidates(conn)
        approvals = decision_repo.current_approvals_in(conn, mine)
        waivers = repo.all_current_waivers(conn)
        requests = repo.all_open_requests(conn)
    check = CRITERIA["approvals"]
    # per (gate, tier): the approval criteria and which of their domains this user gives,
    # with the parameters validated once
    asks: dict[tuple[Stage, RiskTier], list[tuple[str, str, Any]]] = {}

    def asked(gate: Stage, tier: RiskTier) -> list[tuple[str, str, Any]]:
        key = (gate, tier)
        if key not in asks:
            found: list[tuple[str, str, Any]] = []
            seen: set[str] = set()
            for spec in pv.policy.criteria(gate):
                if spec.kind != "approvals" or not spec.applies_to(tier):
                    continue
                merged = spec.params_for(tier)
                for domain in merged.get("domains", ()):
                    if domain in seen or not user.can_approve(domain):
                        continue
                    seen.add(domain)
                    params = check.params.model_validate({**merged, "domains": [domain]})
                    found.append((spec.id, domain, params))
            asks[key] = found
        return asks[key]

    out: list[AwaitedApproval] = []
    for uc in cases:
        gate = next_stage(uc.stage)
        if gate is None:
            continue
        wanted = asked(gate, uc.risk_tier)
        if not wanted:
            continue
        request = requests.get(uc.id)
        waived = {
            w.criterion
            for w in waivers.get(uc.id, ())
            if w.gate == gate and w.stage == uc.stage and w.active(now)
        }
        ctx = GateContext(
            use_case=uc,
            policy=pv.policy,
            policy_version=pv.version,
            now=now,
            users={},
            approvals=approvals.get(uc.id, ()),
            request=request,
        )
        why_not = ""
        if user.username in (uc.business_owner, uc.technical_owner):
            why_not = f"you own {uc.slug}: separation of duties"
        elif request is not None and request.gate == gate and request.requested_by == user.username:
            why_not = "you requested this promotion: separation of duties"
        for criterion, domain, params in wanted:
            if criterion in waived:
                continue
            outcome = check.check(params, ctx, gate)
            if outcome.verdict is not Verdict.FAIL:
                continue
            out.append(
                AwaitedApproval(
                    slug=uc.slug,
                    name=uc.name,
                    stage=uc.stage,
                    gate=gate,
                    risk_tier=uc.risk_tier.value,
                    criterion=criterion,
                    domain=domain,
                    reason=outcome.reason,
                    request=request if request is not None and request.gate == gate else None,
                    days_in_stage=int(uc.days_in_stage(now)),
                    can_act=not why_not,
                    why_not=why_not,
                )
            )
    out.sort(
        key=lambda a: (
            a.request is None,
            a.request.created_at if a.request else now,
            -a.days_in_stage,
            a.slug,
            a.domain,
        )
    )
    return out


def decisions_by(store: Store, *, actor: str, limit: int = 20) -> list[dict[str, object]]:
    """The newest approvals and waivers ``actor`` gave, newest first, as
    ``{"kind", "ref", "use_case", "gate", "what", "note", "at"}`` dictionaries."""
    with store.read() as conn:
        return decision_repo.decisions_by(conn, actor, limit=limit)
