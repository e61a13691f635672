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

That one ``select`` holds the columns it reads in memory: Polars' streaming engine cannot
stream ``value_counts``, ``unique``, ``is_duplicated`` or ``filter().head().implode()`` and
buffers their input whole. Files of 32 MiB and more therefore take :mod:`.polars_stream`
(``try_run(streaming=True)``), which computes the same results from queries that stream.

If anything here fails -- an expression Polars rejects at run time, unreadable data, a
Narwhals version whose expressions cannot be turned into Polars ones -- the caller falls back
to the generic path, which also finds out which rule or what data is at fault.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import narwhals as nw

from scalegate.engine.profile_model import (
    BOOLEAN,
    NUMERIC,
    STRING,
    TEMPORAL,
    DatasetProfile,
)
from scalegate.engine.profile_query import (
    CODES,
    COLUMN,
    NEGATIVE,
    PER_ROW,
    POSITIVE,
    RANKS,
    REGISTERS,
    STATS,
    TOP,
    Column,
    columns_of,
    read_profile,
)
from scalegate.engine.sketches import hashing
from scalegate.engine.sketches.quantiles import key_expression

LIST = "__p"  # prefix of the per-column list outputs
EXAMPLE = "__x"  # prefix of the rules' example outputs
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


#: Above this many columns the generic path's multi-column expressions plan faster than
#: one select of per-column expressions (Polars' planning grows faster than linearly).
MAX_COLUMNS = 200


def applies(frame: nw.LazyFrame[Any]) -> bool:
    """Whether ``frame`` runs on Polars (files and local frames do), with an in-engine hash
    and at most :data:`MAX_COLUMNS` columns."""
    if frame.implementation is not nw.Implementation.POLARS or hashing.hash_id(frame) is None:
        return False
    try:
        return len(frame.collect_schema()) <= MAX_COLUMNS
    except Exception:  # unreadable: the generic path reports it
        return False


def converter(frame: nw.LazyFrame[Any]) -> Callable[[nw.Expr], Any]:
    """A function turning Narwhals expressions into native Polars ones for ``frame``.

    Narwhals has no public way to do this: the private one used here is pinned by the tests,
    and callers fall back to the generic path if it breaks.
    """
    namespace = frame._compliant_frame.__narwhals_namespace__()

    def polars(expr: nw.Expr) -> Any:
        compliant: Any = expr._to_compliant_expr(namespace)
        return compliant.native

    return polars


def duplicated(keys: tuple[str, ...]) -> Any:
    """Native Polars for the ``unique`` rule's failing rows: a complete key seen twice.

    The same rows as the rule's portable ``len().over(keys) > 1``, at about half the cost.
    """
    import polars as pl

    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(list(keys))
    return complete & key.is_duplicated()


def try_run(
    frame: nw.LazyFrame[Any],
    rules: list[RulePlan],
    *,
    examples: int,
    profile: bool = True,
    alpha: float,
    top_capacity: int,
    precision: int,
    schema: Mapping[str, Any] | None = None,
    streaming: bool = False,
    columnar: bool = True,
) -> Outcome | None:
    """:func:`run` where it :func:`applies` -- with ``streaming``, :func:`.polars_stream.run`
    instead, the same results in bounded memory (for files; ``columnar`` for Parquet) --;
    None elsewhere, or when its query fails (the caller's generic path then finds out which
    rule or what data is at fault)."""
    if not applies(frame):
        return None
    runner: Callable[..., Outcome] = run
    if streaming:
        from functools import partial

        from scalegate.engine import polars_stream

        runner = partial(polars_stream.run, columnar=columnar)
    try:
        return runner(
            frame,
            rules,
            examples=examples,
            profile=profile,
            alpha=alpha,
            top_capacity=top_capacity,
            precision=precision,
            schema=schema,
        )
    except Exception:
        return None


