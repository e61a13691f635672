"""CBPE estimation: calibration against scikit-learn, estimates against NannyML's CBPE, and
the honesty of the band on data where the truth is known."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import accuracy_score

from scalegate.engine.estimation import CBPE, fit_isotonic, needs_calibration
from scalegate.engine.windows import ColumnError
from scalegate.errors import ValidationError

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]
#: NannyML computes the same formulas; only floating point and NannyML's rounding of the
#: cumulative counts of its ROC curve to 5 decimals separate the two
TOLERANCE = 1e-6
RUNNER = Path(__file__).with_name("nannyml_cbpe.py")
NANNYML = ["nannyml>=0.13,<0.14", "statsmodels", "pyarrow"]


def model_data(
    seed: int, n: int, *, a: float = 2, b: float = 2, start: datetime = datetime(2024, 1, 1)
) -> pl.DataFrame:
    """A classifier whose true probability is ``t``; its score ``t**2`` is miscalibrated."""
    rng = np.random.default_rng(seed)
    t = rng.beta(a, b, n)
    y = (rng.random(n) < t).astype(np.int64)
    s = t**2
    return pl.DataFrame(
        {
            "y": y,
            "s": s,
            "p": (s >= 0.5).astype(np.int64),
            "t": pl.datetime_range(
                start, start + timedelta(seconds=30 * (n - 1)), "30s", eager=True
            ),
        }
    )


def test_isotonic_calibration_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    s = rng.random(3000).round(2)  # many ties
    y = (rng.random(3000) < s**0.5).astype(float)
    ours = fit_isotonic(s, y)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    probe = np.concatenate([rng.random(500) * 1.4 - 0.2, s[:200]])
    np.testing.assert_allclose(ours.apply(probe), theirs.predict(probe), atol=1e-12)
    assert len(ours.knots_x) < 200  # plateaus kept by their ends only


def test_calibration_decision() -> None:
    miscalibrated = model_data(1, 20_000)
    y, s = miscalibrated["y"].to_numpy(), miscalibrated["s"].to_numpy()
    assert needs_calibration(y, s) is True
    assert needs_calibration(np.zeros(100), s[:100]) is False  # one class
    separable = (s > 0.5).astype(float)
    assert needs_calibration(separable, s) is False  # ROC AUC 1


def test_fitted_estimator_round_trips_through_small_json() -> None:
    model = CBPE.fit(model_data(2, 30_000), label="y", score="s", prediction="p")
    text = json.dumps(model.to_dict(), allow_nan=False)
    assert len(text) < 20_000
    again = CBPE.from_dict(json.loads(text))
    batch = model_data(3, 5_000, a=3)
    assert again.estimate(batch).to_dict() == model.estimate(batch).to_dict()
    with pytest.raises(ValidationError, match="field 'format'"):
        CBPE.from_dict({"score": "s"})
    broken = json.loads(text)
    del broken["calibration"]["y"]
    with pytest.raises(ValidationError, match="damaged"):
        CBPE.from_dict(broken)


def test_estimates_without_prediction_column_use_the_threshold() -> None:
    data = model_data(4, 10_000)
    with_p = CBPE.fit(data, label="y", score="s", prediction="p").estimate(data)
    without = CBPE.fit(data.drop("p"), label="y", score="s", threshold=0.5).estimate(
        data.drop("p", "y")
    )
    assert with_p.overall.estimates == without.overall.estimates


def test_band_holds_the_realised_accuracy() -> None:
    """On batches drawn from the calibrated model, even shifted toward positives, the realised
    accuracy lies inside the 3-sigma band in (nearly) every window."""
    model = CBPE.fit(model_data(5, 50_000), label="y", score="s", prediction="p")
    batch = model_data(6, 40 * 2_880, a=3, b=2)  # 40 daily windows of 2880 rows
    estimated = model.estimate(batch.drop("y"), window="1d", timestamp="t")
    assert len(estimated.groups) == 40
    y, p = batch["y"].to_numpy(), batch["p"].to_numpy()
    inside = 0
    for i, group in enumerate(estimated.groups):
        acc = group.estimates["accuracy"]
        assert acc is not None and acc.lower is not None and acc.upper is not None
        rows = slice(i * 2_880, (i + 1) * 2_880)
        realised = accuracy_score(y[rows], p[rows])
        inside += acc.lower <= realised <= acc.upper
        assert abs(acc.value - realised) < 0.05
    assert inside >= 38


def test_missing_scores_are_skipped_and_counted() -> None:
    model = CBPE.fit(model_data(7, 5_000), label="y", score="s", prediction="p")
    batch = pl.DataFrame({"s": [0.9, None, float("nan"), 0.2], "p": [1, 1, 0, None]}, strict=False)
    result = model.estimate(batch).overall
    assert (result.rows, result.used) == (4, 1)
    assert result.skipped == {"missing_score": 2, "missing_prediction": 1}
    assert result.estimates["roc_auc"] is None  # one row: no ROC curve
    json.dumps(model.estimate(batch).to_dict(), allow_nan=False)


def test_errors_name_the_column() -> None:
    data = model_data(8, 1_000)
    with pytest.raises(ColumnError, match=r"no column 'proba' \(the score\)"):
        CBPE.fit(data, label="y", score="proba")
    with pytest.raises(ColumnError, match=r"column 'y' \(the label\) holds 2; CBPE needs 0/1"):
        CBPE.fit(data.with_columns(y=pl.col("y") * 2), label="y", score="s")
    model = CBPE.fit(data, label="y", score="s", prediction="p")
    with pytest.raises(ColumnError, match=r"no column 'p' \(the prediction\)"):
        model.estimate(data.drop("p"))


# --- NannyML's CBPE on the same data ------------------------------------------------------


def _venv_python(root: Path) -> Path:
    return root / "bin" / "python"


@pytest.fixture(scope="session")
def nannyml_python(request: pytest.FixtureRequest) -> Path:
    """A Python with NannyML in a side venv under pytest's cache (created on first use).

    NannyML 0.13 pulls in xgboost, lightgbm and cloud SDKs and needs statsmodels without
    declaring it; it does not belong in scalegate's own environment. Skips only when pip
    cannot install it.
    """
    root = Path(request.config.cache.mkdir("nannyml-venv"))
    ready = root / "READY"
    with open(root.parent / "nannyml-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            install = subprocess.run(
                [str(_venv_python(root)), "-m", "pip", "install", "-q", *NANNYML],
                capture_output=True,
                text=True,
                timeout=1800,
            )
            if install.returncode != 0:
                tail = " ".join(install.stderr.strip().splitlines()[-3:])
                pytest.skip(f"pip cannot install NannyML here: {tail}")
            ready.write_text("ok\n")
    return _venv_python(root)


def run_nannyml(python: Path, reference: Path, analysis: Path, period: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["NML_DISABLE_USAGE_LOGGING"] = "1"
    done = subprocess.run(
        [str(python), str(RUNNER), str(reference), str(analysis), period],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_estimates_match_nannyml_cbpe(nannyml_python: Path, tmp_path: Path) -> None:
    reference = model_data(11, 30_000)
    analysis = model_data(12, 20_000, a=3, b=2, start=datetime(2024, 3, 1))
    ref_path, cur_path = tmp_path / "reference.parquet", tmp_path / "analysis.parquet"
    reference.write_parquet(ref_path)
    analysis.write_parquet(cur_path)
    theirs = run_nannyml(nannyml_python, ref_path, cur_path, "D")

    model = CBPE.fit(ref_path, label="y", score="s", prediction="p")
    ours = model.estimate(cur_path, window="1d", timestamp="t")
    assert model.calibrated is theirs["needs_calibration"] is True
    assert len(ours.groups) == len(theirs["chunks"]) == 7
    for group, chunk in zip(ours.groups, theirs["chunks"], strict=True):
        assert group.window_start == datetime.fromisoformat(chunk["start"])
        for metric in METRICS:
            estimate = group.estimates[metric]
            assert estimate is not None
            for field in ("value", "sampling_error", "lower", "upper"):
                assert getattr(estimate, field) == pytest.approx(
                    chunk[metric][field], abs=TOLERANCE
                ), (group.window_start, metric, field)


@pytest.mark.parametrize("kind", ["pandas", "pyarrow", "duckdb", "parquet"])
def test_same_fit_and_estimates_on_every_input(kind: str, tmp_path: Path) -> None:
    reference, batch = model_data(9, 20_000), model_data(10, 10_000, a=3)

    def as_input(df: pl.DataFrame, name: str) -> Any:
        if kind == "pandas":
            return df.to_pandas()
        if kind == "pyarrow":
            return df.to_arrow()
        if kind == "duckdb":
            import duckdb

            return duckdb.from_arrow(df.to_arrow())
        path = tmp_path / f"{name}.parquet"
        df.write_parquet(path)
        return path

    polars_model = CBPE.fit(reference, label="y", score="s", prediction="p")
    model = CBPE.fit(as_input(reference, "ref"), label="y", score="s", prediction="p")
    assert model.to_dict() == polars_model.to_dict()
    ours = model.estimate(as_input(batch, "batch"), window="1h", timestamp="t")
    assert ours.to_dict() == polars_model.estimate(batch, window="1h", timestamp="t").to_dict()


def test_empty_batch_and_empty_reference() -> None:
    model = CBPE.fit(model_data(13, 2_000), label="y", score="s", prediction="p")
    empty = pl.DataFrame(schema={"s": pl.Float64, "p": pl.Int64, "t": pl.Datetime("us")})
    result = model.estimate(empty, window="1d", timestamp="t")
    assert result.overall.rows == 0 and result.groups == ()
    assert all(v is None for v in result.overall.estimates.values())
    json.dumps(result.to_dict(), allow_nan=False)
    with pytest.raises(ValidationError, match="no row has a label"):
        CBPE.fit(empty.with_columns(y=pl.lit(1)), label="y", score="s", prediction="p")


def test_estimates_per_window_and_segment_equal_estimates_of_each_part() -> None:
    model = CBPE.fit(model_data(14, 20_000), label="y", score="s", prediction="p")
    rng = np.random.default_rng(15)
    batch = model_data(16, 8_000, a=3).with_columns(
        region=pl.Series(rng.choice(["eu", "us", None], 8_000).tolist())
    )
    result = model.estimate(batch, window="1h", timestamp="t", segment="region")
    assert [g.rows for g in result.groups] and sum(g.rows for g in result.groups) == 8_000
    keys = [(g.window_start, g.segment["region"]) for g in result.groups]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1] is None, k[1] or ""))
    for group in result.groups[:6]:
        start = group.window_start
        assert isinstance(start, datetime)
        region = (
            pl.col("region").is_null()
            if group.segment["region"] is None
            else (pl.col("region") == group.segment["region"])
        )
        part = batch.filter(
            (pl.col("t") >= start) & (pl.col("t") < start + timedelta(hours=1)) & region
        )
        assert group.rows == part.height
        assert group.estimates == model.estimate(part).overall.estimates
    json.dumps(result.to_dict(), allow_nan=False)
