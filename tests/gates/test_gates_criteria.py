"""Every built-in criterion kind: each pass and fail path, its reason and evidence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pydantic
import pytest
from gate_builders import Make
from hypothesis import given
from hypothesis import strategies as st

from scalegate.domain.decision import Verdict
from scalegate.domain.stage import Stage
from scalegate.gates import CRITERIA
from scalegate.gates.registry import Outcome, Params, register

PASS, FAIL, NA = Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE

BUILT_IN = {
    "charter_complete",
    "owners_assigned",
    "kpis_defined",
    "integration_defined",
    "approvals",
    "time_box",
    "risk_acceptable",
    "evidence",
    "data_contract",
}


def bad_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(pydantic.ValidationError) as info:
        CRITERIA[kind].params.model_validate(params)
    return dict(info.value.errors()[0])


# ------------------------------------------------------------------ registry


def test_built_in_kinds_are_registered() -> None:
    assert set(CRITERIA) >= BUILT_IN
    for kind in BUILT_IN:
        crit = CRITERIA[kind]
        assert crit.kind == kind
        assert crit.summary
        assert issubclass(crit.params, Params)


@pytest.mark.parametrize("kind", sorted(BUILT_IN))
def test_params_reject_unknown_keys(kind: str) -> None:
    base = {
        "approvals": {"domains": ["risk"]},
        "evidence": {"evidence_kind": "model_card"},
    }.get(kind, {})
    err = bad_params(kind, {**base, "colour": "red"})
    assert err["type"] == "extra_forbidden"
    assert err["loc"] == ("colour",)


def test_registering_a_kind_twice_is_an_error() -> None:
    before = CRITERIA["time_box"]

    with pytest.raises(ValueError, match="criterion kind 'time_box' is already registered"):

        @register("time_box", Params, "impostor")
        def impostor(p: Params, ctx: Any, gate: Stage) -> Outcome:  # pragma: no cover
            return Outcome.ok("never")

    assert CRITERIA["time_box"] is before


def test_outcome_constructors() -> None:
    assert Outcome.ok("fine", "ev-1", "ap-2") == Outcome(PASS, "fine", ("ev-1", "ap-2"))
    assert Outcome.fail("bad") == Outcome(FAIL, "bad", ())
    assert Outcome.na("n/a") == Outcome(NA, "n/a", ())


# ------------------------------------------------------------------ charter_complete


def test_charter_complete_passes_with_default_fields(make: Make) -> None:
    out = make.check("charter_complete")
    assert out == Outcome.ok(
        "charter has purpose, strategic objective, business owner, departments"
    )


def test_charter_complete_names_missing_fields_in_param_order(make: Make) -> None:
    uc = make.use_case(purpose="", departments=(), business_owner=None)
    out = make.check("charter_complete", ctx=make.ctx(uc))
    assert out.verdict is FAIL
    assert out.reason == "charter is missing purpose, business owner, departments"
    assert out.evidence == ()


def test_charter_complete_with_custom_fields(make: Make) -> None:
    uc = make.use_case(tags=())
    out = make.check("charter_complete", {"fields": ["kpis", "tags", "name"]}, make.ctx(uc))
    assert out == Outcome.fail("charter is missing tags")
    uc = make.use_case(tags=("credit",))
    out = make.check("charter_complete", {"fields": ["kpis", "tags"]}, make.ctx(uc))
    assert out == Outcome.ok("charter has kpis, tags")


def test_charter_complete_whitespace_only_purpose_is_missing(make: Make) -> None:
    uc = make.use_case(purpose="   ")
    out = make.check("charter_complete", {"fields": ["purpose"]}, make.ctx(uc))
    assert out == Outcome.fail("charter is missing purpose")


def test_charter_complete_rejects_unknown_field_names() -> None:
    err = bad_params("charter_complete", {"fields": ["purpose", "colour"]})
    assert err["loc"] == ("fields",)
    assert "unknown charter field 'colour'" in err["msg"]
    assert "known fields are name, purpose, strategic_objective" in err["msg"]


# ------------------------------------------------------------------ owners_assigned


def test_owners_assigned_passes(make: Make) -> None:
    assert make.check("owners_assigned") == Outcome.ok("business owner bob, technical owner tina")


def test_owners_assigned_missing_owner(make: Make) -> None:
    out = make.check("owners_assigned", ctx=make.ctx(make.use_case(technical_owner=None)))
    assert out == Outcome.fail("no technical owner assigned")


def test_owners_assigned_unknown_user(make: Make) -> None:
    out = make.check("owners_assigned", ctx=make.ctx(make.use_case(business_owner="zed")))
    assert out == Outcome.fail("business owner 'zed' is not a known user")


def test_owners_assigned_deactivated_user(make: Make) -> None:
    out = make.check("owners_assigned", ctx=make.ctx(users=make.users(inactive=["tina"])))
    assert out == Outcome.fail("technical owner 'tina' is deactivated")


def test_owners_assigned_lists_every_problem(make: Make) -> None:
    uc = make.use_case(business_owner=None, technical_owner="tina")
    out = make.check("owners_assigned", ctx=make.ctx(uc, users=make.users(drop=["tina"])))
    assert out == Outcome.fail(
        "no business owner assigned; technical owner 'tina' is not a known user"
    )


def test_owners_assigned_distinct(make: Make) -> None:
    uc = make.use_case(business_owner="bob", technical_owner="bob")
    assert make.check("owners_assigned", ctx=make.ctx(uc)) == Outcome.ok(
        "business owner bob, technical owner bob"
    )
    out = make.check("owners_assigned", {"distinct": True}, make.ctx(uc))
    assert out == Outcome.fail("business and technical owner are the same person")
    assert make.check("owners_assigned", {"distinct": True}).verdict is PASS


def test_owners_assigned_only_the_named_owners(make: Make) -> None:
    uc = make.use_case(technical_owner=None)
    out = make.check("owners_assigned", {"owners": ["business_owner"]}, make.ctx(uc))
    assert out == Outcome.ok("business owner bob")


def test_owners_assigned_rejects_unknown_owner_field() -> None:
    err = bad_params("owners_assigned", {"owners": ["product_owner"]})
    assert "unknown owner 'product_owner'" in err["msg"]


# ------------------------------------------------------------------ kpis_defined


def kpi(name: str, baseline: float | None = 1.0, target: float | None = 2.0) -> dict[str, Any]:
    return {"name": name, "baseline": baseline, "target": target}


def test_kpis_defined_passes(make: Make) -> None:
    assert make.check("kpis_defined") == Outcome.ok("1 KPI with baseline and target")
    uc = make.use_case(kpis=[kpi("a"), kpi("b")])
    assert make.check("kpis_defined", {"min_count": 2}, make.ctx(uc)) == Outcome.ok(
        "2 KPIs with baseline and target"
    )


def test_kpis_defined_zero_is_a_value(make: Make) -> None:
    uc = make.use_case(kpis=[kpi("defects", baseline=0.0, target=0.0)])
    assert make.check("kpis_defined", ctx=make.ctx(uc)).verdict is PASS


def test_kpis_defined_none(make: Make) -> None:
    out = make.check("kpis_defined", ctx=make.ctx(make.use_case(kpis=())))
    assert out == Outcome.fail("no success KPI defined")


def test_kpis_defined_names_each_incomplete_kpi(make: Make) -> None:
    uc = make.use_case(
        kpis=[
            kpi("ok"),
            kpi("nps", baseline=None),
            kpi("churn", target=None),
            kpi("cost", baseline=None, target=None),
        ]
    )
    out = make.check("kpis_defined", ctx=make.ctx(uc))
    assert out == Outcome.fail(
        "KPI 'nps' has no baseline; KPI 'churn' has no target; "
        "KPI 'cost' has no baseline and no target"
    )


def test_kpis_defined_min_count(make: Make) -> None:
    out = make.check("kpis_defined", {"min_count": 2})
    assert out == Outcome.fail("1 KPI defined, policy asks for 2")
    uc = make.use_case(kpis=[kpi("a"), kpi("b")])
    out = make.check("kpis_defined", {"min_count": 3}, make.ctx(uc))
    assert out == Outcome.fail("2 KPIs defined, policy asks for 3")


def test_kpis_defined_min_count_is_positive() -> None:
    assert bad_params("kpis_defined", {"min_count": 0})["loc"] == ("min_count",)


# ------------------------------------------------------------------ integration_defined

SAP = {"system": "SAP", "mode": "api"}
DWH = {"system": "DWH", "mode": "batch"}
CRM = {"system": "CRM", "mode": "api"}


def test_integration_defined_passes(make: Make) -> None:
    uc = make.use_case(integration_targets=[SAP, DWH])
    assert make.check("integration_defined", ctx=make.ctx(uc)) == Outcome.ok(
        "SAP (api), DWH (batch)"
    )


def test_integration_defined_none(make: Make) -> None:
    uc = make.use_case(integration_targets=())
    out = make.check("integration_defined", ctx=make.ctx(uc))
    assert out == Outcome.fail("no integration target named")


def test_integration_defined_filters_by_mode(make: Make) -> None:
    uc = make.use_case(integration_targets=[SAP, DWH])
    out = make.check("integration_defined", {"modes": ["batch"]}, make.ctx(uc))
    assert out == Outcome.ok("DWH (batch)")
    out = make.check("integration_defined", {"modes": ["embedded_ui", "report"]}, make.ctx(uc))
    assert out == Outcome.fail("no integration target (embedded_ui/report) named")


def test_integration_defined_min_count(make: Make) -> None:
    uc = make.use_case(integration_targets=[SAP])
    out = make.check("integration_defined", {"min_count": 2}, make.ctx(uc))
    assert out == Outcome.fail("1 integration target, policy asks for 2")
    uc = make.use_case(integration_targets=[SAP, CRM, DWH])
    out = make.check("integration_defined", {"min_count": 3, "modes": ["api"]}, make.ctx(uc))
    assert out == Outcome.fail("2 integration targets (api), policy asks for 3")


def test_integration_defined_rejects_unknown_modes() -> None:
    assert bad_params("integration_defined", {"modes": ["fax"]})["loc"] == ("modes", 0)
    assert bad_params("integration_defined", {"min_count": 0})["loc"] == ("min_count",)


# ------------------------------------------------------------------ approvals

RISK = {"domains": ["risk"]}


def test_approvals_pass_with_evidence(make: Make) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "risk", "rita")])
    assert make.check("approvals", RISK, ctx) == Outcome.ok("approved by risk", "ap-1")


def test_approvals_several_domains_use_one_approval_each(make: Make) -> None:
    ctx = make.ctx(
        approvals=[
            make.approval(4, "data", "dan"),
            make.approval(5, "risk", "rita"),
            make.approval(6, "risk", "ada"),
        ]
    )
    out = make.check("approvals", {"domains": ["risk", "data"]}, ctx)
    assert out == Outcome.ok("approved by risk, data", "ap-5", "ap-4")


def test_approvals_missing(make: Make) -> None:
    assert make.check("approvals", RISK) == Outcome.fail("missing approval from risk")


def test_approvals_partly_missing_keeps_the_used_evidence(make: Make) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "risk", "rita")])
    out = make.check("approvals", {"domains": ["risk", "data", "executive"]}, ctx)
    assert out == Outcome.fail("missing approval from data, executive", "ap-1")


@pytest.mark.parametrize("owner", ["business_owner", "technical_owner"])
def test_approvals_an_owner_cannot_approve_own_use_case(make: Make, owner: str) -> None:
    uc = make.use_case(**{owner: "rita"})
    ctx = make.ctx(uc, approvals=[make.approval(1, "risk", "rita")])
    out = make.check("approvals", RISK, ctx)
    assert out == Outcome.fail(
        "missing approval from risk (rita's risk approval ignored: owns this use case)"
    )


def test_approvals_requester_cannot_approve_own_request(make: Make) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "risk", "rita")], request=make.request("rita"))
    out = make.check("approvals", RISK, ctx)
    assert out == Outcome.fail(
        "missing approval from risk (rita's risk approval ignored: requested the promotion)"
    )


def test_approvals_another_valid_approval_still_counts(make: Make) -> None:
    ctx = make.ctx(
        approvals=[make.approval(1, "risk", "rita"), make.approval(2, "risk", "ada")],
        request=make.request("rita"),
    )
    assert make.check("approvals", RISK, ctx) == Outcome.ok("approved by risk", "ap-2")


def test_approvals_without_request_the_approver_counts(make: Make) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "risk", "rita")], request=make.request("omar"))
    assert make.check("approvals", RISK, ctx) == Outcome.ok("approved by risk", "ap-1")


@pytest.mark.parametrize(
    "approval",
    [
        {"gate": Stage.SCALED},  # for another gate
        {"gate": Stage.PILOT},
        {"stage": Stage.IDEA},  # recorded while the use case was in another stage
        {"stage": Stage.PRODUCTION},
    ],
)
def test_approvals_for_another_gate_or_stage_are_ignored(
    make: Make, approval: dict[str, Any]
) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "risk", "rita", **approval)])
    assert make.check("approvals", RISK, ctx) == Outcome.fail("missing approval from risk")


def test_approvals_the_gate_argument_decides(make: Make) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "risk", "rita", gate=Stage.SCALED)])
    assert make.check("approvals", RISK, ctx, gate=Stage.SCALED).verdict is PASS
    assert make.check("approvals", RISK, ctx, gate=Stage.PRODUCTION).verdict is FAIL


def test_approvals_of_another_domain_are_ignored(make: Make) -> None:
    ctx = make.ctx(approvals=[make.approval(1, "data", "dan")])
    assert make.check("approvals", RISK, ctx) == Outcome.fail("missing approval from risk")


def test_approvals_max_age(make: Make) -> None:
    params = {"domains": ["risk"], "max_age_days": 30}
    old = make.ctx(approvals=[make.approval(1, "risk", "rita", age=timedelta(days=31))])
    assert make.check("approvals", params, old) == Outcome.fail(
        "missing approval from risk (rita's risk approval is older than 30 days)"
    )
    recent = make.ctx(approvals=[make.approval(1, "risk", "rita", age=timedelta(days=29))])
    assert make.check("approvals", params, recent) == Outcome.ok("approved by risk", "ap-1")
    edge = make.ctx(approvals=[make.approval(1, "risk", "rita", age=timedelta(days=30))])
    assert make.check("approvals", params, edge).verdict is PASS
    just_over = make.ctx(
        approvals=[make.approval(1, "risk", "rita", age=timedelta(days=30, seconds=1))]
    )
    assert make.check("approvals", params, just_over).verdict is FAIL
    # without max_age_days any age counts
    assert make.check("approvals", RISK, old).verdict is PASS


def test_approvals_notes_collect_every_ignored_approval(make: Make) -> None:
    uc = make.use_case(business_owner="omar")
    ctx = make.ctx(
        uc,
        approvals=[make.approval(1, "business", "omar"), make.approval(2, "risk", "rita")],
        request=make.request("rita"),
    )
    out = make.check("approvals", {"domains": ["business", "risk"]}, ctx)
    assert out == Outcome.fail(
        "missing approval from business, risk (omar's business approval ignored: owns this "
        "use case; rita's risk approval ignored: requested the promotion)"
    )


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({}, ("domains",)),
        ({"domains": []}, ("domains",)),
        ({"domains": ["Risk"]}, ("domains", 0)),
        ({"domains": ["risk"], "max_age_days": 0}, ("max_age_days",)),
    ],
)
def test_approvals_params(params: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert bad_params("approvals", params)["loc"] == loc


# ------------------------------------------------------------------ time_box


def in_pilot_for(make: Make, delta: timedelta, **ctx: Any) -> Any:
    uc = make.use_case(stage_entered_at=make.now - delta)
    return make.ctx(uc, make.policy(time_boxes={"pilot": 120, "idea": 30}), **ctx)


def test_time_box_within(make: Make) -> None:
    out = make.check("time_box", ctx=in_pilot_for(make, timedelta(days=10)))
    assert out == Outcome.ok("in pilot for 10 of 120 days")


def test_time_box_overrun(make: Make) -> None:
    out = make.check("time_box", ctx=in_pilot_for(make, timedelta(days=130)))
    assert out == Outcome.fail("in pilot for 130 days, past its 120-day time box by 10")


@pytest.mark.parametrize(
    ("delta", "verdict"),
    [
        (timedelta(days=120), PASS),
        (timedelta(days=120, hours=23, minutes=59), PASS),  # whole days count
        (timedelta(days=121), FAIL),
    ],
)
def test_time_box_boundary(make: Make, delta: timedelta, verdict: Verdict) -> None:
    assert make.check("time_box", ctx=in_pilot_for(make, delta)).verdict is verdict


def test_time_box_uses_the_current_stage(make: Make) -> None:
    uc = make.use_case(stage="idea", stage_entered_at=make.now - timedelta(days=45))
    ctx = make.ctx(uc, make.policy(time_boxes={"pilot": 120, "idea": 30}))
    out = make.check("time_box", ctx=ctx, gate=Stage.PILOT)
    assert out == Outcome.fail("in idea for 45 days, past its 30-day time box by 15")


def test_time_box_param_overrides_the_policy(make: Make) -> None:
    ctx = in_pilot_for(make, timedelta(days=50))
    assert make.check("time_box", {"max_days": 40}, ctx) == Outcome.fail(
        "in pilot for 50 days, past its 40-day time box by 10"
    )
    assert make.check("time_box", {"max_days": 400}, ctx) == Outcome.ok(
        "in pilot for 50 of 400 days"
    )


def test_time_box_without_a_box_is_not_applicable(make: Make) -> None:
    uc = make.use_case(stage="production", stage_entered_at=make.now - timedelta(days=999))
    ctx = make.ctx(uc, make.policy(time_boxes={"pilot": 120}))
    out = make.check("time_box", ctx=ctx, gate=Stage.SCALED)
    assert out == Outcome.na("no time box for stage production")
    # an explicit null time box is no time box
    ctx = make.ctx(uc, make.policy(time_boxes={"production": None}))
    assert make.check("time_box", ctx=ctx, gate=Stage.SCALED).verdict is NA
    # but a max_days parameter applies regardless of the policy
    assert make.check("time_box", {"max_days": 365}, ctx, Stage.SCALED).verdict is FAIL


@given(
    seconds=st.integers(min_value=0, max_value=400 * 86400),
    box=st.integers(min_value=1, max_value=300),
)
def test_time_box_fails_exactly_once_a_whole_day_past_the_box(seconds: int, box: int) -> None:
    make = Make()
    uc = make.use_case(stage_entered_at=make.now - timedelta(seconds=seconds))
    ctx = make.ctx(uc, make.policy(time_boxes={"pilot": box}))
    out = make.check("time_box", ctx=ctx)
    whole_days = seconds // 86400
    assert whole_days == int(uc.days_in_stage(make.now))
    if seconds >= (box + 1) * 86400:
        assert out == Outcome.fail(
            f"in pilot for {whole_days} days, past its {box}-day time box by {whole_days - box}"
        )
    else:
        assert out == Outcome.ok(f"in pilot for {whole_days} of {box} days")


def test_time_box_params() -> None:
    assert bad_params("time_box", {"max_days": 0})["loc"] == ("max_days",)
    assert bad_params("time_box", {"max_days": "lots"})["loc"] == ("max_days",)


# ------------------------------------------------------------------ risk_acceptable


@pytest.mark.parametrize("tier", ["minimal", "limited", "high"])
def test_risk_acceptable_default_allows_all_but_prohibited(make: Make, tier: str) -> None:
    out = make.check("risk_acceptable", ctx=make.ctx(make.use_case(risk_tier=tier)))
    assert out == Outcome.ok(f"risk tier '{tier}' is allowed")


def test_risk_acceptable_prohibited(make: Make) -> None:
    out = make.check("risk_acceptable", ctx=make.ctx(make.use_case(risk_tier="prohibited")))
    assert out == Outcome.fail(
        "risk tier 'prohibited' may not pass this gate (prohibited practice under the EU AI Act)"
    )


def test_risk_acceptable_custom_allowed(make: Make) -> None:
    ctx = make.ctx(make.use_case(risk_tier="high"))
    out = make.check("risk_acceptable", {"allowed": ["minimal", "limited"]}, ctx)
    assert out == Outcome.fail("risk tier 'high' may not pass this gate")
    assert make.check("risk_acceptable", {"allowed": ["high"]}, ctx).verdict is PASS


def test_risk_acceptable_params() -> None:
    assert bad_params("risk_acceptable", {"allowed": ["extreme"]})["loc"] == ("allowed", 0)


# ------------------------------------------------------------------ evidence

CARD = {"evidence_kind": "model_card"}


def test_evidence_ok(make: Make) -> None:
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", age=timedelta(days=3, hours=5))])
    assert make.check("evidence", CARD, ctx) == Outcome.ok(
        "model_card pass (ev-12, 3 days old)", "ev-12"
    )


def test_evidence_missing(make: Make) -> None:
    ctx = make.ctx(evidence=[make.evidence(12, "drift_report")])
    assert make.check("evidence", CARD, ctx) == Outcome.fail("no model_card evidence recorded")


@pytest.mark.parametrize("status", ["fail", "warn", "info"])
def test_evidence_wrong_status(make: Make, status: str) -> None:
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", status)])
    assert make.check("evidence", CARD, ctx) == Outcome.fail(
        f"latest model_card (ev-12) has status {status}, needs pass", "ev-12"
    )


def test_evidence_accepted_statuses(make: Make) -> None:
    params = {**CARD, "status": ["pass", "warn"]}
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", "warn")])
    assert make.check("evidence", params, ctx) == Outcome.ok(
        "model_card warn (ev-12, 3 days old)", "ev-12"
    )
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", "fail")])
    assert make.check("evidence", params, ctx) == Outcome.fail(
        "latest model_card (ev-12) has status fail, needs pass or warn", "ev-12"
    )


def test_evidence_too_old(make: Make) -> None:
    params = {**CARD, "max_age_days": 365}
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", age=timedelta(days=400))])
    assert make.check("evidence", params, ctx) == Outcome.fail(
        "latest model_card (ev-12) is 400 days old, policy allows 365", "ev-12"
    )
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", age=timedelta(days=365))])
    assert make.check("evidence", params, ctx).verdict is PASS
    # without max_age_days any age is fine
    ctx = make.ctx(evidence=[make.evidence(12, "model_card", age=timedelta(days=4000))])
    assert make.check("evidence", CARD, ctx).verdict is PASS


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({}, ("evidence_kind",)),
        ({"evidence_kind": "Model Card"}, ("evidence_kind",)),
        ({"evidence_kind": "model_card", "status": ["great"]}, ("status", 0)),
        ({"evidence_kind": "model_card", "max_age_days": 0}, ("max_age_days",)),
    ],
)
def test_evidence_params(params: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert bad_params("evidence", params)["loc"] == loc


# ------------------------------------------------------------------ data_contract


def runs(make: Make, subject: str, *history: tuple[str, float]) -> list[Any]:
    """data_check evidence of one contract from (status, days ago), ids counting up."""
    return [
        make.evidence(100 + i, "data_check", status, subject=subject, age=timedelta(days=days))
        for i, (status, days) in enumerate(history)
    ]


def test_data_contract_needs_a_run(make: Make) -> None:
    out = make.check("data_contract", {})
    assert (out.verdict, out.reason) == (FAIL, "no data check run recorded")
    other = runs(make, "events", ("pass", 1))
    out = make.check("data_contract", {"contract": "loans"}, make.ctx(evidence=other))
    assert (out.verdict, out.reason) == (FAIL, "no data check run recorded for contract 'loans'")


def test_data_contract_judges_the_newest_run_of_the_named_contract(make: Make) -> None:
    history = runs(make, "loans", ("fail", 5), ("pass", 1)) + runs(make, "events", ("fail", 0.5))
    ctx = make.ctx(evidence=history)
    out = make.check("data_contract", {"contract": "loans"}, ctx)
    assert (out.verdict, out.reason, out.evidence) == (
        PASS,
        "'loans' pass (ev-101, 1 days old)",
        ("ev-101",),
    )
    # without a name every contract checked must pass: events fails
    out = make.check("data_contract", {}, ctx)
    assert out.verdict is FAIL
    assert out.reason == "latest check of 'events' (ev-100) did not pass"
    assert sorted(out.evidence) == ["ev-100", "ev-101"]


def test_data_contract_warnings(make: Make) -> None:
    ctx = make.ctx(evidence=runs(make, "loans", ("warn", 1)))
    assert make.check("data_contract", {}, ctx).verdict is PASS
    out = make.check("data_contract", {"allow_warnings": False}, ctx)
    assert out.verdict is FAIL


def test_data_contract_max_age(make: Make) -> None:
    ctx = make.ctx(evidence=runs(make, "loans", ("pass", 8.5)))
    assert make.check("data_contract", {"max_age_days": 9}, ctx).verdict is PASS
    out = make.check("data_contract", {"max_age_days": 7}, ctx)
    assert out.verdict is FAIL
    assert out.reason == "'loans' last checked 8 days ago (ev-100), policy allows 7"


@pytest.mark.parametrize(
    ("rate", "verdict", "reason"),
    [
        (0.75, PASS, "'loans' passed 75% (3 of 4 runs in 10 days)"),
        (0.8, FAIL, "'loans' passed 75% (3 of 4 runs in 10 days), policy asks for 80%"),
    ],
)
def test_data_contract_pass_rate_over_a_window(
    make: Make, rate: float, verdict: Verdict, reason: str
) -> None:
    # the run 12 days ago falls outside the window; the newest failed but the rate holds
    history = runs(make, "loans", ("fail", 12), ("pass", 9), ("pass", 6), ("pass", 3), ("fail", 1))
    params = {"min_pass_rate": rate, "window_days": 10}
    out = make.check("data_contract", params, make.ctx(evidence=history))
    assert (out.verdict, out.reason) == (verdict, reason)


def test_data_contract_pass_rate_with_no_run_in_the_window(make: Make) -> None:
    ctx = make.ctx(evidence=runs(make, "loans", ("pass", 40)))
    out = make.check("data_contract", {"min_pass_rate": 0.9}, ctx)
    assert (out.verdict, out.reason) == (FAIL, "'loans' has no run in the last 30 days")


@given(
    statuses=st.lists(st.sampled_from(["pass", "warn", "fail"]), min_size=1, max_size=30),
    rate=st.floats(min_value=0.01, max_value=1.0),
)
def test_data_contract_pass_rate_matches_a_plain_count(statuses: list[str], rate: float) -> None:
    make = Make()
    history = runs(make, "loans", *((s, 0.1 * (i + 1)) for i, s in enumerate(statuses)))
    out = make.check("data_contract", {"min_pass_rate": rate}, make.ctx(evidence=history))
    share = sum(s != "fail" for s in statuses) / len(statuses)
    assert (out.verdict is PASS) == (share >= rate - 1e-12)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"min_pass_rate": 0}, ("min_pass_rate",)),
        ({"min_pass_rate": 1.5}, ("min_pass_rate",)),
        ({"window_days": 0}, ("window_days",)),
        ({"contract": ""}, ("contract",)),
        ({"max_age": 3}, ("max_age",)),
    ],
)
def test_data_contract_params(params: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert bad_params("data_contract", params)["loc"] == loc


def test_history_days_is_the_longest_pass_rate_window(make: Make) -> None:
    from scalegate.gates import history_days

    assert history_days(make.policy()) == 0
    policy = make.policy(
        {
            "production": [
                {"id": "a", "kind": "data_contract", "params": {"max_age_days": 90}},
                {"id": "b", "kind": "data_contract", "params": {"min_pass_rate": 0.9}},
            ],
            "scaled": [
                {
                    "id": "c",
                    "kind": "data_contract",
                    "params": {"min_pass_rate": 0.9, "window_days": 14},
                    "by_tier": {"high": {"window_days": 60}},
                }
            ],
        }
    )
    assert history_days(policy) == 60
