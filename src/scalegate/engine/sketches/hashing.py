"""The one backend-specific piece of profiling: a 64-bit hash computed inside the engine.

Narwhals has no hash expression, so the HyperLogLog input is built here, per backend, on
the native frame (nothing leaves the engine):

- **Polars**: ``Expr.hash`` (stable within one Polars version, which is why the hash id
  names the version; see :mod:`.distinct`), then register and rank with integer division
  and ``bitwise_leading_zeros``.
- **Spark** (PySpark, classic or Connect): ``xxhash64`` (Spark's own, stable across
  versions and clusters), register by an unsigned shift, rank from the bit length of the
  low bits (``length(bin(w))``).
- **DuckDB**: ``hash(x, 1)`` (an unsigned 64-bit hash, named with the DuckDB version; the
  constant keeps zero from hashing to 0), the same register and rank in SQL.
- **any other backend**: :func:`hash_id` is None, and the profile falls back to an exact
  ``n_unique`` in its aggregate pass, which every engine supports: exact for one pass, but
  two such counts merge only to a lower bound (the larger of the two). A backend gets
  registers by adding a branch here; nothing else changes.

Each backend hashes with its own function, so registers merge only between profiles of the
same backend (the hash id says which); across backends a merge keeps the larger estimate as
a lower bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals as nw

#: bits of a code that hold the rank (ranks are at most 64 - p + 1 <= 63)
RANK_BITS = 6
_TEMPORARY = "__scalegate_hll_"


_SPARK = (nw.Implementation.PYSPARK, nw.Implementation.PYSPARK_CONNECT)


def hash_id(frame: nw.LazyFrame[Any]) -> str | None:
    """Names the hash :func:`hll_codes` uses on this frame's backend; None if it has none."""
    impl = frame.implementation
    if impl is nw.Implementation.POLARS:
        import polars as pl

        return f"polars-{pl.__version__}-hash0"
    if impl in _SPARK:
        return "spark-xxhash64-42"
    if impl is nw.Implementation.DUCKDB:
        import duckdb

        return f"duckdb-{duckdb.__version__}-hash1"
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
    impl = frame.implementation
    if impl in _SPARK:
        return _spark_codes(frame, offsets, precision)
    if impl is nw.Implementation.DUCKDB:
        return _duckdb_codes(frame, offsets, precision)
    if impl is not nw.Implementation.POLARS:  # pragma: no cover - guarded by hash_id
        raise ValueError(f"no in-engine hash for {impl}")
    import polars as pl

    names = list(offsets)
    # one multi-output expression for all columns, then one small expression per column
    # (Polars hashes null to a value: keep nulls null)
    code = polars_codes(pl.col(names), precision).name.prefix(_TEMPORARY)
    native = frame.to_native().with_columns(code)
    native = native.with_columns(
        pl.when(pl.col(n).is_not_null()).then(pl.col(_TEMPORARY + n) + offset).alias(n)
        for n, offset in offsets.items()
    ).drop([_TEMPORARY + n for n in names])
    result: nw.LazyFrame[Any] = nw.from_native(native)
    return result


def polars_codes(values: Any, precision: int) -> Any:
    """The native Polars expression of the codes of ``values`` (a Polars expression, also a
    multi-output one): ``register * 64 + rank`` of ``hash(seed=0)``, as :func:`hll_codes`
    describes. Null hashes to a value too: callers keep nulls out."""
    import polars as pl

    shift = 1 << (64 - precision)
    h = values.hash(seed=0)
    register = (h // shift).cast(pl.Int64)
    rank = (h % shift).bitwise_leading_zeros().cast(pl.Int64) - (precision - 1)
    return register * (1 << RANK_BITS) + rank


def _spark_codes(
    frame: nw.LazyFrame[Any], offsets: Mapping[str, int], precision: int
) -> nw.LazyFrame[Any]:
    from pyspark.sql import functions as F

    native = frame.to_native()
    low_bits = 64 - precision
    mask = (1 << low_bits) - 1
    columns = []
    for name in native.columns:
        value = native[name]
        if name not in offsets:
            columns.append(value)
            continue
        h = F.xxhash64(value)  # a signed long; the shift below treats it as unsigned
        register = F.shiftrightunsigned(h, low_bits)
        w = h.bitwiseAND(F.lit(mask))
        bit_length = F.when(w == 0, F.lit(0)).otherwise(F.length(F.bin(w)))
        rank = F.lit(low_bits + 1) - bit_length
        code = register * (1 << RANK_BITS) + rank + F.lit(offsets[name])
        columns.append(F.when(value.isNotNull(), code.cast("bigint")).alias(name))
    result: nw.LazyFrame[Any] = nw.from_native(native.select(*columns))
    return result


def _duckdb_codes(
    frame: nw.LazyFrame[Any], offsets: Mapping[str, int], precision: int
) -> nw.LazyFrame[Any]:
    import duckdb

    native = frame.to_native()
    low_bits = 64 - precision
    mask = (1 << low_bits) - 1
    hashes = []
    codes = []
    for name in native.columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if name not in offsets:
            hashes.append(duckdb.ColumnExpression(name))
            codes.append(duckdb.ColumnExpression(name))
            continue
        hashed = '"' + (_TEMPORARY + name).replace('"', '""') + '"'
        hashes += [
            duckdb.ColumnExpression(name),
            # hash(0) is 0 in DuckDB; combining with a constant moves it off zero
            duckdb.SQLExpression(f"hash({quoted}, 1)").alias(_TEMPORARY + name),
        ]
        w = f"({hashed} & {mask}::UBIGINT)"
        bit_length = f"(CASE WHEN {w} = 0 THEN 0 ELSE length(bin({w})) END)"
        code = (
            f"CAST({hashed} >> {low_bits} AS BIGINT) * {1 << RANK_BITS}"
            f" + ({low_bits + 1} - {bit_length}) + {offsets[name]}"
        )
        codes.append(
            duckdb.SQLExpression(f"CASE WHEN {quoted} IS NULL THEN NULL ELSE {code} END").alias(
                name
            )
        )
    result: nw.LazyFrame[Any] = nw.from_native(native.select(*hashes).select(*codes))
    return result
