"""The ``fairness`` criterion against fairness reports (payloads as the engine writes them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pydantic
import pytest
from gate_builders import NOW, Make

from scalegate.domain.decision import Verdict
from scalegate.domain.evidence import Evidence
from scalegate.domain.stage import Stage
from scalegate.engine.fairness import fairness_metrics
from scalegate.gates import FAIRNESS_REPORT, evaluate_gate, uses_fairness
from scalegate.gates.validate import load_policy

PASS, FAIL, NA = Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE


def _report(id: int, subject: str, *, age_days: float = 2, **disparities: Any) -> Evidence:
    reasons = {
        k: "only one group with a defined true positive rate"
        for k, v in disparities.items()
        if v is None
    }
    return Evidence(
        id=id,
        use_case_id=7,
        kind=FAIRNESS_REPORT,
        subject=subject,
        status="info",
        payload={"disparities": disparities, "reasons": reasons},
        created_at=NOW - timedelta(days=age_days),
        created_by="tina",
    )


def test_needs_a_report(make: Make) -> None:
    out = make.check("fairness", {"max_demographic_parity_difference": 0.1})
    assert (out.verdict, out.reason) == (FAIL, "no fairness report recorded")
    ctx = make.ctx(fairness=[_report(1, "gender", demographic_parity_difference=0.05)])
    out = make.check(
        "fairness", {"sensitive": ["age"], "max_demographic_parity_difference": 0.1}, ctx
    )
    assert (out.verdict, out.reason) == (FAIL, "no fairness report recorded on 'age'")


def test_judges_each_bound_on_a_real_report(make: Make) -> None:
    df = pl.DataFrame(
        {"g": ["a"] * 4 + ["b"] * 4, "y": [1, 0, 1, 0] * 2, "p": [1, 0, 1, 1, 1, 0, 0, 0]}
    )
    report = fairness_metrics(df, sensitive="g", label="y", prediction="p")
    assert report.disparities["demographic_parity_difference"] == 0.5
    ev = Evidence(
        id=9,
        use_case_id=7,
        kind=FAIRNESS_REPORT,
        subject="g",
        status="info",
        payload=report.to_dict(),
        created_at=NOW - timedelta(days=1),
        created_by="tina",
    )
    ctx = make.ctx(fairness=[ev])
    out = make.check("fairness", {"max_demographic_parity_difference": 0.6}, ctx)
    assert (out.verdict, out.reason, out.evidence) == (
        PASS,
        "'g': demographic parity difference 0.5 <= 0.6 (ev-9, 1 days old)",
        ("ev-9",),
    )
    out = make.check(
        "fairness",
        {"max_demographic_parity_difference": 0.2, "min_demographic_parity_ratio": 0.8},
        ctx,
    )
    assert out.verdict is FAIL
    assert out.reason == (
        "'g' (ev-9): demographic parity difference 0.5, policy asks <= 0.2; "
        "demographic parity ratio 0.333, policy asks >= 0.8"
    )


def test_undefined_disparity_fails_with_its_reason(make: Make) -> None:
    ctx = make.ctx(fairness=[_report(3, "g", equalized_odds_difference=None)])
    out = make.check("fairness", {"max_equalized_odds_difference": 0.1}, ctx)
    assert out.verdict is FAIL
    assert out.reason == (
        "'g' (ev-3): equalized odds difference is undefined "
        "(only one group with a defined true positive rate)"
    )


def test_too_old_report_fails(make: Make) -> None:
    ctx = make.ctx(fairness=[_report(4, "g", age_days=100, demographic_parity_difference=0.0)])
    out = make.check("fairness", {"max_demographic_parity_difference": 0.1, "within_days": 90}, ctx)
    assert (out.verdict, out.reason) == (
        FAIL,
        "newest fairness report on 'g' (ev-4) is 100 days old, policy allows 90",
    )


def test_every_set_of_sensitive_columns_is_judged(make: Make) -> None:
    ctx = make.ctx(
        fairness=[
            _report(6, "age", equalized_odds_difference=0.3),
            _report(5, "gender", equalized_odds_difference=0.05),
        ]
    )
    out = make.check("fairness", {"max_equalized_odds_difference": 0.1}, ctx)
    assert out.verdict is FAIL
    assert out.reason.startswith("'age' (ev-6)")
    assert out.evidence == ("ev-6", "ev-5")
    out = make.check(
        "fairness", {"sensitive": ["gender"], "max_equalized_odds_difference": 0.1}, ctx
    )
    assert out.verdict is PASS


def test_bounds_per_risk_tier(make: Make) -> None:
    ctx_for = {
        tier: make.ctx(
            use_case=make.use_case(risk_tier=tier),
            fairness=[_report(1, "g", demographic_parity_difference=0.15)],
        )
        for tier in ("minimal", "limited", "high")
    }
    params = {"max_demographic_parity_difference": {"high": 0.1, "limited": 0.2}}
    assert make.check("fairness", params, ctx_for["high"]).verdict is FAIL
    assert make.check("fairness", params, ctx_for["limited"]).verdict is PASS
    out = make.check("fairness", params, ctx_for["minimal"])
    assert (out.verdict, out.reason) == (NA, "no fairness bound for risk tier 'minimal'")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"max_demographic_parity_difference": 1.5},
        {"max_demographic_parity_difference": {"extreme": 0.1}},
        {"max_demographic_parity_difference": 0.1, "within_days": 0},
        {"max_demographic_parity_difference": 0.1, "sensitive": []},
        {"max_demographic_parity_differnce": 0.1},
    ],
)
def test_bad_params_are_rejected(make: Make, params: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        make.check("fairness", params)


def test_policy_with_a_fairness_criterion_per_tier() -> None:
    text = """
gates:
  production:
    - id: fairness
      kind: fairness
      tiers: [high]
      params:
        max_equalized_odds_difference: 0.1
"""
    policy = load_policy(text, "p.yaml")
    assert uses_fairness(policy)
    make = Make()
    high = make.ctx(
        use_case=make.use_case(risk_tier="high"),
        policy=policy,
        fairness=[_report(2, "g", equalized_odds_difference=0.2)],
    )
    decision = evaluate_gate(high, Stage.PRODUCTION)
    assert [r.verdict for r in decision.results] == [FAIL]
    limited = make.ctx(policy=policy)
    decision = evaluate_gate(limited, Stage.PRODUCTION)
    assert [r.verdict for r in decision.results] == [NA]
    with pytest.raises(Exception, match="max_equalized_odds_difference"):
        load_policy(text.replace("0.1", "2"), "p.yaml")
