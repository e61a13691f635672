"""Each rule type against hand-computed expectations, and against an independent count."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalegate.domain.contract import Contract
from scalegate.engine.check import check
from scalegate.engine.results import RuleResult, Status
from scalegate.engine.rules import RULES

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run_column(values: list[Any], *rules: Any, dtype: Any = None, **col: Any) -> list[RuleResult]:
    """Run ``rules`` on a one-column frame ``x``; return the rules' results (no type result)."""
    frame = pl.DataFrame({"x": pl.Series(values, dtype=dtype)})
    contract = Contract.model_validate(
        {"contract": "t", "columns": {"x": {"rules": list(rules), **col}}}
    )
    result = check(frame, contract, now=NOW)
    return [r for r in result.results if r.rule not in ("type", "required")]


def one(values: list[Any], rule: Any, dtype: Any = None) -> RuleResult:
    (res,) = run_column(values, rule, dtype=dtype)
    return res


def test_builtins_are_registered_with_scopes() -> None:
    assert set(RULES) >= {
        "not_null",
        "between",
        "in_set",
        "regex",
        "length",
        "unique",
        "row_count",
        "freshness",
        "expression",
    }
    assert RULES["row_count"].scopes == {"dataset"}
    assert RULES["between"].scopes == {"column"}
    assert RULES["unique"].scopes == {"column", "dataset"}
    assert all(r.summary for r in RULES.values())


# ------------------------------------------------------------------------- not_null


def test_not_null_counts_nulls() -> None:
    r = one([1, None, 3, None], "not_null")
    assert (r.status, r.failing, r.total, r.fraction) == (Status.FAIL, 2, 4, 0.5)
    assert r.reason == "2 of 4 rows (50%) null"


def test_not_null_max_fraction_is_inclusive() -> None:
    assert one([1, None, 3, 4], {"not_null": {"max_fraction": 0.25}}).status == Status.PASS
    r = one([1, None, None, 4], {"not_null": {"max_fraction": 0.25}})
    assert r.status == Status.FAIL
    assert r.reason == "2 of 4 rows (50%) null; allowed 25%"


def test_not_null_on_all_null_column() -> None:
    r = one([None, None, None], "not_null", dtype=pl.Int64)
    assert (r.status, r.failing, r.fraction) == (Status.FAIL, 3, 1.0)


# ------------------------------------------------------------------------- between


def test_between_inclusive_modes() -> None:
    values = [18, 50, 100, 17, 101, None]
    expected = {"both": 2, "left": 3, "right": 3, "neither": 4}
    for mode, failing in expected.items():
        r = one(values, {"between": {"min": 18, "max": 100, "inclusive": mode}})
        assert r.failing == failing, mode
        assert r.total == 6


def test_between_reason_and_examples() -> None:
    r = one([17, 50, 101, None, 5, 6, 7, 8], {"between": {"min": 18, "max": 100}})
    assert r.status == Status.FAIL
    assert r.failing == 6
    assert r.examples == (17, 101, 5, 6, 7)  # at most five, nulls are not failures
    assert r.reason == "6 of 8 rows (75%) outside [18, 100]"


def test_between_one_sided() -> None:
    assert one([1, 2, 3], {"between": {"min": 2}}).failing == 1
    assert one([1, 2, 3], {"between": {"max": 2}}).failing == 1


def test_between_nan_and_inf_fail_on_floats() -> None:
    r = one([1.0, math.nan, math.inf, -math.inf, None, 2.5], {"between": {"min": 0}})
    assert r.failing == 3
    assert r.examples == ("NaN", "inf", "-inf")
    assert not any(isinstance(v, float) and math.isnan(v) for v in r.examples)


def test_between_threshold() -> None:
    values = list(range(100))  # 0..99; 10 values below 10
    r = one(values, {"between": {"min": 10}, "threshold": 0.9})
    assert (r.status, r.failing) == (Status.PASS, 10)
    assert r.reason.endswith("allowed 10%")
    r = one(values, {"between": {"min": 11}, "threshold": 0.9})
    assert (r.status, r.failing) == (Status.FAIL, 11)


def test_between_on_dates() -> None:
    values = [date(2024, 1, 1), date(2025, 6, 1), None]
    r = one(values, {"between": {"min": date(2025, 1, 1)}})
    assert r.failing == 1


def test_between_on_timestamps_and_text() -> None:
    stamps = [datetime(2024, 12, 31, 23), datetime(2025, 1, 1), None]
    assert one(stamps, {"between": {"min": date(2025, 1, 1)}}).failing == 1
    assert one(["a", "b", "c"], {"between": {"min": "b"}}).failing == 1


