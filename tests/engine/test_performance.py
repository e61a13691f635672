"""Realised performance metrics against scikit-learn on the same rows, on several engines."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from scalegate.engine.performance import classification_metrics, regression_metrics
from scalegate.engine.windows import ColumnError, Period
from scalegate.errors import ValidationError

KINDS = ["polars", "pandas", "pyarrow", "duckdb", "parquet"]


def make(kind: str, columns: dict[str, Any], tmp_path: Path | None = None) -> Any:
    """The same data as one of the inputs scalegate accepts."""
    import polars as pl

    df = pl.DataFrame(columns, strict=False)
    if kind == "polars":
        return df
    if kind == "pandas":
        return df.to_pandas()
    if kind == "pyarrow":
        return df.to_arrow()
    if kind == "duckdb":
        import duckdb

        arrow_table = df.to_arrow()  # noqa: F841  (DuckDB reads it by name)
        return duckdb.sql("select * from arrow_table")
    assert tmp_path is not None
    path = tmp_path / "data.parquet"
    df.write_parquet(path)
    return str(path)


def binary_data(seed: int, n: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    truth = rng.beta(2, 2, n)
    y = (rng.random(n) < truth).astype(np.int64)
    score = np.clip(truth + rng.normal(0, 0.15, n), 0, 1)
    score[rng.random(n) < 0.05] = 0.3  # ties
    return {
        "y": y,
        "s": score,
        "p": (score >= 0.5).astype(np.int64),
        "t": [datetime(2024, 1, 1) + timedelta(hours=int(h)) for h in rng.integers(0, 24 * 40, n)],
        "g": rng.choice(["north", "south", "east"], n).tolist(),
        "h": rng.choice([1, 2], n).tolist(),
    }


def sk_binary(y: np.ndarray, p: np.ndarray, s: np.ndarray | None) -> dict[str, float | None]:
    """The same metrics from scikit-learn (None where scikit-learn has no defined value)."""
    out: dict[str, float | None] = {"accuracy": skm.accuracy_score(y, p)}
    out["precision"] = skm.precision_score(y, p, zero_division=np.nan) if p.any() else None
    out["recall"] = skm.recall_score(y, p, zero_division=np.nan) if y.any() else None
    out["f1"] = skm.f1_score(y, p, zero_division=np.nan) if (y.any() or p.any()) else None
    if s is not None:
        out["roc_auc"] = skm.roc_auc_score(y, s) if 0 < y.sum() < len(y) else None
        out["log_loss"] = skm.log_loss(y, s, labels=[0, 1])
        out["brier"] = skm.brier_score_loss(y, s, pos_label=1)
        out["calibration_error"] = sk_ece(y, s)
    return out


def sk_ece(y: np.ndarray, s: np.ndarray, bins: int = 10) -> float:
    """ECE from scikit-learn's calibration_curve and the counts of its bins."""
    prob_true, prob_pred = calibration_curve(y, s, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], s)  # scikit-learn's own binning
    counts = np.bincount(ids, minlength=bins)
    counts = counts[counts > 0]
    return float(np.sum(counts / len(s) * np.abs(prob_true - prob_pred)))


def assert_close(ours: dict[str, float | None], theirs: dict[str, float | None]) -> None:
    for name, expected in theirs.items():
        got = ours[name]
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            assert got is None, name
        else:
            assert got is not None, name
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("kind", KINDS)
def test_binary_metrics_match_sklearn_on_every_engine(kind: str, tmp_path: Path) -> None:
    data = binary_data(1, 3000)
    report = classification_metrics(
        make(kind, data, tmp_path), label="y", prediction="p", score="s"
    )
    y, p, s = data["y"], data["p"], data["s"]
    assert report.overall.rows == report.overall.used == 3000
    assert_close(report.overall.metrics, sk_binary(y, p, s))
    tp = int(((y == 1) & (p == 1)).sum())
    assert report.overall.counts["tp"] == tp


