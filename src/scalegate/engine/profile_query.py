"""The two queries behind a profile, and reading their small results back.

Both queries are built from *multi-output* Narwhals expressions (one expression over many
columns, e.g. ``nw.col(*floats).is_nan().sum()``), so their size hardly grows with the number
of columns; per-column expressions are kept to the two steps that need one: masking NaN and
infinities (``when(is_finite)``) and tagging bucket codes with their column.

1. **Aggregates**, one ``select``: row count; per column count and nulls; for floats NaN and
   infinity counts; for numbers (finite values) count, min, max, mean, population variance
   and the counts of negative, zero and positive values; for temporal columns min and max;
   plus an exact ``n_unique`` where the engine gives us no hash (:mod:`.sketches.hashing`).
2. **Groups**, one ``concat`` of grouped sub-queries, each over an ``unpivot`` of many
   columns (a per-column plan would re-parse a CSV file once per column):

   - quantile bucket keys of the positive values and of the magnitudes of the negative ones
     (a column gets only the sides its counts from query 1 call for), tagged with their
     column in the high bits of one Int64 and counted with one ``group_by``;
   - HyperLogLog codes of numbers and temporal values, the highest per (column, register);
   - string and boolean value counts: the ``top_capacity + 1`` most frequent per column
     (ties broken by value, so every engine keeps the same), per column the number of
     distinct values, min and max length and value, and the HyperLogLog registers of the
     distinct values (the same registers as hashing every row).

   Registers travel seven to a row (one byte each). At most a few thousand rows per column
   leave the engine.

On Polars the grouped query scans the source twice (numbers and labels need different
columns); a CSV file is therefore parsed three times in all, a Parquet file reads each column
at most twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import narwhals as nw

from scalegate.engine.profile_model import (
    BOOLEAN,
    NUMERIC,
    STRING,
    TEMPORAL,
    ColumnProfile,
    DatasetProfile,
    kind_of,
)
from scalegate.engine.sketches import hashing
from scalegate.engine.sketches.distinct import DistinctSketch
from scalegate.engine.sketches.frequent import TopValues
from scalegate.engine.sketches.moments import Moments
from scalegate.engine.sketches.quantiles import QuantileSketch, key_expression, lowest_key

CODES, TOP, STATS, REGISTERS = 0, 1, 2, 3
_SCHEMA: dict[str, Any] = {
    "part": nw.Int64,
    "var": nw.Int64,
    "key": nw.Int64,
    "n": nw.Int64,
    "m": nw.Int64,
    "value": nw.String,
    "value2": nw.String,
}
# Layout of the Int64 codes of numeric and temporal columns: the column index above bit 24,
# then one of three ranges. Bucket keys are within +-2**17 (float64 spans about +-36,000).
COLUMN = 1 << 24
POSITIVE = 1 << 20
NEGATIVE = 3 << 20
HLL = 1 << 23
_SEP = ":"
RANKS = 1 << hashing.RANK_BITS
PER_ROW = 7  # HLL ranks packed into one Int64, a byte each (7 * 8 bits)


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    dtype: Any
    kind: str

    @property
    def key(self) -> str:
        """The column's name inside the queries (columns are renamed ``c0``, ``c1``...)."""
        return f"c{self.index}"

    @property
    def finite(self) -> str:
        """Name of the column of values that enter moments and sketches."""
        return f"f{self.key}" if self.dtype.is_float() else self.key

    def stat(self, name: str, *, finite: bool = False) -> str:
        return f"{self.finite if finite else self.key}{_SEP}{name}"


def compute(
    frame: nw.LazyFrame[Any], *, alpha: float, top_capacity: int, precision: int
) -> DatasetProfile:
    """Profile ``frame`` with two ``collect`` calls."""
    columns = columns_of(frame.collect_schema())
    if columns:
        frame = frame.rename({c.name: c.key for c in columns})
    floats = [c for c in columns if c.kind == NUMERIC and c.dtype.is_float()]
    if floats:
        # NaN and infinities become null for everything downstream
        frame = frame.with_columns(
            [nw.when(nw.col(c.key).is_finite()).then(nw.col(c.key)).alias(c.finite) for c in floats]
        )
    hash_id = hashing.hash_id(frame)

    aggregates = frame.select(_aggregates(columns, exact_distinct=hash_id is None)).collect()
    row = dict(zip(aggregates.columns, aggregates.row(0), strict=True))

    groups: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    parts = _grouped(frame, columns, row, hash_id is not None, alpha, top_capacity, precision)
    if parts:
        result = nw.concat(parts, how="vertical").collect()
        table = [result.get_column(name).to_list() for name in _SCHEMA]
        for part, var, key, n, m, value, value2 in zip(*table, strict=True):
            if part in (CODES, REGISTERS):
                groups[(part, var)].append((key, n))
            else:
                groups[(part, var)].append((key, n, m, value, value2))

    return read_profile(row, groups, columns, alpha, top_capacity, precision, hash_id)


