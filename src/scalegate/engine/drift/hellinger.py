"""Hellinger distance over the shared bins (between 0 and 1).

``H = sqrt(sum((sqrt(p) - sqrt(q))**2) / 2)``: 0 for identical shares, 1 for disjoint ones.
Defined with empty bins, so no epsilon.
"""

from __future__ import annotations

from scalegate.engine.drift.binning import Distributions
from scalegate.engine.drift.values import Measured, shares


def compute(d: Distributions) -> Measured:
    """``{"hellinger": value}``."""
    import numpy as np

    p, q = shares(d)
    return {"hellinger": float(np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2) / 2))}