def test_between_bounds_of_the_wrong_kind_are_an_error_result() -> None:
    r = one([1, 2], {"between": {"min": "a"}})
    assert r.status == Status.ERROR
    assert (
        r.reason
        == "between min 'a' cannot be compared with 'x' (Int64); its bounds must be numbers"
    )
    assert one(["a"], {"between": {"max": 3}}).status == Status.ERROR
    assert one([date(2024, 1, 1)], {"between": {"max": 3}}).status == Status.ERROR


def test_between_on_a_boolean_column_is_an_error_result() -> None:
    r = one([True, False], {"between": {"min": 0}})
    assert r.status == Status.ERROR
    assert "'x' is Boolean" in r.reason


# ------------------------------------------------------------------------- in_set


def test_in_set_strings_and_nulls() -> None:
    r = one(["a", "b", "c", None, "c"], {"in_set": {"values": ["a", "b"]}})
    assert (r.failing, r.examples) == (2, ("c", "c"))


def test_in_set_dates_and_booleans() -> None:
    r = one([date(2024, 1, 1), date(2024, 1, 2), None], {"in_set": {"values": [date(2024, 1, 1)]}})
    assert (r.failing, r.examples) == (1, (date(2024, 1, 2),))
    assert one([True, False, None], {"in_set": {"values": [True]}}).failing == 1


def test_in_set_numbers_read_as_text_on_string_columns() -> None:
    r = one(["1", "2", "3"], {"in_set": {"values": [1, 2]}})
    assert r.failing == 1


def test_in_set_text_on_a_number_column_is_an_error_result() -> None:
    r = one([1, 2], {"in_set": {"values": ["a"]}})
    assert r.status == Status.ERROR
    assert "number column" in r.reason


# ------------------------------------------------------------------------- strings


def test_regex_searches_and_anchors() -> None:
    values = ["AB-12", "ab-12", "AB-123x", None, "xAB-12"]
    assert one(values, {"regex": {"pattern": r"^[A-Z]{2}-\d{2}$"}}).failing == 3
    assert one(values, {"regex": {"pattern": r"[A-Z]{2}-\d{2}"}}).failing == 1


def test_regex_on_a_number_column_is_an_error_result() -> None:
    r = one([1, 2], {"regex": {"pattern": "1"}})
    assert r.status == Status.ERROR
    assert "needs a string column" in r.reason


def test_length_counts_characters_not_bytes() -> None:
    values = ["", "é", "abc", "abcd", None]
    r = one(values, {"length": {"min": 1, "max": 3}})
    assert (r.failing, r.examples) == (2, ("", "abcd"))


def test_string_rules_on_categorical() -> None:
    r = one(["a", "bb", "a"], {"length": {"max": 1}}, dtype=pl.Categorical)
    assert r.failing == 1


# ------------------------------------------------------------------------- uniqueness


def test_unique_counts_every_copy_and_ignores_nulls() -> None:
    r = one([1, 2, 2, 3, 3, 3, None, None], "unique")
    assert (r.failing, r.total) == (5, 8)


def test_dataset_unique_composite_key() -> None:
    frame = pl.DataFrame({"a": [1, 1, 1, 2, None, None], "b": ["x", "x", "y", "x", "z", "z"]})
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"unique": {"columns": ["a", "b"]}}]}
    )
    r = check(frame, contract).result("dataset.unique")
    assert r.failing == 2  # the two (1, x) rows; keys with a null part are not compared
    assert r.examples == ({"a": 1, "b": "x"}, {"a": 1, "b": "x"})


def test_dataset_unique_on_a_missing_column_is_an_error_result() -> None:
    frame = pl.DataFrame({"a": [1]})
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"unique": {"columns": ["a", "nope"]}}]}
    )
    r = check(frame, contract).result("dataset.unique")
    assert r.status == Status.ERROR
    assert r.reason == "column 'nope' is not in the data"


# ------------------------------------------------------------------------- volume


def test_row_count() -> None:
    frame = pl.DataFrame({"a": [1, 2, 3]})

    def run(**params: int) -> RuleResult:
        contract = Contract.model_validate({"contract": "t", "dataset": [{"row_count": params}]})
        return check(frame, contract).result("dataset.row_count")

    assert run(min=3, max=3).status == Status.PASS
    low = run(min=4)
    assert (low.status, low.reason) == (Status.FAIL, "3 rows; at least 4 expected")
    assert run(max=2).status == Status.FAIL


