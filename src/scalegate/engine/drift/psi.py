"""Population stability index over the shared bins.

``PSI = sum((q - p) * ln(q / p))`` with ``p`` the reference's and ``q`` the current's share
of each bin. A share of 0 makes the logarithm undefined, so shares below :data:`EPSILON`
are raised to it on both sides before the sum (the usual convention; Evidently and NannyML
do the same), which bounds one empty bin's contribution by about ``share * ln(share / 1e-4)``.
"""

from __future__ import annotations

from scalegate.engine.drift.binning import Distributions
from scalegate.engine.drift.values import Measured, shares

#: smallest share a bin is given, so that empty bins have a finite logarithm
EPSILON = 1e-4


def compute(d: Distributions) -> Measured:
    """``{"psi": value}`` (0 for identical shares, grows without bound)."""
    import numpy as np

    p, q = shares(d)
    p, q = np.maximum(p, EPSILON), np.maximum(q, EPSILON)
    return {"psi": float(np.sum((q - p) * np.log(q / p)))}
