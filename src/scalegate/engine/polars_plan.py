"""The Polars fast path of a check: every rule, its examples and the profile in one ``select``.

The generic path (:mod:`.check`, then :mod:`.profile_query`) runs three Narwhals queries --
the rules' ``select``, the profile's aggregate ``select`` and its grouped query (``unpivot``
and ``group_by`` over all columns) -- plus one query per failing rule for its examples. On a
Polars input (files and local frames) this module builds **one** native ``select`` instead,
so Polars reads each column once and evaluates all the expressions in parallel:

- every rule's failing count (the rules' own Narwhals expressions, turned into Polars ones;
  the ``unique`` rule as ``is_duplicated``, a hash set, instead of a ``len().over()`` window)
  and its first failing values (``filter().head(5).implode()``), so a failing rule needs
  no second pass;
- the profile's aggregates (the expressions of :func:`.profile_query._aggregates`, written
  for the original column names);
- per column, the profile's sketch inputs as one small imploded list each: the
  ``value_counts`` of the quantile bucket codes of numbers (the same
  :func:`.sketches.quantiles.key_expression`), the distinct HyperLogLog codes of numbers and
  temporal values (the hash of :mod:`.sketches.hashing`) and the ``value_counts`` of string
  and boolean values.

The lists hold at most a few thousand rows per column (strings: their distinct values, as in
the generic path). Eager Polars turns them into exactly the rows the generic grouped query
returns -- top values, string statistics, packed registers -- and the generic reader reads
them, so the profile is identical to :func:`.profile_query.compute`'s (a test compares them
on varied data).

If anything here fails -- an expression Polars rejects at run time, unreadable data, a
Narwhals version whose expressions cannot be turned into Polars ones -- the caller falls back
to the generic path, which also finds out which rule or what data is at fault.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import narwhals as nw

from scalegate.engine.profile_model import (
    BOOLEAN,
    NUMERIC,
    STRING,
    TEMPORAL,
    DatasetProfile,
    kind_of,
)
from scalegate.engine.profile_query import (
    _CODES,
    _COLUMN,
    _NEGATIVE,
    _PER_ROW,
    _POSITIVE,
    _RANKS,
    _REGISTERS,
    _STATS,
    _TOP,
    _Column,
    _Reader,
)
from scalegate.engine.sketches import hashing
from scalegate.engine.sketches.quantiles import key_expression

_LIST = "__p"  # prefix of the per-column list outputs
_EXAMPLE = "__x"  # prefix of the rules' example outputs
_MASK = "__m"  # prefix of the rules' failing-row columns


@dataclass(frozen=True)
class RulePlan:
    """One rule as the fast path computes it: outputs named ``name`` (+ ``_<key>``)."""

    name: str
    #: a row rule's failing rows, or None for an aggregate rule
    fails: nw.Expr | None = None
    #: an aggregate rule's expressions
    aggregates: dict[str, nw.Expr] | None = None
    #: a ``unique`` rule's key columns (computed natively)
    unique: tuple[str, ...] = ()
    #: columns of the failing examples (row rules)
    example_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What the one query gives: the rules' values, their examples, the profile (if asked)."""

    values: dict[str, Any]
    examples: dict[str, list[Any]]
    profile: DatasetProfile | None


def applies(frame: nw.LazyFrame[Any]) -> bool:
    """Whether ``frame`` runs on Polars (files and local frames do)."""
    return frame.implementation is nw.Implementation.POLARS


def duplicated(keys: tuple[str, ...]) -> Any:
    """Native Polars for the ``unique`` rule's failing rows: a complete key seen twice.

    The same rows as the rule's portable ``len().over(keys) > 1``, at about half the cost.
    """
    import polars as pl

    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(list(keys))
    return complete & key.is_duplicated()


