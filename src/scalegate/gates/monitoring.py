"""Criterion kinds that read production monitoring: ``monitoring_active``,
``no_critical_drift`` and ``performance``.

They judge the batches a monitor logged (:class:`~scalegate.domain.monitoring.BatchRecord`),
prefetched into :attr:`GateContext.monitors`; each reason links the evidence record of the
batch it rests on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from pydantic import Field, model_validator

from scalegate.domain.monitoring import (
    LOWER_IS_BETTER,
    BatchRecord,
    DriftStatus,
    MonitorRecord,
)
from scalegate.domain.policy import Policy
from scalegate.domain.stage import Stage
from scalegate.gates.context import GateContext
from scalegate.gates.registry import Outcome, Params, register

_NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}{'es' if word.endswith('ch') else 's'}"


def _age_days(ctx: GateContext, batch: BatchRecord) -> float:
    return (ctx.now - batch.at).total_seconds() / 86400.0


def _monitors(ctx: GateContext, name: str | None) -> list[MonitorRecord] | str:
    """The monitors a criterion judges, or the reason there are none."""
    active = [m for m in ctx.monitors if m.active]
    if name is not None:
        named = [m for m in active if m.name == name]
        return named or f"no active monitor named '{name}'"
    return active or "no production monitor set up"


def _refs(batches: Iterable[BatchRecord]) -> tuple[str, ...]:
    return tuple(b.ref for b in batches if b.ref is not None)


#: one monitor's verdict: (passed, reason, evidence refs)
Judged = tuple[bool, str, tuple[str, ...]]


def _each_monitor(
    ctx: GateContext, name: str | None, judge: Callable[[MonitorRecord], Judged]
) -> Outcome:
    """Judge every monitor the criterion covers; fail naming each monitor that fails."""
    monitors = _monitors(ctx, name)
    if isinstance(monitors, str):
        return Outcome.fail(monitors)
    verdicts = [judge(m) for m in monitors]
    refs = [ref for _, _, found in verdicts for ref in found]
    failed = [reason for ok, reason, _ in verdicts if not ok]
    if failed:
        return Outcome.fail("; ".join(failed), *refs)
    return Outcome.ok("; ".join(reason for _, reason, _ in verdicts), *refs)


# ---------------------------------------------------------------- monitoring_active
class ActiveParams(Params):
    #: the monitor's name; leave out to require every active monitor of the use case
    monitor: Annotated[str, Field(pattern=_NAME)] | None = None
    #: the newest batch must be at most this old
    max_age_days: Annotated[int, Field(gt=0, le=366)] = 7


@register(
    "monitoring_active",
    ActiveParams,
    "production batches are being logged: the newest is at most max_age_days old",
)
def monitoring_active(p: ActiveParams, ctx: GateContext, gate: Stage) -> Outcome:
    def judge(m: MonitorRecord) -> Judged:
        if not m.batches:
            return False, f"monitor '{m.name}' has logged no batch", ()
        newest = m.batches[0]
        age = _age_days(ctx, newest)
        if age > p.max_age_days:
            reason = (
                f"monitor '{m.name}' last logged a batch {int(age)} days ago, "
                f"policy allows {p.max_age_days}"
            )
            return False, reason, _refs([newest])
        return True, f"'{m.name}' logged {newest.rows:,} rows {int(age)} days ago", _refs([newest])

    return _each_monitor(ctx, p.monitor, judge)


# ---------------------------------------------------------------- no_critical_drift
class DriftParams(Params):
    monitor: Annotated[str, Field(pattern=_NAME)] | None = None
    #: look back over the batches of this many days
    days: Annotated[int, Field(gt=0, le=366)] = 30
    #: also fail on plain (non-critical) drift
    fail_on_drift: bool = False


@register(
    "no_critical_drift",
    DriftParams,
    "no batch of the last `days` days drifted critically from the reference",
)
def no_critical_drift(p: DriftParams, ctx: GateContext, gate: Stage) -> Outcome:
    bad_statuses = {DriftStatus.CRITICAL} | ({DriftStatus.DRIFT} if p.fail_on_drift else set())

    def judge(m: MonitorRecord) -> Judged:
        window = [b for b in m.batches if _age_days(ctx, b) <= p.days]
        if not window:
            return False, f"monitor '{m.name}' logged no batch in the last {p.days} days", ()
        bad = [b for b in window if b.status in bad_statuses]
        if bad:
            newest = bad[0]
            what = "critical drift" if newest.status is DriftStatus.CRITICAL else "drift"
            reason = (
                f"monitor '{m.name}': {_plural(len(bad), 'batch')} of {len(window)} in "
                f"{p.days} days drifted, newest {what} {int(_age_days(ctx, newest))} days ago"
            )
            return False, reason, _refs(bad[:3])
        drifted = sum(b.status is DriftStatus.DRIFT for b in window)
        note = f", {drifted} with non-critical drift" if drifted else ""
        reason = f"'{m.name}': {_plural(len(window), 'batch')} in {p.days} days{note}"
        return True, reason, _refs(window[:1])

    return _each_monitor(ctx, p.monitor, judge)


# ---------------------------------------------------------------- performance
class PerformanceParams(Params):
    monitor: Annotated[str, Field(pattern=_NAME)] | None = None
    #: the metric judged (accuracy, f1, roc_auc, mae, rmse, ...); default: the monitor's
    #: primary metric (ROC AUC for classifiers with scores, else accuracy; RMSE for regression)
    metric: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = None
    #: absolute bound: at least ``min`` (or at most ``max`` for error metrics)
    min: float | None = None
    max: float | None = None
    #: bound relative to the metric on the reference data: at most this fraction worse
    max_drop: Annotated[float, Field(ge=0, lt=1)] | None = None
    #: how many of the newest labelled batches must meet the bound
    windows: Annotated[int, Field(ge=1, le=100)] = 1
    #: only batches of the last ``days`` days count
    days: Annotated[int, Field(gt=0, le=366)] = 90
    #: judge the label-free estimate when no labelled batch is in the window
    use_estimate: bool = True

    @model_validator(mode="after")
    def _one_bound(self) -> PerformanceParams:
        given = [n for n in ("min", "max", "max_drop") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of min, max and max_drop, not {' and '.join(given)}")
        if not given:
            raise ValueError("give a bound: min, max or max_drop")
        return self


def _bound(p: PerformanceParams, m: MonitorRecord, metric: str) -> tuple[str, float] | str:
    """('>=' or '<=', limit), or why there is no bound."""
    lower_better = metric in LOWER_IS_BETTER
    if p.min is not None:
        return ">=", p.min
    if p.max is not None:
        return "<=", p.max
    assert p.max_drop is not None
    ref = m.reference_metrics.get(metric)
    if ref is None:
        return f"monitor '{m.name}' has no reference {metric} to compare with"
    if lower_better:
        return "<=", ref * (1 + p.max_drop)
    return ">=", ref * (1 - p.max_drop)


def _meets(value: float, op: str, limit: float) -> bool:
    return value >= limit - 1e-12 if op == ">=" else value <= limit + 1e-12


@register(
    "performance",
    PerformanceParams,
    "model performance on the newest labelled batches (or its estimate) meets a bound",
)
def performance(p: PerformanceParams, ctx: GateContext, gate: Stage) -> Outcome:
    def judge(m: MonitorRecord) -> Judged:
        metric = p.metric or m.primary_metric
        if metric is None:
            return False, f"monitor '{m.name}' has no performance metric (no task set)", ()
        recent = [b for b in m.batches if _age_days(ctx, b) <= p.days]
        source, key = "labelled", metric
        judged = [b for b in recent if metric in b.metrics][: p.windows]
        if not judged and p.use_estimate:
            source, key = "estimated", f"estimated_{metric}"
            judged = [b for b in recent if key in b.metrics][: p.windows]
        if len(judged) < p.windows:
            have = f"only {len(judged)}" if judged else "no"
            reason = (
                f"monitor '{m.name}': {have} batch with {metric} in the last {p.days} days, "
                f"policy judges {p.windows}"
            )
            return False, reason, ()
        bound = _bound(p, m, metric)
        if isinstance(bound, str):
            return False, bound, ()
        op, limit = bound
        values = [b.metrics[key] for b in judged]
        shown = ", ".join(f"{v:.3g}" for v in values)
        label = metric if source == "labelled" else f"estimated {metric}"
        if all(_meets(v, op, limit) for v in values):
            return True, f"'{m.name}' {label} {shown} {op} {limit:.3g}", _refs(judged)
        what = _plural(len(values), "newest batch") if len(values) > 1 else "newest batch"
        reason = f"monitor '{m.name}' {label} on the {what}: {shown}, policy asks {op} {limit:.3g}"
        return False, reason, _refs(judged)

    return _each_monitor(ctx, p.monitor, judge)


def monitoring_days(policy: Policy) -> int:
    """How many days of batches the policy's monitoring criteria look back over (0 when
    none does; the newest batch of each monitor is always fetched)."""
    longest = 0
    kinds: dict[str, type[DriftParams] | type[PerformanceParams]] = {
        "no_critical_drift": DriftParams,
        "performance": PerformanceParams,
    }
    for specs in policy.gates.values():
        for spec in specs:
            model = kinds.get(spec.kind)
            if model is None:
                continue
            variants = [spec.params, *(spec.params_for(tier) for tier in spec.by_tier)]
            for params in variants:
                longest = max(longest, model.model_validate(params).days)
    return longest
