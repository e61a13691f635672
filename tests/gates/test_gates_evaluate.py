"""evaluate_gate: tiers, per-tier parameters, waivers and the decision."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from gate_builders import NOW, Make
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalegate.domain.decision import CriterionResult, GateDecision, Verdict
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import RiskTier
from scalegate.gates import evaluate_gate

PASS, FAIL, WAIVED, NA = Verdict.PASS, Verdict.FAIL, Verdict.WAIVED, Verdict.NOT_APPLICABLE

RISK_APPROVAL = {
    "id": "risk-approval",
    "kind": "approvals",
    "description": "Risk signed off.",
    "tiers": ["limited", "high"],
    "params": {"domains": ["risk"]},
    "by_tier": {"high": {"domains": ["risk", "data"]}},
}
KPIS = {"id": "kpis", "kind": "kpis_defined"}
TIME_BOX = {"id": "time-box", "kind": "time_box"}
CARD = {
    "id": "model-card",
    "kind": "evidence",
    "params": {"evidence_kind": "model_card", "max_age_days": 365},
}


def by_id(decision: GateDecision) -> dict[str, CriterionResult]:
    return {r.id: r for r in decision.results}


# ------------------------------------------------------------------ tiers


@pytest.mark.parametrize("tier", ["minimal", "prohibited"])
def test_criterion_outside_its_tiers_is_not_applicable(make: Make, tier: str) -> None:
    ctx = make.ctx(make.use_case(risk_tier=tier), make.policy({"production": [RISK_APPROVAL]}))
    decision = evaluate_gate(ctx, Stage.PRODUCTION)
    (result,) = decision.results
    assert result.verdict is NA
    assert result.reason == f"applies to risk tiers limited, high; this one is {tier}"
    assert result.evidence == ()
    assert result.waived_failure is None
    assert decision.passed
    assert decision.blockers == ()


def test_criterion_inside_its_tiers_is_evaluated(make: Make) -> None:
    ctx = make.ctx(make.use_case(risk_tier="limited"), make.policy({"production": [RISK_APPROVAL]}))
    (result,) = evaluate_gate(ctx, Stage.PRODUCTION).results
    assert result.verdict is FAIL
    assert result.reason == "missing approval from risk"


# ------------------------------------------------------------------ by_tier


def test_by_tier_overrides_the_params_of_that_tier_only(make: Make) -> None:
    policy = make.policy({"production": [RISK_APPROVAL]})
    approvals = [make.approval(1, "risk", "rita")]
    limited = evaluate_gate(
        make.ctx(make.use_case(risk_tier="limited"), policy, approvals=approvals), Stage.PRODUCTION
    )
    high = evaluate_gate(
        make.ctx(make.use_case(risk_tier="high"), policy, approvals=approvals), Stage.PRODUCTION
    )
    assert limited.results[0].verdict is PASS
    assert limited.results[0].reason == "approved by risk"
    assert limited.results[0].evidence == ("ap-1",)
    assert high.results[0].verdict is FAIL
    assert high.results[0].reason == "missing approval from data"
    assert high.results[0].evidence == ("ap-1",)

    approvals.append(make.approval(2, "data", "dan"))
    high = evaluate_gate(
        make.ctx(make.use_case(risk_tier="high"), policy, approvals=approvals), Stage.PRODUCTION
    )
    assert high.results[0].verdict is PASS
    assert high.results[0].reason == "approved by risk, data"
    assert high.results[0].evidence == ("ap-1", "ap-2")


def test_by_tier_adds_params_for_that_tier(make: Make) -> None:
    spec = {"id": "tb", "kind": "time_box", "by_tier": {"high": {"max_days": 5}}}
    policy = make.policy({"production": [spec]}, time_boxes={"pilot": 120})
    high = make.use_case(risk_tier="high")  # 10 days in pilot
    limited = make.use_case(risk_tier="limited")
    r_high = evaluate_gate(make.ctx(high, policy), Stage.PRODUCTION).results[0]
    r_limited = evaluate_gate(make.ctx(limited, policy), Stage.PRODUCTION).results[0]
    assert r_high.verdict is FAIL
    assert r_high.reason == "in pilot for 10 days, past its 5-day time box by 5"
    assert r_limited.verdict is PASS
    assert r_limited.reason == "in pilot for 10 of 120 days"


# ------------------------------------------------------------------ waivers


def kpi_gap_context(make: Make, **kw: Any) -> Any:
    uc = make.use_case(kpis=[{"name": "nps", "target": 40}])
    return make.ctx(uc, make.policy({"production": [KPIS, TIME_BOX]}), **kw)


def test_active_waiver_turns_a_fail_into_waived(make: Make) -> None:
    ctx = kpi_gap_context(
        make,
        waivers=[make.waiver(3, "kpis", approver="eve", justification="baseline due in May")],
    )
    decision = evaluate_gate(ctx, Stage.PRODUCTION)
    result = by_id(decision)["kpis"]
    assert result.verdict is WAIVED
    assert result.waived_failure == "KPI 'nps' has no baseline"
    assert result.reason == "waived by eve until 2025-07-01: baseline due in May"
    assert result.evidence == ("wv-3",)
    assert decision.passed
    assert decision.blockers == ()


def test_waiver_ref_is_added_after_the_criterion_evidence(make: Make) -> None:
    policy = make.policy({"production": [CARD]})
    ctx = make.ctx(
        policy=policy,
        evidence=[make.evidence(12, "model_card", "fail")],
        waivers=[make.waiver(9, "model-card")],
    )
    (result,) = evaluate_gate(ctx, Stage.PRODUCTION).results
    assert result.verdict is WAIVED
    assert result.evidence == ("ev-12", "wv-9")
    assert result.waived_failure == "latest model_card (ev-12) has status fail, needs pass"


@pytest.mark.parametrize(
    "expires_in", [timedelta(0), -timedelta(seconds=1), -timedelta(days=3)], ids=str
)
def test_expired_waiver_does_not_count(make: Make, expires_in: timedelta) -> None:
    ctx = kpi_gap_context(make, waivers=[make.waiver(3, "kpis", expires_in=expires_in)])
    decision = evaluate_gate(ctx, Stage.PRODUCTION)
    result = by_id(decision)["kpis"]
    assert result.verdict is FAIL
    assert result.reason == "KPI 'nps' has no baseline"
    assert result.waived_failure is None
    assert result.evidence == ()
    assert not decision.passed


def test_waiver_just_before_expiry_counts(make: Make) -> None:
    ctx = kpi_gap_context(make, waivers=[make.waiver(3, "kpis", expires_in=timedelta(seconds=1))])
    assert by_id(evaluate_gate(ctx, Stage.PRODUCTION))["kpis"].verdict is WAIVED


@pytest.mark.parametrize(
    "waiver",
    [
        {"criterion": "time-box"},  # another criterion of the same gate
        {"criterion": "kpis", "gate": Stage.SCALED},  # another gate
        {"criterion": "kpis", "stage": Stage.IDEA},  # granted in an earlier stage
    ],
)
def test_waiver_for_something_else_does_not_count(make: Make, waiver: dict[str, Any]) -> None:
    criterion = waiver.pop("criterion")
    ctx = kpi_gap_context(make, waivers=[make.waiver(3, criterion, **waiver)])
    result = by_id(evaluate_gate(ctx, Stage.PRODUCTION))["kpis"]
    assert result.verdict is FAIL
    assert result.waived_failure is None
    assert "wv-3" not in result.evidence


def test_waiver_does_not_touch_a_passing_criterion(make: Make) -> None:
    ctx = kpi_gap_context(make, waivers=[make.waiver(3, "time-box")])
    result = by_id(evaluate_gate(ctx, Stage.PRODUCTION))["time-box"]
    assert result.verdict is NA  # the policy has no time box: nothing to waive
    ctx = make.ctx(policy=make.policy({"production": [KPIS]}), waivers=[make.waiver(3, "kpis")])
    (result,) = evaluate_gate(ctx, Stage.PRODUCTION).results
    assert result.verdict is PASS
    assert result.evidence == ()
    assert result.waived_failure is None


def test_first_matching_active_waiver_is_used(make: Make) -> None:
    ctx = kpi_gap_context(
        make,
        waivers=[
            make.waiver(1, "kpis", expires_in=-timedelta(days=1)),
            make.waiver(2, "kpis", approver="ada", justification="second"),
            make.waiver(3, "kpis", approver="eve", justification="third"),
        ],
    )
    result = by_id(evaluate_gate(ctx, Stage.PRODUCTION))["kpis"]
    assert result.evidence == ("wv-2",)
    assert result.reason.startswith("waived by ada until ")
    assert result.reason.endswith(": second")


# ------------------------------------------------------------------ the decision


def test_decision_records_where_and_how_it_was_made(make: Make) -> None:
    policy = make.policy({"production": [KPIS]}, name="strict")
    ctx = make.ctx(make.use_case(slug="churn-radar"), policy, policy_version=42)
    decision = evaluate_gate(ctx, Stage.PRODUCTION)
    assert decision.use_case == "churn-radar"
    assert decision.gate is Stage.PRODUCTION
    assert decision.stage is Stage.PILOT
    assert decision.policy_name == "strict"
    assert decision.policy_version == 42
    assert decision.evaluated_at == NOW


def test_results_follow_policy_order_and_copy_the_spec(make: Make) -> None:
    policy = make.policy(
        {
            "production": [
                {"id": "z-last", "kind": "risk_acceptable", "description": "Risk is fine."},
                KPIS,
                RISK_APPROVAL,
            ],
            "scaled": [TIME_BOX],
        }
    )
    decision = evaluate_gate(make.ctx(policy=policy), Stage.PRODUCTION)
    assert [(r.id, r.kind) for r in decision.results] == [
        ("z-last", "risk_acceptable"),
        ("kpis", "kpis_defined"),
        ("risk-approval", "approvals"),
    ]
    assert [r.description for r in decision.results] == ["Risk is fine.", "", "Risk signed off."]


def test_passed_and_blockers(make: Make) -> None:
    uc = make.use_case(kpis=(), risk_tier="limited")
    policy = make.policy(
        {"production": [{"id": "risk", "kind": "risk_acceptable"}, KPIS, RISK_APPROVAL]}
    )
    decision = evaluate_gate(make.ctx(uc, policy), Stage.PRODUCTION)
    assert [r.verdict for r in decision.results] == [PASS, FAIL, FAIL]
    assert not decision.passed
    assert [b.id for b in decision.blockers] == ["kpis", "risk-approval"]
    assert decision.blockers[0].reason == "no success KPI defined"

    decision = evaluate_gate(
        make.ctx(
            uc,
            policy,
            waivers=[make.waiver(1, "kpis")],
            approvals=[make.approval(2, "risk", "rita")],
        ),
        Stage.PRODUCTION,
    )
    assert [r.verdict for r in decision.results] == [PASS, WAIVED, PASS]
    assert decision.passed
    assert decision.blockers == ()


def test_a_gate_the_policy_does_not_list_fails_closed(make: Make) -> None:
    decision = evaluate_gate(make.ctx(policy=make.policy({"production": [KPIS]})), Stage.SCALED)
    assert not decision.passed
    (only,) = decision.results
    assert only.verdict is Verdict.FAIL
    assert "does not define gate 'scaled'" in only.reason


def test_an_empty_gate_passes(make: Make) -> None:
    policy = make.policy({"production": [KPIS], "scaled": []})
    decision = evaluate_gate(make.ctx(policy=policy), Stage.SCALED)
    assert decision.passed and decision.results == ()


def test_to_dict_is_json_with_passed(make: Make) -> None:
    ctx = kpi_gap_context(make, policy_version=5)
    data = evaluate_gate(ctx, Stage.PRODUCTION).to_dict()
    assert data["passed"] is False
    assert data["policy_version"] == 5
    assert data["gate"] == "production"
    assert data["stage"] == "pilot"
    assert data["use_case"] == "credit-limit"
    assert data["evaluated_at"].startswith("2025-06-01T12:00:00")
    assert data["results"][0] == {
        "id": "kpis",
        "kind": "kpis_defined",
        "verdict": "fail",
        "reason": "KPI 'nps' has no baseline",
        "description": "",
        "evidence": [],
        "waived_failure": None,
    }
    assert data["results"][1]["verdict"] == "not_applicable"
    assert json.loads(json.dumps(data)) == data

    waived = evaluate_gate(
        kpi_gap_context(make, waivers=[make.waiver(3, "kpis")]), Stage.PRODUCTION
    ).to_dict()
    assert waived["passed"] is True
    assert waived["results"][0]["verdict"] == "waived"
    assert waived["results"][0]["evidence"] == ["wv-3"]


@pytest.mark.parametrize(
    ("verdicts", "passed"),
    [
        ((), True),
        ((PASS, NA, WAIVED), True),
        ((PASS, FAIL), False),
        ((FAIL,), False),
        ((NA, NA), True),
    ],
)
def test_verdict_clears(verdicts: tuple[Verdict, ...], passed: bool) -> None:
    decision = GateDecision(
        use_case="x",
        gate=Stage.PILOT,
        stage=Stage.IDEA,
        policy_name="p",
        policy_version=1,
        evaluated_at=NOW,
        results=tuple(
            CriterionResult(id=f"c{i}", kind="k", verdict=v, reason="r")
            for i, v in enumerate(verdicts)
        ),
    )
    assert decision.passed is passed
    assert [b.id for b in decision.blockers] == [
        f"c{i}" for i, v in enumerate(verdicts) if v is FAIL
    ]
    assert decision.to_dict()["passed"] is passed


# ------------------------------------------------------------------ properties

BUILDER = Make()
CRITERIA_POOL = [
    {"id": "charter", "kind": "charter_complete"},
    {"id": "owners", "kind": "owners_assigned", "params": {"distinct": True}},
    KPIS,
    {"id": "integration", "kind": "integration_defined", "tiers": ["high", "limited"]},
    RISK_APPROVAL,
    {"id": "exec", "kind": "approvals", "params": {"domains": ["executive"], "max_age_days": 30}},
    TIME_BOX,
    {"id": "risk", "kind": "risk_acceptable"},
    CARD,
]
ALL_IDS = [c["id"] for c in CRITERIA_POOL]

contexts = st.fixed_dictionaries(
    {
        "tier": st.sampled_from(list(RiskTier)),
        "criteria": st.lists(st.sampled_from(range(len(CRITERIA_POOL))), unique=True),
        "purpose": st.sampled_from(["", "why"]),
        "business_owner": st.sampled_from([None, "bob", "tina", "zed"]),
        "has_kpi_baseline": st.booleans(),
        "days_in_stage": st.integers(0, 200),
        "approvals": st.lists(
            st.tuples(
                st.sampled_from(["risk", "data", "executive"]),
                st.sampled_from(["rita", "dan", "eve", "bob"]),
                st.integers(0, 60),
            ),
            max_size=4,
        ),
        "card": st.sampled_from([None, "pass", "fail"]),
        "waivers": st.lists(st.tuples(st.sampled_from(ALL_IDS), st.integers(-5, 5)), max_size=4),
    }
)


def build(draw: dict[str, Any], *, with_waivers: bool) -> Any:
    m = BUILDER
    uc = m.use_case(
        risk_tier=draw["tier"],
        purpose=draw["purpose"],
        business_owner=draw["business_owner"],
        kpis=[{"name": "k", "baseline": 1 if draw["has_kpi_baseline"] else None, "target": 2}],
        stage_entered_at=NOW - timedelta(days=draw["days_in_stage"]),
    )
    policy = m.policy(
        {"production": [CRITERIA_POOL[i] for i in draw["criteria"]]},
        time_boxes={"pilot": 100},
    )
    return m.ctx(
        uc,
        policy,
        approvals=[
            m.approval(i, dom, who, age=timedelta(days=age))
            for i, (dom, who, age) in enumerate(draw["approvals"], start=1)
        ],
        evidence=[m.evidence(1, "model_card", draw["card"])] if draw["card"] else [],
        waivers=[
            m.waiver(i, cid, expires_in=timedelta(days=days))
            for i, (cid, days) in enumerate(draw["waivers"], start=100)
        ]
        if with_waivers
        else [],
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts)
def test_decision_passes_iff_no_criterion_fails(draw: dict[str, Any]) -> None:
    decision = evaluate_gate(build(draw, with_waivers=True), Stage.PRODUCTION)
    assert decision.passed == all(r.verdict is not FAIL for r in decision.results)
    assert decision.blockers == tuple(r for r in decision.results if r.verdict is FAIL)
    assert [r.id for r in decision.results] == [CRITERIA_POOL[i]["id"] for i in draw["criteria"]]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts)
def test_waivers_only_ever_turn_fails_into_waived(draw: dict[str, Any]) -> None:
    plain = evaluate_gate(build(draw, with_waivers=False), Stage.PRODUCTION)
    waived = evaluate_gate(build(draw, with_waivers=True), Stage.PRODUCTION)
    active = {cid for cid, days in draw["waivers"] if days > 0}
    for before, after in zip(plain.results, waived.results, strict=True):
        assert before.verdict is not WAIVED
        if before.verdict is FAIL and before.id in active:
            assert after.verdict is WAIVED
            assert after.waived_failure == before.reason
            assert after.evidence[:-1] == before.evidence
            assert after.evidence[-1].startswith("wv-")
        else:
            assert after == before
    # a waiver can only help
    assert waived.passed or not plain.passed
    assert len(waived.blockers) <= len(plain.blockers)
