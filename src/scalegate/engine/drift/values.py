"""Small shared pieces of the statistic modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalegate.engine.drift.binning import Distributions

if TYPE_CHECKING:
    import numpy as np

#: what a statistic module returns: named numbers, None where undefined (never NaN)
Measured = dict[str, float | int | None]


def shares(d: Distributions) -> tuple[np.ndarray, np.ndarray]:
    """Each side's share of each bin (the caller guarantees both sides have values)."""
    return d.reference / d.reference.sum(), d.current / d.current.sum()
