"""Mergeable dataset profiles, computed inside the input's own engine.

A :class:`DatasetProfile` holds the row count and, per column, the dtype, counts of values,
nulls, NaN and infinities, the exact finite min and max, and mergeable sketches:

=====================  ===================================================================
what                   error bound
=====================  ===================================================================
count, nulls, NaN,     exact, and exact after merging
infinities, min, max
mean, variance         count, mean and M2 of the finite values; merged with Chan et al.'s
                       formula, exact up to floating-point rounding (~1e-12 relative)
quantiles              DDSketch: every order statistic within relative error ``alpha``
                       (default 1 %), min and max exact; ``quantile(q)`` interpolates like
                       ``numpy.quantile``, so it is within ``alpha * max(|x[i]|, |x[i+1]|)``
                       of numpy's value. Merging adds bucket counts: merged quantiles are
                       exactly those of the union
distinct count         exact for string and boolean columns of one pass, and after merging
                       two complete value lists; otherwise HyperLogLog, relative standard
                       error ``1.04 / sqrt(2**precision)`` (3.3 %; within 3 standard errors
                       with probability above 99 %); merged registers equal the union's
top values             strings and booleans: up to ``top_capacity`` values with lower-bound
                       counts; every true count lies in ``[count, count + error]``, with
                       ``error`` carried in the profile: 0 for one pass when all values fit,
                       at most ``n / (top_capacity + 1)`` for one pass, and growing by at
                       most that much per level of merging
=====================  ===================================================================

NaN and infinities are counted, then left out of min, max, moments, quantiles and distinct
counts, so no NaN or infinity ever appears in a profile. Datetime, date, time and duration
columns get count, nulls, min, max and a distinct count; other types count and nulls.

Cost: two queries (two ``collect`` calls), whatever the number of columns: one ``select``
of aggregate expressions and one grouped query (:mod:`.profile_query`). Both are plain
Narwhals except the 64-bit hash in :mod:`.sketches.hashing`; engines without one there get
exact distinct counts that merge only as lower bounds. On Polars (up to 200 columns) the
same profile takes one ``select`` (:mod:`.polars_plan`), which ``check`` shares with the
contract's rules. Files of 32 MiB and more take :mod:`.polars_stream` instead: the same
profile from three queries (one per column kind) on Polars' streaming engine, in memory
bounded by the engine's read buffers and the distinct string values, not by the rows.

A profile is small (2 to 8 KB of JSON per numeric column, 2 to 3 KB per string column) and
its ``to_dict()`` is plain JSON, so it is stored with a check run and compared later by
drift monitoring.
"""

from __future__ import annotations

from typing import Any

from scalegate.engine import polars_plan, polars_stream
from scalegate.engine.frames import read_error, to_lazy
from scalegate.engine.profile_model import (
    ColumnProfile,
    DatasetProfile,
    ProfileError,
    merge,
    merge_all,
)
from scalegate.engine.profile_query import compute
from scalegate.engine.sketches.distinct import DEFAULT_PRECISION
from scalegate.engine.sketches.frequent import DEFAULT_CAPACITY
from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA
from scalegate.errors import ScalegateError

__all__ = ["ColumnProfile", "DatasetProfile", "ProfileError", "merge", "merge_all", "profile"]


def profile(
    data: Any,
    *,
    alpha: float = DEFAULT_ALPHA,
    top_capacity: int = DEFAULT_CAPACITY,
    precision: int = DEFAULT_PRECISION,
) -> DatasetProfile:
    """Profile a dataset inside its own engine, in two queries.

    Args:
        data: a path (Parquet, CSV or NDJSON file, folder or glob) or any dataframe Narwhals
            accepts (pandas, Polars eager or lazy, PyArrow, DuckDB, PySpark, Narwhals).
        alpha: relative accuracy of quantiles (default 0.01).
        top_capacity: frequent values kept per string or boolean column (default 100).
        precision: HyperLogLog precision, ``2**precision`` one-byte registers per column
            (default 10: relative standard error 3.3 %).

    Example:
        >>> import polars as pl
        >>> p = profile(pl.DataFrame({"x": [1.0, 2.0, None], "s": ["a", "b", "a"]}))
        >>> p["x"].count, p["x"].nulls, p["x"].mean, p["s"].top_values(1)
        (2, 1, 1.5, [('a', 2)])
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if top_capacity < 1:
        raise ValueError(f"top_capacity must be at least 1, not {top_capacity}")
    if not 4 <= precision <= 16:
        raise ValueError(f"precision must be between 4 and 16, not {precision}")
    frame, source = to_lazy(data)
    # one query instead of two on Polars, the same profile; the generic path otherwise, and
    # to name what is wrong with the data
    fast = polars_plan.try_run(
        frame,
        [],
        examples=0,
        alpha=alpha,
        top_capacity=top_capacity,
        precision=precision,
        streaming=polars_stream.wanted(source.paths),
        columnar=polars_stream.columnar(source.paths),
    )
    if fast is not None and fast.profile is not None:
        return fast.profile
    try:
        return compute(frame, alpha=alpha, top_capacity=top_capacity, precision=precision)
    except ScalegateError:
        raise
    except Exception as exc:  # each engine raises its own kinds of errors on bad data
        raise read_error(source, exc, doing="profile") from None
