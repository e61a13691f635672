"""check(): one plan for every rule, the same answer on every backend, bad input as results."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalegate.domain.contract import Contract
from scalegate.engine.check import check, load_contract
from scalegate.engine.frames import DataError
from scalegate.engine.results import CheckResult, Status

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)

CONTRACT = """
contract: loans
version: 3
dataset:
  - row_count: {min: 5, max: 100}
  - unique: {columns: [id, branch]}
  - expression: {expr: "income >= 0 and (age < 70 or retired)"}
    severity: warn
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
  income:
    type: float
    rules:
      - between: {min: 0}
        severity: warn
  branch:
    type: string
    rules:
      - in_set: {values: [north, south]}
      - regex: {pattern: "^[a-z]+$"}
      - length: {max: 5}
  retired:
    type: boolean
    rules: [not_null]
  missing_one:
    rules: [not_null]
  optional_one:
    required: false
    rules: [unique]
"""

DATA: dict[str, list[Any]] = {
    "id": [1, 2, 3, 4, 4, 6, 7, 8],
    "age": [25, 17, None, 40, 80, 99, 101, 30],
    "income": [100.0, -5.0, 30.5, None, math.inf, 12.0, 0.0, math.nan],
    "branch": ["north", "south", "east", None, "north", "North", "south", "north"],
    "retired": [False, False, True, None, False, True, False, False],
}


def polars_frame() -> pl.DataFrame:
    return pl.DataFrame(DATA, schema_overrides={"age": pl.Int64, "income": pl.Float64})


def comparable(result: CheckResult) -> list[dict[str, Any]]:
    return [r.to_dict() for r in result.results]


def test_hand_computed_results() -> None:
    result = check(polars_frame(), load_contract(CONTRACT, "c.yaml"), now=NOW)
    got = {r.id: (r.status.value, r.failing, r.examples) for r in result.results}
    assert got == {
        "dataset.row_count": ("pass", 0, ()),
        "dataset.unique": ("pass", 0, ()),  # (4, None) has a null part; (4, north) is once
        # income -5 (row 2); age 80 not retired (row 5); age 101 not retired (row 7)
        "dataset.expression": (
            "fail",
            3,
            (
                {"income": -5.0, "age": 17, "retired": False},
                {"income": "inf", "age": 80, "retired": False},
                {"income": 0.0, "age": 101, "retired": False},
            ),
        ),
        "id.type": ("pass", 0, ()),
        "id.unique": ("fail", 2, (4, 4)),
        "id.not_null": ("pass", 0, ()),
        "age.type": ("pass", 0, ()),
        "age.not_null": ("pass", 1, ()),
        "age.between": ("fail", 2, (17, 101)),  # 25% outside; 20% allowed
        "income.type": ("pass", 0, ()),
        "income.between": ("fail", 3, (-5.0, "inf", "NaN")),
        "branch.type": ("pass", 0, ()),
        "branch.in_set": ("fail", 2, ("east", "North")),
        "branch.regex": ("fail", 1, ("North",)),
        "branch.length": ("pass", 0, ()),
        "retired.type": ("pass", 0, ()),
        "retired.not_null": ("fail", 1, ()),
        "missing_one.required": ("fail", 0, ()),
        "missing_one.not_null": ("skipped", 0, ()),
        "optional_one.unique": ("skipped", 0, ()),
    }


def test_summary_properties_and_json() -> None:
    result = check(polars_frame(), load_contract(CONTRACT, "c.yaml"), now=NOW)
    assert result.rows == 8
    assert result.columns == 5
    assert result.contract == "loans"
    assert result.version == "3"
    assert result.backend == "polars"
    assert not result.passed
    assert {r.id for r in result.failed} == {
        "id.unique",
        "age.between",
        "branch.in_set",
        "branch.regex",
        "retired.not_null",
        "missing_one.required",
    }
    assert {r.id for r in result.warnings} == {"dataset.expression", "income.between"}
    assert result.started <= result.finished
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)  # no NaN or inf anywhere
    assert json.loads(text)["summary"] == {
        "pass": 10,
        "fail": 8,
        "skipped": 2,
        "error": 0,
        "failed": 6,
        "warnings": 2,
    }
    assert data["schema"]["age"] == "Int64"
    reason = result.result("age.between").reason
    assert reason == "2 of 8 rows (25%) outside [18, 100]; allowed 20%"


def test_threshold_is_a_fraction_of_all_rows() -> None:
    result = check(polars_frame(), load_contract(CONTRACT, "c.yaml"), now=NOW)
    r = result.result("age.between")
    assert (r.failing, r.total, r.fraction) == (2, 8, 0.25)
    assert r.status == Status.FAIL


def test_passes_when_every_error_rule_passes() -> None:
    contract = load_contract(
        """
