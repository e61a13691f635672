"""The charter and the use case: validation of what users write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest

from scalegate.domain.stage import Stage
from scalegate.domain.use_case import (
    CHARTER_FIELDS,
    Charter,
    Direction,
    IntegrationMode,
    IntegrationTarget,
    Kpi,
    RiskTier,
    UseCase,
    is_slug,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def charter(**overrides: Any) -> Charter:
    data: dict[str, Any] = {"slug": "credit-limit", "name": "Credit limit advisor"}
    data.update(overrides)
    return Charter.model_validate(data)


def use_case(**overrides: Any) -> UseCase:
    data: dict[str, Any] = {
        "id": 1,
        "slug": "credit-limit",
        "name": "Credit limit advisor",
        "stage_entered_at": NOW - timedelta(days=3),
        "created_at": NOW - timedelta(days=10),
        "updated_at": NOW - timedelta(days=1),
    }
    data.update(overrides)
    return UseCase.model_validate(data)


def error_of(exc: pytest.ExceptionInfo[pydantic.ValidationError]) -> dict[str, Any]:
    errors = exc.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


# ------------------------------------------------------------------ slug


@pytest.mark.parametrize(
    "slug", ["ab", "credit-limit", "a1", "0x", "a--b", "a" * 64, "churn-2025-q3"]
)
def test_valid_slugs(slug: str) -> None:
    assert is_slug(slug)
    assert charter(slug=slug).slug == slug


@pytest.mark.parametrize(
    "slug",
    ["", "a", "-ab", "ab-", "AB", "Credit-limit", "a_b", "a b", "a.b", "a" * 65, "ü-x"],
)
def test_invalid_slugs(slug: str) -> None:
    assert not is_slug(slug)
    with pytest.raises(pydantic.ValidationError) as info:
        charter(slug=slug)
    err = error_of(info)
    assert err["loc"] == ("slug",)
    assert "a slug is 2-64 lowercase letters, digits and hyphens" in err["msg"]


def test_slug_whitespace_is_stripped_before_the_pattern() -> None:
    assert charter(slug="  credit-limit \n").slug == "credit-limit"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_name_is_required_and_bounded(name: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(name=name)
    assert error_of(info)["loc"] == ("name",)


def test_name_and_slug_are_required() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        Charter.model_validate({})
    missing = {e["loc"] for e in info.value.errors() if e["type"] == "missing"}
    assert missing == {("slug",), ("name",)}


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(owner="bob")
    err = error_of(info)
    assert err["loc"] == ("owner",)
    assert err["type"] == "extra_forbidden"


def test_charter_is_frozen() -> None:
    c = charter()
    with pytest.raises(pydantic.ValidationError):
        c.name = "other"  # type: ignore[misc]


def test_defaults() -> None:
    c = charter()
    assert c.purpose == ""
    assert c.business_owner is None
    assert c.technical_owner is None
    assert c.departments == ()
    assert c.tags == ()
    assert c.kpis == ()
    assert c.integration_targets == ()
    assert c.risk_tier is RiskTier.MINIMAL


# ------------------------------------------------------------------ departments / tags


@pytest.mark.parametrize("field", ["departments", "tags"])
def test_a_comma_string_is_a_list(field: str) -> None:
    c = charter(**{field: " risk, finance,, ops ,"})
    assert getattr(c, field) == ("risk", "finance", "ops")


@pytest.mark.parametrize("field", ["departments", "tags"])
def test_a_single_word_string_is_a_one_item_list(field: str) -> None:
    assert getattr(charter(**{field: "risk"}), field) == ("risk",)


@pytest.mark.parametrize("field", ["departments", "tags"])
@pytest.mark.parametrize("value", ["", " , ,"])
def test_an_empty_comma_string_is_no_items(field: str, value: str) -> None:
    assert getattr(charter(**{field: value}), field) == ()


def test_lists_are_kept_in_order_and_stripped() -> None:
    c = charter(departments=["Sales ", " Risk"], tags=["b", "a"])
    assert c.departments == ("Sales", "Risk")
    assert c.tags == ("b", "a")


def test_departments_must_be_strings() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(departments=[{"name": "x"}])
    assert error_of(info)["loc"] == ("departments", 0)


# ------------------------------------------------------------------ owners


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_owners_are_none(blank: str) -> None:
    c = charter(business_owner=blank, technical_owner=blank)
    assert c.business_owner is None
    assert c.technical_owner is None


def test_owners_are_stripped() -> None:
    c = charter(business_owner=" bob ", technical_owner="tina")
    assert (c.business_owner, c.technical_owner) == ("bob", "tina")


# ------------------------------------------------------------------ KPIs


def test_kpi_defaults_and_measurable() -> None:
    k = Kpi(name="approval time")
    assert k.direction is Direction.INCREASE
    assert k.unit == ""
    assert not k.measurable
    assert not Kpi(name="x", baseline=1.0).measurable
    assert not Kpi(name="x", target=1.0).measurable
    # zero is a value, not "missing"
    assert Kpi(name="x", baseline=0.0, target=0).measurable


def test_kpi_direction_must_be_known() -> None:
    assert Kpi(name="x", direction="decrease").direction is Direction.DECREASE
    with pytest.raises(pydantic.ValidationError) as info:
        Kpi(name="x", direction="sideways")
    assert error_of(info)["loc"] == ("direction",)


def test_kpi_baseline_must_be_a_number() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(kpis=[{"name": "a"}, {"name": "b", "baseline": "lots"}])
    assert error_of(info)["loc"] == ("kpis", 1, "baseline")


def test_duplicate_kpi_names_are_rejected() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(kpis=[{"name": "churn"}, {"name": "nps"}, {"name": "churn", "target": 1}])
    err = error_of(info)
    assert err["loc"] == ("kpis",)
    assert "KPI 'churn' is listed twice" in err["msg"]


def test_kpi_names_are_compared_after_stripping() -> None:
    with pytest.raises(pydantic.ValidationError, match="KPI 'churn' is listed twice"):
        charter(kpis=[{"name": "churn"}, {"name": " churn "}])


def test_distinct_kpi_names_are_fine() -> None:
    c = charter(kpis=[{"name": "churn", "unit": "%"}, {"name": "Churn"}])
    assert [k.name for k in c.kpis] == ["churn", "Churn"]
    assert isinstance(c.kpis[0], Kpi)


# ------------------------------------------------------------------ integration


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("api", IntegrationMode.API),
        ("batch", IntegrationMode.BATCH),
        ("embedded_ui", IntegrationMode.EMBEDDED_UI),
        ("report", IntegrationMode.REPORT),
    ],
)
def test_integration_modes(mode: str, expected: IntegrationMode) -> None:
    c = charter(integration_targets=[{"system": "SAP", "mode": mode}])
    assert c.integration_targets == (IntegrationTarget(system="SAP", mode=expected),)


@pytest.mark.parametrize("mode", ["fax", "API ", "embedded-ui", ""])
def test_unknown_integration_mode(mode: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(
            integration_targets=[{"system": "SAP", "mode": "api"}, {"system": "x", "mode": mode}]
        )
    assert error_of(info)["loc"] == ("integration_targets", 1, "mode")


def test_integration_target_needs_a_system_and_a_mode() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        IntegrationTarget.model_validate({"system": "  ", "mode": "api"})
    assert error_of(info)["loc"] == ("system",)
    with pytest.raises(pydantic.ValidationError) as info:
        IntegrationTarget.model_validate({"system": "SAP"})
    assert error_of(info)["loc"] == ("mode",)


# ------------------------------------------------------------------ risk tiers


@pytest.mark.parametrize("tier", ["minimal", "limited", "high", "prohibited"])
def test_risk_tiers(tier: str) -> None:
    assert charter(risk_tier=tier).risk_tier is RiskTier(tier)


@pytest.mark.parametrize("tier", ["extreme", "HIGH", "low", ""])
def test_unknown_risk_tier(tier: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        charter(risk_tier=tier)
    assert error_of(info)["loc"] == ("risk_tier",)


# ------------------------------------------------------------------ charter fields


def test_charter_fields_exist_on_the_charter() -> None:
    assert set(CHARTER_FIELDS) <= set(Charter.model_fields)
    # lifecycle and identity are not charter content a policy can ask for
    assert "slug" not in CHARTER_FIELDS
    assert "risk_tier" not in CHARTER_FIELDS
    assert "stage" not in CHARTER_FIELDS


# ------------------------------------------------------------------ UseCase


def test_use_case_defaults_to_idea() -> None:
    uc = use_case()
    assert uc.stage is Stage.IDEA
    assert uc.lessons_learned is None


@pytest.mark.parametrize("field", ["id", "stage_entered_at", "created_at", "updated_at"])
def test_use_case_needs_its_lifecycle_fields(field: str) -> None:
    data = use_case().model_dump()
    del data[field]
    with pytest.raises(pydantic.ValidationError) as info:
        UseCase.model_validate(data)
    err = error_of(info)
    assert err["loc"] == (field,)
    assert err["type"] == "missing"


def test_use_case_validates_its_charter_too() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        use_case(slug="Bad Slug")
    assert error_of(info)["loc"] == ("slug",)
    with pytest.raises(pydantic.ValidationError, match="listed twice"):
        use_case(kpis=[{"name": "a"}, {"name": "a"}])
    assert use_case(tags="a, b").tags == ("a", "b")


def test_charter_of_a_use_case_drops_lifecycle_state() -> None:
    uc = use_case(
        stage="pilot",
        purpose="Suggest credit limits",
        business_owner="bob",
        departments="risk, sales",
        kpis=[{"name": "loss rate", "direction": "decrease", "baseline": 2.5, "target": 2.0}],
        integration_targets=[{"system": "CRM", "mode": "embedded_ui"}],
        risk_tier="high",
        lessons_learned=None,
    )
    c = uc.charter()
    assert type(c) is Charter
    assert c == Charter(
        slug="credit-limit",
        name="Credit limit advisor",
        purpose="Suggest credit limits",
        business_owner="bob",
        departments=("risk", "sales"),
        kpis=(Kpi(name="loss rate", direction=Direction.DECREASE, baseline=2.5, target=2.0),),
        integration_targets=(IntegrationTarget(system="CRM", mode=IntegrationMode.EMBEDDED_UI),),
        risk_tier=RiskTier.HIGH,
    )


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        (NOW, 0.0),
        (NOW - timedelta(days=1), 1.0),
        (NOW - timedelta(days=2, hours=12), 2.5),
        (NOW - timedelta(days=120), 120.0),
        (NOW + timedelta(days=1), -1.0),
    ],
)
def test_days_in_stage(entered: datetime, expected: float) -> None:
    assert use_case(stage_entered_at=entered).days_in_stage(NOW) == pytest.approx(expected)
