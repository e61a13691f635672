"""Two-sample Kolmogorov--Smirnov statistic and asymptotic p-value from the sketches.

``D = max |F_ref - F_cur|`` over the boundaries of the sketches' shared buckets, where both
empirical CDFs are exact (the bucket counts are). Between two boundaries the CDFs are
unknown, so the true statistic lies in ``[D, D_upper]``, where ``D_upper`` is the largest
difference the bucket counts allow (``ks_upper``; at most ``D`` plus the largest share any one
bucket holds on either side, about 1--2 % for continuous data at ``alpha = 1 %``). When every
distinct value has a bucket of its own, as small integers do, ``D`` is exact (the CDFs jump
only at the values), though ``ks_upper`` cannot know it.

The p-value is Smirnov's asymptotic one, as ``scipy.stats.ks_2samp(..., method="asymp")``
computes it: ``kstwo.sf(D, en)`` with ``en = round(n * m / (n + m))``. From ``en >= 10,000``
on it is Kolmogorov's limit ``kolmogorov(sqrt(en) * D)`` instead, within 0.003 of ``kstwo``
there (0.28 / sqrt(en); ``kstwo`` gets slow for large ``en``, and importing
``scipy.special`` alone is four times faster than ``scipy.stats``). It measures evidence,
not effect size.
"""

from __future__ import annotations

from scalegate.engine.drift.binning import Distributions
from scalegate.engine.drift.values import Measured


def compute(d: Distributions) -> Measured:
    """``{"ks_statistic", "ks_upper", "ks_pvalue"}``; None for unordered (categorical) data."""
    import numpy as np

    if d.reference_atoms is None or d.current_atoms is None:
        return {"ks_statistic": None, "ks_upper": None, "ks_pvalue": None}
    n, m = float(d.reference_atoms.sum()), float(d.current_atoms.sum())
    f_ref = np.cumsum(d.reference_atoms) / n
    f_cur = np.cumsum(d.current_atoms) / m
    statistic = float(np.max(np.abs(f_ref - f_cur)))
    # inside atom a the CDFs move from their values at the previous boundary to these
    before_ref = np.concatenate([[0.0], f_ref[:-1]])
    before_cur = np.concatenate([[0.0], f_cur[:-1]])
    upper = float(
        max(np.max(np.abs(f_ref - before_cur)), np.max(np.abs(f_cur - before_ref)), statistic)
    )
    big, small = max(n, m), min(n, m)
    effective = round(big * small / (big + small))
    pvalue = float(np.clip(pvalue_of(statistic, effective), 0.0, 1.0))
    return {"ks_statistic": statistic, "ks_upper": min(upper, 1.0), "ks_pvalue": pvalue}


#: effective sample size from which the Kolmogorov limit replaces ``kstwo``
LIMIT_FROM = 10_000


def pvalue_of(statistic: float, effective: int) -> float:
    """Two-sided p-value of ``statistic`` for effective sample size ``effective``."""
    import math

    if effective >= LIMIT_FROM:
        from scipy import special

        return float(special.kolmogorov(math.sqrt(effective) * statistic))
    from scipy import stats

    return float(stats.kstwo.sf(statistic, max(effective, 1)))
