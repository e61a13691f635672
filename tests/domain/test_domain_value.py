"""Progress, realised value and money units: hand-checked cases, and NumPy as the independent
reference for the progress line and pandas for the per-currency sums."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalegate.domain.use_case import Kpi
from scalegate.domain.value import (
    MoneyUnit,
    RealisedValue,
    check_value,
    find_kpi,
    measurement_payload,
    money_unit,
    progress,
    realised_value,
    sum_by_unit,
)
from scalegate.errors import UnknownChoiceError, ValidationError


def kpi(
    direction: str = "increase",
    baseline: float | None = 40,
    target: float | None = 80,
    unit: str = "%",
    name: str = "rate",
) -> Kpi:
    return Kpi(name=name, unit=unit, direction=direction, baseline=baseline, target=target)


# ---------------------------------------------------------------- money units
@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("EUR", MoneyUnit("EUR")),
        ("USD", MoneyUnit("USD")),
        ("GBP", MoneyUnit("GBP")),
        ("CHF", MoneyUnit("CHF")),
        ("€", MoneyUnit("EUR")),
        ("$", MoneyUnit("USD")),
        ("£", MoneyUnit("GBP")),
        ("EUR/month", MoneyUnit("EUR", "month")),
        ("EUR / Months", MoneyUnit("EUR", "month")),
        ("€/year", MoneyUnit("EUR", "year")),
        (" USD/quarter ", MoneyUnit("USD", "quarter")),
        ("CHF/week", MoneyUnit("CHF", "week")),
        ("GBP/day", MoneyUnit("GBP", "day")),
    ],
)
def test_money_units(unit: str, expected: MoneyUnit) -> None:
    assert money_unit(unit) == expected


@pytest.mark.parametrize(
    "unit",
    [
        "",
        "%",
        "hours",
        "eur",
        "Eur",
        "EUR per claim",
        "EUR/claim",
        "EUR/fortnight",
        "FTE",
        "KPI",
        "XAU",
        "EURO",
        "EUR/month/extra",
        "bp",
    ],
)
def test_not_money(unit: str) -> None:
    assert money_unit(unit) is None


def test_money_label() -> None:
    assert MoneyUnit("EUR", "month").label == "EUR/month"
    assert MoneyUnit("USD").label == "USD"


# ---------------------------------------------------------------- progress
@pytest.mark.parametrize(
    ("direction", "baseline", "target", "value", "fraction"),
    [
        ("increase", 40, 80, 40, 0.0),
        ("increase", 40, 80, 50, 0.25),
        ("increase", 40, 80, 80, 1.0),
        ("increase", 40, 80, 90, 1.25),  # past the target: not clamped
        ("increase", 40, 80, 30, -0.25),  # the wrong way
        ("decrease", 96, 48, 72, 0.5),
        ("decrease", 96, 48, 60, 0.75),
        ("decrease", 96, 48, 100, -1 / 12),
        ("decrease", 2.1, 1.6, 1.85, 0.5),
        ("increase", -10, 10, 0, 0.5),
    ],
)
def test_progress_hand_checked(
    direction: str, baseline: float, target: float, value: float, fraction: float
) -> None:
    got = progress(kpi(direction, baseline, target), value)
    assert got.reason is None
    assert got.fraction == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("baseline", "target", "direction", "reason"),
    [
        (None, 80, "increase", "KPI 'rate' has no baseline"),
        (40, None, "increase", "KPI 'rate' has no target"),
        (None, None, "increase", "KPI 'rate' has no baseline and no target"),
        (40, 40, "increase", "KPI 'rate' has its target equal to its baseline"),
        (
            40,
            30,
            "increase",
            "KPI 'rate' should increase but its target (30) lies below its baseline (40)",
        ),
        (
            40,
            50,
            "decrease",
            "KPI 'rate' should decrease but its target (50) lies above its baseline (40)",
        ),
    ],
)
def test_progress_is_none_with_a_reason(
    baseline: float | None, target: float | None, direction: str, reason: str
) -> None:
    got = progress(kpi(direction, baseline, target), 45)
    assert got.fraction is None
    assert got.reason == reason


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(
    baseline=finite,
    span=st.floats(min_value=1e-3, max_value=1e6),
    value=finite,
    increase=st.booleans(),
)
def test_progress_matches_the_line_numpy_fits_through_baseline_and_target(
    baseline: float, span: float, value: float, increase: bool
) -> None:
    target = baseline + span if increase else baseline - span
    if target == baseline:
        return
    k = kpi("increase" if increase else "decrease", baseline, target)
    # the straight line through (baseline, 0) and (target, 1), fitted by NumPy
    line = np.polynomial.Polynomial.fit([baseline, target], [0.0, 1.0], deg=1)
    expected = float(line(value))
    got = progress(k, value).fraction
    assert got is not None
    assert math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-6)


# ---------------------------------------------------------------- realised value
def test_realised_value_of_increase_and_decrease_kpis() -> None:
    revenue = kpi("increase", 1000, 1500, unit="EUR/month", name="revenue")
    cost = kpi("decrease", 180_000, 144_000, unit="EUR/month", name="cost")
    assert realised_value(revenue, 1200) == RealisedValue(200.0, MoneyUnit("EUR", "month"))
    assert realised_value(cost, 150_000) == RealisedValue(30_000.0, MoneyUnit("EUR", "month"))
    # got worse: negative value realised
    assert realised_value(cost, 190_000) == RealisedValue(-10_000.0, MoneyUnit("EUR", "month"))
    # needs a baseline, not a target
    no_target = kpi("decrease", 50, None, unit="USD", name="loss")
    assert realised_value(no_target, 45) == RealisedValue(5.0, MoneyUnit("USD"))


def test_no_realised_value_without_money_or_baseline() -> None:
    assert (
        realised_value(kpi(unit="hours"), 50)
        == "KPI 'rate' is not measured in money (unit 'hours')"
    )
    assert realised_value(kpi(baseline=None, unit="EUR"), 50) == "KPI 'rate' has no baseline"


def test_sums_never_mix_currencies_or_periods() -> None:
    values = [
        RealisedValue(100.0, MoneyUnit("EUR")),
        RealisedValue(50.0, MoneyUnit("USD")),
        RealisedValue(-20.0, MoneyUnit("EUR")),
        RealisedValue(7.0, MoneyUnit("EUR", "month")),
        RealisedValue(3.0, MoneyUnit("EUR", "month")),
        RealisedValue(1.5, MoneyUnit("GBP", "year")),
    ]
    got = sum_by_unit(values)
    frame = pd.DataFrame(
        {"unit": [v.unit.label for v in values], "amount": [v.amount for v in values]}
    )
    expected = frame.groupby("unit")["amount"].sum().to_dict()
    assert got == pytest.approx(expected)
    assert got == {"EUR": 80.0, "EUR/month": 10.0, "GBP/year": 1.5, "USD": 50.0}
    assert list(got) == sorted(got)
    assert sum_by_unit([]) == {}


# ---------------------------------------------------------------- measurement payloads
KPIS = (
    kpi("decrease", 96, 48, unit="hours", name="time to settle"),
    kpi("decrease", 38, 30, unit="EUR/month", name="cost"),
)


def test_payload_is_completed_from_the_charter() -> None:
    got = measurement_payload(KPIS, "time to settle", {"value": "61.5", "source": "BI"})
    assert got == {
        "kpi": "time to settle",
        "value": 61.5,
        "unit": "hours",
        "baseline": 96.0,
        "target": 48.0,
        "direction": "decrease",
        "source": "BI",
    }
    # the same money written with a symbol is the KPI's unit
    assert (
        measurement_payload(KPIS, "cost", {"value": 31, "unit": "€/month"})["unit"] == "EUR/month"
    )


def test_unknown_kpi_lists_the_charter_kpis() -> None:
    with pytest.raises(UnknownChoiceError) as exc:
        measurement_payload(KPIS, "time to setle", {"value": 1})
    assert str(exc.value) == (
        "unknown KPI 'time to setle'; the charter's KPIs are 'time to settle', 'cost'"
    )
    with pytest.raises(ValidationError, match="the charter defines no KPIs"):
        find_kpi((), "x")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"value": "abc"}, "KPI 'cost': value 'abc' is not a number"),
        ({"value": "nan"}, "KPI 'cost': value 'nan' is not a finite number"),
        ({"value": float("inf")}, "KPI 'cost': value 'inf' is not a finite number"),
        ({"value": True}, "KPI 'cost': value 'True' is not a number"),
        ({"value": "1_000"}, "KPI 'cost': value '1_000' is not a number"),
        ({}, "KPI 'cost': a measurement needs a value"),
        (
            {"value": 3, "unit": "USD/month"},
            "KPI 'cost' is measured in 'EUR/month', not 'USD/month'; give the value in 'EUR/month'",
        ),
        (
            {"value": 3, "unit": "EUR"},
            "KPI 'cost' is measured in 'EUR/month', not 'EUR'; give the value in 'EUR/month'",
        ),
    ],
)
def test_bad_measurements(payload: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        measurement_payload(KPIS, "cost", payload)
    assert str(exc.value) == message


def test_check_value() -> None:
    assert check_value(" 12.5 ") == 12.5
    assert check_value(3) == 3.0
    assert check_value("-1e3") == -1000.0
    for bad in ("", "1,5", None, [1], "inf", "-inf"):
        with pytest.raises(ValueError):
            check_value(bad)