# ------------------------------------------------------------------------- freshness


def fresh(values: list[Any], max_age: str) -> RuleResult:
    frame = pl.DataFrame({"ts": values})
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"freshness": {"column": "ts", "max_age": max_age}}]}
    )
    return check(frame, contract, now=NOW).result("dataset.freshness")


def test_freshness_naive_timestamps_are_utc() -> None:
    values = [datetime(2026, 2, 27), datetime(2026, 3, 1, 0, 0), None]
    assert fresh(values, "12h").status == Status.PASS  # newest is exactly 12h old
    r = fresh(values, "11h")
    assert r.status == Status.FAIL
    assert r.reason == "newest 'ts' is 2026-03-01T00:00:00, 12.0h old; allowed 11h"


def test_freshness_aware_timestamps_and_dates() -> None:
    aware = [datetime(2026, 3, 1, 11, 0, tzinfo=UTC)]
    assert fresh(aware, "90m").status == Status.PASS
    assert fresh(aware, "30m").status == Status.FAIL
    assert fresh([date(2026, 2, 22)], "7d").status == Status.FAIL
    assert fresh([date(2026, 2, 23)], "7d").status == Status.PASS
    assert fresh([date(2026, 2, 23)], "1w").status == Status.PASS


def test_freshness_all_null_fails_and_wrong_type_errors() -> None:
    r = fresh([None, None], "1d")
    assert r.status == Status.ERROR  # an untyped all-null column has no temporal dtype
    assert "needs a date or datetime column" in r.reason
    assert fresh(["2026-03-01"], "1d").status == Status.ERROR
    typed = pl.DataFrame({"ts": pl.Series([None, None], dtype=pl.Datetime("us"))})
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"freshness": {"column": "ts", "max_age": "1d"}}]}
    )
    r = check(typed, contract, now=NOW).result("dataset.freshness")
    assert (r.status, r.reason) == (Status.FAIL, "'ts' holds no values")


# ------------------------------------------------------------------------- type / required


def test_type_check_maps_dtypes() -> None:
    frame = pl.DataFrame(
        {
            "i": [1],
            "u": pl.Series([1], dtype=pl.UInt8),
            "f": [1.5],
            "s": ["a"],
            "b": [True],
            "d": [date(2024, 1, 1)],
            "t": [datetime(2024, 1, 1)],
            "c": pl.Series(["a"], dtype=pl.Categorical),
        }
    )
    ok = {
        "i": ["integer", "number"],
        "u": ["integer", "number"],
        "f": ["float", "number"],
        "s": ["string"],
        "b": ["boolean"],
        "d": ["date"],
        "t": ["datetime"],
        "c": ["categorical", "string"],
    }
    all_types = ["string", "integer", "float", "number", "boolean", "date", "datetime"]
    for col, good in ok.items():
        for kind in [*all_types, "categorical"]:
            contract = Contract.model_validate({"contract": "t", "columns": {col: {"type": kind}}})
            r = check(frame, contract).result(f"{col}.type")
            want = Status.PASS if kind in good else Status.FAIL
            assert r.status == want, (col, kind, r.reason)


def test_missing_required_and_optional_columns() -> None:
    frame = pl.DataFrame({"a": [1]})
    contract = Contract.model_validate(
        {
            "contract": "t",
            "columns": {
                "gone": {"type": "integer", "rules": ["not_null"]},
                "maybe": {"required": False, "rules": ["unique"]},
            },
        }
    )
    result = check(frame, contract)
    got = {r.id: (r.status, r.reason) for r in result.results}
    assert got == {
        "gone.required": (Status.FAIL, "column missing"),
        "gone.type": (Status.SKIPPED, "column 'gone' is missing"),
        "gone.not_null": (Status.SKIPPED, "column 'gone' is missing"),
        "maybe.unique": (Status.SKIPPED, "optional column 'maybe' is absent"),
    }
    assert not result.passed


# ------------------------------------------------------------------------- cross-checks

ints = st.lists(st.one_of(st.none(), st.integers(-50, 50)), max_size=40)


