"""The same contract and profile on every engine: Polars (the reference), DuckDB, Spark, and
pandas and PyArrow input.

One seeded table of 2,000 rows (nulls, NaN, infinities, duplicates, non-ASCII strings, UTC
timestamps, dates) goes through a contract that uses every rule kind. Per rule, status,
failing and total must be identical on every engine and equal to failing counts written
directly in Polars here; examples must be among the failing values. Profiles: exact
metrics equal, mean and variance within 1e-9 relative of NumPy, quantiles within the
sketch's alpha of NumPy, distinct counts within 3 HyperLogLog standard errors of the truth,
top values equal to Polars' own value counts.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from scalegate.engine.check import check, load_contract
from scalegate.engine.results import CheckResult, Status, example
from scalegate.engine.sketches.distinct import relative_standard_error
from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA

#: Spark tests share one xdist worker (``--dist loadgroup``), hence one Spark session
SPARK = [pytest.mark.spark, pytest.mark.xdist_group("spark")]
NOW = datetime(2026, 3, 5, 12, tzinfo=UTC)
START = datetime(2026, 1, 1, tzinfo=UTC)
BRANCHES = ["north", "south", "east", "west", "North", "centre", "nörd"]


def make_data(n: int = 2000, seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    rows: dict[str, list[Any]] = {k: [] for k in SCHEMA}
    for i in range(n):
        rows["id"].append(None if i % 401 == 5 else (i if i % 97 else i - 1))
        rows["age"].append(None if rng.random() < 0.05 else rng.randint(10, 110))
        r = rng.random()
        income: float | None = rng.lognormvariate(10, 1.5) * (-1 if r < 0.03 else 1)
        for bound, special in ((0.99, math.nan), (0.985, math.inf), (0.98, -math.inf)):
            if r > bound:
                income = special
                break
        else:
            if r > 0.93:
                income = None
            elif r > 0.92:
                income = 0.0
        rows["income"].append(income)
        rows["score"].append(None if rng.random() < 0.1 else round(rng.gauss(600, 80), 2))
        rows["branch"].append(None if rng.random() < 0.04 else rng.choice(BRANCHES))
        code = f"{rng.choice('ABC')}-{rng.randint(0, 9999):04d}"
        if rng.random() < 0.05:
            code = code.lower()
        if rng.random() < 0.02:
            code += "xx"
        rows["code"].append(None if rng.random() < 0.03 else code)
        rows["retired"].append(None if rng.random() < 0.05 else rng.random() < 0.3)
        seconds = rng.randint(0, 60 * 86400)
        rows["created"].append(None if rng.random() < 0.02 else START + timedelta(seconds=seconds))
        days = rng.randint(0, 90)
        rows["day"].append(None if rng.random() < 0.02 else date(2025, 12, 1) + timedelta(days))
    return pl.DataFrame(rows, schema=SCHEMA)


SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "age": pl.Int64,
    "income": pl.Float64,
    "score": pl.Float64,
    "branch": pl.String,
    "code": pl.String,
    "retired": pl.Boolean,
    "created": pl.Datetime("us", "UTC"),
    "day": pl.Date,
}
DATA = make_data()

CONTRACT = load_contract(
    r"""
contract: backends
version: 1
dataset:
  - row_count: {min: 100, max: 1000000}
  - row_count: {max: 1000}
    id: rows_at_most_1000
  - unique: {columns: [branch, code]}
  - expression: {expr: "income >= 0 and (age < 70 or retired)"}
    severity: warn
  - freshness: {column: created, max_age: 7d}
  - freshness: {column: created, max_age: 2d}
    id: created_within_2d
  - freshness: {column: day, max_age: 3d}
    id: day_fresh
