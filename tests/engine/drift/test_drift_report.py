"""Reports: the known-drift pair, effect size against p-values, awkward columns, schema
mismatches, config overrides and the JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from scalegate.engine.drift import (
    BatchSummary,
    DriftReference,
    SchemaMismatchError,
    build_reference,
    compare,
    drift,
    load_config,
    summarize,
)
from scalegate.engine.profile import profile
from scalegate.engine.synthetic import DRIFTED_COLUMNS, credit_table
from scalegate.errors import DocumentError, ValidationError


def _json(report) -> dict:
    return json.loads(json.dumps(report.to_dict(), allow_nan=False))


def test_defaults_flag_exactly_the_five_drifted_columns_at_100k() -> None:
    report = drift(credit_table(100_000, 1), credit_table(100_000, 2, drift=True))
    assert sorted(report.drifted) == sorted(DRIFTED_COLUMNS)
    assert report.status in ("drift", "critical")
    assert len(report.columns) == 20


@pytest.mark.slow
def test_defaults_flag_exactly_the_five_drifted_columns_at_1m() -> None:
    report = drift(credit_table(1_000_000, 1), credit_table(1_000_000, 2, drift=True))
    assert sorted(report.drifted) == sorted(DRIFTED_COLUMNS)


def test_a_fresh_sample_of_the_reference_does_not_drift() -> None:
    reference = build_reference(credit_table(100_000, 1))
    report = compare(reference, summarize(credit_table(100_000, 3), reference))
    assert report.drifted == []
    assert report.status == "ok"
    assert report.multivariate.drifted is False


def test_a_tiny_shift_at_a_million_rows_has_p_near_zero_but_no_effect() -> None:
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"x": rng.normal(0, 1, 1_000_000)})
    cur = pl.DataFrame({"x": rng.normal(0.02, 1, 1_000_000)})
    by_effect = drift(ref, cur)["x"]
    assert by_effect.value < 0.05 and not by_effect.drifted  # 0.02 std moved: negligible
    assert by_effect.statistics["ks_pvalue"] < 1e-6
    by_pvalue = drift(ref, cur, config={"columns": {"x": {"method": "ks"}}})["x"]
    assert by_pvalue.method == "ks" and by_pvalue.drifted


def test_awkward_columns_give_defined_values_or_a_reason_never_nan() -> None:
    ref = pl.DataFrame(
        {
            "constant": [5.0] * 50,
            "empty": pl.Series([None] * 50, dtype=pl.Float64),
            "label": ["a", "b"] * 25,
            "when": pl.datetime_range(
                pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 1, 0, 49), "1m", eager=True
            ),
            "x": np.linspace(0, 1, 50),
            "y": np.linspace(1, 0, 50) ** 2,
        }
    )
    cur = pl.DataFrame(
        {
            "constant": [5.0, 6.0],
            "empty": [1.0, 2.0],
            "label": ["c", "c"],  # never seen in the reference
            "when": [pl.datetime(2024, 1, 2)] * 2,
            "x": [float("nan"), float("inf")],  # no finite values
            "y": [0.5, 0.25],
        }
    )
    report = drift(ref, cur)
    out = _json(report)  # no NaN or infinity anywhere
    constant = report["constant"]
    assert constant.method == "jensenshannon" and constant.drifted
    assert "constant" in constant.reason
    assert report["empty"].value is None and "no values in reference" in report["empty"].reason
    assert report["x"].value is None and "current" in report["x"].reason
    assert report["label"].drifted and report["label"].value == pytest.approx(1.0)
    assert report["when"].value is None and "not compared" in report["when"].reason
    assert out["columns"][0]["name"] == "constant"


def test_a_one_row_batch_gets_defined_statistics() -> None:
    ref = credit_table(5_000, 1)
    report = drift(ref, ref.head(1))
    for column in report.columns:
        assert column.value is not None
        assert all(v is None or np.isfinite(v) for v in column.statistics.values())
    _json(report)


def test_schema_mismatch_names_the_columns_on_each_side() -> None:
    ref = pl.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [1, 2]})
    cur = pl.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "d": [1, 2]})
    with pytest.raises(SchemaMismatchError, match=r"missing from current: c; missing from ref"):
        drift(ref, cur)
    assert drift(ref, cur, config={"exclude": ["c", "d"]}).status == "ok"
    retyped = pl.DataFrame({"a": ["1", "2"], "b": ["x", "y"], "c": [1, 2]})
    with pytest.raises(SchemaMismatchError, match=r"'a' is Float64 in reference and String"):
        drift(ref, retyped)


def test_overrides_include_exclude_and_prediction() -> None:
    ref = credit_table(20_000, 1).with_columns(pl.col("income").alias("score"))
    cur = credit_table(20_000, 2, drift=True).with_columns(pl.col("income").alias("score"))
    config = {
        "prediction": "score",
        "include": ["income", "channel", "age"],
        "columns": {"income": {"method": "psi", "threshold": 0.3}, "age": {"threshold": 0.001}},
    }
    report = drift(ref, cur, config=config)
    assert [c.name for c in report.columns] == ["age", "income", "channel", "score"]
    assert report["income"].method == "psi" and report["income"].threshold == 0.3
    assert report["age"].method == "wasserstein" and report["age"].threshold == 0.001
    assert report["score"].role == "prediction" and report["score"].drifted
    assert report.status == "critical"
    assert any("prediction 'score'" in r for r in report.critical_reasons)


def test_status_is_critical_at_the_configured_share_of_drifted_features() -> None:
    ref, cur = credit_table(20_000, 1), credit_table(20_000, 2, drift=True)
    quiet = {"multivariate": {"enabled": False}}
    assert drift(ref, cur, config=quiet).status == "drift"  # 5 of 20 is 25 %
    report = drift(ref, cur, config={**quiet, "critical": {"share": 0.25}})
    assert report.status == "critical"
    assert report.drifted_share == pytest.approx(0.25)


def test_a_method_that_does_not_fit_the_column_is_refused() -> None:
    ref = pl.DataFrame({"s": ["a", "b"]})
    with pytest.raises(ValidationError, match=r"column 's': drift method wasserstein does not"):
        drift(ref, ref, config={"columns": {"s": {"method": "wasserstein"}}})


def test_missing_prediction_column_is_named() -> None:
    ref = pl.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(SchemaMismatchError, match=r"prediction column 'p' is not in the ref"):
        drift(ref, ref, config={"prediction": "p"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n  a:\n    method: pssi\n", "d.yaml, line 3: field 'columns.a.method': unknown"),
        ("defaults:\n  numeric: {method: ks, threshold: 2}\n", "line 2: field 'defaults.numeric'"),
        ("critical:\n  share: 0\n", "line 2: field 'critical.share'"),
        ("colums: {}\n", "line 1: field 'colums': unknown field 'colums'"),
        ("columns: [\n", "d.yaml, line 2"),
    ],
)
def test_config_errors_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        load_config(text, "d.yaml")


def test_a_dict_config_error_names_the_field() -> None:
    with pytest.raises(DocumentError, match=r"field 'multivariate.variance'"):
        drift(pl.DataFrame({"a": [1.0]}), pl.DataFrame({"a": [1.0]}), config={
            "multivariate": {"variance": 2}
        })  # fmt: skip


def test_reference_and_summary_survive_json_and_give_the_same_report() -> None:
    config = load_config("prediction: credit_score\nexclude: [state]\n", "d.yaml")
    reference = build_reference(credit_table(20_000, 1), config=config)
    summary = summarize(credit_table(20_000, 2, drift=True), reference)
    again = DriftReference.from_dict(json.loads(json.dumps(reference.to_dict())))
    summary_again = BatchSummary.from_dict(json.loads(json.dumps(summary.to_dict())))
    assert _json(compare(again, summary_again)) == _json(compare(reference, summary))
    assert again.config.prediction == "credit_score"


def test_a_reference_from_a_stored_profile_has_no_multivariate_signal() -> None:
    data = credit_table(20_000, 1)
    reference = DriftReference.from_profile(profile(data))
    report = compare(reference, summarize(credit_table(20_000, 2, drift=True), reference))
    assert sorted(report.drifted) == sorted(DRIFTED_COLUMNS)
    assert report.multivariate.value is None and "profile" in report.multivariate.reason


def test_small_batches_are_guarded_from_sampling_noise() -> None:
    reference = build_reference(credit_table(100_000, 1))
    fresh = compare(reference, summarize(credit_table(1_000, 5), reference))
    # with 1,000 rows the 50 states reach JS 0.05 by chance alone; chi-square says so
    state = fresh["state"]
    assert state.value >= state.threshold and not state.drifted
    assert "sampling noise" in (state.reason or "")
    assert fresh.drifted == []
    drifted = compare(reference, summarize(credit_table(1_000, 2, drift=True), reference))
    assert sorted(drifted.drifted) == sorted(DRIFTED_COLUMNS)
    unguarded = DriftReference(reference.profile, reference.config.model_copy(
        update={"significance": None}), reference.model)  # fmt: skip
    assert "state" in compare(unguarded, summarize(credit_table(1_000, 5), reference)).drifted


def test_pandas_frames_and_docstring_examples() -> None:
    import doctest
    import importlib

    compare_module = importlib.import_module("scalegate.engine.drift.compare")
    drift_report = importlib.import_module("scalegate.reports.drift")

    ref, cur = credit_table(20_000, 1), credit_table(20_000, 2, drift=True)
    report = drift(ref.to_pandas(), cur.to_pandas())
    assert sorted(report.drifted) == sorted(DRIFTED_COLUMNS)
    for module in (compare_module, drift_report):
        assert doctest.testmod(module).failed == 0
