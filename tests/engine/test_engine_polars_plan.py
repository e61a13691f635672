"""The Polars one-query path gives exactly what the generic Narwhals path gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalegate.engine import polars_plan, profile_query
from scalegate.engine.check import check, load_contract
from scalegate.engine.profile_model import DatasetProfile

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def varied() -> pl.DataFrame:
    n = 400
    return pl.DataFrame(
        {
            "i64": [None if k % 17 == 0 else (k * 7919) % 1000 - 300 for k in range(n)],
            "u8": pl.Series([k % 5 for k in range(n)], dtype=pl.UInt8),
            "big": pl.Series([2**63 + k for k in range(n)], dtype=pl.UInt64),
            "f": [
                None if k % 9 == 4 else [1.5, float("nan"), float("inf"), -2.0, 0.0][k % 5] * k
                for k in range(n)
            ],
            "tiny": [[1e300, -1e-310, -0.0, 5e-324, 2.5][k % 5] for k in range(n)],
            "f32": pl.Series([k / 3 - 20 for k in range(n)], dtype=pl.Float32),
            "dec": pl.Series([Decimal(k) / 4 for k in range(n)], dtype=pl.Decimal(10, 2)),
            "s": [None if k % 11 == 0 else f"v{(k * k) % 150}" for k in range(n)],
            "tie": ["a", "b", "c", "d"] * (n // 4),
            "empty_s": ["" if k % 2 else "é" for k in range(n)],
            "b": [None if k % 7 == 0 else k % 3 == 0 for k in range(n)],
            "d": [date(2020, 1, 1) + timedelta(days=k % 90) for k in range(n)],
            "ts": [datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=k) for k in range(n)],
            "dur": [timedelta(seconds=k % 13) for k in range(n)],
            "t": [time(k % 24, k % 60) for k in range(n)],
            "all_null_f": pl.Series([None] * n, dtype=pl.Float64),
            "all_null_s": pl.Series([None] * n, dtype=pl.String),
            "all_nan": [float("nan")] * n,
            "cat": pl.Series(["x", "y", None, "z"] * (n // 4), dtype=pl.Categorical),
            "lst": [[k] for k in range(n)],
        }
    )


def both(frame: pl.DataFrame, **params: Any) -> tuple[DatasetProfile, DatasetProfile]:
    params = {"alpha": 0.01, "top_capacity": 100, "precision": 10, **params}
    lazy = nw.from_native(frame.lazy())
    generic = profile_query.compute(lazy, **params)
    fast = polars_plan.run(lazy, [], examples=5, **params).profile
    assert fast is not None
    return generic, fast


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"top_capacity": 3},
        {"alpha": 0.05, "precision": 4},
        {"precision": 14, "top_capacity": 1},
    ],
)
@pytest.mark.parametrize("rows", [None, 0, 1])
def test_profile_identical_to_generic_path(params: dict[str, Any], rows: int | None) -> None:
    frame = varied() if rows is None else varied().head(rows)
    generic, fast = both(frame, **params)
    assert fast.to_dict() == generic.to_dict()
    assert fast.row_count == frame.height


def test_profile_identical_on_high_cardinality_and_ties() -> None:
    n = 20_000
    frame = pl.DataFrame(
        {
            "id": [f"id-{k}" for k in range(n)],
            "x": [(k * 2654435761) % 10_000_019 / 7 - 5e5 for k in range(n)],
            "tie": [f"t{k % 250}" for k in range(n)],  # all equally frequent: ties by value
        }
    )
    generic, fast = both(frame, top_capacity=10)
    assert fast.to_dict() == generic.to_dict()
    assert fast["id"].distinct is not None and fast["id"].distinct.estimate() > 0


def test_no_columns() -> None:
    generic, fast = both(pl.DataFrame())
    assert fast.to_dict() == generic.to_dict()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-(2**40), 2**40)),
            st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64)),
            st.one_of(st.none(), st.text(max_size=4)),
            st.one_of(st.none(), st.booleans()),
        ),
        max_size=60,
    )
)
def test_profile_identical_property(rows: list[tuple[Any, ...]]) -> None:
    frame = pl.DataFrame(
        rows,
        schema={"i": pl.Int64, "f": pl.Float64, "s": pl.String, "b": pl.Boolean},
        orient="row",
    )
    generic, fast = both(frame, top_capacity=4)
    assert fast.to_dict() == generic.to_dict()


CONTRACT = """
contract: fast
dataset:
  - row_count: {min: 10}
  - unique: {columns: [i64, tie]}
  - expression: {expr: "u8 < 4 or is_null(i64)"}
columns:
  i64:
    rules: [unique, not_null, {between: {min: -250, max: 600}}]
  f:
    rules: [{between: {min: -3, max: 3}}, {not_null: {max_fraction: 0.05}}]
  s:
    rules: [{regex: {pattern: '^v1'}}, {length: {max: 3}}, {in_set: {values: [v1, v4, v9]}}]
  b:
    rules: [not_null]
  d:
    rules: [{between: {min: 2020-02-01}}]
  ts:
    rules: []
  absent:
    rules: [not_null]
"""


def summary(frame: Any, profile: bool) -> list[tuple[Any, ...]]:
    result = check(frame, load_contract(CONTRACT, "c.yaml"), now=NOW, profile=profile)
    return [
        (r.id, r.status, r.failing, r.total, r.fraction, r.examples, r.reason)
        for r in result.results
    ]


@pytest.mark.parametrize("profile", [True, False])
def test_check_results_identical_to_generic_path(
    monkeypatch: pytest.MonkeyPatch, profile: bool
) -> None:
    frame = varied().drop("lst")
    outcomes: list[Any] = []
    original = polars_plan.run

    def spy(*args: Any, **kwargs: Any) -> Any:
        outcomes.append(original(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(polars_plan, "run", spy)
    fast = summary(frame, profile)
    assert len(outcomes) == 1  # the one-query path ran, and did not fall back
    assert any(status.value == "fail" and examples for _, status, _, _, _, examples, _ in fast)
    monkeypatch.setattr(polars_plan, "applies", lambda frame: False)
    assert summary(frame, profile) == fast


def test_check_profile_equals_profile_function() -> None:
    from scalegate.engine.profile import profile

    frame = varied()
    result = check(frame, load_contract("contract: c\ndataset: [{row_count: {min: 1}}]\n", "c"))
    assert result.profile is not None
    assert result.profile.to_dict() == profile(frame).to_dict()


def test_falls_back_to_generic_path_when_the_one_query_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = varied().drop("lst")
    expected = summary(frame, True)
    calls: list[int] = []

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise pl.exceptions.ComputeError("boom")

    monkeypatch.setattr(polars_plan, "run", broken)
    assert summary(frame, True) == expected
    assert calls == [1]