@settings(max_examples=40, deadline=None)
@given(values=ints, lo=st.integers(-60, 60), width=st.integers(0, 60))
def test_counts_match_a_plain_python_count(values: list[int | None], lo: int, width: int) -> None:
    hi = lo + width
    allowed = sorted({v for v in values if v is not None})[:3]
    rules = [
        "not_null",
        {"between": {"min": lo, "max": hi}},
        {"between": {"min": lo, "max": hi, "inclusive": "neither"}, "id": "x.open"},
        "unique",
        {"in_set": {"values": allowed or [0]}},
        {"expression": {"expr": f"x % 3 == 0 or x > {lo}"}},
    ]
    got = [r.failing for r in run_column(values, *rules, dtype=pl.Int64)]
    present = [v for v in values if v is not None]
    counts = Counter(present)
    expected = [
        len(values) - len(present),
        sum(not (lo <= v <= hi) for v in present),
        sum(not (lo < v < hi) for v in present),
        sum(counts[v] > 1 for v in present),
        sum(v not in (allowed or [0]) for v in present),
        sum(not (v % 3 == 0 or v > lo) for v in present),
    ]
    assert got == expected


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.text("abc-1", max_size=6)), max_size=30),
    lo=st.integers(0, 3),
)
def test_string_counts_match_polars_written_directly(values: list[str | None], lo: int) -> None:
    pattern = r"^a+-?\d?$"
    got = [
        r.failing
        for r in run_column(
            values,
            {"regex": {"pattern": pattern}},
            {"length": {"min": lo, "max": 4}},
            dtype=pl.String,
        )
    ]
    frame = pl.DataFrame({"x": pl.Series(values, dtype=pl.String)})
    direct = frame.select(
        rx=(~pl.col("x").str.contains(pattern)).sum(),
        ln=(~pl.col("x").str.len_chars().is_between(lo, 4)).sum(),
    ).row(0)
    assert got == list(direct)
    assert got[0] == sum(1 for v in values if v is not None and not re.search(pattern, v))


# ------------------------------------------------------------------------- plugins


def test_a_plugin_rule_registers_like_the_builtins() -> None:
    from scalegate.engine.rules import Params, RowCheck, RuleContext, register
    from scalegate.engine.rules.registry import COLUMN

    class EvenParams(Params):
        pass

    @register("test_even", EvenParams, scopes=COLUMN, summary="values are even")
    def even(params: EvenParams, ctx: RuleContext) -> RowCheck:
        return RowCheck(ctx.col() % 2 != 0, "odd", (ctx.column or "",))

    try:
        r = one([1, 2, 3, None], "test_even")
        assert (r.status, r.failing, r.examples, r.reason) == (
            Status.FAIL,
            2,
            (1, 3),
            "2 of 4 rows (50%) odd",
        )
        with pytest.raises(ValueError, match="already registered"):
            register("test_even", EvenParams, scopes=COLUMN, summary="again")(even)
    finally:
        RULES.pop("test_even")


def test_an_unregistered_rule_in_a_built_contract_is_an_error_result() -> None:
    r = one([1], "not_a_rule")
    assert r.status == Status.ERROR
    assert r.reason.startswith("unknown rule 'not_a_rule'; known rules are ")


def test_a_broken_plugin_gives_an_error_result_and_spares_the_others() -> None:
    from scalegate.engine.rules import AggregateCheck, Params, RuleContext, Verdict, register
    from scalegate.engine.rules.registry import COLUMN, DATASET, RowCheck

    class NoParams(Params):
        pass

    @register("test_broken_plan", NoParams, scopes=COLUMN, summary="raises while planning")
    def broken_plan(params: NoParams, ctx: RuleContext) -> RowCheck:
        raise ZeroDivisionError("oops")

    def judge(values: Any, rows: int) -> Verdict:
        raise ZeroDivisionError("bad judge")

    @register("test_broken_judge", NoParams, scopes=DATASET, summary="raises while judging")
    def broken_judge(params: NoParams, ctx: RuleContext) -> AggregateCheck:
        return AggregateCheck({"m": nw.col("x").max()}, judge)

    try:
        frame = pl.DataFrame({"x": [1, 2]})
        contract = Contract.model_validate(
            {
                "contract": "t",
                "dataset": ["test_broken_judge"],
                "columns": {"x": {"rules": ["test_broken_plan", "unique"]}},
            }
        )
        result = check(frame, contract)
        assert result.result("x.test_broken_plan").status == Status.ERROR
        assert "could not be planned: oops" in result.result("x.test_broken_plan").reason
        assert result.result("dataset.test_broken_judge").status == Status.ERROR
        assert result.result("x.unique").status == Status.PASS
    finally:
        RULES.pop("test_broken_plan")
        RULES.pop("test_broken_judge")
