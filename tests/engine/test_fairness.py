"""Fairness metrics against Fairlearn's MetricFrame on the same rows, on several engines."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from scalegate.engine.fairness import (
    DISPARITIES,
    METRICS,
    FairnessReport,
    fairness_metrics,
    report_from_counts,
)
from scalegate.engine.windows import ColumnError
from scalegate.errors import ScalegateError, ValidationError

fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
SPARK = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


# ---------------------------------------------------------------- the independent numbers
def _fairlearn(
    y: np.ndarray[Any, Any], p: np.ndarray[Any, Any], sf: pd.DataFrame | np.ndarray[Any, Any]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Fairlearn's per-group table and disparities (warnings of undefined precision off)."""
    from sklearn.metrics import accuracy_score, precision_score

    fl = fairlearn_metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = fl.MetricFrame(
            metrics={
                "selection_rate": fl.selection_rate,
                "true_positive_rate": fl.true_positive_rate,
                "false_positive_rate": fl.false_positive_rate,
                "precision": precision_score,
                "accuracy": accuracy_score,
                "count": fl.count,
            },
            y_true=y,
            y_pred=p,
            sensitive_features=sf,
        )
        disparities = {
            "demographic_parity_difference": fl.demographic_parity_difference(
                y, p, sensitive_features=sf
            ),
            "demographic_parity_ratio": fl.demographic_parity_ratio(y, p, sensitive_features=sf),
            "equalized_odds_difference": fl.equalized_odds_difference(y, p, sensitive_features=sf),
            "equalized_odds_ratio": fl.equalized_odds_ratio(y, p, sensitive_features=sf),
        }
    return frame.by_group, disparities


def _key(group: dict[str, Any]) -> Any:
    values = tuple(group.values())
    return values[0] if len(values) == 1 else values


def _assert_groups_equal(report: FairnessReport, by_group: pd.DataFrame) -> None:
    """Every defined metric equals Fairlearn's; every undefined one is where Fairlearn
    reports 0 (scikit-learn's zero-division default) and carries a reason."""
    assert len(report.groups) == len(by_group)
    for g in report.groups:
        row = by_group.loc[_key(g.group)]
        assert g.count == row["count"]
        for m in METRICS:
            value = g.metrics[m]
            if value is None:
                assert row[m] == 0.0, (g.label, m)
                assert g.reasons[m]
            else:
                assert value == pytest.approx(row[m], abs=1e-12), (g.label, m)