def columns_of(schema: Mapping[str, Any]) -> list[Column]:
    """The profiled columns of a frame with this schema, in order."""
    return [
        Column(i, name, dtype, kind_of(dtype)) for i, (name, dtype) in enumerate(schema.items())
    ]


def read_profile(
    row: dict[str, Any],
    groups: dict[tuple[int, int], list[tuple[Any, ...]]],
    columns: list[Column],
    alpha: float,
    capacity: int,
    precision: int,
    hash_id: str | None,
) -> DatasetProfile:
    """The profile from the aggregate row and the grouped rows (by (part, column index))."""
    reader = _Reader(row, groups, alpha, capacity, precision, hash_id)
    return DatasetProfile(int(row["rows"]), tuple(reader.read(c) for c in columns))


def _suffixed(expr: nw.Expr, name: str) -> nw.Expr:
    return expr.name.suffix(_SEP + name)


def _tally(condition: nw.Expr) -> nw.Expr:
    """How many rows ``condition`` holds for (SQL engines do not sum booleans)."""
    return condition.cast(nw.Int64).sum()


def _aggregates(columns: list[Column], *, exact_distinct: bool) -> list[nw.Expr]:
    exprs = [nw.len().alias("rows")]
    everything = [c.key for c in columns]
    floats = [c.key for c in columns if c.kind == NUMERIC and c.dtype.is_float()]
    numbers = [c.finite for c in columns if c.kind == NUMERIC]
    temporal = [c.key for c in columns if c.kind == TEMPORAL]
    if everything:
        x = nw.col(*everything)
        exprs += [_suffixed(x.count(), "count"), _suffixed(x.null_count(), "nulls")]
    if floats:
        x = nw.col(*floats)
        exprs += [
            _suffixed(_tally(x.is_nan()), "nan"),
            _suffixed(_tally(x == float("inf")), "pos_inf"),
            _suffixed(_tally(x == float("-inf")), "neg_inf"),
        ]
    if numbers:
        x = nw.col(*numbers)
        as_float = x.cast(nw.Float64)  # moments in Float64 whatever the column's width
        exprs += [
            _suffixed(x.count(), "finite"),
            _suffixed(x.min(), "min"),
            _suffixed(x.max(), "max"),
            _suffixed(as_float.mean(), "mean"),
            _suffixed(as_float.var(ddof=0), "var"),
            _suffixed(_tally(x < 0), "negative"),
            _suffixed(_tally(x == 0), "zero"),
            _suffixed(_tally(x > 0), "positive"),
        ]
    if temporal:
        x = nw.col(*temporal)
        exprs += [_suffixed(x.min(), "min"), _suffixed(x.max(), "max")]
    if exact_distinct and (numbers or temporal):
        # Narwhals counts null as one value in n_unique; the reader takes it off
        x = nw.col(*numbers, *temporal)
        exprs += [_suffixed(x.n_unique(), "n_unique"), _suffixed(x.null_count(), "n_null")]
    return exprs


def _shaped(frame: nw.LazyFrame[Any], part: int | nw.Expr, **columns: nw.Expr) -> nw.LazyFrame[Any]:
    part_expr = nw.lit(part, nw.Int64) if isinstance(part, int) else part.cast(nw.Int64)
    exprs = [part_expr.alias("part")]
    for name, dtype in _SCHEMA.items():
        if name != "part":
            exprs.append(columns.get(name, nw.lit(None, dtype)).cast(dtype).alias(name))
    return frame.select(exprs)


