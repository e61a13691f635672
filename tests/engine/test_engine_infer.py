"""contract infer: a starter contract from a profile that the same sample passes."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml

from scalegate.engine.check import check, load_contract
from scalegate.engine.contract_yaml import dump
from scalegate.engine.infer import (
    IN_SET_MAX,
    NULL_SLACK,
    ROW_COUNT_FRACTION,
    column_type,
    contract_name,
    infer,
    loose,
)
from scalegate.engine.profile import profile
from scalegate.errors import ValidationError


def inferred(frame: Any) -> tuple[dict[str, Any], str]:
    result = infer(profile(frame), name="sample", source="sample.parquet")
    return result.contract, dump(result.contract, result.header)


def roundtrip_passes(frame: Any) -> Any:
    _, text = inferred(frame)
    result = check(frame, load_contract(text, "inferred.yaml"))
    assert result.passed, [(r.id, r.reason) for r in result.failed]
    assert result.warnings == (), [(r.id, r.reason) for r in result.warnings]
    return result


def small() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"],
            "age": [18, 25, 33, None, 47, 52, 61, 70],
            "score": [0.5, 1.25, -3.0, 2.0, 0.0, 9.75, 1.0, 1.5],
            "country": ["DE", "FR", "DE", "NL", "DE", "FR", None, "DE"],
            "opened": [dt.date(2024, 1, d) for d in range(1, 9)],
            "active": [True, False, True, True, None, False, True, True],
        }
    )


def test_hand_checked_expectations_on_a_small_frame() -> None:
    contract, text = inferred(small())
    assert contract["contract"] == "sample"
    assert contract["dataset"] == [{"row_count": {"min": 4}}]  # half of 8 rows
    cols = contract["columns"]
    assert cols["id"] == {
        "type": "string",
        "rules": ["not_null", {"length": {"min": 2, "max": 2}}, "unique"],
    }
    # 1 null in 8 rows: 0.125 * 1.2 = 0.15
    assert cols["age"] == {
        "type": "integer",
        "rules": [{"not_null": {"max_fraction": 0.15}}, {"between": {"min": 18, "max": 70}}],
    }
    assert cols["score"] == {
        "type": "float",
        "rules": ["not_null", {"between": {"min": -3.0, "max": 9.75}}],
    }
    # 3 distinct values in 7, each seen twice on average: an in_set
    assert cols["country"] == {
        "type": "string",
        "rules": [
            {"not_null": {"max_fraction": 0.15}},
            {"length": {"min": 2, "max": 2}},
            {"in_set": {"values": ["DE", "FR", "NL"]}},
        ],
    }
    assert cols["opened"] == {
        "type": "date",
        "rules": [
            "not_null",
            {"between": {"min": dt.date(2024, 1, 1), "max": dt.date(2024, 1, 8)}},
        ],
    }
    assert cols["active"] == {"type": "boolean", "rules": [{"not_null": {"max_fraction": 0.15}}]}
    assert text.startswith("# Starter contract inferred by `scalegate contract infer` from ")
    assert "#   - freshness: {column: opened, max_age: 24h}" in text
    # integers only have a distinct estimate: a comment, not a rule
    assert "# Note: 'age' has about 7 distinct values in 7" in text
    roundtrip_passes(small())


def test_the_numbers_match_polars_computed_directly() -> None:
    rng = np.random.default_rng(7)
    n = 5000
    frame = pl.DataFrame(
        {
            "x": rng.normal(100, 15, n),
            "k": rng.integers(-50, 50, n),
            "cat": rng.choice(["low", "mid", "high", "very high"], n),
            "code": [f"C{i:05d}" for i in range(n)],
        }
    ).with_columns(pl.when(pl.int_range(n) % 37 == 0).then(None).otherwise(pl.col("x")).alias("x"))
    contract, _ = inferred(frame)
    cols = contract["columns"]
    x = cols["x"]["rules"]
    nulls = frame["x"].null_count()
    assert x[0] == {"not_null": {"max_fraction": math.ceil(nulls / n * NULL_SLACK * 1e4) / 1e4}}
    assert x[1] == {"between": {"min": frame["x"].min(), "max": frame["x"].max()}}
    assert cols["k"]["rules"][1] == {"between": {"min": frame["k"].min(), "max": frame["k"].max()}}
    assert cols["cat"]["rules"][2] == {"in_set": {"values": sorted(set(frame["cat"]))}}
    assert cols["cat"]["rules"][1] == {
        "length": {
            "min": frame["cat"].str.len_chars().min(),
            "max": frame["cat"].str.len_chars().max(),
        }
    }
    assert "unique" in cols["code"]["rules"]
    assert contract["dataset"] == [{"row_count": {"min": math.floor(n * ROW_COUNT_FRACTION)}}]
    roundtrip_passes(frame)


def test_many_distinct_values_give_no_in_set() -> None:
    values = [f"v{i}" for i in range(IN_SET_MAX + 1)] * 3
    contract, _ = inferred(pl.DataFrame({"s": values}))
    assert not any("in_set" in r for r in contract["columns"]["s"]["rules"] if isinstance(r, dict))
    twenty = [f"v{i}" for i in range(IN_SET_MAX)]
    contract, _ = inferred(pl.DataFrame({"s": twenty * 2}))
    assert contract["columns"]["s"]["rules"][-1] == {"in_set": {"values": sorted(twenty)}}
    contract, _ = inferred(pl.DataFrame({"s": twenty + twenty[:9]}))  # not seen twice each
    assert contract["columns"]["s"]["rules"][-1] == {"length": {"min": 2, "max": 3}}


def test_nan_and_infinities_get_a_threshold_the_sample_passes() -> None:
    frame = pl.DataFrame({"f": [1.0, float("nan"), 2.0, float("inf"), 3.0, -float("inf")] * 5})
    contract, _ = inferred(frame)
    between = contract["columns"]["f"]["rules"][1]
    # 15 of 30 rows are NaN or infinite: at most 1.2 * 0.5 = 60 % may fail
    assert between == {"between": {"min": 1.0, "max": 3.0}, "threshold": 0.4}
    result = roundtrip_passes(frame)
    assert result.result("f.between").failing == 15


def test_an_all_null_column_gets_no_rules() -> None:
    frame = pl.DataFrame({"a": [1, 2, 3], "n": [None, None, None], "f": [None, None, None]})
    frame = frame.with_columns(pl.col("f").cast(pl.Float64))
    contract, text = inferred(frame)
    assert contract["columns"]["n"] == {}
    assert contract["columns"]["f"] == {"type": "float"}
    assert "# Note: 'n' is null in every row of the sample: no rules inferred" in text
    roundtrip_passes(frame)


def test_an_empty_sample_gives_types_only() -> None:
    frame = pl.DataFrame(schema={"a": pl.Int64, "s": pl.String, "t": pl.Datetime("us", "UTC")})
    contract, text = inferred(frame)
    assert "dataset" not in contract
    assert contract["columns"] == {
        "a": {"type": "integer"},
        "s": {"type": "string"},
        "t": {"type": "datetime"},
    }
    assert "the sample is empty" in text
    roundtrip_passes(frame)


def test_no_columns_is_an_error() -> None:
    with pytest.raises(ValidationError, match="has no columns; nothing to infer"):
        infer(profile(pl.DataFrame()), source="x.csv")


def test_column_names_that_need_quoting_survive() -> None:
    names = ["yes", "1", "a: b", "#hash", "null", "with space", "ünïcode", "- dash"]
    frame = pl.DataFrame({name: ["p", "q", "p", "q"] for name in names})
    contract, text = inferred(frame)
    assert list(yaml.safe_load(text)["columns"]) == names
    assert list(contract["columns"]) == names
    roundtrip_passes(frame)


def test_timestamps_with_and_without_time_zone_round_trip() -> None:
    frame = pl.DataFrame(
        {
            "utc": [dt.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)] * 2
            + [dt.datetime(2024, 3, 5, tzinfo=dt.UTC)],
            "naive": [dt.datetime(2024, 3, 1, 1, 2, 3), dt.datetime(2025, 1, 1), None],
        }
    )
    contract, text = inferred(frame)
    assert contract["columns"]["utc"]["rules"][1]["between"]["min"] == dt.datetime(
        2024, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC
    )
    assert yaml.safe_load(text)["columns"]["naive"]["rules"][1] == {
        "between": {"min": dt.datetime(2024, 3, 1, 1, 2, 3), "max": dt.datetime(2025, 1, 1)}
    }
    roundtrip_passes(frame)


def test_a_file_sample_and_its_name(tmp_path: Any) -> None:
    path = tmp_path / "loans.parquet"
    small().write_parquet(path)
    assert contract_name(str(path)) == "loans"
    assert contract_name(str(tmp_path / "*.parquet")) == "inferred"
    assert contract_name(small()) == "inferred"
    _, text = inferred(str(path))
    assert check(str(path), load_contract(text, "c.yaml")).passed


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [
        ("Int64", "integer"),
        ("UInt8", "integer"),
        ("Float32", "float"),
        ("Decimal(precision=10, scale=2)", "float"),
        ("String", "string"),
        ("Boolean", "boolean"),
        ("Date", "date"),
        ("Datetime(time_unit='us', time_zone='UTC')", "datetime"),
        ("Categorical", "categorical"),
        ("Duration(time_unit='us')", None),
        ("List(Int64)", None),
        ("Unknown", None),
    ],
)
def test_column_types(dtype: str, kind: str | None) -> None:
    assert column_type(dtype) == kind


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.0, 0.0), (0.125, 0.15), (1e-9, 0.0001), (0.9, 1.0), (1 / 3, 0.4)],
)
def test_loose_fractions_are_above_the_observed_one(fraction: float, expected: float) -> None:
    assert loose(fraction) == expected
    assert loose(fraction) >= fraction


def test_a_categorical_column_gets_its_values_and_passes() -> None:
    frame = pl.DataFrame(
        {"c": pl.Series(["lo", "hi", "lo", "mid", "hi", "lo"], dtype=pl.Categorical)}
    )
    contract, _ = inferred(frame)
    assert contract["columns"]["c"] == {
        "type": "categorical",
        "rules": [
            "not_null",
            {"length": {"min": 2, "max": 3}},
            {"in_set": {"values": ["hi", "lo", "mid"]}},
        ],
    }
    roundtrip_passes(frame)
    roundtrip_passes(frame.to_pandas())  # pandas category dtype too


def test_decimal_and_wide_integer_columns_round_trip() -> None:
    frame = pl.DataFrame(
        {
            "dec": pl.Series(["1.50", "2.25", "3.50"]).cast(pl.Decimal(10, 2)),
            "u": pl.Series([0, 2**63, 2**64 - 1], dtype=pl.UInt64),
            "f32": pl.Series([0.1, 0.2, 0.3], dtype=pl.Float32),
        }
    )
    contract, text = inferred(frame)
    assert contract["columns"]["dec"]["rules"][1] == {"between": {"min": 1.5, "max": 3.5}}
    assert contract["columns"]["u"]["rules"][1] == {"between": {"min": 0, "max": 2**64 - 1}}
    roundtrip_passes(frame)
    # a Decimal outside the range fails like any number (Decimals hold no NaN to test)
    wider = pl.DataFrame({"dec": pl.Series(["0.99", "2.00", "9.00"]).cast(pl.Decimal(10, 2))})
    result = check(wider, load_contract(text, "c.yaml"))
    assert result.result("dec.between").failing == 2