contract: ok
columns:
  id:
    rules: [not_null]
  age:
    rules:
      - between: {min: 100}
        severity: warn
""",
        "ok.yaml",
    )
    result = check(polars_frame(), contract)
    assert result.passed
    assert [r.id for r in result.warnings] == ["age.between"]


# ------------------------------------------------------------------------- backends


def _pandas() -> Any:
    return polars_frame().to_pandas(use_pyarrow_extension_array=True)


def _numpy_pandas() -> Any:
    frame = pd.DataFrame(
        {
            "id": pd.array(DATA["id"], dtype="Int64"),
            "age": pd.array(DATA["age"], dtype="Int64"),
            "income": pd.array(DATA["income"], dtype="Float64"),
            "branch": pd.array(DATA["branch"], dtype="string"),
            "retired": pd.array(DATA["retired"], dtype="boolean"),
        }
    )
    # pandas' nullable Float64 keeps NaN apart from NA only when built from arrow
    frame["income"] = pd.array(
        pa.array(DATA["income"], from_pandas=False), dtype=pd.ArrowDtype(pa.float64())
    )
    return frame


BACKENDS = {
    "polars-eager": polars_frame,
    "polars-lazy": lambda: polars_frame().lazy(),
    "pandas-arrow": _pandas,
    "pandas-nullable": _numpy_pandas,
    "pyarrow": lambda: polars_frame().to_arrow(),
    "narwhals": lambda: nw.from_native(polars_frame()),
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_same_results_on_every_backend(backend: str) -> None:
    contract = load_contract(CONTRACT, "c.yaml")
    expected = comparable(check(polars_frame(), contract, now=NOW))
    assert comparable(check(BACKENDS[backend](), contract, now=NOW)) == expected


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_results_from_files(tmp_path: Path, fmt: str) -> None:
    contract = load_contract(CONTRACT, "c.yaml")
    expected = comparable(check(polars_frame(), contract, now=NOW))
    path = tmp_path / f"data.{fmt}"
    getattr(polars_frame(), f"write_{fmt}")(path)
    result = check(str(path), contract, now=NOW)
    assert result.source == str(path)
    assert comparable(result) == expected


# ------------------------------------------------------------------------- one plan


def thirty_rules() -> Contract:
    columns: dict[str, Any] = {}
    for i in range(6):
        columns[f"c{i}"] = {
            "type": "integer",
            "rules": [
                "not_null",
                "unique",
                {"between": {"min": 0, "max": 10_000}},
                {"in_set": {"values": list(range(1000))}},
                {"expression": {"expr": f"c{i} >= 0 and c{i} % 1 == 0"}},
            ],
        }
    return Contract.model_validate(
        {
            "contract": "wide",
            "dataset": [
                {"row_count": {"min": 1}},
                {"unique": {"columns": ["c0", "c1"]}},
                {"expression": {"expr": "c0 + c1 >= 0"}},
            ],
            "columns": columns,
        }
    )


@pytest.fixture
def collects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query run: Polars ``collect``/``collect_all`` (which Narwhals' Polars backend
    calls too) and Narwhals ``collect`` on other backends."""
    calls: list[str] = []
    native, collect_all, generic = pl.LazyFrame.collect, pl.collect_all, nw.LazyFrame.collect

    def counting_native(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("polars")
        return native(self, *args, **kwargs)

    def counting_all(*args: Any, **kwargs: Any) -> Any:
        calls.append("collect_all")
        return collect_all(*args, **kwargs)

    def counting_generic(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.implementation is not nw.Implementation.POLARS:
            calls.append(str(self.implementation))
        return generic(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", counting_native)
    monkeypatch.setattr(pl, "collect_all", counting_all)
    monkeypatch.setattr(nw.LazyFrame, "collect", counting_generic)
    return calls


@pytest.mark.parametrize("profile", [True, False])
def test_one_query_when_all_rules_pass(collects: list[str], tmp_path: Path, profile: bool) -> None:
    # On Polars (files, pandas, PyArrow and Polars frames) the rules and the profile are
    # one select: one collect in all.
    frame = pl.DataFrame({f"c{i}": list(range(500)) for i in range(6)})
    contract = thirty_rules()
    assert len(contract.rule_ids()) == 33
    path = tmp_path / "wide.parquet"
    frame.write_parquet(path)
    for data in (frame, frame.lazy(), str(path), frame.to_pandas(), frame.to_arrow()):
        collects.clear()
        result = check(data, contract, profile=profile)
        assert result.passed, [r.reason for r in result.results if not r.ok]
        assert (result.profile is not None) == profile
        assert collects == ["polars"]


@pytest.mark.parametrize("profile", [True, False])
def test_one_query_with_failing_rules_and_their_examples(
    collects: list[str], profile: bool
) -> None:
    frame = pl.DataFrame({f"c{i}": list(range(500)) for i in range(6)})
    frame = frame.with_columns(pl.col("c2").replace(3, 4), pl.col("c5").replace(7, -7))
    result = check(frame, thirty_rules(), profile=profile)
    failing = {r.id: r.examples for r in result.results if r.status == Status.FAIL}
    assert failing == {
        "c2.unique": (4, 4),
        "c5.between": (-7,),
        "c5.in_set": (-7,),
        "c5.expression": (-7,),
    }
    assert collects == ["polars"]


def test_generic_path_one_query_plus_one_per_failing_rule(
    collects: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Other engines (here Polars made to take the generic path): one select for the rules,
    # then one small query per failing rule for its examples, and two for the profile.
    from scalegate.engine import polars_plan

    monkeypatch.setattr(polars_plan, "applies", lambda frame: False)
    frame = pl.DataFrame({f"c{i}": list(range(500)) for i in range(6)})
    frame = frame.with_columns(pl.col("c2").replace(3, 4), pl.col("c5").replace(7, -7))
    result = check(frame, thirty_rules(), profile=False)
    failing = [r for r in result.results if r.status == Status.FAIL]
    assert len(failing) == 4
    assert dict((r.id, r.examples) for r in failing)["c2.unique"] == (4, 4)
    assert len(collects) == 1 + len(failing)
    collects.clear()
    check(frame, thirty_rules(), profile=True)
    assert len(collects) == 1 + len(failing) + 2


# ------------------------------------------------------------------------- bad input


def test_empty_dataset() -> None:
    frame = polars_frame().clear()
    result = check(frame, load_contract(CONTRACT, "c.yaml"), now=NOW)
    assert result.rows == 0
    row_count = result.result("dataset.row_count")
    assert (row_count.status, row_count.reason) == (Status.FAIL, "0 rows; at least 5 expected")
    for r in result.results:
        if r.rule not in ("row_count", "required", "type") and r.status != Status.SKIPPED:
            assert (r.status, r.failing, r.fraction) == (Status.PASS, 0, 0.0), r.id
    json.dumps(result.to_dict(), allow_nan=False)


def test_empty_csv_file_with_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("id,age\n")
    contract = Contract.model_validate(
        {"contract": "t", "columns": {"id": {"rules": ["not_null", "unique"]}}}
    )
    result = check(str(path), contract)
    assert result.rows == 0
    assert all(r.status == Status.PASS for r in result.results)


def test_all_null_column() -> None:
    frame = pl.DataFrame({"x": pl.Series([None, None, None], dtype=pl.Float64)})
    contract = Contract.model_validate(
        {
            "contract": "t",
            "columns": {
                "x": {
                    "type": "float",
                    "rules": [
                        "not_null",
                        "unique",
                        {"between": {"min": 0, "max": 1}},
                        {"expression": {"expr": "x > 0"}},
                    ],
                }
            },
        }
    )
    result = check(frame, contract)
    got = {r.id: (r.status, r.failing) for r in result.results}
    assert got == {
        "x.type": (Status.PASS, 0),
        "x.not_null": (Status.FAIL, 3),
        "x.unique": (Status.PASS, 0),
        "x.between": (Status.PASS, 0),
        "x.expression": (Status.PASS, 0),
    }


def test_untyped_all_null_column_gives_error_results_not_a_crash() -> None:
    frame = pl.DataFrame({"x": [None, None], "y": [1, 2]})
    contract = Contract.model_validate(
        {
            "contract": "t",
            "columns": {
                "x": {"type": "string", "rules": ["not_null", {"regex": {"pattern": "a"}}]},
                "y": {"rules": ["unique"]},
            },
        }
    )
    result = check(frame, contract)
    assert result.result("x.type").status == Status.FAIL
    assert result.result("x.not_null").failing == 2
    assert result.result("x.regex").status == Status.ERROR
    assert result.result("y.unique").status == Status.PASS


def test_nan_and_infinity_never_leak_into_results() -> None:
    frame = pl.DataFrame({"x": [math.nan, math.inf, -math.inf, 1.0]})
    contract = Contract.model_validate(
        {"contract": "t", "columns": {"x": {"rules": [{"between": {"max": 5}}, "unique"]}}}
    )
    result = check(frame, contract)
    r = result.result("x.between")
    assert (r.failing, r.examples) == (3, ("NaN", "inf", "-inf"))
    assert result.result("x.unique").failing == 0
    json.dumps(result.to_dict(), allow_nan=False)


def test_unreadable_inputs_raise_data_errors(tmp_path: Path) -> None:
    contract = Contract.model_validate({"contract": "t", "columns": {"x": {}}})
    with pytest.raises(DataError, match="no such file"):
        check(str(tmp_path / "nope.parquet"), contract)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="truncated or damaged Parquet file"):
        check(str(broken), contract)
    broken.write_bytes(b"PAR1 this is not parquet, yet has both magic marks PAR1")
    with pytest.raises(DataError, match=r"broken\.parquet: cannot read the data"):
        check(str(broken), contract)
    with pytest.raises(DataError, match="cannot check a dict"):
        check({"x": [1]}, contract)


def test_freshness_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pl.DataFrame({"ts": [datetime(2026, 3, 1, 6), datetime(2026, 2, 1)]}).write_parquet(path)
    contract = Contract.model_validate(
        {"contract": "t", "dataset": [{"freshness": {"column": "ts", "max_age": "6h"}}]}
    )
    assert check(str(path), contract, now=NOW).passed
    assert not check(str(path), contract, now=datetime(2026, 3, 1, 13, tzinfo=UTC)).passed


row = st.fixed_dictionaries(
    {
        "k": st.one_of(st.none(), st.integers(0, 5)),
        "v": st.one_of(st.none(), st.floats(-10, 10, allow_nan=False), st.sampled_from([math.inf])),
        "s": st.one_of(st.none(), st.sampled_from(["a", "bb", "ccc", "x-1"])),
    }
)
SMALL = Contract.model_validate(
    {
        "contract": "small",
        "dataset": [
            {"unique": {"columns": ["k", "s"]}},
            {"expression": {"expr": "v > 0 or k in [1, 2] or is_null(s)"}},
        ],
        "columns": {
            "k": {"rules": ["not_null", "unique", {"between": {"min": 1, "max": 4}}]},
            "v": {"rules": [{"between": {"min": -5, "max": 5, "inclusive": "neither"}}]},
            "s": {
                "rules": [
                    {"in_set": {"values": ["a", "bb"]}},
                    {"regex": {"pattern": "^[a-c]+$"}},
                    {"length": {"max": 2}},
                ]
            },
        },
    }
)


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(row, max_size=25))
def test_backends_agree_on_random_data(rows: list[dict[str, Any]]) -> None:
    schema = {"k": pl.Int64, "v": pl.Float64, "s": pl.String}
    frame = pl.DataFrame(rows, schema=schema)
    expected = comparable(check(frame, SMALL))
    for other in (
        frame.lazy(),
        frame.to_arrow(),
        frame.to_pandas(use_pyarrow_extension_array=True),
    ):
        assert comparable(check(other, SMALL)) == expected
    # and an independent count of the composite-key rule
    keys = [(r["k"], r["s"]) for r in rows if r["k"] is not None and r["s"] is not None]
    dup = sum(1 for key in keys if keys.count(key) > 1)
    assert check(frame, SMALL).result("dataset.unique").failing == dup
