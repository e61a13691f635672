"""Every drift statistic against SciPy (or a direct NumPy formula) on the same raw data."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from scalegate.engine.drift import binning, chi2, hellinger, ks, psi, wasserstein
from scalegate.engine.drift import jensenshannon as js
from scalegate.engine.profile import profile


def _pair(ref: np.ndarray, cur: np.ndarray, **kw: object) -> binning.Distributions:
    a = profile(pl.DataFrame({"x": ref}), **kw)["x"]
    b = profile(pl.DataFrame({"x": cur}), **kw)["x"]
    return binning.distributions(a, b)


def _binned(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Raw values in the right-closed bins ``(-inf, e1], (e1, e2], ... (ek, inf)``."""
    index = np.searchsorted(np.asarray(edges), values, side="left")
    return np.bincount(index, minlength=len(edges) + 1).astype(float)


rng = np.random.default_rng(7)
NUMERIC_CASES = {
    "normal_shift": (rng.normal(50, 10, 20_000), rng.normal(53, 11, 15_000)),
    "lognormal": (rng.lognormal(10, 0.7, 20_000), rng.lognormal(10.2, 0.7, 20_000)),
    "signed_with_zeros": (
        np.concatenate([rng.normal(0, 5, 10_000), np.zeros(500)]),
        np.concatenate([rng.normal(1, 5, 8_000), np.zeros(2_000)]),
    ),
    "small_integers": (
        rng.poisson(3, 20_000).astype(float),
        rng.poisson(3.4, 10_000).astype(float),
    ),
    "identical": (np.arange(1, 1001, dtype=float), np.arange(1, 1001, dtype=float)),
}


@pytest.fixture(params=list(NUMERIC_CASES), ids=list(NUMERIC_CASES))
def numeric(request: pytest.FixtureRequest):
    ref, cur = NUMERIC_CASES[request.param]
    return ref, cur, _pair(ref, cur)


def test_numeric_bins_hold_exactly_the_raw_counts(numeric) -> None:
    ref, cur, d = numeric
    # bins are at the reference deciles (each bin holds about a tenth of the reference)
    assert len(d.edges) + 1 == len(d.reference) <= binning.BINS
    np.testing.assert_array_equal(d.reference, _binned(ref, d.edges))
    np.testing.assert_array_equal(d.current, _binned(cur, d.edges))


def test_bin_statistics_match_scipy_and_numpy_formulas(numeric) -> None:
    ref, cur, d = numeric
    r, c = _binned(ref, d.edges), _binned(cur, d.edges)
    p, q = r / r.sum(), c / c.sum()
    assert js.compute(d)["jensenshannon"] == pytest.approx(jensenshannon(p, q, base=2), abs=1e-9)
    pe, qe = np.maximum(p, psi.EPSILON), np.maximum(q, psi.EPSILON)
    assert psi.compute(d)["psi"] == pytest.approx(np.sum((qe - pe) * np.log(qe / pe)), abs=1e-12)
    expected_h = np.sqrt(1 - np.sum(np.sqrt(p * q)))
    assert hellinger.compute(d)["hellinger"] == pytest.approx(expected_h, abs=1e-7)
    table = np.vstack([r, c])
    table = table[:, table.sum(axis=0) > 0]
    got = chi2.compute(d)
    if table.shape[1] > 1:
        res = stats.chi2_contingency(table, correction=False)
        assert got["chi2_statistic"] == pytest.approx(res.statistic, rel=1e-9, abs=1e-9)
        assert got["chi2_pvalue"] == pytest.approx(res.pvalue, rel=1e-6, abs=1e-12)
        assert got["chi2_dof"] == res.dof


def test_ks_statistic_is_within_its_stated_interval(numeric) -> None:
    ref, cur, d = numeric
    got = ks.compute(d)
    scipy_d = stats.ks_2samp(ref, cur).statistic
    assert got["ks_statistic"] - 1e-12 <= scipy_d <= got["ks_upper"] + 1e-12
    # the p-value is Smirnov's asymptotic one as scipy computes it, at our statistic
    n, m = len(ref), len(cur)
    en = round(n * m / (n + m))
    tolerance = 0.003 if en >= ks.LIMIT_FROM else 1e-9
    assert got["ks_pvalue"] == pytest.approx(stats.kstwo.sf(got["ks_statistic"], en), abs=tolerance)


def test_ks_pvalue_matches_ks_2samp_where_the_buckets_are_exact() -> None:
    # small integers each get their own bucket: the statistic is exact, and so the p-value
    ref = rng.integers(0, 20, 3_000).astype(float)
    cur = rng.integers(1, 21, 2_000).astype(float)
    got = ks.compute(_pair(ref, cur))
    res = stats.ks_2samp(ref, cur, method="asymp")
    assert got["ks_statistic"] == pytest.approx(res.statistic, abs=1e-12)
    assert got["ks_pvalue"] == pytest.approx(res.pvalue, rel=1e-9)


