"""The PCA reconstruction signal: fires on a correlation-only drift, not on a fresh sample;
the engine's one-expression error equals NumPy's; the model is small JSON."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from scalegate.engine.drift import PCAModel, build_reference, compare, summarize
from scalegate.engine.drift.multivariate import standardise


def _correlated(rows: int, seed: int, rho: float) -> pl.DataFrame:
    """Four standard normal columns; a and b correlated by ``rho``, c and d independent."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=rows)
    b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=rows)
    return pl.DataFrame({"a": a, "b": b, "c": rng.normal(size=rows), "d": rng.normal(size=rows)})


def test_fires_on_a_correlation_only_drift_with_unchanged_marginals() -> None:
    reference = build_reference(_correlated(50_000, 1, 0.9))
    summary = summarize(_correlated(50_000, 2, -0.9), reference)
    report = compare(reference, summary)
    assert report.drifted == []  # every marginal is still N(0, 1)
    assert report.multivariate.drifted
    assert report.multivariate.value > report.multivariate.upper
    assert report.status == "critical"


def test_quiet_on_a_fresh_sample_of_the_reference() -> None:
    reference = build_reference(_correlated(50_000, 1, 0.9))
    for seed, rows in ((3, 50_000), (4, 500), (5, 1)):
        report = compare(reference, summarize(_correlated(rows, seed, 0.9), reference))
        assert not report.multivariate.drifted, (seed, rows)


def test_engine_error_equals_numpy_on_the_same_rows() -> None:
    data = _correlated(5_000, 1, 0.8).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("c")).alias("c"),
        pl.when(pl.int_range(pl.len()) % 11 == 0)
        .then(float("nan"))
        .otherwise(pl.col("d"))
        .alias("d"),
    )
    reference = build_reference(data)
    model = reference.model
    assert model is not None
    matrix = data.select(model.columns).to_numpy().astype(float)
    expected = model.errors(standardise(matrix, np.array(model.means), np.array(model.stds)))
    got = summarize(data, reference).reconstruction_error
    assert got == pytest.approx(float(expected.mean()), rel=1e-9)
    # and the NumPy error is the textbook one: distance to the projection onto W's rows
    z = standardise(matrix, np.array(model.means), np.array(model.stds))
    w = np.array(model.components)
    textbook = np.linalg.norm(z - z @ w.T @ w, axis=1)
    np.testing.assert_allclose(expected, textbook, rtol=1e-6, atol=1e-9)


def test_components_keep_the_configured_share_of_variance() -> None:
    data = _correlated(20_000, 1, 0.9)
    model = build_reference(data, config={"multivariate": {"variance": 0.65}}).model
    assert model is not None
    # the components are fitted on every other row (the rows between estimate the error)
    z = standardise(data.to_numpy()[0::2], np.array(model.means), np.array(model.stds))
    eigen = np.sort(np.linalg.eigvalsh(np.cov(z.T, bias=True)))[::-1]
    share = np.cumsum(eigen) / eigen.sum()
    k = len(model.components)
    assert share[k - 1] >= 0.65 - 1e-3 and (k == 1 or share[k - 2] < 0.65 + 1e-3)
    assert model.variance_explained == pytest.approx(share[k - 1], abs=2e-3)


def test_model_is_small_json_and_round_trips() -> None:
    model = build_reference(_correlated(20_000, 1, 0.5)).model
    assert model is not None
    text = json.dumps(model.to_dict(), allow_nan=False)
    assert len(text) < 2_000
    assert PCAModel.from_dict(json.loads(text)) == model


def test_needs_two_varying_numeric_columns() -> None:
    reference = build_reference(pl.DataFrame({"a": np.arange(100.0), "b": [1.0] * 100}))
    assert reference.model is None and "two numeric columns" in (reference.model_reason or "")
    report = compare(reference, summarize(pl.DataFrame({"a": [1.0], "b": [1.0]}), reference))
    assert report.multivariate.drifted is False and report.multivariate.reason


def test_other_engines_summarise_to_the_same_numbers() -> None:
    duckdb = pytest.importorskip("duckdb")
    data = _correlated(3_000, 1, 0.8).with_columns(label=pl.lit("x"))
    reference = build_reference(data)
    native = summarize(data, reference)
    relation = duckdb.from_arrow(data.to_arrow())
    other = summarize(relation, reference)
    assert other.reconstruction_error == pytest.approx(native.reconstruction_error, rel=1e-9)
    a, b = compare(reference, other).to_dict(), compare(reference, native).to_dict()
    assert a.pop("multivariate")["drifted"] == b.pop("multivariate")["drifted"]
    assert a == b
    # a reference built on DuckDB fits on the first rows (no row order to sample by)
    assert build_reference(relation).model is not None


def test_uncorrelated_columns_leave_nothing_to_reconstruct() -> None:
    rng = np.random.default_rng(9)
    data = pl.DataFrame({"a": rng.normal(size=5_000), "b": rng.normal(size=5_000)})
    reference = build_reference(data)
    assert reference.model is None and "uncorrelated" in (reference.model_reason or "")
