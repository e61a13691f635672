"""Criterion kind ``kpi_progress``: the use case's KPIs have come far enough from their
baseline towards their target, judged on recent measurements.

Reads the KPI measurements prefetched into :attr:`GateContext.kpi_measurements` (those of
the last :func:`kpi_days` days); each reason links the measurement it rests on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from scalegate.domain.policy import Policy
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import Kpi
from scalegate.domain.value import KpiMeasurement, format_number, progress
from scalegate.gates.context import GateContext
from scalegate.gates.registry import Outcome, Params, register

#: the longest look-back a policy may ask for
MAX_DAYS = 730


class KpiProgressParams(Params):
    #: the KPI's name; leave out to judge every KPI with a baseline and a target
    kpi: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    #: the fraction of the way from baseline to target the latest measurement must reach
    min_fraction: Annotated[float, Field(ge=-10, le=10)] = 0.25
    #: only measurements of the last this many days count
    within_days: Annotated[int, Field(gt=0, le=MAX_DAYS)] = 90


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _judge(
    p: KpiProgressParams, kpi: Kpi, points: list[KpiMeasurement], ctx: GateContext
) -> tuple[bool, str, tuple[str, ...]]:
    since = ctx.now - timedelta(days=p.within_days)
    recent = [m for m in points if m.kpi == kpi.name and since <= m.at <= ctx.now]
    if not recent:
        return False, f"no measurement of '{kpi.name}' in the last {p.within_days} days", ()
    latest = max(recent, key=lambda m: (m.at, m.ref))
    prog = progress(kpi, latest.value)
    unit = f" {kpi.unit}" if kpi.unit else ""
    if prog.fraction is None:
        return False, f"{prog.reason} ({latest.ref})", (latest.ref,)
    assert kpi.baseline is not None and kpi.target is not None  # progress checked both
    said = (
        f"'{kpi.name}' at {format_number(latest.value)}{unit} on {latest.at.date().isoformat()} "
        f"(baseline {format_number(kpi.baseline)}, target {format_number(kpi.target)}): "
        f"{_pct(prog.fraction)} of the way"
    )
    if prog.fraction + 1e-12 < p.min_fraction:
        return False, f"{said}, policy asks for {_pct(p.min_fraction)}", (latest.ref,)
    return True, said, (latest.ref,)


@register(
    "kpi_progress",
    KpiProgressParams,
    "the latest measurement of each KPI (or the named one) within within_days has come at "
    "least min_fraction of the way from baseline to target",
)
def kpi_progress(p: KpiProgressParams, ctx: GateContext, gate: Stage) -> Outcome:
    kpis = ctx.use_case.kpis
    if p.kpi is not None:
        chosen = [k for k in kpis if k.name == p.kpi]
        if not chosen:
            known = ", ".join(f"'{k.name}'" for k in kpis) or "none"
            return Outcome.fail(f"the charter has no KPI '{p.kpi}' (its KPIs: {known})")
    else:
        chosen = [k for k in kpis if k.measurable]
        if not chosen:
            return Outcome.fail("no KPI with a baseline and a target in the charter")
    points = list(ctx.kpi_measurements)
    verdicts = [_judge(p, k, points, ctx) for k in chosen]
    refs = [ref for _, _, found in verdicts for ref in found]
    failed = [reason for ok, reason, _ in verdicts if not ok]
    if failed:
        return Outcome.fail("; ".join(failed), *refs)
    return Outcome.ok("; ".join(reason for _, reason, _ in verdicts), *refs)


def kpi_days(policy: Policy) -> int:
    """How many days of KPI measurements the policy's ``kpi_progress`` criteria look back
    over (0 when the policy has none, so nothing is loaded)."""
    longest = 0
    for specs in policy.gates.values():
        for spec in specs:
            if spec.kind != "kpi_progress":
                continue
            variants = [spec.params, *(spec.params_for(tier) for tier in spec.by_tier)]
            for params in map(KpiProgressParams.model_validate, variants):
                longest = max(longest, params.within_days)
    return longest
