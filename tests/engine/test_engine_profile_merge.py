"""merge(profile(A), profile(B)) against profile(A + B): exact where exact, else within bound."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections import Counter
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalegate.engine.profile import (
    ColumnProfile,
    DatasetProfile,
    ProfileError,
    merge,
    merge_all,
    profile,
)
from scalegate.engine.sketches.distinct import relative_standard_error
from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA

CAPACITY = 4  # small, so that merges truncate value lists and the error bound matters
QS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
SCHEMA = {
    "x": pl.Float64,
    "i": pl.Int64,
    "s": pl.String,
    "b": pl.Boolean,
    "t": pl.Datetime("us"),
}

magnitudes = st.floats(min_value=1e-100, max_value=1e100, allow_subnormal=False)
floats = st.one_of(
    magnitudes,
    magnitudes.map(lambda v: -v),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 1.0, -1.0, 2.5]),
    st.none(),
)
words = st.one_of(st.sampled_from(["a", "b", "c", "d", "e", "f", "日本", "é", "🙂", ""]), st.none())
stamps = st.one_of(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)), st.none()
)
rows = st.lists(
    st.tuples(
        floats,
        st.one_of(st.integers(-(2**40), 2**40), st.none()),
        words,
        st.one_of(st.booleans(), st.none()),
        stamps,
    ),
    max_size=60,
)


def frame(data: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(data, schema=SCHEMA, orient="row")


def finite_values(df: pl.DataFrame, name: str) -> np.ndarray:
    values = df[name].drop_nulls().cast(pl.Float64).to_numpy()
    return values[np.isfinite(values)]


def labels(df: pl.DataFrame, name: str) -> Counter[str]:
    return Counter(
        str(v).lower() if isinstance(v, bool) else v for v in df[name].to_list() if v is not None
    )


def assert_quantiles(column: ColumnProfile, values: np.ndarray) -> None:
    if len(values) == 0:
        assert column.quantile(0.5) is None
        return
    x = np.sort(values)
    for q in QS:
        rank = q * (len(x) - 1)
        i = math.floor(rank)
        scale = max(abs(x[i]), abs(x[min(i + 1, len(x) - 1)]))
        estimate = column.quantile(q)
        assert estimate is not None
        expected = float(np.quantile(values, q))
        assert abs(estimate - expected) <= DEFAULT_ALPHA * scale * (1 + 1e-9) + 1e-300


def assert_merged_like_union(merged: ColumnProfile, union: ColumnProfile, df: pl.DataFrame) -> None:
    name = union.name
    # exact fields
    for field in ("count", "nulls", "nan", "pos_inf", "neg_inf", "min", "max"):
        assert getattr(merged, field) == getattr(union, field), field
    assert (merged.min_length, merged.max_length) == (union.min_length, union.max_length)
    assert merged.dtype == union.dtype and merged.kind == union.kind
    # moments: counts exact, mean and M2 to rounding
    if union.moments is not None:
        assert merged.moments is not None
        values = finite_values(df, name)
        scale = float(np.max(np.abs(values))) if len(values) else 0.0
        assert merged.moments.count == union.moments.count == len(values)
        assert math.isclose(
            merged.moments.mean, union.moments.mean, rel_tol=1e-9, abs_tol=1e-12 * scale
        )
        assert math.isclose(
            merged.moments.m2,
            union.moments.m2,
            rel_tol=1e-9,
            abs_tol=1e-9 * scale * scale * len(values),
        )
    # quantile sketches: merged buckets are the union's buckets, so the bound carries over
    if union.quantiles is not None:
        assert merged.quantiles == union.quantiles
        assert_quantiles(merged, finite_values(df, name))
    # distinct counts: registers merge exactly; estimates within 4 standard errors
    if union.distinct is not None:
        assert merged.distinct is not None
        assert merged.distinct.registers == union.distinct.registers
        if union.kind in ("numeric",):
            true = len(set(finite_values(df, name).tolist()))
        elif union.kind == "temporal":
            true = df[name].drop_nulls().n_unique()
        else:
            true = len(labels(df, name))
        estimate = merged.distinct_count
        assert estimate is not None
        assert abs(estimate - true) <= 4 * relative_standard_error(10) * true + 1
    # top values: every true count within [count, count + error]
    if union.top is not None:
        assert merged.top is not None
        counter = labels(df, name)
        total = sum(counter.values())
        assert merged.top.error <= 2 * total / (CAPACITY + 1)
        for value, true in counter.items():
            low, high = merged.top.bounds(value)
            assert low <= true <= high, (value, low, true, high)
        for value in merged.top.counts:
            assert value in counter
        if merged.top.complete:
            assert dict(merged.top.counts) == dict(counter)
            assert merged.distinct_count == len(counter)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=rows, cut=st.floats(0, 1))
def test_merge_of_parts_is_the_profile_of_the_whole(
    data: list[tuple[Any, ...]], cut: float
) -> None:
    df = frame(data)
    k = round(cut * len(df))
    a, b = df.slice(0, k), df.slice(k)
    merged = merge(profile(a, top_capacity=CAPACITY), profile(b, top_capacity=CAPACITY))
    union = profile(df, top_capacity=CAPACITY)
    assert merged.row_count == union.row_count == len(df)
    assert merged.names == union.names
    for name in union.names:
        assert_merged_like_union(merged[name], union[name], df)
    text = json.dumps(merged.to_dict(), allow_nan=False)
    assert DatasetProfile.from_dict(json.loads(text)) == merged


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows, cuts=st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_merge_all_of_many_parts(data: list[tuple[Any, ...]], cuts: list[float]) -> None:
    df = frame(data)
    edges = sorted({0, len(df), *(round(c * len(df)) for c in cuts)})
    parts = [df.slice(lo, hi - lo) for lo, hi in itertools.pairwise(edges)] or [df]
    merged = merge_all(profile(p, top_capacity=CAPACITY) for p in parts)
    union = profile(df, top_capacity=CAPACITY)
    assert merged.row_count == len(df)
    for name in union.names:
        m, u = merged[name], union[name]
        assert (m.count, m.nulls, m.nan, m.min, m.max) == (u.count, u.nulls, u.nan, u.min, u.max)
        assert m.quantiles == u.quantiles
        if u.distinct is not None and m.distinct is not None:
            assert m.distinct.registers == u.distinct.registers
        if u.top is not None and m.top is not None:
            for value, true in labels(df, name).items():
                low, high = m.top.bounds(value)
                assert low <= true <= high


def test_merge_is_order_independent_for_exact_fields() -> None:
    rng = np.random.default_rng(1)
    parts = [
        pl.DataFrame({"x": rng.normal(i * 10, 1 + i, 500), "s": rng.choice(list("abcdefg"), 500)})
        for i in range(5)
    ]
    profiles = [profile(p) for p in parts]
    forward = merge_all(profiles)
    backward = merge_all(reversed(profiles))
    whole = profile(pl.concat(parts))
    for merged in (forward, backward):
        assert merged["x"].quantiles == whole["x"].quantiles
        assert merged["x"].min == whole["x"].min and merged["x"].max == whole["x"].max
        assert merged["x"].mean == pytest.approx(whole["x"].mean, rel=1e-12)
        assert merged["x"].variance() == pytest.approx(whole["x"].variance(), rel=1e-12)
        assert merged["s"].top == whole["s"].top
        assert merged["s"].distinct_count == 7


def test_merge_of_a_large_split_stays_within_bounds() -> None:
    rng = np.random.default_rng(9)
    n = 200_000
    df = pl.DataFrame(
        {
            "x": rng.lognormal(3, 2, n) * rng.choice([-1, 1], n),
            "id": np.arange(n),
            "city": [f"c{v}" for v in rng.zipf(1.4, n) % 5_000],
        }
    )
    parts = [df.slice(0, 50_000), df.slice(50_000, 70_000), df.slice(120_000)]
    merged = merge_all(profile(p) for p in parts)
    union = profile(df)
    x = df["x"].to_numpy()
    assert merged["x"].mean == pytest.approx(x.mean(), rel=1e-9)
    assert merged["x"].variance() == pytest.approx(x.var(ddof=1), rel=1e-9)
    assert_quantiles(merged["x"], x)
    assert merged["id"].distinct == union["id"].distinct
    assert merged["id"].distinct_count is not None
    assert abs(merged["id"].distinct_count - n) <= 4 * relative_standard_error(10) * n
    counter = Counter(df["city"].to_list())
    top = merged["city"].top
    assert top is not None and not top.complete
    assert top.error <= 3 * n / (top.capacity + 1)
    for value, true in counter.items():
        low, high = top.bounds(value)
        assert low <= true <= high
    # the heaviest values are found exactly once their margin exceeds the error
    heavy = [v for v, c in counter.most_common(10)]
    assert [v for v, _ in merged["city"].top_values(3)] == heavy[:3]


def test_columns_missing_from_one_side_count_as_nulls() -> None:
    a = profile(pl.DataFrame({"x": [1.0, 2.0], "only_a": ["p", "q"]}))
    b = profile(pl.DataFrame({"x": [3.0]}))
    merged = merge(a, b)
    assert merged.names == ["x", "only_a"]
    assert (merged["only_a"].count, merged["only_a"].nulls) == (2, 1)
    assert merged["x"].mean == 2.0


def test_all_null_partition_merges_with_typed_partition() -> None:
    typed = profile(pl.DataFrame({"x": [1.5, 2.5]}))
    empty = profile(pl.DataFrame({"x": [None, None]}))  # Null dtype
    merged = merge(empty, typed)
    assert merged["x"].kind == "numeric"
    assert (merged["x"].count, merged["x"].nulls, merged["x"].mean) == (2, 2, 2.0)


def test_incompatible_columns_are_refused() -> None:
    a = profile(pl.DataFrame({"x": [1.0]}))
    b = profile(pl.DataFrame({"x": ["one"]}))
    with pytest.raises(ProfileError, match="column 'x' is Float64 in one profile and String"):
        merge(a, b)


def test_int_and_float_partitions_merge() -> None:
    a = profile(pl.DataFrame({"x": [1, 2, 3]}))
    b = profile(pl.DataFrame({"x": [3.0, 4.5]}))
    merged = merge(a, b)
    assert merged["x"].dtype == "Float64 | Int64"
    assert merged["x"].distinct_count == 4  # 3 and 3.0 hash alike
    assert merged["x"].mean == pytest.approx(13.5 / 5)


def test_merge_all_of_nothing() -> None:
    assert merge_all([]) == DatasetProfile(0, ())
