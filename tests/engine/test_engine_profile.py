"""Profiles computed in the engine, checked against NumPy, SciPy and plain Python."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from scalegate.engine.profile import DatasetProfile, ProfileError, profile
from scalegate.engine.sketches import hashing
from scalegate.engine.sketches.distinct import relative_standard_error
from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA

QS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)


def assert_quantile_within_bound(estimate: float | None, values: np.ndarray, q: float) -> None:
    """|estimate - numpy.quantile| <= alpha * max(|x[i]|, |x[i+1]|) (module docstring)."""
    assert estimate is not None
    x = np.sort(values)
    rank = q * (len(x) - 1)
    i = math.floor(rank)
    j = min(i + 1, len(x) - 1)
    scale = max(abs(x[i]), abs(x[j]))
    expected = float(np.quantile(values, q))
    assert abs(estimate - expected) <= DEFAULT_ALPHA * scale * (1 + 1e-9) + 1e-12 * scale, (
        q,
        estimate,
        expected,
    )


def assert_distinct_within_bound(estimate: int | None, true: int) -> None:
    """HyperLogLog: within 4 relative standard errors (plus one for tiny counts)."""
    assert estimate is not None
    assert abs(estimate - true) <= 4 * relative_standard_error(10) * true + 1, (estimate, true)


@pytest.fixture
def collects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every query the engine runs (Narwhals and native Polars collects)."""
    calls: list[str] = []
    nw_collect = nw.LazyFrame.collect
    pl_collect = pl.LazyFrame.collect

    def counting_nw(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("narwhals")
        return nw_collect(self, *args, **kwargs)

    def counting_pl(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("polars")
        return pl_collect(self, *args, **kwargs)

    monkeypatch.setattr(nw.LazyFrame, "collect", counting_nw)
    monkeypatch.setattr(pl.LazyFrame, "collect", counting_pl)
    yield calls


def credit_like(n: int, seed: int = 7) -> pl.DataFrame:
    """A seeded table: skewed and symmetric numbers with nulls, categories, dates."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 1.2, n)
    income[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame(
        {
            "income": pl.Series(income).fill_nan(None),
            "balance": rng.normal(-50, 400, n),
            "age": rng.integers(18, 90, n),
            "score": rng.integers(0, 1000, n).astype(np.float32),
            "grade": rng.choice(
                ["A", "B", "C", "D", "É", "ü"], n, p=[0.4, 0.3, 0.15, 0.1, 0.04, 0.01]
            ),
            "city": [f"city-{i}" for i in rng.zipf(1.6, n) % 400],
            "active": rng.random(n) < 0.3,
            "opened": pl.Series(rng.integers(0, 3_000, n)).cast(pl.Date),
        }
    )


@pytest.fixture(scope="module")
def data() -> pl.DataFrame:
    return credit_like(20_000)


@pytest.fixture(scope="module")
def result(data: pl.DataFrame) -> DatasetProfile:
    return profile(data)


def finite(values: pl.Series) -> np.ndarray:
    arr = values.drop_nulls().cast(pl.Float64).to_numpy()
    return arr[np.isfinite(arr)]


@pytest.mark.parametrize("name", ["income", "balance", "age", "score"])
def test_numbers_match_numpy_and_scipy(
    data: pl.DataFrame, result: DatasetProfile, name: str
) -> None:
    column = result[name]
    values = finite(data[name])
    described = stats.describe(values)
    assert column.count == data[name].count()
    assert column.nulls == data[name].null_count()
    assert column.min == described.minmax[0]
    assert column.max == described.minmax[1]
    assert column.mean == pytest.approx(np.mean(values), rel=1e-12)
    assert column.variance() == pytest.approx(np.var(values, ddof=1), rel=1e-9)
    assert column.variance() == pytest.approx(described.variance, rel=1e-9)
    assert column.std(ddof=0) == pytest.approx(np.std(values), rel=1e-9)
    for q in QS:
        assert_quantile_within_bound(column.quantile(q), values, q)
    assert_distinct_within_bound(column.distinct_count, len(set(values.tolist())))


def test_integer_min_max_stay_exact_integers(result: DatasetProfile, data: pl.DataFrame) -> None:
    assert result["age"].min == data["age"].min()
    assert isinstance(result["age"].min, int)
    assert result["age"].dtype == "Int64"
    assert result["age"].kind == "numeric"


@pytest.mark.parametrize("name", ["grade", "city", "active"])
def test_categories_match_counter(data: pl.DataFrame, result: DatasetProfile, name: str) -> None:
    values = [str(v).lower() if isinstance(v, bool) else v for v in data[name].to_list()]
    counter = Counter(v for v in values if v is not None)
    column = result[name]
    assert column.distinct_count == len(counter)
    assert column.distinct is not None and column.distinct.is_exact
    assert column.top is not None
    ordered = sorted(counter.values(), reverse=True)
    capacity = column.top.capacity
    assert column.top.error == (ordered[capacity] if len(ordered) > capacity else 0)
    assert column.top.complete == (len(counter) <= capacity)
    assert column.top_values(5) == sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    for value, count in column.top.counts.items():
        assert count == counter[value]
    for value, count in counter.items():
        low, high = column.top.bounds(value)
        assert low <= count <= high


def test_string_min_max_and_lengths_follow_python(
    data: pl.DataFrame, result: DatasetProfile
) -> None:
    values = data["grade"].to_list()
    assert result["grade"].min == min(values)
    assert result["grade"].max == max(values)  # 'ü' > 'É' > 'D' by code point
    assert result["city"].min_length == min(len(v) for v in data["city"].to_list())
    assert result["city"].max_length == max(len(v) for v in data["city"].to_list())


def test_top_values_beyond_capacity_have_exact_counts_and_an_error_bound() -> None:
    rng = np.random.default_rng(3)
    values = [f"v{i}" for i in rng.zipf(1.3, 5_000) % 2_000]
    counter = Counter(values)
    capacity = 20
    column = profile(pl.DataFrame({"v": values}), top_capacity=capacity)["v"]
    assert column.top is not None
    assert not column.top.complete
    ordered = sorted(counter.values(), reverse=True)
    assert column.top.error == ordered[capacity]
    assert column.top.error <= len(values) / (capacity + 1)
    assert len(column.top.counts) == capacity
    for value, count in column.top.counts.items():
        assert count == counter[value]
    for value, true in counter.items():
        low, high = column.top.bounds(value)
        assert low <= true <= high
    # distinct is still exact from one pass: every group was counted
    assert column.distinct_count == len(counter)


def test_dates_datetimes_and_durations() -> None:
    stamps = [
        dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC),
        None,
        dt.datetime(2023, 5, 2, tzinfo=dt.UTC),
    ]
    df = pl.DataFrame(
        {
            "at": stamps,
            "day": [dt.date(2020, 1, 2), dt.date(2019, 12, 31), None],
            "took": [dt.timedelta(seconds=5), None, dt.timedelta(minutes=1)],
            "clock": [dt.time(9, 30), dt.time(23, 59, 59, 5), None],
        }
    )
    result = profile(df)
    assert result["at"].kind == "temporal"
    assert (result["at"].count, result["at"].nulls) == (2, 1)
    assert result["at"].min == dt.datetime(2023, 5, 2, tzinfo=dt.UTC)
    assert result["at"].max == dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    assert result["day"].min == dt.date(2019, 12, 31)
    assert result["took"].max == dt.timedelta(minutes=1)
    assert result["clock"].max == dt.time(23, 59, 59, 5)
    assert result["at"].distinct_count == 2
    assert DatasetProfile.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_nan_and_infinities_are_counted_and_left_out() -> None:
    values = [1.0, math.nan, math.inf, -math.inf, None, 3.0, math.nan]
    column = profile(pl.DataFrame({"x": values}, schema={"x": pl.Float64}))["x"]
    assert (column.count, column.nulls, column.nan, column.pos_inf, column.neg_inf) == (
        6,
        1,
        2,
        1,
        1,
    )
    assert column.infinities == 2
    assert (column.min, column.max, column.mean) == (1.0, 3.0, 2.0)
    assert column.variance() == pytest.approx(2.0)
    assert column.moments is not None and column.moments.count == 2
    assert column.distinct_count == 2
    assert column.quantile(0) == 1.0 and column.quantile(1) == 3.0
    text = json.dumps(profile(pl.DataFrame({"x": values})).to_dict(), allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text


def test_only_nan_and_infinities() -> None:
    column = profile(pl.DataFrame({"x": [math.nan, math.inf, -math.inf]}))["x"]
    assert (column.count, column.nan, column.infinities) == (3, 1, 2)
    assert column.min is None and column.max is None and column.mean is None
    assert column.variance() is None and column.quantile(0.5) is None
    assert column.distinct_count == 0
    json.dumps(column.to_dict(), allow_nan=False)


def test_empty_dataset() -> None:
    df = pl.DataFrame(schema={"x": pl.Float64, "n": pl.Int64, "s": pl.String, "b": pl.Boolean})
    result = profile(df)
    assert result.row_count == 0
    for column in result:
        assert (column.count, column.nulls) == (0, 0)
        assert column.min is None and column.max is None
        assert column.mean is None and column.quantile(0.5) is None
        assert column.distinct_count == 0
        assert column.top_values() == []
    json.dumps(result.to_dict(), allow_nan=False)


def test_no_columns() -> None:
    result = profile(pl.DataFrame())
    assert result.row_count == 0 and len(result) == 0


def test_all_null_columns() -> None:
    df = pl.DataFrame(
        {"x": [None, None], "s": [None, None], "z": [None, None]},
        schema={"x": pl.Float64, "s": pl.String, "z": pl.Null},
    )
    result = profile(df)
    assert result.row_count == 2
    for column in result:
        assert (column.count, column.nulls) == (0, 2)
        assert column.mean is None and column.min is None
    assert result["z"].kind == "other"
    assert result["s"].distinct_count == 0
    json.dumps(result.to_dict(), allow_nan=False)


def test_constant_column_and_one_row() -> None:
    column = profile(pl.DataFrame({"x": [7.25] * 50}))["x"]
    assert (column.min, column.max, column.mean, column.variance()) == (7.25, 7.25, 7.25, 0.0)
    assert all(column.quantile(q) == 7.25 for q in QS)  # clamped to [min, max]
    assert column.distinct_count == 1
    one = profile(pl.DataFrame({"x": [-3], "s": ["ß"]}))
    assert one["x"].mean == -3.0 and one["x"].variance() is None and one["x"].variance(0) == 0.0
    assert one["x"].quantile(0.5) == -3.0
    assert one["s"].top_values() == [("ß", 1)]


def test_zeros_and_negative_values() -> None:
    values = np.array([0.0, -0.0, -1e-3, -5.0, 2.0, 0.0, -1e6, 3e9])
    column = profile(pl.DataFrame({"x": values}))["x"]
    assert column.quantiles is not None and column.quantiles.zero == 3
    for q in QS:
        assert_quantile_within_bound(column.quantile(q), values, q)
    assert column.distinct_count == len(set(values.tolist()))


def test_extreme_magnitudes() -> None:
    values = [1.5e308, 1e308, -1e308, 1e-300, -3e-250, 0.0, 7.0]
    column = profile(pl.DataFrame({"x": values}))["x"]
    assert (column.min, column.max) == (-1e308, 1.5e308)
    assert column.mean is None and column.variance() is None  # the moments overflow float64
    assert column.quantiles is not None
    for i, value in enumerate(sorted(values)):
        estimate = column.quantiles.order_statistic(i)
        assert estimate is not None
        assert abs(estimate - value) <= DEFAULT_ALPHA * abs(value)
    json.dumps(column.to_dict(), allow_nan=False)


def test_subnormal_values_only_lose_their_relative_accuracy() -> None:
    values = [5e-324, -5e-324, 1e-310, 3.0]
    column = profile(pl.DataFrame({"x": values}))["x"]
    assert (column.count, column.min, column.max) == (4, -5e-324, 3.0)
    assert column.quantiles is not None and column.quantiles.count == 4
    assert column.quantile(1) == 3.0
    assert abs(column.quantile(0.5) or 1) < 1e-300


def test_unicode_values_and_column_names() -> None:
    df = pl.DataFrame({"naïve 列": ["日本", "日本", "🙂", "e\u0301", "é"], "Δ x": [1, 2, 3, 4, 5]})
    result = profile(df)
    column = result["naïve 列"]
    assert column.top_values(1) == [("日本", 2)]
    assert column.distinct_count == 4  # 'e' + combining accent is not 'é'
    assert (column.min_length, column.max_length) == (1, 2)
    assert result["Δ x"].mean == 3.0
    back = DatasetProfile.from_dict(json.loads(json.dumps(result.to_dict(), ensure_ascii=False)))
    assert back == result


def test_other_dtypes() -> None:
    df = pl.DataFrame(
        {
            "cat": pl.Series(["a", "b", "a"], dtype=pl.Categorical),
            "enum": pl.Series(["lo", "hi", "lo"], dtype=pl.Enum(["lo", "hi"])),
            "dec": pl.Series([Decimal("1.50"), Decimal("2.50"), None], dtype=pl.Decimal(10, 2)),
            "big": pl.Series([2**63, 2**64 - 1, 5], dtype=pl.UInt64),
            "lst": [[1], [2, 3], None],
        }
    )
    result = profile(df)
    assert result["cat"].kind == "string" and result["cat"].top_values(1) == [("a", 2)]
    assert result["enum"].top_values(1) == [("lo", 2)]
    assert result["dec"].mean == 2.0 and result["dec"].min == 1.5
    assert result["big"].max == 2**64 - 1 and result["big"].min == 5
    assert (result["lst"].kind, result["lst"].count, result["lst"].nulls) == ("other", 2, 1)
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert DatasetProfile.from_dict(json.loads(text)) == result


def test_every_input_kind_gives_the_same_profile(tmp_path: Path) -> None:
    df = credit_like(2_000).drop("opened")
    expected = profile(df)
    path = tmp_path / "data.parquet"
    df.write_parquet(path)
    inputs = [df.lazy(), df.to_pandas(), df.to_arrow(), nw.from_native(df), path, str(path)]
    for given in inputs:
        assert profile(given) == expected, type(given)


def test_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pl.DataFrame({"x": [1.5, None, 2.5], "s": ["a", "b", None]}).write_csv(path)
    result = profile(path)
    assert (result["x"].count, result["x"].mean, result["s"].nulls) == (2, 2.0, 1)


def test_pandas_with_nan_as_missing() -> None:
    result = profile(pd.DataFrame({"x": [1.0, np.nan, 3.0], "s": ["a", None, "a"]}))
    assert result["x"].count + result["x"].nulls + result["x"].nan == 3
    assert result["x"].mean == 2.0
    assert result["s"].top_values() == [("a", 2)]


def test_one_query_on_polars_two_elsewhere(
    collects: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = credit_like(1_000)
    profile(df)
    assert collects == ["polars"]  # one select (engine.polars_plan)
    collects.clear()
    path = tmp_path / "x.parquet"
    df.write_parquet(path)
    profile(path)
    assert collects == ["polars"]
    # the generic Narwhals path (other engines): two queries
    from scalegate.engine import polars_plan

    monkeypatch.setattr(polars_plan, "applies", lambda frame: False)
    collects.clear()
    profile(path)
    assert collects.count("polars") == 2
    assert collects.count("narwhals") == 2


def test_only_small_results_leave_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    heights: list[int] = []
    pl_collect = pl.LazyFrame.collect

    sizes: list[int] = []

    def measuring(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = pl_collect(self, *args, **kwargs)
        heights.append(result.height)
        lists = [c for c, t in result.schema.items() if isinstance(t, pl.List)]
        sizes.append(sum(len(v) for c in lists for v in result.get_column(c) if v is not None))
        return result

    monkeypatch.setattr(pl.LazyFrame, "collect", measuring)
    n = 200_000
    rng = np.random.default_rng(2)
    df = pl.DataFrame(
        {
            "id": [f"id-{i}" for i in range(n)],
            "x": rng.normal(0, 1, n),
            "k": np.arange(n),
        }
    )
    result = profile(df, top_capacity=50)
    assert result["id"].distinct_count == n and result["id"].top is not None
    assert len(result["id"].top.counts) == 50
    # one row; per column at most capacity + 1 top values, the distinct HyperLogLog codes
    # (at most 64 per register) and a few thousand buckets
    assert heights == [1]
    assert sizes[0] < 3 * (51 + 1024 * 64) + 2 * 2_073


def test_only_small_results_leave_the_engine_generic_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scalegate.engine import polars_plan

    monkeypatch.setattr(polars_plan, "applies", lambda frame: False)
    heights: list[int] = []
    pl_collect = pl.LazyFrame.collect

    def measuring(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = pl_collect(self, *args, **kwargs)
        heights.append(result.height)
        return result

    monkeypatch.setattr(pl.LazyFrame, "collect", measuring)
    n = 200_000
    df = pl.DataFrame({"id": [f"id-{i}" for i in range(n)], "k": np.arange(n)})
    result = profile(df, top_capacity=50)
    assert result["id"].distinct_count == n
    # per column: at most capacity + 2 label rows, 147 register rows, a few thousand buckets
    assert heights[0] == 1
    assert heights[1] < 2 * (52 + 147) + 2_073


def test_unsupported_input() -> None:
    from scalegate.engine.frames import DataError

    with pytest.raises(DataError, match="cannot check a int"):
        profile(42)


def test_two_thousand_columns_in_two_queries(collects: list[str]) -> None:
    rng = np.random.default_rng(11)
    columns: dict[str, Any] = {f"n{i}": rng.normal(i, 1 + i % 7, 300) for i in range(1_500)}
    columns |= {f"s{i}": rng.choice(["x", "y", "ζ"], 300) for i in range(500)}
    df = pl.DataFrame(columns)
    result = profile(df)
    # above polars_plan.MAX_COLUMNS the generic path's multi-column queries are faster
    assert collects.count("polars") == 2
    assert len(result) == 2_000 and result.row_count == 300
    values = df["n1234"].to_numpy()
    assert result["n1234"].mean == pytest.approx(values.mean(), rel=1e-12)
    assert result["n1234"].variance() == pytest.approx(values.var(ddof=1), rel=1e-9)
    assert_quantile_within_bound(result["n1234"].quantile(0.9), values, 0.9)
    assert result["s499"].top_values() == sorted(
        Counter(df["s499"].to_list()).items(), key=lambda kv: (-kv[1], kv[0])
    )


def test_json_round_trip_and_size() -> None:
    rng = np.random.default_rng(5)
    n = 1_000_000
    columns: dict[str, Any] = {}
    for i in range(12):
        base = [rng.lognormal(8, 2, n), rng.normal(0, 1e4, n), rng.integers(0, 10_000, n)][i % 3]
        columns[f"n{i}"] = base
    for i in range(8):
        levels = {k: f"level-{k}" for k in range(3 + 6 * i)}
        codes = pl.Series(rng.integers(0, len(levels), n))
        columns[f"c{i}"] = codes.replace_strict(levels, return_dtype=pl.String)
    result = profile(pl.DataFrame(columns))
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert len(text.encode()) < 200_000
    assert DatasetProfile.from_dict(json.loads(text)) == result


def test_from_dict_rejects_other_formats() -> None:
    with pytest.raises(ProfileError, match="unknown profile format 99"):
        DatasetProfile.from_dict({"format": 99, "row_count": 0, "columns": []})
    with pytest.raises(ProfileError, match="malformed"):
        DatasetProfile.from_dict({"format": 1, "row_count": 0, "columns": [{"name": "x"}]})


def test_bad_parameters() -> None:
    df = pl.DataFrame({"x": [1]})
    with pytest.raises(ValueError, match="alpha"):
        profile(df, alpha=0)
    with pytest.raises(ValueError, match="top_capacity"):
        profile(df, top_capacity=0)
    with pytest.raises(ValueError, match="precision"):
        profile(df, precision=30)


def test_summary_is_plain_json(result: DatasetProfile) -> None:
    summary = {column.name: column.summary() for column in result}
    json.dumps(summary, allow_nan=False)
    assert summary["grade"]["top"][0] == ["A", result["grade"].top_values(1)[0][1]]
    assert set(summary["income"]["quantiles"]) == {"0.05", "0.25", "0.5", "0.75", "0.95"}


def test_without_an_engine_hash_distinct_counts_are_exact(
    monkeypatch: pytest.MonkeyPatch, data: pl.DataFrame
) -> None:
    """The fallback other engines take: exact n_unique, no registers."""
    monkeypatch.setattr(hashing, "hash_id", lambda frame: None)
    result = profile(data)
    for name in ("income", "age", "opened"):
        true = data[name].drop_nulls().n_unique()
        assert result[name].distinct_count == true
        assert result[name].distinct is not None and result[name].distinct.registers is None
    assert result["grade"].distinct_count == data["grade"].n_unique()


def test_duckdb_relation_profiles_like_polars() -> None:
    duckdb = pytest.importorskip("duckdb")
    df = credit_like(3_000).drop("opened")
    relation = duckdb.from_arrow(df.to_arrow())
    ours, reference = profile(relation), profile(df)
    for column in reference:
        other = ours[column.name]
        assert (other.count, other.nulls, other.min, other.max) == (
            column.count,
            column.nulls,
            column.min,
            column.max,
        )
        if column.moments is not None:
            assert other.mean == pytest.approx(column.mean, rel=1e-12)
            assert other.variance() == pytest.approx(column.variance(), rel=1e-9)
            assert other.quantiles == column.quantiles
        assert other.top == column.top
        values = df[column.name].drop_nulls()
        if column.kind == "numeric":
            # a HyperLogLog sketch made inside DuckDB with its own hash
            assert other.distinct is not None and other.distinct.registers is not None
            assert other.distinct.hash is not None and other.distinct.hash.startswith("duckdb-")
            truth = values.n_unique()
            assert abs(other.distinct_count - truth) <= 3 * relative_standard_error(10) * truth + 1
        else:
            assert other.distinct_count == values.n_unique()  # labels: exact
