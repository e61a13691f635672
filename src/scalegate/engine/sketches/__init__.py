"""Mergeable summaries of one column, each with a stated error bound.

- :mod:`.moments`: count, mean and M2 of the finite values; merge is exact up to rounding.
- :mod:`.quantiles`: a DDSketch-style log-bucket histogram; relative error ``alpha``.
- :mod:`.distinct`: a HyperLogLog sketch; relative standard error ``1.04 / sqrt(2**p)``.
- :mod:`.frequent`: the most frequent values with lower-bound counts and an explicit
  maximal undercount.
- :mod:`.hashing`: the one backend-specific piece (a 64-bit hash inside the engine).

Each sketch is built from a small aggregated result computed in the engine and merges in
plain Python, so profiles of partitions combine wherever they were computed.
"""

from scalegate.engine.sketches.distinct import DistinctSketch
from scalegate.engine.sketches.frequent import TopValues
from scalegate.engine.sketches.moments import Moments
from scalegate.engine.sketches.quantiles import QuantileSketch

__all__ = ["DistinctSketch", "Moments", "QuantileSketch", "TopValues"]
