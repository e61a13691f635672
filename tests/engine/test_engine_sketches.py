"""The sketches on their own: bounds, merges and JSON, checked against NumPy and Python."""

from __future__ import annotations

import json
import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalegate.engine.sketches import DistinctSketch, Moments, QuantileSketch, TopValues
from scalegate.engine.sketches.distinct import relative_standard_error
from scalegate.engine.sketches.quantiles import default_max_buckets, lowest_key


def python_sketch(values: list[float], alpha: float = 0.01, max_buckets: int = 0) -> QuantileSketch:
    """The sketch built in plain Python, the way the engine's expressions bucket values."""
    gamma = (1 + alpha) / (1 - alpha)
    positive: Counter[int] = Counter()
    negative: Counter[int] = Counter()
    for v in values:
        if v > 0:
            positive[math.ceil(math.log(v) / math.log(gamma))] += 1
        elif v < 0:
            negative[math.ceil(math.log(-v) / math.log(gamma))] += 1
    zero = sum(1 for v in values if v == 0)
    return QuantileSketch.from_stores(
        positive,
        negative,
        zero,
        alpha=alpha,
        min=min(values, default=None),
        max=max(values, default=None),
        max_buckets=max_buckets,
    )


def within_bound(estimate: float | None, values: np.ndarray, q: float, alpha: float) -> bool:
    x = np.sort(values)
    i = math.floor(q * (len(x) - 1))
    scale = max(abs(x[i]), abs(x[min(i + 1, len(x) - 1)]))
    assert estimate is not None
    return abs(estimate - float(np.quantile(values, q))) <= alpha * scale * (1 + 1e-9)


# -- quantiles ---------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.001, 0.01, 0.05])
@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: rng.normal(0, 1, 20_001),
        lambda rng: rng.lognormal(5, 3, 20_001),
        lambda rng: -rng.pareto(1.5, 20_001),
        lambda rng: rng.integers(-5, 5, 20_001).astype(float),
        lambda rng: np.concatenate([rng.exponential(1e-6, 10_000), rng.exponential(1e6, 10_001)]),
    ],
    ids=["normal", "lognormal", "negative-pareto", "small-integers", "bimodal-scales"],
)
def test_quantiles_within_relative_error_of_numpy(draw: object, alpha: float) -> None:
    values = draw(np.random.default_rng(42))  # type: ignore[operator]
    sketch = python_sketch(values.tolist(), alpha)
    for q in np.linspace(0, 1, 101):
        assert within_bound(sketch.quantile(float(q)), values, float(q), alpha), q


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=1e-200, max_value=1e200, allow_subnormal=False),
            st.floats(min_value=-1e200, max_value=-1e-200, allow_subnormal=False),
            st.just(0.0),
        ),
        min_size=1,
        max_size=200,
    ),
    st.floats(0, 1),
)
def test_quantile_bound_holds_for_any_sample(values: list[float], q: float) -> None:
    assert within_bound(python_sketch(values).quantile(q), np.array(values), q, 0.01)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_subnormal=False), max_size=80),
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_subnormal=False), max_size=80),
)
def test_quantile_merge_equals_sketch_of_union(a: list[float], b: list[float]) -> None:
    assert python_sketch(a).merge(python_sketch(b)) == python_sketch(a + b)


def test_collapsing_keeps_merge_exact_and_the_upper_quantiles_accurate() -> None:
    rng = np.random.default_rng(3)
    a = (10.0 ** rng.uniform(-30, 30, 5_000)).tolist()
    b = (10.0 ** rng.uniform(-30, 30, 5_000)).tolist()
    small = 100
    sketch = python_sketch(a, max_buckets=small)
    assert len(sketch.positive) == small
    assert sketch.count == len(a)
    assert python_sketch(a, max_buckets=small).merge(
        python_sketch(b, max_buckets=small)
    ) == python_sketch(a + b, max_buckets=small)
    # the top buckets were kept: upper quantiles keep their bound
    values = np.array(a)
    for q in (0.99, 0.995, 1.0):
        assert within_bound(sketch.quantile(q), values, q, 0.01)


def test_empty_and_single_value_sketches() -> None:
    empty = QuantileSketch()
    assert empty.quantile(0.5) is None and empty.count == 0
    assert empty.order_statistic(0) is None
    one = python_sketch([42.0])
    assert one.quantile(0) == one.quantile(1) == 42.0
    assert empty.merge(one) == one
    with pytest.raises(ValueError, match="between 0 and 1"):
        one.quantile(1.5)
    with pytest.raises(ValueError, match="accuracy"):
        one.merge(python_sketch([1.0], alpha=0.05))


def test_quantile_json_round_trip_is_compact() -> None:
    values = np.random.default_rng(0).lognormal(0, 2, 100_000).tolist()
    sketch = python_sketch(values + [-v for v in values[:100]] + [0.0])
    text = json.dumps(sketch.to_dict())
    assert QuantileSketch.from_dict(json.loads(text)) == sketch
    assert len(text) < 8_000


def test_default_bucket_budget_spans_eighteen_decades() -> None:
    assert default_max_buckets(0.01) == 2_073
    assert QuantileSketch().max_buckets == 2_073
    assert QuantileSketch(alpha=0.001).max_buckets == default_max_buckets(0.001) > 20_000


def test_lowest_key_is_the_key_of_the_smallest_normal_float() -> None:
    gamma = 1.01 / 0.99
    assert gamma ** (lowest_key(0.01) - 1) < 2.2250738585072014e-308 <= gamma ** lowest_key(0.01)


