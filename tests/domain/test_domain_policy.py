"""The policy model: criteria per gate and tier, time boxes, structural rules."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from scalegate.domain.policy import CriterionSpec, Policy, is_criterion_id
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import RiskTier


def spec(**overrides: Any) -> CriterionSpec:
    data: dict[str, Any] = {"id": "risk", "kind": "risk_acceptable"}
    data.update(overrides)
    return CriterionSpec.model_validate(data)


def policy(**overrides: Any) -> Policy:
    data: dict[str, Any] = {"gates": {"pilot": [{"id": "risk", "kind": "risk_acceptable"}]}}
    data.update(overrides)
    return Policy.model_validate(data)


def only_error(info: pytest.ExceptionInfo[pydantic.ValidationError]) -> dict[str, Any]:
    errors = info.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


# ------------------------------------------------------------------ CriterionSpec


@pytest.mark.parametrize("cid", ["a", "risk", "risk-approval", "model_card", "x1", "a" * 64])
def test_valid_criterion_ids(cid: str) -> None:
    assert is_criterion_id(cid)
    assert spec(id=cid).id == cid


@pytest.mark.parametrize("cid", ["", "Risk", "1a", "-a", "_a", "a b", "a.b", "a" * 65])
def test_invalid_criterion_ids(cid: str) -> None:
    assert not is_criterion_id(cid)
    with pytest.raises(pydantic.ValidationError) as info:
        spec(id=cid)
    assert only_error(info)["loc"] == ("id",)


def test_kind_must_not_be_empty() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        spec(kind="")
    assert only_error(info)["loc"] == ("kind",)


def test_spec_rejects_unknown_keys() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        spec(param={"x": 1})
    err = only_error(info)
    assert err["loc"] == ("param",)
    assert err["type"] == "extra_forbidden"


def test_spec_defaults() -> None:
    s = spec()
    assert s.description == ""
    assert s.params == {}
    assert s.tiers is None
    assert s.by_tier == {}


def test_without_tiers_a_criterion_applies_to_every_tier() -> None:
    s = spec()
    assert all(s.applies_to(t) for t in RiskTier)


def test_tiers_restrict_where_a_criterion_applies() -> None:
    s = spec(tiers=["limited", "high"])
    assert s.tiers == (RiskTier.LIMITED, RiskTier.HIGH)
    assert {t for t in RiskTier if s.applies_to(t)} == {RiskTier.LIMITED, RiskTier.HIGH}


def test_empty_tiers_applies_nowhere() -> None:
    s = spec(tiers=[])
    assert not any(s.applies_to(t) for t in RiskTier)


def test_unknown_tier_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        spec(tiers=["high", "extreme"])
    assert only_error(info)["loc"] == ("tiers", 1)
    with pytest.raises(pydantic.ValidationError) as info:
        spec(by_tier={"extreme": {}})
    assert only_error(info)["loc"][:2] == ("by_tier", "extreme")


def test_params_for_merges_tier_overrides_over_the_base() -> None:
    s = spec(
        kind="approvals",
        params={"domains": ["risk"], "max_age_days": 90},
        by_tier={"high": {"domains": ["risk", "data"]}, "limited": {"max_age_days": 30}},
    )
    assert s.params_for(RiskTier.HIGH) == {"domains": ["risk", "data"], "max_age_days": 90}
    assert s.params_for(RiskTier.LIMITED) == {"domains": ["risk"], "max_age_days": 30}
    assert s.params_for(RiskTier.MINIMAL) == {"domains": ["risk"], "max_age_days": 90}
    # the base is not changed by a merge
    assert s.params == {"domains": ["risk"], "max_age_days": 90}


def test_params_for_returns_a_copy() -> None:
    s = spec(params={"a": 1})
    merged = s.params_for(RiskTier.MINIMAL)
    merged["a"] = 2
    assert s.params_for(RiskTier.MINIMAL) == {"a": 1}


# ------------------------------------------------------------------ Policy


def test_policy_defaults() -> None:
    p = policy()
    assert p.name == "default"
    assert p.description == ""
    assert p.stall_after_days == 30
    assert p.time_boxes == {}


def test_policy_needs_gates() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        Policy.model_validate({})
    assert only_error(info)["loc"] == ("gates",)


def test_policy_needs_at_least_one_gate() -> None:
    with pytest.raises(pydantic.ValidationError, match="a policy needs at least one gate"):
        Policy.model_validate({"gates": {}})


def test_a_gate_may_list_no_criteria() -> None:
    p = policy(gates={"pilot": []})
    assert p.criteria(Stage.PILOT) == ()


@pytest.mark.parametrize("stage", ["idea", "retired"])
def test_only_gates_may_be_listed(stage: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        policy(gates={"pilot": [], stage: []})
    err = only_error(info)
    assert err["loc"] == ("gates",)
    assert f"'{stage}' is not a gate; gates are pilot, production, scaled" in err["msg"]


def test_unknown_gate_name() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        policy(gates={"launch": []})
    assert only_error(info)["loc"][:2] == ("gates", "launch")


def test_duplicate_criterion_ids_in_one_gate() -> None:
    crit = {"id": "risk", "kind": "risk_acceptable"}
    with pytest.raises(pydantic.ValidationError) as info:
        policy(gates={"pilot": [crit, {"id": "tb", "kind": "time_box"}, crit]})
    err = only_error(info)
    assert err["loc"] == ("gates",)
    assert "gate 'pilot' lists criterion id 'risk' twice" in err["msg"]


def test_the_same_id_in_different_gates_is_fine() -> None:
    crit = {"id": "risk", "kind": "risk_acceptable"}
    p = policy(gates={"pilot": [crit], "production": [crit]})
    assert [c.id for c in p.criteria(Stage.PILOT)] == ["risk"]
    assert [c.id for c in p.criteria(Stage.PRODUCTION)] == ["risk"]


def test_criteria_of_an_unlisted_gate_is_empty() -> None:
    assert policy().criteria(Stage.SCALED) == ()


def test_time_boxes() -> None:
    p = policy(time_boxes={"idea": 90, "pilot": 120, "production": None})
    assert p.time_box(Stage.IDEA) == 90
    assert p.time_box(Stage.PILOT) == 120
    assert p.time_box(Stage.PRODUCTION) is None
    assert p.time_box(Stage.SCALED) is None


def test_retired_has_no_time_box() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        policy(time_boxes={"pilot": 10, "retired": 5})
    err = only_error(info)
    assert err["loc"] == ("time_boxes",)
    assert "retired use cases have no time box" in err["msg"]


@pytest.mark.parametrize("days", [0, -1])
def test_time_boxes_are_positive(days: int) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        policy(time_boxes={"pilot": days})
    assert only_error(info)["loc"][:2] == ("time_boxes", "pilot")


def test_stall_after_days_is_not_negative() -> None:
    assert policy(stall_after_days=0).stall_after_days == 0
    with pytest.raises(pydantic.ValidationError) as info:
        policy(stall_after_days=-1)
    assert only_error(info)["loc"] == ("stall_after_days",)


@pytest.mark.parametrize("name", ["", "x" * 101])
def test_policy_name_is_bounded(name: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        policy(name=name)
    assert only_error(info)["loc"] == ("name",)


def test_policy_rejects_unknown_keys() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        policy(stall_days=3)
    assert only_error(info)["type"] == "extra_forbidden"


def test_policy_model_does_not_know_criterion_kinds() -> None:
    """Kinds are checked against the registry by gates.validate_policy, not by the model."""
    p = policy(gates={"pilot": [{"id": "x", "kind": "no_such_kind", "params": {"a": 1}}]})
    assert p.criteria(Stage.PILOT)[0].kind == "no_such_kind"