def _synthetic(n: int = 20_000, seed: int = 7) -> pl.DataFrame:
    """Four genders x three age bands; group 'x' has no positive label at all."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(["f", "m", "n", "x"], n, p=[0.45, 0.45, 0.07, 0.03])
    age = rng.choice(["18-30", "31-50", "51+"], n)
    base = np.select([gender == "f", gender == "m", gender == "n"], [0.3, 0.45, 0.6], 0.0)
    y = (rng.random(n) < base).astype(np.int64)
    score = np.clip(0.35 * y + rng.random(n) * 0.7 + np.where(age == "51+", 0.1, 0.0), 0, 1)
    return pl.DataFrame(
        {"gender": gender, "age_band": age, "y": y, "score": score, "p": (score >= 0.5) * 1}
    )


# ---------------------------------------------------------------- equal to Fairlearn
def test_one_attribute_equals_fairlearn_where_defined() -> None:
    df = _synthetic()
    report = fairness_metrics(df, sensitive="gender", label="y", prediction="p")
    y, p, g = df["y"].to_numpy(), df["p"].to_numpy(), df["gender"].to_numpy()
    by_group, _ = _fairlearn(y, p, g)
    _assert_groups_equal(report, by_group)
    x = next(gr for gr in report.groups if gr.group["gender"] == "x")
    assert x.metrics["true_positive_rate"] is None
    assert x.reasons["true_positive_rate"] == "no row has a positive label"
    assert report.table.excluded == {"true_positive_rate": ["gender=x"]}
    # the disparities leave the undefined group out of the TPR comparison: they equal
    # Fairlearn's on the groups that define each rate
    defined = g != "x"
    _, without_x = _fairlearn(y[defined], p[defined], g[defined])
    tpr = fairlearn_metrics.MetricFrame(
        metrics=fairlearn_metrics.true_positive_rate,
        y_true=y[defined],
        y_pred=p[defined],
        sensitive_features=g[defined],
    ).difference()
    fpr = fairlearn_metrics.MetricFrame(
        metrics=fairlearn_metrics.false_positive_rate, y_true=y, y_pred=p, sensitive_features=g
    ).difference()
    d = report.disparities
    assert d["true_positive_rate_difference"] == pytest.approx(tpr, abs=1e-12)
    assert d["false_positive_rate_difference"] == pytest.approx(fpr, abs=1e-12)
    assert d["equalized_odds_difference"] == pytest.approx(max(tpr, fpr), abs=1e-12)
    # selection rates are defined for every group, so demographic parity is Fairlearn's
    _, everyone = _fairlearn(y, p, g)
    for name in ("demographic_parity_difference", "demographic_parity_ratio"):
        assert d[name] == pytest.approx(everyone[name], abs=1e-12)
    # Fairlearn counts x's TPR as 0, which inflates its equalized odds difference
    assert everyone["equalized_odds_difference"] > d["equalized_odds_difference"]  # type: ignore[operator]
    assert without_x["equalized_odds_difference"] >= 0


def test_intersections_and_marginals_equal_fairlearn() -> None:
    df = _synthetic().filter(pl.col("gender") != "x")  # every group defines every rate
    report = fairness_metrics(df, sensitive=["gender", "age_band"], label="y", prediction="p")
    y, p = df["y"].to_numpy(), df["p"].to_numpy()
    sf = df.select("gender", "age_band").to_pandas()
    by_group, disparities = _fairlearn(y, p, sf)
    _assert_groups_equal(report, by_group)
    assert len(report.groups) == 9
    for name, value in disparities.items():
        assert report.disparities[name] == pytest.approx(value, abs=1e-12), name
    assert set(report.by_attribute) == {"gender", "age_band"}
    for column in ("gender", "age_band"):
        marginal_groups, marginal = _fairlearn(y, p, sf[column].to_numpy())
        table = report.by_attribute[column]
        assert [g.count for g in table.groups] == list(marginal_groups["count"])
        for name, value in marginal.items():
            assert table.disparities[name] == pytest.approx(value, abs=1e-12), (column, name)
    assert report.overall.count == len(df) == report.used == report.rows


def test_score_threshold_and_text_labels_equal_fairlearn() -> None:
    df = _synthetic(seed=11).with_columns(
        outcome=pl.when(pl.col("y") == 1).then(pl.lit("yes")).otherwise(pl.lit("no"))
    )
    report = fairness_metrics(
        df, sensitive="age_band", label="outcome", score="score", threshold=0.6, positive="yes"
    )
    assert report.threshold == 0.6 and report.positive == "yes"
    y = df["y"].to_numpy()
    p = (df["score"].to_numpy() >= 0.6).astype(int)
    by_group, disparities = _fairlearn(y, p, df["age_band"].to_numpy())
    _assert_groups_equal(report, by_group)
    for name, value in disparities.items():
        assert report.disparities[name] == pytest.approx(value, abs=1e-12), name


def test_positive_label_zero_flips_the_classes() -> None:
    df = _synthetic(n=3000, seed=3).filter(pl.col("gender") != "x")
    report = fairness_metrics(df, sensitive="gender", label="y", prediction="p", positive="0")
    assert report.positive == 0
    y, p = 1 - df["y"].to_numpy(), 1 - df["p"].to_numpy()
    by_group, disparities = _fairlearn(y, p, df["gender"].to_numpy())
    _assert_groups_equal(report, by_group)
    assert report.disparities["equalized_odds_difference"] == pytest.approx(
        disparities["equalized_odds_difference"], abs=1e-12
    )


def test_real_dataset_arrests_shipped_in_scikit_lego() -> None:
    """5,226 marijuana-possession arrests in Toronto (scikit-lego ships them in its wheel):
    is the arrested person released, by skin colour and sex; a logistic regression
    predicts it from age, employment, citizenship and prior checks."""
    datasets = pytest.importorskip("sklego.datasets")
    from sklearn.linear_model import LogisticRegression

    arrests = datasets.load_arrests(as_frame=True)
    assert len(arrests) == 5226
    x = pd.DataFrame(
        {
            "age": arrests["age"],
            "employed": (arrests["employed"] == "Yes").astype(int),
            "citizen": (arrests["citizen"] == "Yes").astype(int),
            "checks": arrests["checks"],
        }
    )
    y = (arrests["released"] == "Yes").astype(int).to_numpy()
    model = LogisticRegression(max_iter=1000).fit(x, y)
    frame = arrests.assign(score=model.predict_proba(x)[:, 1])
    report = fairness_metrics(
        frame,
        sensitive=["colour", "sex"],
        label="released",
        score="score",
        positive="Yes",
        threshold=0.8,
    )
    p = (frame["score"].to_numpy() >= 0.8).astype(int)
    by_group, disparities = _fairlearn(y, p, arrests[["colour", "sex"]])
    _assert_groups_equal(report, by_group)
    for name, value in disparities.items():
        assert report.disparities[name] == pytest.approx(value, abs=1e-12), name
    _, colour = _fairlearn(y, p, arrests["colour"].to_numpy())
    for name, value in colour.items():
        assert report.by_attribute["colour"].disparities[name] == pytest.approx(value, abs=1e-12)
    assert report.backend == "pandas"


# ---------------------------------------------------------------- engines
def _frames(tmp_path: Path, df: pl.DataFrame) -> dict[str, Any]:
    path = tmp_path / "data.parquet"
    df.write_parquet(path)
    return {
        "polars": df,
        "lazy": df.lazy(),
        "pandas": df.to_pandas(),
        "pyarrow": df.to_arrow(),
        "parquet file": str(path),
    }


def test_same_report_on_every_local_engine(tmp_path: Path) -> None:
    df = _synthetic(n=5000)
    reports = {
        name: fairness_metrics(data, sensitive=["gender", "age_band"], label="y", score="score")
        for name, data in _frames(tmp_path, df).items()
    }
    first = reports.pop("polars").to_dict()
    for name, report in reports.items():
        got = report.to_dict()
        for key in ("source", "backend"):
            got.pop(key), first.pop(key, None)
        assert got == {k: v for k, v in first.items() if k not in ("source", "backend")}, name


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_equals_fairlearn(spark: Any, tmp_path: Path) -> None:
    df = _synthetic(n=4000, seed=5)
    path = tmp_path / "data.parquet"
    df.write_parquet(path)
    report = fairness_metrics(
        spark.read.parquet(str(path)), sensitive=["gender", "age_band"], label="y", prediction="p"
    )
    assert report.backend == "spark"
    y, p = df["y"].to_numpy(), df["p"].to_numpy()
    by_group, _ = _fairlearn(y, p, df.select("gender", "age_band").to_pandas())
    _assert_groups_equal(report, by_group)
    local = fairness_metrics(df, sensitive=["gender", "age_band"], label="y", prediction="p")
    assert report.disparities == pytest.approx(local.disparities)
    scored = fairness_metrics(
        spark.read.parquet(str(path)), sensitive="gender", label="y", score="score"
    )
    assert (
        scored.to_dict()["groups"]
        == fairness_metrics(df, sensitive="gender", label="y", score="score").to_dict()["groups"]
    )


# ---------------------------------------------------------------- undefined values
def test_undefined_rates_and_disparities_are_none_with_reasons() -> None:
    df = pl.DataFrame(
        {
            "g": ["a", "a", "b", "b", "c", "c"],
            "y": [1, 0, 0, 0, 1, 1],
            "p": [0, 0, 0, 0, 0, 0],
        }
    )
    report = fairness_metrics(df, sensitive="g", label="y", prediction="p")
    a, b, c = report.groups
    assert b.metrics["true_positive_rate"] is None
    assert c.metrics["false_positive_rate"] is None
    assert c.reasons["false_positive_rate"] == "no row has a negative label"
    assert a.metrics["precision"] is None
    assert a.reasons["precision"] == "no row is predicted positive"
    d = report.disparities
    assert d["demographic_parity_difference"] == 0.0
    assert d["demographic_parity_ratio"] is None
    assert "selection rate is 0" in report.table.reasons["demographic_parity_ratio"]
    assert d["equalized_odds_ratio"] is None
    assert d["equalized_odds_difference"] == 0.0
    for value in report.to_dict()["disparities"].values():
        assert value is None or math.isfinite(value)


def test_one_group_has_no_disparity() -> None:
    df = pl.DataFrame({"g": ["a"] * 4, "y": [1, 0, 1, 0], "p": [1, 0, 0, 0]})
    report = fairness_metrics(df, sensitive="g", label="y", prediction="p")
    for name in DISPARITIES:
        assert report.disparities[name] is None
        assert "only one group" in report.table.reasons[name]


def test_missing_values_are_skipped_and_null_groups_kept() -> None:
    df = pl.DataFrame(
        {
            "g": ["a", "a", None, None, "b", "b"],
            "y": [1.0, float("nan"), 1.0, 0.0, None, 0.0],
            "s": [0.9, 0.2, float("nan"), 0.7, 0.1, 0.6],
        }
    )
    report = fairness_metrics(df, sensitive="g", label="y", score="s")
    assert report.rows == 6 and report.used == 3
    assert report.skipped == {"missing_label": 2, "missing_score": 1}
    assert [g.group["g"] for g in report.groups] == ["a", "b", None]
    assert report.groups[2].label == "g=None"


def test_report_from_counts_recomputes_everything() -> None:
    report = fairness_metrics(_synthetic(n=2000), sensitive="gender", label="y", prediction="p")
    counts = {tuple(g.group.values()): g.counts for g in report.groups}
    again = report_from_counts(
        report.sensitive, counts, columns=report.columns, positive=1, skipped=report.skipped
    )
    assert again.to_dict()["groups"] == report.to_dict()["groups"]
    assert again.disparities == report.disparities


# ---------------------------------------------------------------- bad input
def test_unknown_sensitive_column_lists_the_columns() -> None:
    df = _synthetic(n=100)
    with pytest.raises(ColumnError) as err:
        fairness_metrics(df, sensitive=["gender", "race"], label="y", prediction="p")
    message = str(err.value)
    assert "no column 'race'" in message and "'age_band'" in message and "'gender'" in message
    assert err.value.fields["column"] == "race"


@pytest.mark.parametrize("role", ["label", "prediction", "score"])
def test_unknown_label_prediction_or_score_column(role: str) -> None:
    df = _synthetic(n=100)
    args: dict[str, Any] = {"label": "y", "prediction": "p"}
    if role == "score":
        args = {"label": "y", "score": "nope"}
    else:
        args[role] = "nope"
    with pytest.raises(ColumnError, match=rf"no column 'nope' \(the {role}\); its columns are"):
        fairness_metrics(df, sensitive="gender", **args)


def test_non_binary_labels_name_the_column() -> None:
    df = pl.DataFrame({"g": ["a", "b", "c"], "y": [0, 1, 2], "p": [0, 1, 1]})
    with pytest.raises(ColumnError, match=r"column 'y' \(the label\) holds 3 values"):
        fairness_metrics(df, sensitive="g", label="y", prediction="p")


def test_text_classes_need_the_positive_label() -> None:
    df = pl.DataFrame({"g": ["a", "b"], "y": ["yes", "no"], "p": ["no", "no"]})
    with pytest.raises(ColumnError, match=r"say which value is the positive class"):
        fairness_metrics(df, sensitive="g", label="y", prediction="p")
    with pytest.raises(ValidationError, match=r"positive label 'Yes' is not one of the classes"):
        fairness_metrics(df, sensitive="g", label="y", prediction="p", positive="Yes")


def test_label_and_prediction_with_different_classes() -> None:
    df = pl.DataFrame({"g": ["a", "b"], "y": ["yes", "no"], "p": ["1", "0"]})
    with pytest.raises(ColumnError, match="use different class values"):
        fairness_metrics(df, sensitive="g", label="y", prediction="p", positive="yes")


def test_empty_frame_and_no_usable_row() -> None:
    empty = pl.DataFrame(schema={"g": pl.String, "y": pl.Int64, "p": pl.Int64})
    with pytest.raises(ValidationError, match="no rows"):
        fairness_metrics(empty, sensitive="g", label="y", prediction="p")
    nulls = pl.DataFrame({"g": ["a"], "y": [None], "p": [1]}, schema_overrides={"y": pl.Int64})
    with pytest.raises(ValidationError, match="no row has both a label and a prediction"):
        fairness_metrics(nulls, sensitive="g", label="y", prediction="p")


def test_argument_errors() -> None:
    df = _synthetic(n=50)
    with pytest.raises(ValidationError, match="prediction column or a score column"):
        fairness_metrics(df, sensitive="gender", label="y")
    with pytest.raises(ValidationError, match="not both"):
        fairness_metrics(df, sensitive="gender", label="y", prediction="p", score="score")
    with pytest.raises(ValidationError, match="named twice"):
        fairness_metrics(df, sensitive=["gender", "gender"], label="y", prediction="p")
    with pytest.raises(ColumnError, match="is also the label"):
        fairness_metrics(df, sensitive="y", label="y", prediction="p")
    with pytest.raises(ColumnError, match="not numbers"):
        fairness_metrics(df, sensitive="age_band", label="y", score="gender")
    with pytest.raises(ScalegateError, match="no such file"):
        fairness_metrics("/nonexistent/x.parquet", sensitive="g", label="y", prediction="p")
