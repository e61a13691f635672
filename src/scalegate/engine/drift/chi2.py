"""Pearson's chi-square test of homogeneity on the 2 x k table of bin counts.

The same numbers as ``scipy.stats.chi2_contingency([reference, current], correction=False)``
after dropping bins empty on both sides; with a single non-empty bin the statistic is 0 and
the p-value 1 (nothing can differ). Like any p-value it measures how sure we are that the
distributions differ, not by how much: with a million rows a negligible shift has p ~ 0.
"""

from __future__ import annotations

from scalegate.engine.drift.binning import Distributions
from scalegate.engine.drift.values import Measured


def compute(d: Distributions) -> Measured:
    """``{"chi2_statistic", "chi2_pvalue", "chi2_dof"}``."""
    import numpy as np
    from scipy import special

    table = np.vstack([d.reference, d.current])
    table = table[:, table.sum(axis=0) > 0]
    dof = table.shape[1] - 1
    if dof < 1:
        return {"chi2_statistic": 0.0, "chi2_pvalue": 1.0, "chi2_dof": 0}
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    pvalue = float(special.chdtrc(dof, statistic))
    return {"chi2_statistic": statistic, "chi2_pvalue": pvalue, "chi2_dof": dof}
