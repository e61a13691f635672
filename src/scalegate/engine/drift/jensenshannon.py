"""Jensen--Shannon distance over the shared bins, base 2 (between 0 and 1).

The square root of the Jensen--Shannon divergence ``(KL(p || m) + KL(q || m)) / 2`` with
``m = (p + q) / 2`` in bits: the same number as ``scipy.spatial.distance.jensenshannon(p, q,
base=2)``. Empty bins need no epsilon (``0 * log 0 = 0``, and ``m > 0`` wherever ``p`` or
``q`` is).
"""

from __future__ import annotations

from scalegate.engine.drift.binning import Distributions
from scalegate.engine.drift.values import Measured, shares


def compute(d: Distributions) -> Measured:
    """``{"jensenshannon": value}``: 0 for identical shares, 1 for disjoint ones."""
    import numpy as np

    p, q = shares(d)
    m = (p + q) / 2
    divergence = 0.0
    for side in (p, q):
        used = side > 0
        divergence += 0.5 * float(np.sum(side[used] * np.log2(side[used] / m[used])))
    return {"jensenshannon": float(np.sqrt(max(divergence, 0.0)))}
