"""The ``kpi_progress`` criterion: verdicts and reasons, window, named and every KPI."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from gate_builders import NOW, Make

from scalegate.domain.decision import Verdict
from scalegate.domain.stage import Stage
from scalegate.domain.value import KpiMeasurement
from scalegate.errors import ScalegateError
from scalegate.gates import CRITERIA, evaluate_gate, kpi_days, load_policy
from scalegate.gates.context import GateContext

KPIS = (
    {"name": "approval time", "unit": "h", "direction": "decrease", "baseline": 48, "target": 24},
    {
        "name": "revenue",
        "unit": "EUR/month",
        "direction": "increase",
        "baseline": 100,
        "target": 200,
    },
    {"name": "nps", "unit": "", "direction": "increase", "baseline": None, "target": 50},
)


def m(kpi: str, value: float, days_ago: float, ref: int) -> KpiMeasurement:
    return KpiMeasurement(kpi=kpi, value=value, at=NOW - timedelta(days=days_ago), ref=f"ev-{ref}")


def ctx(make: Make, points: list[KpiMeasurement], kpis: tuple = KPIS) -> GateContext:
    base = make.ctx(make.use_case(kpis=kpis))
    return dataclasses.replace(base, kpi_measurements=tuple(sorted(points, key=lambda p: p.at)))


def check(
    make: Make, params: dict, points: list[KpiMeasurement], **kw
) -> tuple[Verdict, str, tuple]:
    crit = CRITERIA["kpi_progress"]
    out = crit.check(
        crit.params.model_validate(params), ctx(make, points, **kw), make.use_case().stage
    )
    return out.verdict, out.reason, out.evidence


def test_named_kpi_passes_on_its_latest_measurement_in_the_window(make: Make) -> None:
    points = [m("approval time", 44, 40, 1), m("approval time", 36, 5, 2), m("revenue", 90, 3, 3)]
    verdict, reason, refs = check(make, {"kpi": "approval time", "min_fraction": 0.5}, points)
    assert verdict is Verdict.PASS
    assert reason == (
        "'approval time' at 36 h on 2025-05-27 (baseline 48, target 24): 50% of the way"
    )
    assert refs == ("ev-2",)


def test_named_kpi_fails_below_the_fraction(make: Make) -> None:
    points = [m("approval time", 30, 60, 1), m("approval time", 42, 2, 2)]
    verdict, reason, refs = check(make, {"kpi": "approval time", "min_fraction": 0.5}, points)
    assert verdict is Verdict.FAIL
    # the latest counts, not the best
    assert reason == (
        "'approval time' at 42 h on 2025-05-30 (baseline 48, target 24): 25% of the way, "
        "policy asks for 50%"
    )
    assert refs == ("ev-2",)


def test_measurements_outside_the_window_do_not_count(make: Make) -> None:
    points = [m("approval time", 24, 100, 1)]
    verdict, reason, refs = check(make, {"kpi": "approval time", "within_days": 30}, points)
    assert (verdict, reason, refs) == (
        Verdict.FAIL,
        "no measurement of 'approval time' in the last 30 days",
        (),
    )
    verdict, _, refs = check(make, {"kpi": "approval time", "within_days": 120}, points)
    assert verdict is Verdict.PASS and refs == ("ev-1",)
    # nor do measurements after the evaluation time
    later = [m("approval time", 24, -1, 9)]
    assert check(make, {"kpi": "approval time"}, later)[0] is Verdict.FAIL


def test_every_measurable_kpi_when_none_is_named(make: Make) -> None:
    # nps has no baseline: not measurable, so not judged
    points = [m("approval time", 30, 1, 1), m("revenue", 120, 1, 2)]
    verdict, reason, refs = check(make, {"min_fraction": 0.25}, points)
    assert verdict is Verdict.FAIL
    assert reason == (
        "'revenue' at 120 EUR/month on 2025-05-31 (baseline 100, target 200): 20% of the way, "
        "policy asks for 25%"
    )
    assert refs == ("ev-1", "ev-2")
    points.append(m("revenue", 130, 0.5, 3))
    verdict, reason, refs = check(make, {"min_fraction": 0.25}, points)
    assert verdict is Verdict.PASS
    assert reason.startswith("'approval time' at 30 h") and "'revenue' at 130 EUR/month" in reason
    assert refs == ("ev-1", "ev-3")


def test_exactly_at_the_fraction_passes(make: Make) -> None:
    points = [m("revenue", 125, 1, 1)]
    assert check(make, {"kpi": "revenue", "min_fraction": 0.25}, points)[0] is Verdict.PASS


def test_a_kpi_without_baseline_fails_with_the_reason(make: Make) -> None:
    verdict, reason, refs = check(make, {"kpi": "nps"}, [m("nps", 30, 1, 4)])
    assert (verdict, reason, refs) == (Verdict.FAIL, "KPI 'nps' has no baseline (ev-4)", ("ev-4",))


def test_unknown_kpi_and_no_measurable_kpi(make: Make) -> None:
    verdict, reason, _ = check(make, {"kpi": "churn"}, [])
    assert verdict is Verdict.FAIL
    assert reason == "the charter has no KPI 'churn' (its KPIs: 'approval time', 'revenue', 'nps')"
    kpis = ({"name": "nps", "baseline": None, "target": 50},)
    verdict, reason, _ = check(make, {}, [], kpis=kpis)
    assert (verdict, reason) == (Verdict.FAIL, "no KPI with a baseline and a target in the charter")


POLICY = """\
name: p
gates:
  production:
    - id: kpi
      kind: kpi_progress
      params: {min_fraction: 0.3}
      by_tier:
        high: {within_days: 200}
  scaled:
    - id: kpi2
      kind: kpi_progress
      params: {within_days: 45}
"""


def test_policy_validation_and_look_back(make: Make) -> None:
    assert kpi_days(load_policy(POLICY, "policy.yaml")) == 200
    assert kpi_days(make.policy()) == 0
    with pytest.raises(ScalegateError, match=r"policy.yaml, line 6: .*within_days.*greater than 0"):
        load_policy(POLICY.replace("min_fraction: 0.3", "within_days: 0"), "policy.yaml")
    with pytest.raises(ScalegateError, match="min_fraktion"):
        load_policy(POLICY.replace("min_fraction", "min_fraktion"), "policy.yaml")


def test_evaluated_through_a_gate(make: Make) -> None:
    policy = make.policy(
        {
            "production": [
                {
                    "id": "value",
                    "kind": "kpi_progress",
                    "params": {"kpi": "revenue", "min_fraction": 0.5},
                }
            ]
        }
    )
    c = dataclasses.replace(ctx(make, [m("revenue", 180, 2, 5)]), policy=policy)
    decision = evaluate_gate(c, Stage.PRODUCTION)
    assert decision.passed
    assert decision.results[0].evidence == ("ev-5",)