def run(
    frame: nw.LazyFrame[Any],
    rules: list[RulePlan],
    *,
    examples: int,
    profile: bool = True,
    alpha: float,
    top_capacity: int,
    precision: int,
    schema: Mapping[str, Any] | None = None,
) -> Outcome:
    """Every rule's values and first ``examples`` failing values, and (with ``profile``) the
    profile of ``frame``, with one ``select`` and one ``collect``. ``schema``: the frame's,
    if the caller has it already."""
    import polars as pl

    native = frame.to_native()
    polars = converter(frame)

    columns = columns_of(frame.collect_schema() if schema is None else schema)
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
            exprs.append(first.alias(EXAMPLE + rule.name))
    if profile:
        exprs += aggregates(columns)
        exprs += _sketches(columns, alpha, precision)

    query = (native.with_columns(masks) if masks else native).select(exprs)
    reductions = labels(columns, top_capacity, precision) if profile else []
    if reductions:
        lists = [f"{LIST}s{c.index}" for c in columns if c.kind in (STRING, BOOLEAN)]
        query = query.with_columns(reductions).drop(lists)
    result = query.collect()
    row = dict(zip(result.columns, result.row(0), strict=True))
    found = {k[len(EXAMPLE) :]: v for k, v in row.items() if k.startswith(EXAMPLE)}
    if not profile:
        return Outcome(row, found, None)
    grouped = groups(row, columns, top_capacity, precision)
    hash_id = hashing.hash_id(frame)
    computed = read_profile(row, grouped, columns, alpha, top_capacity, precision, hash_id)
    return Outcome(row, found, computed)


def finite(c: Column) -> Any:
    """The values that enter moments and sketches: NaN and infinities become null."""
    import polars as pl

    x = pl.col(c.name)
    return pl.when(x.is_finite()).then(x) if c.dtype.is_float() else x


def aggregates(
    columns: list[Column], finite_of: Callable[[Column], Any] | None = None
) -> list[Any]:
    """:func:`.profile_query._aggregates` in Polars for the original names (the same output
    names, so the generic reader reads them). ``finite_of``: an expression of a column's
    finite values (default :func:`finite`), e.g. a column computed once beforehand."""
    import polars as pl

    finite_of = finite_of or finite

    exprs: list[Any] = []
    for c in columns:
        x = pl.col(c.name)
        exprs += [x.count().alias(c.stat("count")), x.null_count().alias(c.stat("nulls"))]
        if c.kind == NUMERIC and c.dtype.is_float():
            exprs += [
                x.is_nan().sum().alias(c.stat("nan")),
                (x == float("inf")).sum().alias(c.stat("pos_inf")),
                (x == float("-inf")).sum().alias(c.stat("neg_inf")),
            ]
        if c.kind == NUMERIC:
            f = finite_of(c)
            as_float = f.cast(pl.Float64)
            exprs += [
                e.alias(c.stat(name, finite=True))
                for name, e in (
                    ("finite", f.count()),
                    ("min", f.min()),
                    ("max", f.max()),
                    ("mean", as_float.mean()),
                    ("var", as_float.var(ddof=0)),
                    ("negative", (f < 0).sum()),
                    ("zero", (f == 0).sum()),
                    ("positive", (f > 0).sum()),
                )
            ]
        if c.kind == TEMPORAL:
            exprs += [x.min().alias(c.stat("min")), x.max().alias(c.stat("max"))]
    return exprs


