"""Criterion kind ``fairness``: the newest fairness report shows small enough disparities.

It judges ``fairness_report`` evidence (``scalegate fairness U DATA --record``), prefetched
with payloads into :attr:`GateContext.fairness`: the newest report per set of sensitive
attributes. Each bound may be one number, or a mapping risk tier -> number (a tier the
mapping leaves out is not bound); ``by_tier`` in the policy works as for any criterion.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from scalegate.domain.evidence import Evidence
from scalegate.domain.policy import Policy
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import RiskTier
from scalegate.gates.context import GateContext
from scalegate.gates.registry import Outcome, Params, register

#: evidence kind of stored fairness reports
FAIRNESS_REPORT = "fairness_report"

_Share = Annotated[float, Field(ge=0, le=1)]
Bound = _Share | dict[RiskTier, _Share]

#: parameter -> (disparity in the report, "<=" or ">=")
BOUNDS = {
    "max_demographic_parity_difference": ("demographic_parity_difference", "<="),
    "min_demographic_parity_ratio": ("demographic_parity_ratio", ">="),
    "max_equalized_odds_difference": ("equalized_odds_difference", "<="),
    "min_equalized_odds_ratio": ("equalized_odds_ratio", ">="),
}


def subject_of(sensitive: tuple[str, ...] | list[str]) -> str:
    """The evidence subject of a report over these sensitive columns (``gender,age_band``)."""
    return ",".join(sensitive)


class FairnessParams(Params):
    #: judge the report over exactly these sensitive columns (in this order); leave out to
    #: judge the newest report of every set of sensitive columns recorded
    sensitive: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] | None = None
    max_demographic_parity_difference: Bound | None = None
    min_demographic_parity_ratio: Bound | None = None
    max_equalized_odds_difference: Bound | None = None
    min_equalized_odds_ratio: Bound | None = None
    #: the newest report must be at most this old
    within_days: Annotated[int, Field(gt=0, le=3660)] = 90

    @field_validator("sensitive")
    @classmethod
    def _some(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None and not v:
            raise ValueError("name at least one sensitive column, or leave sensitive out")
        return v

    @model_validator(mode="after")
    def _a_bound(self) -> FairnessParams:
        if all(getattr(self, name) is None for name in BOUNDS):
            raise ValueError("give a bound: " + ", ".join(BOUNDS))
        return self

    def bounds(self, tier: RiskTier) -> list[tuple[str, str, float]]:
        """(disparity, operator, limit) of each bound that applies to ``tier``."""
        out = []
        for name, (disparity, op) in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, dict):
                value = value.get(tier)
            if value is not None:
                out.append((disparity, op, float(value)))
        return out


def _meets(value: float, op: str, limit: float) -> bool:
    return value <= limit + 1e-12 if op == "<=" else value >= limit - 1e-12


def _judge(
    ev: Evidence, bounds: list[tuple[str, str, float]], p: FairnessParams, ctx: GateContext
) -> tuple[bool, str]:
    name = ev.subject or "(unnamed)"
    age = (ctx.now - ev.created_at).total_seconds() / 86400.0
    if age > p.within_days:
        return False, (
            f"newest fairness report on '{name}' ({ev.ref}) is {int(age)} days old, "
            f"policy allows {p.within_days}"
        )
    disparities: dict[str, Any] = ev.payload.get("disparities") or {}
    reasons: dict[str, Any] = ev.payload.get("reasons") or {}
    problems, shown = [], []
    for disparity, op, limit in bounds:
        label = disparity.replace("_", " ")
        value = disparities.get(disparity)
        if not isinstance(value, int | float):
            why = reasons.get(disparity) or "not in the report"
            problems.append(f"{label} is undefined ({why})")
        elif not _meets(float(value), op, limit):
            problems.append(f"{label} {value:.3g}, policy asks {op} {limit:g}")
        else:
            shown.append(f"{label} {value:.3g} {op} {limit:g}")
    if problems:
        return False, f"'{name}' ({ev.ref}): " + "; ".join(problems)
    return True, f"'{name}': " + ", ".join(shown) + f" ({ev.ref}, {int(age)} days old)"


@register(
    "fairness",
    FairnessParams,
    "the newest fairness report is recent and its disparities between groups are within bounds",
)
def fairness(p: FairnessParams, ctx: GateContext, gate: Stage) -> Outcome:
    bounds = p.bounds(ctx.use_case.risk_tier)
    if not bounds:
        return Outcome.na(f"no fairness bound for risk tier '{ctx.use_case.risk_tier.value}'")
    reports = list(ctx.fairness)
    if p.sensitive is not None:
        wanted = subject_of(list(p.sensitive))
        reports = [ev for ev in reports if ev.subject == wanted]
        if not reports:
            return Outcome.fail(f"no fairness report recorded on '{wanted}'")
    elif not reports:
        return Outcome.fail("no fairness report recorded")
    verdicts = [(_judge(ev, bounds, p, ctx), ev.ref) for ev in reports]
    refs = [ref for _, ref in verdicts]
    failed = [reason for (ok, reason), _ in verdicts if not ok]
    if failed:
        return Outcome.fail("; ".join(failed), *refs)
    return Outcome.ok("; ".join(reason for (_, reason), _ in verdicts), *refs)


def uses_fairness(policy: Policy) -> bool:
    """Whether any gate of ``policy`` has a ``fairness`` criterion (only then are fairness
    reports, with their payloads, fetched for gate evaluation)."""
    return any(spec.kind == "fairness" for specs in policy.gates.values() for spec in specs)