# -- distinct counts ---------------------------------------------------------------------


def hll(values: list[int], precision: int = 10, hash_id: str = "test") -> DistinctSketch:
    """Registers from already-uniform 64-bit 'hashes', as the engine computes them."""
    shift = 64 - precision
    codes = []
    for h in values:
        rest = h & ((1 << shift) - 1)
        codes.append((h >> shift, shift - rest.bit_length() + 1))
    return DistinctSketch.from_codes(codes, precision=precision, hash=hash_id)


@pytest.mark.parametrize("n", [0, 1, 2, 10, 100, 1_000, 5_000, 20_000, 100_000, 1_000_000])
@pytest.mark.parametrize("precision", [10, 12])
def test_hyperloglog_error_is_within_four_standard_errors(n: int, precision: int) -> None:
    rng = random.Random(n * 31 + precision)
    hashes = [rng.getrandbits(64) for _ in range(n)]
    estimate = hll(hashes, precision).estimate()
    assert abs(estimate - n) <= 4 * relative_standard_error(precision) * n + 1, estimate


def test_hyperloglog_relative_error_over_many_trials_matches_the_stated_one() -> None:
    n, trials = 20_000, 40
    errors = []
    for trial in range(trials):
        rng = random.Random(trial)
        errors.append(hll([rng.getrandbits(64) for _ in range(n)]).estimate() / n - 1)
    rmse = math.sqrt(sum(e * e for e in errors) / trials)
    assert rmse < 1.5 * relative_standard_error(10)
    assert abs(sum(errors) / trials) < relative_standard_error(10)  # unbiased


def test_hyperloglog_merge_is_register_union() -> None:
    rng = random.Random(5)
    a = [rng.getrandbits(64) for _ in range(3_000)]
    b = [rng.getrandbits(64) for _ in range(3_000)] + a[:1_000]
    assert hll(a).merge(hll(b)) == hll(a + b)
    assert hll(a).merge(DistinctSketch(exact=0)) == hll(a)
    assert DistinctSketch(exact=0).merge(hll(a)) == hll(a)


def test_distinct_sketches_of_different_hashes_keep_a_lower_bound() -> None:
    rng = random.Random(6)
    a = hll([rng.getrandbits(64) for _ in range(500)], hash_id="polars-1")
    b = hll([rng.getrandbits(64) for _ in range(900)], hash_id="polars-2")
    merged = a.merge(b)
    assert merged.registers is None
    assert merged.estimate() == max(a.estimate(), b.estimate())
    exact = DistinctSketch.exact_count(40).merge(DistinctSketch.exact_count(30))
    assert (exact.exact, exact.estimate()) == (None, 40)


def test_distinct_json_round_trip() -> None:
    sketch = hll([random.Random(1).getrandbits(64) for _ in range(10_000)])
    text = json.dumps(sketch.to_dict())
    assert DistinctSketch.from_dict(json.loads(text)) == sketch
    assert len(text) < 1_600


# -- moments -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), max_size=50),
    st.lists(st.floats(-1e6, 1e6), max_size=50),
)
def test_moments_merge_matches_numpy(a: list[float], b: list[float]) -> None:
    def moments(values: list[float]) -> Moments:
        if not values:
            return Moments()
        result = Moments.from_aggregates(len(values), float(np.mean(values)), float(np.var(values)))
        assert result is not None
        return result

    merged = moments(a).merge(moments(b))
    both = np.array(a + b)
    assert merged.count == len(both)
    if len(both):
        scale = float(np.max(np.abs(both))) or 1.0
        assert math.isclose(merged.mean, float(np.mean(both)), rel_tol=1e-9, abs_tol=1e-12 * scale)
    if len(both) > 1:
        var = merged.variance()
        assert var is not None
        assert math.isclose(var, float(np.var(both, ddof=1)), rel_tol=1e-9, abs_tol=1e-9 * scale**2)


def test_moments_overflow_gives_none_not_infinity() -> None:
    assert Moments.from_aggregates(2, 1e308, math.inf) is None
    assert Moments.from_aggregates(2, math.inf, 0.0) is None
    assert Moments.from_aggregates(0, None, None) == Moments()
    assert Moments(1, 5.0, 0.0).variance() is None


# -- top values --------------------------------------------------------------------------


def top_of(values: list[str], capacity: int) -> TopValues:
    counter = Counter(values)
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[: capacity + 1]
    return TopValues.from_ranked(ranked, distinct=len(counter), capacity=capacity)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from("abcdefghij"), max_size=40), min_size=1, max_size=5),
    st.integers(1, 6),
)
def test_top_values_merge_keeps_every_true_count_within_the_error(
    parts: list[list[str]], capacity: int
) -> None:
    merged = top_of(parts[0], capacity)
    for part in parts[1:]:
        merged = merged.merge(top_of(part, capacity))
    truth = Counter(v for part in parts for v in part)
    n = sum(truth.values())
    assert merged.error <= len(parts) * n / (capacity + 1) + 1e-9
    for value in "abcdefghij":
        low, high = merged.bounds(value)
        assert low <= truth[value] <= high
    if merged.complete:
        assert dict(merged.counts) == dict(truth)


def test_top_values_json_round_trip_keeps_order() -> None:
    top = top_of(list("aaabbc") + ["ü"] * 3, capacity=2)
    assert top.top(2) == [("a", 3), ("ü", 3)]
    assert (top.error, top.complete) == (2, False)
    assert TopValues.from_dict(json.loads(json.dumps(top.to_dict()))) == top
