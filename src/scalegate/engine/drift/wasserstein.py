"""Wasserstein-1 (earth mover's) distance from the sketches, normalised by the reference's
standard deviation.

``W = integral |F_ref(x) - F_cur(x)| dx`` between the two empirical distributions with every
value moved to its sketch bucket's representative; ``wasserstein`` is ``W / std_ref``
(population standard deviation of the reference, as Evidently normalises), so it reads in
reference standard deviations: 0.1 means the mass moved on average a tenth of a standard
deviation. ``wasserstein_raw`` is ``W`` in the column's unit.

Error bound: moving each value by at most ``alpha * |x|`` moves either distribution by at
most ``alpha * mean|x|`` in Wasserstein distance, so by the triangle inequality
``|W - W_true| <= alpha * (mean|x_ref| + mean|x_cur|)`` (``wasserstein_bound``, in the column's
unit, with ``mean|x|`` from the buckets). That worst case assumes every bucket error points
one way on one side and the other way on the other; both sides are rounded by the same
function, so the error seen in tests is far smaller (see the README).
"""

from __future__ import annotations

from scalegate.engine.drift.binning import Distributions
from scalegate.engine.drift.values import Measured


def compute(d: Distributions) -> Measured:
    """``{"wasserstein", "wasserstein_raw", "wasserstein_bound"}``; ``wasserstein`` is None
    when the reference is constant (standard deviation 0), all None for categorical data."""
    import numpy as np

    if d.values is None or d.reference_atoms is None or d.current_atoms is None:
        return {"wasserstein": None, "wasserstein_raw": None, "wasserstein_bound": None}
    p = d.reference_atoms / d.reference_atoms.sum()
    q = d.current_atoms / d.current_atoms.sum()
    gaps = np.diff(d.values)
    raw = float(np.sum(np.abs(np.cumsum(p)[:-1] - np.cumsum(q)[:-1]) * gaps))
    magnitude = np.abs(d.values) / (1 - d.alpha)  # each value is at most this large
    bound = float(d.alpha * (np.sum(p * magnitude) + np.sum(q * magnitude)))
    std = d.reference_std
    normalised = raw / std if std else None
    return {"wasserstein": normalised, "wasserstein_raw": raw, "wasserstein_bound": bound}