columns:
  id:
    type: integer
    rules: [unique, not_null]
  age:
    type: number
    rules:
      - not_null: {max_fraction: 0.2}
      - between: {min: 18, max: 100}
        threshold: 0.8
      - between: {min: 18, max: 100, inclusive: neither}
        id: age_open_interval
  income:
    type: float
    rules:
      - between: {min: 0}
        severity: warn
      - expression: {expr: "income < 1000000"}
        id: income_below_million
  score:
    rules:
      - between: {min: 400, max: 800}
  branch:
    type: string
    rules:
      - in_set: {values: [north, south, east, west]}
      - regex: {pattern: "^[a-z]+$"}
      - length: {min: 5, max: 5}
      - not_null
  code:
    type: string
    rules:
      - regex: {pattern: "^[A-C]-\\d{4}$"}
      - length: {max: 6}
      - unique
  retired:
    type: boolean
    rules: [not_null]
  created:
    type: datetime
    rules:
      - between: {min: 2026-01-10T00:00:00Z}
  day:
    type: date
  missing_one:
    type: string
    rules: [not_null]
  optional_one:
    required: false
    rules: [unique]
""",
    "backends.yaml",
)

c = pl.col
#: rule id -> (failing rows, written directly in Polars; columns shown as examples)
FAILS: dict[str, tuple[pl.Expr, tuple[str, ...]]] = {
    "dataset.unique": (
        c("branch").is_not_null() & c("code").is_not_null() & (pl.len().over("branch", "code") > 1),
        ("branch", "code"),
    ),
    "dataset.expression": (
        (~((c("income") >= 0) & ((c("age") < 70) | c("retired")))).fill_null(False),
        ("income", "age", "retired"),
    ),
    "id.unique": (c("id").is_not_null() & (pl.len().over("id") > 1), ("id",)),
    "id.not_null": (c("id").is_null(), ()),
    "age.not_null": (c("age").is_null(), ()),
    "age.between": ((c("age") < 18) | (c("age") > 100), ("age",)),
    "age_open_interval": ((c("age") <= 18) | (c("age") >= 100), ("age",)),
    "income.between": ((c("income") < 0) | ~c("income").is_finite(), ("income",)),
    "income_below_million": (~(c("income") < 1e6), ("income",)),
    "score.between": ((c("score") < 400) | (c("score") > 800), ("score",)),
    "branch.in_set": (~c("branch").is_in(["north", "south", "east", "west"]), ("branch",)),
    "branch.regex": (~c("branch").str.contains("^[a-z]+$"), ("branch",)),
    "branch.length": (c("branch").str.len_chars() != 5, ("branch",)),
    "branch.not_null": (c("branch").is_null(), ()),
    "code.regex": (~c("code").str.contains(r"^[A-C]-\d{4}$"), ("code",)),
    "code.length": (c("code").str.len_chars() > 6, ("code",)),
    "code.unique": (c("code").is_not_null() & (pl.len().over("code") > 1), ("code",)),
    "retired.not_null": (c("retired").is_null(), ()),
    "created.between": (c("created") < datetime(2026, 1, 10, tzinfo=UTC), ("created",)),
}


def _failing(rule_id: str) -> tuple[int, list[Any]]:
    """Failing count and failing example values of a row rule, computed directly."""
    expr, columns = FAILS[rule_id]
    failing = DATA.filter(expr.fill_null(False))
    if not columns:
        return failing.height, []
    if len(columns) == 1:
        return failing.height, [example(v) for v in failing.get_column(columns[0]).to_list()]
    return failing.height, [example(r) for r in failing.select(columns).rows(named=True)]


def _spark_frame(spark: Any, tmp: Path) -> Any:
    # through Parquet, like a Spark job reads its data (NaN stays NaN, unlike via pandas)
    path = tmp / "data.parquet"
    DATA.write_parquet(path)
    return spark.read.parquet(str(path))


BACKENDS = [
    "duckdb",
    "pandas",
    "pyarrow",
    pytest.param("spark", marks=SPARK),
]


@pytest.fixture(scope="module")
def reference() -> CheckResult:
    return check(DATA, CONTRACT, now=NOW)


@pytest.fixture(scope="module", params=BACKENDS)
def outcome(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """(backend, its check result with profile): one check per backend and test module."""
    backend = request.param
    if backend == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        data: Any = duckdb.from_arrow(DATA.to_arrow())
    elif backend == "pandas":
        data = DATA.to_pandas(use_pyarrow_extension_array=True)
    elif backend == "pyarrow":
        data = DATA.to_arrow()
    else:
        spark = request.getfixturevalue("spark")
        data = _spark_frame(spark, tmp_path_factory.mktemp("spark"))
    return backend, check(data, CONTRACT, now=NOW)


def test_reference_counts_match_polars_written_directly(reference: CheckResult) -> None:
    for rule_id in FAILS:
        r = reference.result(rule_id)
        assert (r.failing, r.total) == (_failing(rule_id)[0], DATA.height), rule_id
    newest = DATA.get_column("created").max()
    assert reference.result("dataset.freshness").status == Status.PASS
    assert reference.result("created_within_2d").status == Status.FAIL
    assert newest.isoformat() in reference.result("created_within_2d").reason
    assert reference.result("day_fresh").status == Status.FAIL
    assert reference.result("rows_at_most_1000").status == Status.FAIL
    assert reference.result("missing_one.required").status == Status.FAIL
    assert reference.result("optional_one.unique").status == Status.SKIPPED
    # the data exercises every branch: each row rule fails somewhere, but not everywhere
    assert all(0 < _failing(rule_id)[0] < DATA.height for rule_id in FAILS)


def test_every_backend_gives_the_same_rule_results(
    outcome: tuple[str, CheckResult], reference: CheckResult
) -> None:
    backend, result = outcome
    assert result.backend == backend
    assert result.rows == reference.rows
    assert [r.id for r in result.results] == [r.id for r in reference.results]
    for got, want in zip(result.results, reference.results, strict=True):
        assert (got.status, got.failing, got.total, got.severity) == (
            want.status,
            want.failing,
            want.total,
            want.severity,
        ), f"{backend}: {got.id}: {got.reason} != {want.reason}"
        if got.id in FAILS and got.status == Status.FAIL and FAILS[got.id][1]:
            _, values = _failing(got.id)
            assert len(got.examples) == min(5, got.failing), got.id
            for value in got.examples:
                assert value in values, f"{backend}: {got.id}: example {value!r} does not fail"
    # freshness names the same newest instant whatever the engine's time zone handling
    for rule_id in ("dataset.freshness", "created_within_2d", "day_fresh"):
        assert result.result(rule_id).reason == reference.result(rule_id).reason


def _finite(name: str) -> np.ndarray:
    values = DATA.get_column(name).drop_nulls().cast(pl.Float64).to_numpy()
    return values[np.isfinite(values)]


def test_every_backend_gives_the_same_profile(
    outcome: tuple[str, CheckResult], reference: CheckResult
) -> None:
    backend, result = outcome
    got, want = result.profile, reference.profile
    assert got is not None and want is not None
    assert got.row_count == want.row_count == DATA.height
    assert got.names == want.names
    for name in DATA.columns:
        g, w = got[name], want[name]
        series = DATA.get_column(name)
        exact = ("kind", "count", "nulls", "nan", "pos_inf", "neg_inf", "min", "max")
        assert [getattr(g, k) for k in exact] == [getattr(w, k) for k in exact], (backend, name)
        assert (g.min_length, g.max_length) == (w.min_length, w.max_length), (backend, name)
        assert g.nulls == series.null_count()
        if series.dtype.is_numeric():
            x = _finite(name)
            assert g.count == len(x) + g.nan + g.pos_inf + g.neg_inf
            assert g.mean == pytest.approx(float(np.mean(x)), rel=1e-9)
            assert g.variance() == pytest.approx(float(np.var(x, ddof=1)), rel=1e-9)
            for q in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
                lo, hi = np.sort(x)[[math.floor(q * (len(x) - 1)), math.ceil(q * (len(x) - 1))]]
                bound = DEFAULT_ALPHA * max(abs(lo), abs(hi)) + 1e-12
                assert abs(g.quantile(q) - float(np.quantile(x, q))) <= bound, (backend, name, q)
            truth = len(np.unique(x))
        elif series.dtype in (pl.String, pl.Boolean):
            counts = series.drop_nulls().cast(pl.String).value_counts()
            ranked = sorted(counts.rows(), key=lambda row: (-row[1], row[0]))
            assert g.top_values(10) == ranked[:10], (backend, name)
            truth = len(ranked)
        else:
            truth = series.drop_nulls().n_unique()
        estimate = g.distinct_count
        assert estimate is not None
        error = 3 * relative_standard_error(g.distinct.precision if g.distinct else 10) * truth
        assert abs(estimate - truth) <= error + 1, (backend, name, estimate, truth)
    if backend in ("duckdb", "spark"):
        # distinct counts of numbers are sketches made inside that engine, with its own hash
        sketch = got["score"].distinct
        assert sketch is not None and sketch.registers is not None
        assert sketch.hash is not None and sketch.hash.startswith(backend)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_freshness_does_not_depend_on_the_session_time_zone(
    spark: Any, tmp_path: Path
) -> None:
    """Spark shows timestamps in its session zone; freshness measures instants."""
    contract = load_contract(
        "contract: f\ndataset:\n  - freshness: {column: created, max_age: 4d}\n"
        "  - freshness: {column: naive, max_age: 3d}\n    id: naive_fresh\n",
        "f.yaml",
    )
    newest = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "created": [newest - timedelta(days=3), newest, None],
            "naive": [newest.replace(tzinfo=None), None, None],
        },
        schema={"created": pl.Datetime("us", "UTC"), "naive": pl.Datetime("us")},
    )
    path = tmp_path / "ts.parquet"
    frame.write_parquet(path)
    expected = check(frame, contract, now=NOW, profile=False)
    zone = spark.conf.get("spark.sql.session.timeZone")
    try:
        spark.conf.set("spark.sql.session.timeZone", "America/New_York")
        got = check(spark.read.parquet(str(path)), contract, now=NOW, profile=False)
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    assert [r.status for r in expected.results] == [Status.PASS, Status.FAIL]
    assert [r.status for r in got.results] == [Status.PASS, Status.FAIL]
    # the same newest instant and age: aware values compared as instants, naive ones as UTC
    assert [r.reason for r in got.results] == [r.reason for r in expected.results]
    assert all("2026-03-01T23:30:00" in r.reason and "3.5d old" in r.reason for r in got.results)


@pytest.mark.parametrize(
    ("backend", "pattern"),
    [
        ("duckdb", "^(?=a)"),  # RE2 has no look-ahead
        pytest.param("spark", "^(?P<first>a)", marks=SPARK),  # nor Java (?P<..>)
    ],
)
def test_a_rule_the_engine_rejects_fails_alone(
    backend: str, pattern: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    contract = load_contract(
        "contract: c\ncolumns:\n  s:\n    rules:\n"
        f"      - regex: {{pattern: '{pattern}'}}\n      - not_null\n"
        "  k:\n    rules: [unique]\n",
        "c.yaml",
    )
    frame = pl.DataFrame({"s": ["a", None, "b"], "k": [1, 1, 2]})
    if backend == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        data: Any = duckdb.from_arrow(frame.to_arrow())
    else:
        frame.write_parquet(tmp_path / "f.parquet")
        data = request.getfixturevalue("spark").read.parquet(str(tmp_path / "f.parquet"))
    result = check(data, contract, profile=False)
    regex, not_null, unique = result.results
    assert regex.status == Status.ERROR and "\n" not in regex.reason
    assert (not_null.status, not_null.failing) == (Status.FAIL, 1)
    assert (unique.status, unique.failing, unique.examples) == (Status.FAIL, 2, (1, 1))
