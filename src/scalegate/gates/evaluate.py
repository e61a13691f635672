"""Evaluate a gate: every criterion of the policy, for the use case's risk tier."""

from __future__ import annotations

from scalegate.domain.decision import CriterionResult, GateDecision, Verdict
from scalegate.domain.stage import Stage
from scalegate.gates import criteria as _builtin  # noqa: F401  (registers built-in kinds)
from scalegate.gates.context import GateContext
from scalegate.gates.registry import CRITERIA, Outcome


def evaluate_gate(ctx: GateContext, gate: Stage) -> GateDecision:
    """Run every criterion of ``gate`` against ``ctx``; waivers turn fails into ``waived``."""
    uc = ctx.use_case
    results: list[CriterionResult] = []
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
        if not spec.applies_to(uc.risk_tier):
            tiers = ", ".join(t.value for t in spec.tiers or ())
            outcome = Outcome.na(f"applies to risk tiers {tiers}; this one is {uc.risk_tier.value}")
        else:
            criterion = CRITERIA[spec.kind]
            params = criterion.params.model_validate(spec.params_for(uc.risk_tier))
            outcome = criterion.check(params, ctx, gate)
        waived_failure = None
        evidence = outcome.evidence
        verdict, reason = outcome.verdict, outcome.reason
        if verdict is Verdict.FAIL:
            waiver = next(
                (
                    w
                    for w in ctx.waivers
                    if w.gate == gate
                    and w.criterion == spec.id
                    and w.stage == uc.stage
                    and w.active(ctx.now)
                ),
                None,
            )
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
                id=spec.id,
                kind=spec.kind,
                verdict=verdict,
                reason=reason,
                description=spec.description,
                evidence=evidence,
                waived_failure=waived_failure,
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
