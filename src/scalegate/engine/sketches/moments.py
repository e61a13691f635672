"""Count, mean and second central moment of the finite values of a column.

The engine gives count, mean and population variance in one aggregation; from those,
``M2 = variance * count`` (the sum of squared deviations from the mean). Two summaries merge
with the pairwise formula of Chan, Golub and LeVeque (1979)::

    n = na + nb,  d = mean_b - mean_a
    mean = mean_a + d * nb / n
    M2 = M2_a + M2_b + d**2 * na * nb / n

which is exact in exact arithmetic; in floating point a merged mean and variance agree with
a single pass over the union to a relative error of order ``1e-12`` for well-conditioned
data (tests use ``1e-9``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Moments:
    """Count, mean and M2 (sum of squared deviations) of a column's finite values."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    @classmethod
    def from_aggregates(
        cls, count: int | None, mean: float | None, population_variance: float | None
    ) -> Moments | None:
        """From an engine's count, mean and ``var(ddof=0)``.

        Returns ``None`` when the moments overflow float64 (values near 1e308), so that no
        infinity or NaN reaches a profile.
        """
        if not count:
            return cls()
        if mean is None:
            return None
        variance = 0.0 if population_variance is None or count < 2 else population_variance
        mean, variance = float(mean), float(variance)
        if not (math.isfinite(mean) and math.isfinite(variance)):
            return None
        m2 = max(0.0, variance) * count
        return cls(int(count), mean, m2) if math.isfinite(m2) else None

    def merge(self, other: Moments) -> Moments:
        """The moments of the union of both samples (Chan et al.)."""
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / n)
        m2 = self.m2 + other.m2 + delta * delta * (self.count * other.count / n)
        return Moments(n, mean, m2)

    def variance(self, ddof: int = 1) -> float | None:
        """Variance with ``ddof`` delta degrees of freedom (1: sample variance)."""
        if self.count - ddof <= 0:
            return None
        return self.m2 / (self.count - ddof)

    def std(self, ddof: int = 1) -> float | None:
        """Standard deviation with ``ddof`` delta degrees of freedom."""
        var = self.variance(ddof)
        return None if var is None else math.sqrt(var)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "m2": self.m2}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Moments:
        return cls(int(data["count"]), float(data["mean"]), float(data["m2"]))