def test_wasserstein_is_within_its_stated_bound(numeric) -> None:
    ref, cur, d = numeric
    got = wasserstein.compute(d)
    exact = stats.wasserstein_distance(ref, cur)
    assert abs(got["wasserstein_raw"] - exact) <= got["wasserstein_bound"] + 1e-9
    assert got["wasserstein"] == pytest.approx(got["wasserstein_raw"] / np.std(ref), rel=1e-9)


def test_wasserstein_error_is_far_below_the_worst_case_bound() -> None:
    ref, cur = NUMERIC_CASES["lognormal"]
    got = wasserstein.compute(_pair(ref, cur))
    error = abs(got["wasserstein_raw"] - stats.wasserstein_distance(ref, cur))
    # both sides are rounded by the same function: measured error is a small part of W
    assert error <= 0.01 * stats.wasserstein_distance(ref, cur)
    assert error < got["wasserstein_bound"] / 5


def _labels(values: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"x": pl.Series(values, dtype=pl.String)})


def _categorical(ref: list[str], cur: list[str], **kw: object) -> binning.Distributions:
    return binning.distributions(profile(_labels(ref), **kw)["x"], profile(_labels(cur), **kw)["x"])


def test_categorical_statistics_match_scipy_with_an_unseen_category() -> None:
    ref = list(rng.choice(["a", "b", "c", "d"], 5_000, p=[0.4, 0.3, 0.2, 0.1]))
    cur = list(rng.choice(["a", "b", "c", "e"], 4_000, p=[0.3, 0.3, 0.3, 0.1]))
    d = _categorical(ref, cur)
    labels = list(d.labels)
    assert set(labels) == {"a", "b", "c", "d", "e"}
    r = np.array([ref.count(v) for v in labels], dtype=float)
    c = np.array([cur.count(v) for v in labels], dtype=float)
    np.testing.assert_array_equal(d.reference, r)
    np.testing.assert_array_equal(d.current, c)
    p, q = r / r.sum(), c / c.sum()
    assert js.compute(d)["jensenshannon"] == pytest.approx(jensenshannon(p, q, base=2), abs=1e-9)
    res = stats.chi2_contingency(np.vstack([r, c]), correction=False)
    assert chi2.compute(d)["chi2_statistic"] == pytest.approx(res.statistic, rel=1e-9)
    assert chi2.compute(d)["chi2_pvalue"] == pytest.approx(res.pvalue, rel=1e-6, abs=1e-300)
    pe, qe = np.maximum(p, psi.EPSILON), np.maximum(q, psi.EPSILON)
    assert psi.compute(d)["psi"] == pytest.approx(np.sum((qe - pe) * np.log(qe / pe)))
    assert math.isfinite(psi.compute(d)["psi"])  # 'e' has no reference share: epsilon


def test_values_beyond_the_top_values_capacity_share_an_other_bin() -> None:
    levels = [f"v{i:02d}" for i in range(30)]
    ref = list(rng.choice(levels, 6_000))
    cur = list(rng.choice(levels, 6_000))
    d = _categorical(ref, cur, top_capacity=10)
    assert d.labels[-1] == binning.OTHER
    assert d.reference.sum() == len(ref) and d.current.sum() == len(cur)
    listed = d.labels[:-1]
    for label, count in zip(listed, d.reference[:-1], strict=True):
        assert count == ref.count(label)
    assert d.reference[-1] == len(ref) - sum(ref.count(v) for v in listed)


def test_booleans_are_categories() -> None:
    a = profile(pl.DataFrame({"x": [True] * 70 + [False] * 30}))["x"]
    b = profile(pl.DataFrame({"x": [True] * 40 + [False] * 60}))["x"]
    d = binning.distributions(a, b)
    assert d.kind == binning.CATEGORICAL_KIND
    assert dict(zip(d.labels, d.reference, strict=True)) == {"true": 70, "false": 30}
    p, q = np.array([0.7, 0.3]), np.array([0.4, 0.6])
    assert js.compute(d)["jensenshannon"] == pytest.approx(jensenshannon(p, q, base=2))


def test_statistics_are_plain_json_numbers() -> None:
    ref, cur = NUMERIC_CASES["signed_with_zeros"]
    d = _pair(ref, cur)
    out = {}
    for module in (psi, js, hellinger, chi2, ks, wasserstein):
        out.update(module.compute(d))
    json.dumps(out, allow_nan=False)


def test_sketches_of_different_accuracy_are_refused() -> None:
    from scalegate.errors import ValidationError

    data = pl.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValidationError, match="column 'x': the profiles' quantile sketches"):
        binning.distributions(profile(data)["x"], profile(data, alpha=0.02)["x"])
