"""The one backend-specific piece of profiling: a 64-bit hash computed inside the engine.

Narwhals has no hash expression, so the HyperLogLog input is built here, per backend:

- **Polars**: ``Expr.hash`` (stable within one Polars version, which is why the hash id
  names the version; see :mod:`.distinct`), then register and rank with integer division
  and ``bitwise_leading_zeros``.
- **any other backend** (DuckDB, Spark, ...): :func:`hash_id` is None, and the profile falls
  back to an exact ``n_unique`` in its aggregate pass, which every engine supports: exact for
  one pass, but two such counts merge only to a lower bound (the larger of the two). A backend
  gets registers by adding a branch here (DuckDB ``hash``, Spark ``xxhash64``); nothing else
  changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals as nw

#: bits of a code that hold the rank (ranks are at most 64 - p + 1 <= 63)
RANK_BITS = 6
_TEMPORARY = "__scalegate_hll_"


def hash_id(frame: nw.LazyFrame[Any]) -> str | None:
    """Names the hash :func:`hll_codes` uses on this frame's backend; None if it has none."""
    if frame.implementation is nw.Implementation.POLARS:
        import polars as pl

        return f"polars-{pl.__version__}-hash0"
    return None


def hll_codes(
    frame: nw.LazyFrame[Any], offsets: Mapping[str, int], *, precision: int
) -> nw.LazyFrame[Any]:
    """``frame`` with each column named in ``offsets`` replaced by its Int64 HyperLogLog code
    plus that offset (null stays null).

    The code of a value is ``register * 64 + rank`` with ``register = h >> (64 - p)`` and
    ``rank = 1 + leading zeros of the low 64 - p bits of h`` (64 - p + 1 when they are all
    zero). Only call it when :func:`hash_id` is not None.
    """
    if frame.implementation is not nw.Implementation.POLARS:  # pragma: no cover - guarded
        raise ValueError(f"no in-engine hash for {frame.implementation}")
    import polars as pl

    names = list(offsets)
    shift = 1 << (64 - precision)
    # one multi-output expression for all columns, then one small expression per column
    # (Polars hashes null to a value: keep nulls null)
    h = pl.col(names).hash(seed=0)
    register = (h // shift).cast(pl.Int64)
    rank = (h % shift).bitwise_leading_zeros().cast(pl.Int64) - (precision - 1)
    code = (register * (1 << RANK_BITS) + rank).name.prefix(_TEMPORARY)
    native = frame.to_native().with_columns(code)
    native = native.with_columns(
        pl.when(pl.col(n).is_not_null()).then(pl.col(_TEMPORARY + n) + offset).alias(n)
        for n, offset in offsets.items()
    ).drop([_TEMPORARY + n for n in names])
    result: nw.LazyFrame[Any] = nw.from_native(native)
    return result
