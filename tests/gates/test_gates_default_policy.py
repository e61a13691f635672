"""The packaged default policy: it loads, and it behaves as its comments promise."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from typing import Any

import pytest
from gate_builders import Make

from scalegate.domain.decision import GateDecision, Verdict
from scalegate.domain.evidence import Evidence
from scalegate.domain.monitoring import MonitorRecord
from scalegate.domain.policy import Policy
from scalegate.domain.stage import GATES, Stage
from scalegate.domain.use_case import RiskTier
from scalegate.gates import CRITERIA, evaluate_gate, load_policy

PASS, FAIL, WAIVED, NA = Verdict.PASS, Verdict.FAIL, Verdict.WAIVED, Verdict.NOT_APPLICABLE


@pytest.fixture(scope="module")
def default() -> Policy:
    text = resources.files("scalegate.policies").joinpath("default.yaml").read_text("utf-8")
    return load_policy(text, "default.yaml")


def verdicts(decision: GateDecision) -> dict[str, Verdict]:
    return {r.id: r.verdict for r in decision.results}


def reasons(decision: GateDecision) -> dict[str, str]:
    return {r.id: r.reason for r in decision.results}


def prepared(
    make: Make,
    *args: Any,
    data_checks: list[Evidence] | None = None,
    monitors: list[MonitorRecord] | None = None,
    fairness: list[Evidence] | None = None,
    **kw: Any,
) -> Any:
    """``make.ctx`` for a use case whose data contract passed its latest check (ev-99) and
    whose monitor logged a healthy, labelled batch two days ago (ev-501), and whose newest
    fairness report (ev-98) shows small disparities, unless the test hands over its own
    ``data_checks``, ``monitors`` or ``fairness``."""
    if data_checks is None:
        data_checks = [make.evidence(99, "data_check", subject="applications")]
    if monitors is None:
        healthy = make.batch(1, 2, roc_auc=0.84)
        monitors = [make.monitor(healthy, reference={"roc_auc": 0.86})]
    if fairness is None:
        fairness = [fairness_report(make, 98, 0.04)]
    return make.ctx(*args, data_checks=data_checks, monitors=monitors, fairness=fairness, **kw)


def fairness_report(make: Make, id: int, gap: float, *, age_days: int = 3) -> Evidence:
    """A fairness report on gender whose disparities are all ``gap``."""
    return Evidence(
        id=id,
        use_case_id=7,
        kind="fairness_report",
        subject="gender",
        status="info",
        payload={
            "disparities": {
                "demographic_parity_difference": gap,
                "equalized_odds_difference": gap,
            }
        },
        created_at=make.now - timedelta(days=age_days),
        created_by="tina",
    )


def test_default_policy_loads(default: Policy) -> None:
    assert default.name == "default"
    assert default.stall_after_days == 30
    assert default.time_box(Stage.IDEA) == 90
    assert default.time_box(Stage.PILOT) == 120
    assert default.time_box(Stage.PRODUCTION) is None
    assert set(default.gates) == set(GATES)
    assert default.description.strip()


def test_default_policy_criteria(default: Policy) -> None:
    ids = {gate: [c.id for c in default.criteria(gate)] for gate in GATES}
    assert ids[Stage.PILOT] == ["charter", "risk", "time-box", "business-approval"]
    assert ids[Stage.PRODUCTION] == [
        "charter",
        "owners",
        "kpis",
        "integration",
        "risk",
        "time-box",
        "risk-approval",
        "data-contract",
        "model-card",
        "fairness",
        "business-approval",
    ]
    assert ids[Stage.SCALED] == [
        "owners",
        "kpis",
        "risk",
        "executive-endorsement",
        "risk-approval",
        "monitoring-active",
        "no-critical-drift",
        "performance",
    ]


@pytest.mark.parametrize("tier", list(RiskTier))
def test_every_default_criterion_has_valid_params_for_every_tier(
    default: Policy, tier: RiskTier
) -> None:
    for gate in GATES:
        for spec in default.criteria(gate):
            crit = CRITERIA[spec.kind]
            crit.params.model_validate(spec.params_for(tier))


# ------------------------------------------------------------------ production


def test_a_prepared_limited_tier_pilot_passes_production(make: Make, default: Policy) -> None:
    ctx = prepared(
        make,
        make.use_case(risk_tier="limited"),
        default,
        approvals=[make.approval(1, "risk", "rita"), make.approval(2, "business", "omar")],
    )
    decision = evaluate_gate(ctx, Stage.PRODUCTION)
    assert decision.passed, decision.blockers
    assert verdicts(decision)["model-card"] is NA
    assert reasons(decision)["model-card"] == "applies to risk tiers high; this one is limited"
    assert reasons(decision)["time-box"] == "in pilot for 10 of 120 days"
    assert {r.id: r.evidence for r in decision.results if r.evidence} == {
        "risk-approval": ("ap-1",),
        "data-contract": ("ev-99",),
        "business-approval": ("ap-2",),
    }


def test_minimal_tier_needs_no_risk_sign_off(make: Make, default: Policy) -> None:
    ctx = prepared(
        make,
        make.use_case(risk_tier="minimal"),
        default,
        approvals=[make.approval(2, "business", "omar")],
    )
    decision = evaluate_gate(ctx, Stage.PRODUCTION)
    assert decision.passed
    assert verdicts(decision)["risk-approval"] is NA
    assert verdicts(decision)["model-card"] is NA


def test_high_tier_needs_data_sign_off_and_a_model_card(make: Make, default: Policy) -> None:
    uc = make.use_case(risk_tier="high")
    approvals = [make.approval(1, "risk", "rita"), make.approval(2, "business", "omar")]
    decision = evaluate_gate(prepared(make, uc, default, approvals=approvals), Stage.PRODUCTION)
    assert [b.id for b in decision.blockers] == ["risk-approval", "model-card"]
    assert reasons(decision)["risk-approval"] == "missing approval from data"
    assert reasons(decision)["model-card"] == "no model_card evidence recorded"

    stale = make.evidence(5, "model_card", age=timedelta(days=500))
    decision = evaluate_gate(
        prepared(make, uc, default, approvals=approvals, evidence=[stale]), Stage.PRODUCTION
    )
    assert reasons(decision)["model-card"] == (
        "latest model_card (ev-5) is 500 days old, policy allows 365"
    )

    approvals.append(make.approval(3, "data", "dan"))
    card = make.evidence(6, "model_card", age=timedelta(days=20))
    decision = evaluate_gate(
        prepared(make, uc, default, approvals=approvals, evidence=[card]), Stage.PRODUCTION
    )
    assert decision.passed, decision.blockers
    assert {r.id: r.evidence for r in decision.results if r.evidence} == {
        "risk-approval": ("ap-1", "ap-3"),
        "data-contract": ("ev-99",),
        "model-card": ("ev-6",),
        "fairness": ("ev-98",),
        "business-approval": ("ap-2",),
    }


def test_high_tier_needs_a_recent_fair_report(make: Make, default: Policy) -> None:
    uc = make.use_case(risk_tier="high")
    approvals = [
        make.approval(1, "risk", "rita"),
        make.approval(2, "business", "omar"),
        make.approval(3, "data", "dan"),
    ]
    card = make.evidence(6, "model_card", age=timedelta(days=20))
    ready = {"approvals": approvals, "evidence": [card]}
    cases = {
        "no report": ([], "no fairness report recorded"),
        "unfair": (
            [fairness_report(make, 40, 0.15)],
            "'gender' (ev-40): demographic parity difference 0.15, policy asks <= 0.1; "
            "equalized odds difference 0.15, policy asks <= 0.1",
        ),
        "stale": (
            [fairness_report(make, 41, 0.02, age_days=120)],
            "newest fairness report on 'gender' (ev-41) is 120 days old, policy allows 90",
        ),
    }
    for name, (reports, reason) in cases.items():
        decision = evaluate_gate(
            prepared(make, uc, default, fairness=reports, **ready), Stage.PRODUCTION
        )
        assert [b.id for b in decision.blockers] == ["fairness"], name
        assert reasons(decision)["fairness"] == reason, name
    limited = evaluate_gate(prepared(make, make.use_case(), default, fairness=[]), Stage.PRODUCTION)
    assert reasons(limited)["fairness"] == "applies to risk tiers high; this one is limited"


def test_prohibited_never_passes(make: Make, default: Policy) -> None:
    uc = make.use_case(risk_tier="prohibited")
    approvals = [make.approval(1, "business", "omar")]
    for gate, stage in ((Stage.PILOT, "idea"), (Stage.PRODUCTION, "pilot")):
        decision = evaluate_gate(
            prepared(
                make,
                uc.model_copy(update={"stage": Stage(stage)}),
                default,
                approvals=[
                    a.model_copy(update={"gate": gate, "stage": Stage(stage)}) for a in approvals
                ],
            ),
            gate,
        )
        assert [b.id for b in decision.blockers] == ["risk"]
        assert "prohibited practice" in reasons(decision)["risk"]


def test_a_pilot_past_its_time_box_needs_a_waiver(make: Make, default: Policy) -> None:
    uc = make.use_case(stage_entered_at=make.now - timedelta(days=130))
    approvals = [make.approval(1, "risk", "rita"), make.approval(2, "business", "omar")]
    decision = evaluate_gate(prepared(make, uc, default, approvals=approvals), Stage.PRODUCTION)
    assert [b.id for b in decision.blockers] == ["time-box"]
    assert reasons(decision)["time-box"] == "in pilot for 130 days, past its 120-day time box by 10"

    waiver = make.waiver(4, "time-box", approver="eve", justification="go decision on 2025-05-30")
    decision = evaluate_gate(
        prepared(make, uc, default, approvals=approvals, waivers=[waiver]), Stage.PRODUCTION
    )
    assert decision.passed
    (tb,) = (r for r in decision.results if r.id == "time-box")
    assert tb.verdict is WAIVED
    assert tb.reason == "waived by eve until 2025-07-01: go decision on 2025-05-30"
    assert tb.waived_failure == "in pilot for 130 days, past its 120-day time box by 10"


def test_the_business_owner_cannot_sponsor_their_own_use_case(make: Make, default: Policy) -> None:
    uc = make.use_case(business_owner="omar")
    approvals = [make.approval(1, "risk", "rita"), make.approval(2, "business", "omar")]
    decision = evaluate_gate(prepared(make, uc, default, approvals=approvals), Stage.PRODUCTION)
    assert [b.id for b in decision.blockers] == ["business-approval"]
    assert reasons(decision)["business-approval"] == (
        "missing approval from business (omar's business approval ignored: owns this use case)"
    )


def test_production_needs_a_recent_passing_check_of_every_contract(
    make: Make, default: Policy
) -> None:
    uc = make.use_case(risk_tier="minimal")
    approvals = [make.approval(2, "business", "omar")]

    def data_contract(*runs: Evidence) -> tuple[Verdict, str]:
        decision = evaluate_gate(
            prepared(make, uc, default, approvals=approvals, data_checks=list(runs)),
            Stage.PRODUCTION,
        )
        (r,) = (r for r in decision.results if r.id == "data-contract")
        return r.verdict, r.reason

    assert data_contract() == (FAIL, "no data check run recorded")
    failed = make.evidence(
        11,
        "data_check",
        "fail",
        subject="loans",
        age=timedelta(days=1),
        summary="loans v2: 1 failed (age.between), 0 warnings, 5,000 rows",
    )
    older_pass = make.evidence(10, "data_check", subject="loans", age=timedelta(days=2))
    assert data_contract(failed, older_pass) == (
        FAIL,
        "latest check of 'loans' (ev-11) did not pass: 1 failed (age.between), 0 warnings, "
        "5,000 rows",
    )
    warned = make.evidence(12, "data_check", "warn", subject="loans", age=timedelta(hours=1))
    assert data_contract(warned, failed)[0] is PASS
    stale = make.evidence(13, "data_check", subject="events", age=timedelta(days=45))
    assert data_contract(warned, stale) == (
        FAIL,
        "'events' last checked 45 days ago (ev-13), policy allows 30",
    )


# ------------------------------------------------------------------ pilot


def test_a_bare_idea_is_told_what_is_missing(make: Make, default: Policy) -> None:
    uc = make.use_case(
        stage="idea",
        purpose="",
        strategic_objective="",
        business_owner=None,
        departments=(),
        stage_entered_at=make.now - timedelta(days=5),
    )
    decision = evaluate_gate(prepared(make, uc, default), Stage.PILOT)
    assert verdicts(decision) == {
        "charter": FAIL,
        "risk": PASS,
        "time-box": PASS,
        "business-approval": FAIL,
    }
    assert reasons(decision)["charter"] == (
        "charter is missing purpose, strategic objective, business owner, departments"
    )
    assert reasons(decision)["time-box"] == "in idea for 5 of 90 days"
    assert reasons(decision)["business-approval"] == "missing approval from business"


def test_a_written_up_idea_with_sponsor_passes_pilot(make: Make, default: Policy) -> None:
    uc = make.use_case(stage="idea", technical_owner=None, kpis=(), integration_targets=())
    approval = make.approval(1, "business", "omar", gate=Stage.PILOT, stage=Stage.IDEA)
    decision = evaluate_gate(prepared(make, uc, default, approvals=[approval]), Stage.PILOT)
    assert decision.passed, decision.blockers


# ------------------------------------------------------------------ scaled


def test_scaling_needs_distinct_owners_endorsement_and_a_recent_risk_sign_off(
    make: Make, default: Policy
) -> None:
    uc = make.use_case(stage="production", business_owner="tina", technical_owner="tina")
    old_risk = make.approval(
        1, "risk", "rita", gate=Stage.SCALED, stage=Stage.PRODUCTION, age=timedelta(days=400)
    )
    decision = evaluate_gate(prepared(make, uc, default, approvals=[old_risk]), Stage.SCALED)
    assert [b.id for b in decision.blockers] == [
        "owners",
        "executive-endorsement",
        "risk-approval",
    ]
    assert reasons(decision)["owners"] == "business and technical owner are the same person"
    assert reasons(decision)["risk-approval"] == (
        "missing approval from risk (rita's risk approval is older than 365 days)"
    )

    uc = uc.model_copy(update={"business_owner": "bob"})
    approvals = [
        make.approval(2, "risk", "rita", gate=Stage.SCALED, stage=Stage.PRODUCTION),
        make.approval(3, "executive", "eve", gate=Stage.SCALED, stage=Stage.PRODUCTION),
    ]
    decision = evaluate_gate(prepared(make, uc, default, approvals=approvals), Stage.SCALED)
    assert decision.passed, decision.blockers
    # production has no time box in the default policy and scaled does not check it
    assert "time-box" not in verdicts(decision)
    assert reasons(decision)["performance"] == "'default' roc_auc 0.84 >= 0.774"


def test_scaling_needs_a_healthy_monitored_model(make: Make, default: Policy) -> None:
    uc = make.use_case(stage="production")
    approvals = [
        make.approval(2, "risk", "rita", gate=Stage.SCALED, stage=Stage.PRODUCTION),
        make.approval(3, "executive", "eve", gate=Stage.SCALED, stage=Stage.PRODUCTION),
    ]
    unmonitored = prepared(make, uc, default, approvals=approvals, monitors=[])
    decision = evaluate_gate(unmonitored, Stage.SCALED)
    assert [b.id for b in decision.blockers] == [
        "monitoring-active",
        "no-critical-drift",
        "performance",
    ]
    assert reasons(decision)["monitoring-active"] == "no production monitor set up"

    degraded = [
        make.monitor(
            make.batch(1, 20, "critical", estimated_roc_auc=0.7),
            make.batch(2, 10, roc_auc=0.71),
            reference={"roc_auc": 0.86},
        )
    ]
    decision = evaluate_gate(
        prepared(make, uc, default, approvals=approvals, monitors=degraded), Stage.SCALED
    )
    assert [b.id for b in decision.blockers] == [
        "monitoring-active",
        "no-critical-drift",
        "performance",
    ]
    assert reasons(decision)["monitoring-active"] == (
        "monitor 'default' last logged a batch 10 days ago, policy allows 7"
    )
    assert reasons(decision)["performance"] == (
        "monitor 'default' roc_auc on the newest batch: 0.71, policy asks >= 0.774"
    )
