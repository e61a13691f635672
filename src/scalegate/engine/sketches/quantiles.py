"""Quantiles with a relative error bound: a DDSketch-style log-bucket histogram.

Following DDSketch (Masson, Rim and Lee, VLDB 2019): with ``gamma = (1 + alpha) / (1 - alpha)``
a positive value ``x`` falls in bucket ``k = ceil(log(x) / log(gamma))``, i.e.
``gamma**(k-1) < x <= gamma**k``, and the bucket is represented by ``2 * gamma**k / (gamma + 1)``,
which is within relative error ``alpha`` of every value in it. Negative values use a second
store keyed by ``|x|``; exact zeros have their own counter.

The bucket key is computed **inside the engine** as a Narwhals expression (``clip``, ``log``,
``ceil``: :func:`key_expression`) and counted with a ``group_by``, so only (key, count) pairs
leave the engine: at most
``max_buckets`` per store (by default enough to span 18 orders of magnitude: 2,073 at
``alpha = 0.01``; beyond that the buckets of smallest magnitude are collapsed into one, and
only quantiles falling in the collapsed bucket lose the guarantee).

Guarantee: every order statistic ``x[i]`` (0-based, sorted) is estimated within relative
error ``alpha`` (clamped to the exact ``[min, max]``), and ``quantile(q)`` interpolates
linearly between the estimates of ``x[i]`` and ``x[i + 1]`` at ``q * (n - 1)`` as
``numpy.quantile`` does, so ``|quantile(q) - numpy.quantile(x, q)| <= alpha * max(|x[i]|,
|x[i + 1]|)``, which is ``alpha * |numpy.quantile(x, q)|`` when both have the same sign.

Merging adds bucket counts: ``merge(sketch(A), sketch(B))`` equals ``sketch(A + B)``
exactly, so merged quantiles carry the same bound. NaN, infinities and nulls are never in
the sketch. Subnormal values (``|x| < 2.2e-308``) share the lowest bucket, so only their
relative accuracy is lost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw

#: relative accuracy of quantiles
DEFAULT_ALPHA = 0.01
#: orders of magnitude each store covers before its lowest buckets are collapsed
DECADES = 18


def default_max_buckets(alpha: float) -> int:
    """Buckets per store that span ``10**DECADES`` (2,073 at ``alpha = 0.01``)."""
    return math.ceil(DECADES * math.log(10) / math.log(_gamma(alpha)))


# zero-gaps longer than this start a new run in the compact JSON encoding
_RUN_GAP = 8
# smallest positive normal float64
_SMALLEST_NORMAL = 2.2250738585072014e-308


def lowest_key(alpha: float = DEFAULT_ALPHA) -> int:
    """The key of the smallest positive normal float; :func:`key_expression` clips to it."""
    return math.ceil(math.log(_SMALLEST_NORMAL) / math.log(_gamma(alpha)))


def key_expression(magnitude: Any, alpha: float = DEFAULT_ALPHA, *, int64: Any = nw.Int64) -> Any:
    """Int64 bucket key of each (positive) value, as a Narwhals expression -- or a native
    Polars one, given a Polars ``magnitude`` and ``int64=pl.Int64`` (the same steps).

    Made of unary steps only (clip, log, scalar division, ceil), so it can be a multi-output
    expression over many columns at once. Values at or below the smallest normal float
    (including zeros and negatives) land in :func:`lowest_key`; the caller removes those it
    knows are zeros or of the other sign. The clip bound sits half a bucket below the
    bucket's upper edge so that rounding in any engine's ``log`` gives the same key.
    """
    gamma = _gamma(alpha)
    floor_value = gamma ** (lowest_key(alpha) - 0.5)
    return (magnitude.clip(lower_bound=floor_value).log() / math.log(gamma)).ceil().cast(int64)


def _gamma(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    return (1 + alpha) / (1 - alpha)


def _collapse(store: dict[int, int], max_buckets: int) -> dict[int, int]:
    """Fold the lowest keys into the lowest kept key (deterministic, so merges stay exact)."""
    if len(store) <= max_buckets:
        return store
    keys = sorted(store)
    cut = len(keys) - max_buckets
    boundary = keys[cut]
    kept = {k: store[k] for k in keys[cut:]}
    kept[boundary] += sum(store[k] for k in keys[:cut])
    return kept


def _add(a: Mapping[int, int], b: Mapping[int, int]) -> dict[int, int]:
    out = dict(a)
    for k, c in b.items():
        out[k] = out.get(k, 0) + c
    return out


@dataclass(frozen=True)
class QuantileSketch:
    """Mergeable quantile sketch with relative error ``alpha`` (see the module docstring)."""

    alpha: float = DEFAULT_ALPHA
    positive: Mapping[int, int] = field(default_factory=dict)
    negative: Mapping[int, int] = field(default_factory=dict)
    zero: int = 0
    min: float | None = None
    max: float | None = None
    max_buckets: int = 0  # 0: default_max_buckets(alpha)

    def __post_init__(self) -> None:
        if not self.max_buckets:
            object.__setattr__(self, "max_buckets", default_max_buckets(self.alpha))

    @classmethod
    def from_stores(
        cls,
        positive: Mapping[int, int],
        negative: Mapping[int, int],
        zero: int,
        *,
        alpha: float = DEFAULT_ALPHA,
        min: float | None = None,
        max: float | None = None,
        max_buckets: int = 0,
    ) -> QuantileSketch:
        """From bucket counts of positive values and of the magnitudes of negative values."""
        max_buckets = max_buckets or default_max_buckets(alpha)
        return cls(
            alpha,
            _collapse({k: c for k, c in positive.items() if c}, max_buckets),
            _collapse({k: c for k, c in negative.items() if c}, max_buckets),
            zero,
            None if min is None else float(min),
            None if max is None else float(max),
            max_buckets,
        )

    @property
    def count(self) -> int:
        """Number of values in the sketch."""
        return self.zero + sum(self.positive.values()) + sum(self.negative.values())

    def _value(self, key: int) -> float:
        """``2 * gamma**key / (gamma + 1)``, in log space so that keys near the top of the
        float range do not overflow (above ~1.78e308 the result is clamped to ``max``)."""
        gamma = _gamma(self.alpha)
        try:
            return math.exp(key * math.log(gamma) + math.log(2 / (gamma + 1)))
        except OverflowError:
            return math.inf

    def _clamp(self, value: float) -> float:
        if self.min is not None and value < self.min:
            return self.min
        if self.max is not None and value > self.max:
            return self.max
        return value

    def _walk(self) -> Iterator[tuple[int, float]]:
        """(count, representative value) of each bucket, in increasing value order."""
        for key in sorted(self.negative, reverse=True):
            yield self.negative[key], -self._value(key)
        if self.zero:
            yield self.zero, 0.0
        for key in sorted(self.positive):
            yield self.positive[key], self._value(key)

    def order_statistic(self, index: int) -> float | None:
        """Estimate of the ``index``-th smallest value (0-based), within relative ``alpha``.

        The smallest and largest are exact (the sketch keeps min and max).
        """
        n = self.count
        if not 0 <= index < n:
            return None
        if index == 0 and self.min is not None:
            return self.min
        if index == n - 1 and self.max is not None:
            return self.max
        seen = 0
        for count, value in self._walk():
            seen += count
            if seen > index:
                return self._clamp(value)
        return self.max  # pragma: no cover - index < count always lands in a bucket

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile (0 <= q <= 1) like ``numpy.quantile``; None if empty.

        Linear interpolation between the estimates of the order statistics ``x[i]`` and
        ``x[i + 1]`` around ``q * (n - 1)``; each estimate is within relative ``alpha`` of
        its order statistic, so the result is within ``alpha * max(|x[i]|, |x[i + 1]|)`` of
        numpy's value (``alpha * |value|`` when both have the same sign).
        """
        if not 0 <= q <= 1:
            raise ValueError(f"quantile must be between 0 and 1, not {q}")
        n = self.count
        if n == 0:
            return None
        rank = q * (n - 1)
        index = min(math.floor(rank), n - 1)
        fraction = rank - index
        low = self.order_statistic(index)
        if fraction == 0 or index + 1 >= n:
            return low
        high = self.order_statistic(index + 1)
        assert low is not None and high is not None
        return low + fraction * (high - low)

    def quantiles(self, qs: Iterable[float]) -> list[float | None]:
        """Several quantiles at once."""
        return [self.quantile(q) for q in qs]

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        """The sketch of the union of both samples (exact: bucket counts add)."""
        if other.alpha != self.alpha:
            raise ValueError(
                f"cannot merge quantile sketches of accuracy {self.alpha} and {other.alpha}"
            )
        max_buckets = min(self.max_buckets, other.max_buckets)
        return QuantileSketch(
            self.alpha,
            _collapse(_add(self.positive, other.positive), max_buckets),
            _collapse(_add(self.negative, other.negative), max_buckets),
            self.zero + other.zero,
            _pick(min, self.min, other.min),
            _pick(max, self.max, other.max),
            max_buckets,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "zero": self.zero,
            "min": self.min,
            "max": self.max,
            "max_buckets": self.max_buckets,
            "positive": _encode_store(self.positive),
            "negative": _encode_store(self.negative),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuantileSketch:
        return cls(
            float(data["alpha"]),
            _decode_store(data["positive"]),
            _decode_store(data["negative"]),
            int(data["zero"]),
            None if data["min"] is None else float(data["min"]),
            None if data["max"] is None else float(data["max"]),
            int(data["max_buckets"]),
        )


def _pick(fn: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(fn(a, b))


def _encode_store(store: Mapping[int, int]) -> list[list[Any]]:
    """Runs of consecutive keys: ``[[first_key, [count, count, ...]], ...]``."""
    runs: list[list[Any]] = []
    previous: int | None = None
    for key in sorted(store):
        if previous is not None and key - previous <= _RUN_GAP:
            runs[-1][1].extend([0] * (key - previous - 1))
            runs[-1][1].append(store[key])
        else:
            runs.append([key, [store[key]]])
        previous = key
    return runs


def _decode_store(runs: Iterable[list[Any]]) -> dict[int, int]:
    store: dict[int, int] = {}
    for first, counts in runs:
        for offset, count in enumerate(counts):
            if count:
                store[int(first) + offset] = int(count)
    return store