def _grouped(
    frame: nw.LazyFrame[Any],
    columns: list[Column],
    row: dict[str, Any],
    hashing_supported: bool,
    alpha: float,
    capacity: int,
    precision: int,
) -> list[nw.LazyFrame[Any]]:
    numbers = [c for c in columns if c.kind == NUMERIC]
    valued = [c for c in numbers if row[c.stat("finite", finite=True)]]
    signed = [c for c in valued if row[c.stat("negative", finite=True)]]
    hashed = [c for c in columns if hashing_supported and c.kind in (NUMERIC, TEMPORAL)]
    labels = [c for c in columns if c.kind in (STRING, BOOLEAN)]

    derived: list[nw.Expr] = []
    if valued:
        # bucket keys of |x|; zeros land in the lowest bucket and are taken off by the reader
        x = nw.col(*[c.finite for c in valued]).cast(nw.Float64).abs()
        derived.append(key_expression(x, alpha).name.prefix("k"))
    if signed:
        derived.append(nw.col(*[c.finite for c in signed]).name.prefix("v"))
    if hashed:
        # numbers hash as Float64, so that Int64 and Float64 partitions agree
        hashed_numbers = [c.finite for c in hashed if c.kind == NUMERIC]
        hashed_temporal = [c.key for c in hashed if c.kind == TEMPORAL]
        if hashed_numbers:
            derived.append(nw.col(*hashed_numbers).cast(nw.Float64).name.prefix("h"))
        if hashed_temporal:
            derived.append(nw.col(*hashed_temporal).name.prefix("h"))
    if labels:
        derived.append(nw.col(*[c.key for c in labels]).cast(nw.String).name.prefix("s"))
    if not derived:
        return []
    # One select of everything derived per row, so that engines with common-subplan caching
    # (Polars) can share the scan between the sub-queries below.
    table = frame.select(derived)

    parts: list[nw.LazyFrame[Any]] = []
    if valued:
        # Tag each key with its column (high bits) and store (negative values' magnitudes
        # in their own range), so that one Int64 group_by counts every bucket of every column.
        flip = NEGATIVE - POSITIVE
        sign = {c.index: (nw.col(f"v{c.finite}") < 0).cast(nw.Int64) * flip for c in signed}
        tagged = []
        for c in valued:
            code = nw.col(f"k{c.finite}") + (c.index * COLUMN + POSITIVE)
            if c.index in sign:
                code = code + sign[c.index]
            tagged.append(code.alias(f"k{c.finite}"))
        long = table.select(tagged).unpivot(value_name="key").select("key").drop_nulls()
        counted = long.group_by("key").agg(nw.len().alias("n"))
        parts.append(
            _shaped(counted, CODES, var=nw.col("key") // COLUMN, key=nw.col("key"), n=nw.col("n"))
        )
    if hashed:
        offsets = {
            f"h{c.finite if c.kind == NUMERIC else c.key}": c.index * COLUMN + HLL for c in hashed
        }
        codes = hashing.hll_codes(table.select(list(offsets)), offsets, precision=precision)
        long = codes.unpivot(value_name="key").select("key").drop_nulls()
        key = nw.col("key")
        # one slot per (column, register): the highest code in it has the highest rank
        per_register = long.group_by((key // RANKS).alias("slot")).agg(key.max())
        registers = per_register.select(
            (key // COLUMN).alias("var"),
            ((key % COLUMN - HLL) // RANKS).alias("register"),
            (key % RANKS).alias("rank"),
        )
        parts.append(_packed(registers))
    if labels:
        parts += _label_parts(table, labels, hashing_supported, capacity, precision)
    return parts


def _packed(registers: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """HyperLogLog registers (var, register, rank), seven one-byte ranks to a row.

    Row ``block`` of a column holds the rank of register ``7 * block + j`` in byte ``j``
    (little-endian), so the reader takes a row's bytes as they are and the result is seven
    times shorter, which matters for wide tables.
    """
    register = nw.col("register")
    weight = nw.lit(256.0) ** (register % PER_ROW)  # exact powers of two, below 2**48
    packed = (
        registers.with_columns(
            (nw.col("rank").cast(nw.Float64) * weight).cast(nw.Int64).alias("bits"),
            (register // PER_ROW).alias("block"),
        )
        .group_by("var", "block")
        .agg(nw.col("bits").sum())
    )
    return _shaped(packed, REGISTERS, var=nw.col("var"), key=nw.col("block"), n=nw.col("bits"))


def _label_parts(
    table: nw.LazyFrame[Any],
    labels: list[Column],
    hashing_supported: bool,
    capacity: int,
    precision: int,
) -> list[nw.LazyFrame[Any]]:
    long = table.select([f"s{c.key}" for c in labels]).unpivot(
        variable_name="var", value_name="value"
    )
    counts = (
        long.drop_nulls(subset=["value"])
        .group_by("var", "value")
        .agg(nw.len().alias("n"))
        # var is "sc<index>"
        .with_columns(nw.col("var").str.slice(2).cast(nw.Int64), nw.col("n").cast(nw.Int64))
    )
    # position by count, ties by value, so that every engine keeps the same values
    position = nw.col("n").cum_count().over("var", order_by=["minus_n", "value"])
    top = (
        counts.with_columns((-nw.col("n")).alias("minus_n"))
        .with_columns(position.alias("position"))
        .filter(nw.col("position") <= capacity + 1)
    )
    length = nw.col("value").str.len_chars()
    stats = counts.group_by("var").agg(
        nw.len().alias("key"),
        length.min().alias("n"),
        length.max().alias("m"),
        nw.col("value").min().alias("value"),
        nw.col("value").max().alias("value2"),
    )
    parts = [
        _shaped(top, TOP, var=nw.col("var"), value=nw.col("value"), n=nw.col("n")),
        _shaped(stats, STATS, **{k: nw.col(k) for k in _SCHEMA if k != "part"}),
    ]
    if hashing_supported:
        codes = hashing.hll_codes(
            counts.select("var", nw.col("value").alias("key")), {"key": 0}, precision=precision
        )
        key = nw.col("key")
        registers = (
            codes.select("var", (key // RANKS).alias("register"), (key % RANKS).alias("rank"))
            .group_by("var", "register")
            .agg(nw.col("rank").max())
        )
        parts.append(_packed(registers))
    return parts


@dataclass(frozen=True)
class _Reader:
    """Turns the aggregate row and the grouped rows into column profiles."""

    row: dict[str, Any]
    groups: dict[tuple[int, int], list[tuple[Any, ...]]]
    alpha: float
    capacity: int
    precision: int
    hash_id: str | None

    def stat(self, c: Column, name: str, default: Any = 0, *, finite: bool = False) -> Any:
        value = self.row.get(c.stat(name, finite=finite))
        return default if value is None else value

    def read(self, c: Column) -> ColumnProfile:
        base = ColumnProfile(
            name=c.name,
            dtype=str(c.dtype),
            kind=c.kind,
            count=int(self.stat(c, "count")),
            nulls=int(self.stat(c, "nulls")),
        )
        if c.kind == NUMERIC:
            return self.numeric(c, base)
        if c.kind == TEMPORAL:
            low, high = self.stat(c, "min", None), self.stat(c, "max", None)
            return replace(base, min=low, max=high, distinct=self.distinct(c))
        if c.kind in (STRING, BOOLEAN):
            return self.labels(c, base)
        return base

    def buckets(self, c: Column) -> tuple[dict[int, int], dict[int, int]]:
        positive: dict[int, int] = {}
        negative: dict[int, int] = {}
        for key, n in self.groups[(CODES, c.index)]:
            low = key % COLUMN
            if low >= NEGATIVE - (1 << 19):
                negative[low - NEGATIVE] = n
            else:
                positive[low - POSITIVE] = n
        return positive, negative

    def registers(self, c: Column) -> bytes:
        registers = bytearray(((1 << self.precision) // PER_ROW + 1) * PER_ROW)
        for block, bits in self.groups[(REGISTERS, c.index)]:
            start = block * PER_ROW
            registers[start : start + PER_ROW] = bits.to_bytes(PER_ROW, "little")
        return bytes(registers[: 1 << self.precision])

    def distinct(self, c: Column, exact: int | None = None) -> DistinctSketch:
        if self.hash_id is None:
            if exact is None:
                n_unique = int(self.stat(c, "n_unique", finite=True))
                exact = n_unique - (int(self.stat(c, "n_null", finite=True)) > 0)
            return DistinctSketch.exact_count(exact, precision=self.precision)
        return DistinctSketch.from_registers(
            self.registers(c), precision=self.precision, hash=self.hash_id, exact=exact
        )

    def numeric(self, c: Column, base: ColumnProfile) -> ColumnProfile:
        def stat(name: str, default: Any = 0) -> Any:
            return self.stat(c, name, default, finite=True)

        low, high = _number(stat("min", None)), _number(stat("max", None))
        positive, negative = self.buckets(c)
        n_zero = int(stat("zero"))
        # the clip sent the zeros to the lowest positive bucket
        lowest = lowest_key(self.alpha)
        if lowest in positive:
            positive[lowest] = max(0, positive[lowest] - n_zero)
        quantiles = QuantileSketch.from_stores(
            positive, negative, n_zero, alpha=self.alpha, min=low, max=high
        )
        return replace(
            base,
            nan=int(self.stat(c, "nan")),
            pos_inf=int(self.stat(c, "pos_inf")),
            neg_inf=int(self.stat(c, "neg_inf")),
            min=low,
            max=high,
            moments=Moments.from_aggregates(stat("finite"), stat("mean", None), stat("var", None)),
            quantiles=quantiles,
            distinct=self.distinct(c),
        )

    def labels(self, c: Column, base: ColumnProfile) -> ColumnProfile:
        stats = self.groups.get((STATS, c.index))
        n_distinct, min_length, max_length, low, high = (
            stats[0] if stats else (0, None, None, None, None)
        )
        rows = [(value, n) for _, n, _, value, _ in self.groups[(TOP, c.index)]]
        top = TopValues.from_ranked(rows, distinct=int(n_distinct), capacity=self.capacity)
        distinct = self.distinct(c, exact=int(n_distinct))
        if c.kind == BOOLEAN:
            return replace(base, top=top, distinct=distinct)
        return replace(
            base,
            min=low,
            max=high,
            min_length=min_length,
            max_length=max_length,
            top=top,
            distinct=distinct,
        )


def _number(value: Any) -> Any:
    """Floats and decimals as float (decimals are profiled as Float64), integers as int."""
    return float(value) if isinstance(value, float | Decimal) else value