def run(
    frame: nw.LazyFrame[Any],
    rules: list[RulePlan],
    *,
    examples: int,
    profile: bool = True,
    alpha: float,
    top_capacity: int,
    precision: int,
) -> Outcome:
    """Every rule's values and first ``examples`` failing values, and (with ``profile``) the
    profile of ``frame``, with one ``select`` and one ``collect``."""
    import polars as pl

    native = frame.to_native()
    # Narwhals has no public way to turn an expression into the backend's own: this private
    # one is pinned by the tests, and the caller falls back to the generic path if it breaks.
    namespace = frame._compliant_frame.__narwhals_namespace__()

    def polars(expr: nw.Expr) -> Any:
        compliant: Any = expr._to_compliant_expr(namespace)
        return compliant.native

    schema = frame.collect_schema()
    columns = [
        _Column(i, name, dtype, kind_of(dtype)) for i, (name, dtype) in enumerate(schema.items())
    ]
    # each row rule's failing rows once, as a boolean column (a bitmap: 1/8 byte a row),
    # which both its count and its examples read
    masks: list[Any] = []
    exprs: list[Any] = [pl.len().alias("rows")]
    for rule in rules:
        if rule.aggregates is not None:
            exprs += [polars(e).alias(f"{rule.name}_{k}") for k, e in rule.aggregates.items()]
            continue
        if rule.unique:
            fails = duplicated(rule.unique)
        else:
            assert rule.fails is not None
            fails = polars(rule.fails).fill_null(False)
        masks.append(fails.alias(_MASK + rule.name))
        mask = pl.col(_MASK + rule.name)
        exprs.append(mask.cast(pl.Int64).sum().alias(rule.name))
        if rule.example_columns:
            cols = list(dict.fromkeys(rule.example_columns))
            shown = pl.col(cols[0]) if len(cols) == 1 else pl.struct(cols)
            first = shown.filter(mask).head(examples).implode()
            exprs.append(first.alias(_EXAMPLE + rule.name))
    if profile:
        exprs += _aggregates(columns, polars)
        exprs += _sketches(columns, polars, alpha, precision)

    query = native.with_columns(masks) if masks else native
    result = query.select(exprs).collect()
    row = dict(zip(result.columns, result.row(0), strict=True))
    found = {k[len(_EXAMPLE) :]: v for k, v in row.items() if k.startswith(_EXAMPLE)}
    if not profile:
        return Outcome(row, found, None)
    groups = _groups(result, columns, top_capacity, precision)
    reader = _Reader(row, groups, alpha, top_capacity, precision, hashing.hash_id(frame))
    computed = DatasetProfile(int(row["rows"]), tuple(reader.read(c) for c in columns))
    return Outcome(row, found, computed)


def _finite(c: _Column) -> nw.Expr:
    """The values that enter moments and sketches: NaN and infinities become null."""
    x = nw.col(c.name)
    return nw.when(x.is_finite()).then(x) if c.dtype.is_float() else x


def _aggregates(columns: list[_Column], polars: Any) -> list[Any]:
    """:func:`.profile_query._aggregates` for the original names (same names out)."""
    exprs: list[nw.Expr] = []
    for c in columns:
        x = nw.col(c.name)
        exprs += [x.count().alias(c.stat("count")), x.null_count().alias(c.stat("nulls"))]
        if c.kind == NUMERIC and c.dtype.is_float():
            exprs += [
                x.is_nan().sum().alias(c.stat("nan")),
                (x == float("inf")).sum().alias(c.stat("pos_inf")),
                (x == float("-inf")).sum().alias(c.stat("neg_inf")),
            ]
        if c.kind == NUMERIC:
            f = _finite(c)
            as_float = f.cast(nw.Float64)

            def stat(name: str, c: _Column = c) -> str:
                return c.stat(name, finite=True)

            exprs += [
                f.count().alias(stat("finite")),
                f.min().alias(stat("min")),
                f.max().alias(stat("max")),
                as_float.mean().alias(stat("mean")),
                as_float.var(ddof=0).alias(stat("var")),
                (f < 0).sum().alias(stat("negative")),
                (f == 0).sum().alias(stat("zero")),
                (f > 0).sum().alias(stat("positive")),
            ]
        if c.kind == TEMPORAL:
            exprs += [x.min().alias(c.stat("min")), x.max().alias(c.stat("max"))]
    return [polars(e) for e in exprs]