def _sketches(columns: list[Column], alpha: float, precision: int) -> list[Any]:
    """One imploded list per column and sketch (see the module's docstring)."""
    import polars as pl

    flip = NEGATIVE - POSITIVE
    exprs: list[Any] = []
    for c in columns:
        if c.kind == NUMERIC:
            f = finite(c).cast(pl.Float64)
            negative = (f < 0).cast(pl.Int64) * flip
            code = (
                key_expression(f.abs(), alpha, int64=pl.Int64)
                + (c.index * COLUMN + POSITIVE)
                + negative
            ).alias("key")
            counts = code.drop_nulls().value_counts(name="n")
            exprs.append(counts.implode().alias(f"{LIST}q{c.index}"))
            hashed = f.drop_nulls()
        elif c.kind == TEMPORAL:
            hashed = pl.col(c.name).drop_nulls()
        elif c.kind in (STRING, BOOLEAN):
            # each distinct value with its count; labels() reduces them inside the engine
            values = pl.col(c.name).cast(pl.String).alias("value").drop_nulls()
            exprs.append(values.value_counts(name="n").implode().alias(f"{LIST}s{c.index}"))
            continue
        else:
            continue
        codes = hashing.polars_codes(hashed, precision).unique()
        exprs.append(codes.implode().alias(f"{LIST}h{c.index}"))
    return exprs


def labels(columns: list[Column], capacity: int, precision: int) -> list[Any]:
    """From each string column's value counts (a list in the one-row result, never leaving
    the engine): the ``capacity + 1`` most frequent (ties by value), the number of distinct
    values, their shortest and longest length, lowest and highest value, and the distinct
    HyperLogLog codes of the values -- what the generic grouped query computes."""
    import polars as pl

    exprs: list[Any] = []
    value, n = pl.element().struct.field("value"), pl.element().struct.field("n")
    for c in columns:
        if c.kind not in (STRING, BOOLEAN):
            continue
        counts = pl.col(f"{LIST}s{c.index}")

        def first(e: Any, counts: Any = counts) -> Any:
            return counts.list.eval(e).list.first()

        length = value.str.len_chars()
        exprs += [
            counts.list.eval(pl.element().sort_by([n, value], descending=[True, False]))
            .list.head(capacity + 1)
            .alias(f"{LIST}t{c.index}"),
            pl.struct(
                counts.list.len().cast(pl.Int64).alias("distinct"),
                first(length.min()).cast(pl.Int64).alias("shortest"),
                first(length.max()).cast(pl.Int64).alias("longest"),
                first(value.min()).alias("low"),
                first(value.max()).alias("high"),
            ).alias(f"{LIST}z{c.index}"),
            counts.list.eval(hashing.polars_codes(value, precision).unique()).alias(
                f"{LIST}r{c.index}"
            ),
        ]
    return exprs


def groups(
    row: dict[str, Any], columns: list[Column], capacity: int, precision: int
) -> dict[tuple[int, int], list[tuple[Any, ...]]]:
    """The rows the generic grouped query would return, from the per-column lists (small:
    plain Python is faster than a query per column)."""
    out: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for c in columns:
        codes = row.get(f"{LIST}q{c.index}")
        if codes:
            out[(CODES, c.index)] = [(d["key"], d["n"]) for d in codes]
        hll = row.get(f"{LIST}h{c.index}")
        if hll:
            out[(REGISTERS, c.index)] = _packed(hll, precision)
        stats = row.get(f"{LIST}z{c.index}")
        if stats and stats["distinct"]:
            out[(TOP, c.index)] = [
                (None, d["n"], None, d["value"], None) for d in row[f"{LIST}t{c.index}"]
            ]
            out[(STATS, c.index)] = [tuple(stats.values())]
            out[(REGISTERS, c.index)] = _packed(row[f"{LIST}r{c.index}"], precision)
    return out


def _packed(codes: list[int], precision: int) -> list[tuple[int, int]]:
    """HyperLogLog codes as the generic path's packed rows: (block, seven one-byte ranks)."""
    registers = bytearray(((1 << precision) // PER_ROW + 1) * PER_ROW)
    for code in codes:
        register, rank = divmod(code, RANKS)
        if rank > registers[register]:
            registers[register] = rank
    out = []
    for block in range(len(registers) // PER_ROW):
        bits = int.from_bytes(registers[block * PER_ROW : (block + 1) * PER_ROW], "little")
        if bits:
            out.append((block, bits))
    return out
