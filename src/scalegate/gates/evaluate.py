"""Evaluate a gate: every criterion of the policy, for the use case's risk tier."""

from __future__ import annotations

from typing import Any

from scalegate.domain.decision import CriterionResult, GateDecision, Verdict
from scalegate.domain.policy import CriterionSpec
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import RiskTier
from scalegate.gates import criteria as _builtin  # noqa: F401  (registers built-in kinds)
from scalegate.gates.context import GateContext
from scalegate.gates.registry import CRITERIA, Criterion, Outcome, Params

# Validated parameters per (criterion spec, risk tier). Specs are immutable and a policy
# version is parsed once, so the portfolio validates each spec's parameters once per tier
# instead of once per use case. The spec itself is kept in the value so its id is not reused.
_PARAMS: dict[tuple[int, RiskTier], tuple[CriterionSpec, Params]] = {}


def _params(spec: CriterionSpec, criterion: Criterion[Any], tier: RiskTier) -> Params:
    key = (id(spec), tier)
    hit = _PARAMS.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    params: Params = criterion.params.model_validate(spec.params_for(tier))
    if len(_PARAMS) > 4096:
        _PARAMS.clear()
    _PARAMS[key] = (spec, params)
    return params


def evaluate_gate(ctx: GateContext, gate: Stage) -> GateDecision:
    """Run every criterion of ``gate`` against ``ctx``; waivers turn fails into ``waived``."""
    uc = ctx.use_case
    tier = uc.risk_tier
    results: list[CriterionResult] = []
    waivers = [
        w for w in ctx.waivers if w.gate == gate and w.stage == uc.stage and w.active(ctx.now)
    ]
    if gate not in ctx.policy.gates:
        # fail closed: a policy that forgets a gate must not wave everything through it
        results.append(
            CriterionResult(
                id="policy",
                kind="policy",
                verdict=Verdict.FAIL,
                reason=f"policy '{ctx.policy.name}' v{ctx.policy_version} does not define gate "
                f"'{gate.value}'; add it (an empty list means no requirements)",
            )
        )
    for spec in ctx.policy.criteria(gate):
        if spec.tiers is not None and tier not in spec.tiers:
            tiers = ", ".join(t.value for t in spec.tiers)
            outcome = Outcome.na(f"applies to risk tiers {tiers}; this one is {tier.value}")
        else:
            criterion = CRITERIA[spec.kind]
            outcome = criterion.check(_params(spec, criterion, tier), ctx, gate)
        waived_failure = None
        evidence = outcome.evidence
        verdict, reason = outcome.verdict, outcome.reason
        if verdict is Verdict.FAIL and waivers:
            waiver = next((w for w in waivers if w.criterion == spec.id), None)
            if waiver is not None:
                waived_failure = reason
                verdict = Verdict.WAIVED
                reason = (
                    f"waived by {waiver.approver} until {waiver.expires_at.date().isoformat()}: "
                    f"{waiver.justification}"
                )
                evidence = (*evidence, waiver.ref)
        results.append(
            CriterionResult(
                spec.id, spec.kind, verdict, reason, spec.description, evidence, waived_failure
            )
        )
    return GateDecision(
        use_case=uc.slug,
        gate=gate,
        stage=uc.stage,
        policy_name=ctx.policy.name,
        policy_version=ctx.policy_version,
        evaluated_at=ctx.now,
        results=tuple(results),
    )