@pytest.mark.parametrize("kind", KINDS)
def test_per_window_and_segment_match_sklearn(kind: str, tmp_path: Path) -> None:
    data = binary_data(2, 4000)
    report = classification_metrics(
        make(kind, data, tmp_path),
        label="y",
        score="s",
        threshold=0.4,
        window="1w",
        timestamp="t",
        segment=["g", "h"],
    )
    y, s = data["y"], data["s"]
    p = (s >= 0.4).astype(int)
    week = np.array([(t - timedelta(days=t.weekday())).date() for t in data["t"]])
    g, h = np.array(data["g"]), np.array(data["h"])
    seen = 0
    for group in report.groups:
        start = group.window_start
        assert isinstance(start, datetime)
        assert start.weekday() == 0 and start.hour == 0
        assert group.window_end == start + timedelta(days=7)
        mask = (week == start.date()) & (g == group.segment["g"]) & (h == group.segment["h"])
        assert group.rows == int(mask.sum())
        assert_close(group.metrics, sk_binary(y[mask], p[mask], s[mask]))
        seen += int(mask.sum())
    assert seen == 4000
    starts = [(gr.window_start, gr.segment["g"], gr.segment["h"]) for gr in report.groups]
    assert starts == sorted(starts)
    assert_close(report.overall.metrics, sk_binary(y, p, s))
    json.dumps(report.to_dict(), allow_nan=False)


@settings(max_examples=40)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.floats(0, 1, allow_nan=False),
            st.sampled_from(["a", "b"]),
        ),
        min_size=1,
        max_size=60,
    ),
    threshold=st.sampled_from([0.0, 0.3, 0.5, 1.0]),
)
def test_binary_metrics_property(rows: list[tuple[int, float, str]], threshold: float) -> None:
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows])
    seg = np.array([r[2] for r in rows])
    report = classification_metrics(
        make("polars", {"y": y, "s": s, "g": seg.tolist()}),
        label="y",
        score="s",
        threshold=threshold,
        segment="g",
    )
    p = (s >= threshold).astype(int)
    assert_close(report.overall.metrics, sk_binary(y, p, s))
    for group in report.groups:
        mask = seg == group.segment["g"]
        assert_close(group.metrics, sk_binary(y[mask], p[mask], s[mask]))
        for name, value in group.metrics.items():
            assert (value is None) == (name in group.reasons)
    json.dumps(report.to_dict(), allow_nan=False)


def test_ece_bin_edges_follow_sklearn() -> None:
    # scores exactly on bin edges: each edge belongs to the bin below it (the first holds 0)
    s = np.array([0.0, 0.1, 0.2, 0.30000000000000004, 0.3, 0.5, 0.9, 1.0, 0.95, 0.05])
    y = np.array([0, 0, 1, 0, 1, 1, 1, 1, 0, 0])
    report = classification_metrics(make("polars", {"y": y, "s": s}), label="y", score="s")
    assert report.overall.metrics["calibration_error"] == pytest.approx(sk_ece(y, s), abs=1e-12)


def test_multiclass_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = rng.choice(["cat", "dog", "bird"], 500)
    p = np.where(rng.random(500) < 0.7, y, rng.choice(["cat", "dog", "fish"], 500))
    report = classification_metrics(
        make("polars", {"y": y.tolist(), "p": p.tolist()}),
        label="y",
        prediction="p",
        multiclass=True,
    )
    m = report.overall.metrics
    assert report.task == "multiclass"
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    for ours, avg in (("macro_precision", skm.precision_score), ("macro_recall", skm.recall_score)):
        assert m[ours] == pytest.approx(avg(y, p, average="macro", zero_division=0))
    assert m["macro_f1"] == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0))


def regression_data(seed: int, n: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 5, n).round(1)
    y[:7] = 0.0
    return {
        "y": y,
        "yhat": y + rng.normal(0, 2, n),
        "t": [date(2024, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 120, n)],
        "g": rng.choice(["x", "y"], n).tolist(),
    }