def _hll_code(values: Any, precision: int) -> Any:
    """The code of :func:`.sketches.hashing.hll_codes` (``register * 64 + rank``) of non-null
    ``values``; the profile test holds the two to the same registers."""
    import polars as pl

    shift = 1 << (64 - precision)
    h = values.hash(seed=0)
    register = (h // shift).cast(pl.Int64)
    rank = (h % shift).bitwise_leading_zeros().cast(pl.Int64) - (precision - 1)
    return register * (1 << hashing.RANK_BITS) + rank


def _sketches(columns: list[_Column], polars: Any, alpha: float, precision: int) -> list[Any]:
    """One imploded list per column and sketch (see the module's docstring)."""
    import polars as pl

    flip = _NEGATIVE - _POSITIVE
    exprs: list[Any] = []
    for c in columns:
        if c.kind == NUMERIC:
            f = _finite(c)
            key = polars(key_expression(f.cast(nw.Float64).abs(), alpha))
            negative = polars(f < 0).cast(pl.Int64) * flip
            code = (key + (c.index * _COLUMN + _POSITIVE) + negative).alias("key")
            counts = code.drop_nulls().value_counts(name="n")
            exprs.append(counts.implode().alias(f"{_LIST}q{c.index}"))
            hashed = polars(f.cast(nw.Float64)).drop_nulls()
        elif c.kind == TEMPORAL:
            hashed = pl.col(c.name).drop_nulls()
        elif c.kind in (STRING, BOOLEAN):
            values = pl.col(c.name).cast(pl.String).alias("value").drop_nulls()
            exprs.append(values.value_counts(name="n").implode().alias(f"{_LIST}s{c.index}"))
            continue
        else:
            continue
        codes = _hll_code(hashed, precision).unique()
        exprs.append(codes.implode().alias(f"{_LIST}h{c.index}"))
    return exprs


def _groups(
    result: Any, columns: list[_Column], capacity: int, precision: int
) -> dict[tuple[int, int], list[tuple[Any, ...]]]:
    """The rows the generic grouped query would return, from the per-column lists."""
    import polars as pl

    groups: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)

    def listed(name: str) -> Any:
        return result.select(pl.col(name).explode()).drop_nulls()

    for c in columns:
        if f"{_LIST}q{c.index}" in result.columns:
            codes = listed(f"{_LIST}q{c.index}").unnest(f"{_LIST}q{c.index}")
            groups[(_CODES, c.index)] = list(codes.select("key", "n").iter_rows())
        if f"{_LIST}h{c.index}" in result.columns:
            codes = listed(f"{_LIST}h{c.index}").get_column(f"{_LIST}h{c.index}")
            groups[(_REGISTERS, c.index)] = _packed(codes, precision)
        if f"{_LIST}s{c.index}" in result.columns:
            counts = listed(f"{_LIST}s{c.index}").unnest(f"{_LIST}s{c.index}")
            if counts.height:
                groups.update(_label_groups(c.index, counts, capacity, precision))
    return groups


def _packed(codes: Any, precision: int) -> list[tuple[int, int]]:
    """HyperLogLog codes as the generic path's packed rows: (block, seven one-byte ranks)."""
    import polars as pl

    if not len(codes):
        return []
    per_register = (
        pl.DataFrame({"code": codes})
        .group_by((pl.col("code") // _RANKS).alias("register"))
        .agg((pl.col("code") % _RANKS).max().alias("rank"))
    )
    registers = bytearray(((1 << precision) // _PER_ROW + 1) * _PER_ROW)
    for register, rank in per_register.iter_rows():
        registers[register] = rank
    out = []
    for block in range(len(registers) // _PER_ROW):
        bits = int.from_bytes(registers[block * _PER_ROW : (block + 1) * _PER_ROW], "little")
        if bits:
            out.append((block, bits))
    return out


def _label_groups(
    index: int, counts: Any, capacity: int, precision: int
) -> dict[tuple[int, int], list[tuple[Any, ...]]]:
    """Top values, statistics and registers of one string or boolean column's counts."""
    import polars as pl

    counts = counts.with_columns(pl.col("n").cast(pl.Int64))
    top = counts.sort(["n", "value"], descending=[True, False]).head(capacity + 1)
    length = pl.col("value").str.len_chars()
    stats = counts.select(
        pl.len().cast(pl.Int64).alias("distinct"),
        length.min().cast(pl.Int64).alias("shortest"),
        length.max().cast(pl.Int64).alias("longest"),
        pl.col("value").min().alias("low"),
        pl.col("value").max().alias("high"),
    ).row(0)
    codes = counts.select(_hll_code(pl.col("value"), precision)).to_series()
    return {
        (_TOP, index): [(None, n, None, value, None) for value, n in top.iter_rows()],
        (_STATS, index): [stats],
        (_REGISTERS, index): _packed(codes, precision),
    }