def sk_regression(y: np.ndarray, p: np.ndarray) -> dict[str, float | None]:
    nonzero = y != 0
    return {
        "mae": skm.mean_absolute_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)),
        "mape": skm.mean_absolute_percentage_error(y[nonzero], p[nonzero])
        if nonzero.any()
        else None,
        "r2": skm.r2_score(y, p, force_finite=False) if len(y) > 1 else None,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_regression_matches_sklearn_per_month(kind: str, tmp_path: Path) -> None:
    data = regression_data(4, 2000)
    report = regression_metrics(
        make(kind, data, tmp_path),
        label="y",
        prediction="yhat",
        window="1mo",
        timestamp="t",
        segment="g",
    )
    y, p = data["y"], data["yhat"]
    assert_close(report.overall.metrics, sk_regression(y, p))
    assert report.overall.counts["mape_zero_actuals"] == int((y == 0).sum()) >= 7
    months = np.array([(t.year, t.month) for t in data["t"]])
    g = np.array(data["g"])
    for group in report.groups:
        start = group.window_start
        assert start is not None and start.day == 1
        nxt = (start.year + start.month // 12, start.month % 12 + 1)
        assert group.window_end == start.replace(year=nxt[0], month=nxt[1])
        mask = (months[:, 0] == start.year) & (months[:, 1] == start.month)
        mask &= g == group.segment["g"]
        assert_close(group.metrics, sk_regression(y[mask], p[mask]))
    json.dumps(report.to_dict(), allow_nan=False)


def test_edge_cases_give_none_with_a_reason() -> None:
    one = classification_metrics(
        make("polars", {"y": [1], "p": [1], "s": [0.8]}), label="y", prediction="p", score="s"
    )
    m = one.overall.metrics
    assert m["accuracy"] == 1.0 and m["precision"] == 1.0 and m["recall"] == 1.0
    assert m["roc_auc"] is None and "one class" in one.overall.reasons["roc_auc"]
    # every prediction negative: precision undefined, recall 0 (scikit-learn agrees)
    neg = classification_metrics(
        make("polars", {"y": [0, 1, 1], "p": [0, 0, 0]}), label="y", prediction="p"
    )
    assert neg.overall.metrics["precision"] is None
    assert neg.overall.reasons["precision"] == "no row is predicted positive"
    assert neg.overall.metrics["recall"] == 0.0 and neg.overall.metrics["f1"] == 0.0
    # all labels negative and all predictions negative: recall and F1 undefined
    none = classification_metrics(
        make("polars", {"y": [0, 0], "p": [0, 0]}), label="y", prediction="p"
    )
    assert none.overall.metrics["recall"] is None and none.overall.metrics["f1"] is None
    flat = regression_metrics(
        make("polars", {"y": [2.0, 2.0, 2.0], "yhat": [1.0, 2.0, 3.0]}),
        label="y",
        prediction="yhat",
    )
    assert flat.overall.metrics["r2"] is None and "all equal" in flat.overall.reasons["r2"]
    zeros = regression_metrics(
        make("polars", {"y": [0.0], "yhat": [1.0]}), label="y", prediction="yhat"
    )
    assert zeros.overall.metrics["mape"] is None and zeros.overall.metrics["r2"] is None
    assert zeros.overall.counts["mape_zero_actuals"] == 1


def test_scores_outside_zero_one_keep_auc_but_not_probability_metrics() -> None:
    report = classification_metrics(
        make("polars", {"y": [0, 1, 1, 0], "s": [-2.0, 3.0, 1.5, 0.2], "p": [0, 1, 1, 0]}),
        label="y",
        prediction="p",
        score="s",
    )
    assert report.overall.metrics["roc_auc"] == 1.0
    for name in ("log_loss", "brier", "calibration_error"):
        assert report.overall.metrics[name] is None
        assert "[0, 1]" in report.overall.reasons[name]


def test_missing_values_are_skipped_and_counted() -> None:
    data = {
        "y": [1, None, 0, 1, 0, 1],
        "s": [0.9, 0.8, float("nan"), None, 0.1, 0.7],
        "t": [datetime(2024, 1, 1), None, datetime(2024, 1, 1), datetime(2024, 1, 2), None, None],
    }
    report = classification_metrics(
        make("polars", data), label="y", score="s", window="1d", timestamp="t"
    )
    o = report.overall
    assert (o.rows, o.used) == (6, 3)
    assert o.skipped == {"missing_label": 1, "missing_score": 2}
    assert report.unassigned_rows == 3
    assert [g.rows for g in report.groups] == [2, 1]
    assert report.groups[1].used == 0
    assert report.groups[1].metrics["accuracy"] is None
    assert report.groups[1].reasons["accuracy"] == "no rows with label and prediction"
    assert_close(
        o.metrics, sk_binary(np.array([1, 0, 1]), np.array([1, 0, 1]), np.array([0.9, 0.1, 0.7]))
    )


def test_bool_labels_are_binary() -> None:
    report = classification_metrics(
        make("pandas", {"y": [True, False, True], "p": [True, True, False]}),
        label="y",
        prediction="p",
    )
    assert report.overall.counts == {"tp": 1, "fp": 1, "fn": 1, "tn": 0}


def test_errors_name_the_column() -> None:
    df = make("polars", {"y": [0, 2, 1], "s": [0.1, 0.5, 0.9], "c": ["a", "b", "c"]})
    with pytest.raises(
        ColumnError, match=r"no column 'label' \(the label\); its columns are 'y', 's', 'c'"
    ):
        classification_metrics(df, label="label", score="s")
    with pytest.raises(
        ColumnError, match=r"column 'y' \(the label\) holds 2.0; binary metrics need 0/1"
    ):
        classification_metrics(df, label="y", score="s")
    with pytest.raises(ColumnError, match=r"column 'c' \(the label\) is String"):
        classification_metrics(df, label="c", score="s")
    with pytest.raises(ColumnError, match=r"column 'c' \(the score\) is String, not numbers"):
        classification_metrics(df, label="y", score="c")
    with pytest.raises(ValidationError, match="prediction column, a score column or both"):
        classification_metrics(df, label="y")
    with pytest.raises(ValidationError, match="give both window"):
        classification_metrics(df, label="y", score="s", window="1d")
    with pytest.raises(ColumnError, match=r"column 's' \(the timestamp\) is Float64"):
        classification_metrics(df, label="y", score="s", window="1d", timestamp="s")
    with pytest.raises(ColumnError, match=r"column 'c' \(the label\) is String; regression needs"):
        regression_metrics(df, label="c", prediction="s")
    with pytest.raises(ColumnError, match="no column 'zone' \\(the segment\\)"):
        regression_metrics(df, label="y", prediction="s", segment="zone")


@pytest.mark.parametrize("text", ["1", "d", "0d", "2w", "1x", "1 d"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=f"window '{text}'"):
        Period.parse(text)


def test_period_ends() -> None:
    assert Period.parse("1mo").end(datetime(2024, 12, 1)) == datetime(2025, 1, 1)
    assert Period.parse("1q").end(date(2024, 10, 1)) == date(2025, 1, 1)
    assert Period.parse("6h").end(datetime(2024, 1, 1, 18)) == datetime(2024, 1, 2)
    assert Period.parse("1y").end(date(2024, 1, 1)) == date(2025, 1, 1)


def test_empty_data_gives_none_everywhere() -> None:
    import polars as pl

    empty = pl.DataFrame(schema={"y": pl.Int64, "s": pl.Float64})
    report = classification_metrics(empty, label="y", score="s", segment="y")
    assert report.overall.rows == 0 and report.groups == ()
    assert all(v is None for v in report.overall.metrics.values())
    assert set(report.overall.reasons) == set(report.overall.metrics)
    regression = regression_metrics(empty, label="y", prediction="s")
    assert regression.overall.metrics == dict.fromkeys(["mae", "rmse", "mape", "r2"])
    json.dumps(report.to_dict(), allow_nan=False)
