"""The Polars plan for files: the same results as :mod:`.polars_plan`, in bounded memory.

:func:`.polars_plan.run` computes everything in one ``select``; Polars' streaming engine
cannot stream several of its expressions (``is_duplicated``, ``value_counts``, ``unique``,
``filter().head().implode()``): it falls back to buffering their input columns whole, so a
check of a 20M-row file held several GB. This plan uses only what streams -- reductions and
``group_by`` -- and collects each query with ``engine="streaming"``:

1. **one** ``select`` of reductions: the row count, every rule's failing count (a sum of its
   failing rows), the aggregate rules and the profile's aggregates;
2. with the profile, ``group_by`` counts of the numeric and temporal columns' codes:
   quantile bucket keys and HyperLogLog codes, each tagged with its column (the layout of
   :mod:`.profile_query`). An integer column whose values span at most :data:`EXACT_SPAN`
   (query 1 has its min and max) is counted by value instead, and its codes computed from
   those few counts (one group_by instead of two, no per-row log or hash);
3. with the profile, a ``group_by`` count of each string and boolean column's values;
4. per ``unique`` rule a ``group_by`` of its key, keeping the keys seen more than once;
5. only for failing rules, their first failing rows: ``filter().head()``, which stops reading
   once it has them; one query at a time, since each holds its own read buffers.

On Parquet (``columnar``) queries 2 and 3 are one small group_by per column, concatenated:
each reads only its own column, which is cheaper than one group_by over an unpivot of them
all. On CSV and NDJSON, where every query parses the whole text, they are one unpivoted
query each. Memory is bounded by the engine's read buffers (a few hundred MB for a 20-column
table, whatever its length), plus what the group_bys hold: about 2,100 bucket keys and up to
1,024 HyperLogLog codes per numeric column, up to 65,536 values per integer column counted
by value, the distinct values of each string column, and the distinct keys of each
``unique`` rule (exact uniqueness needs them all).

The small group_by results are turned into exactly the lists the one-``select`` plan builds
(:func:`.polars_plan.groups` and :func:`.polars_plan.labels` then read them), so the results
are identical; tests compare both plans on varied data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import narwhals as nw

from scalegate.engine import polars_plan
from scalegate.engine.polars_plan import EXAMPLE, LIST, Outcome, RulePlan
from scalegate.engine.profile_model import BOOLEAN, NUMERIC, STRING, TEMPORAL
from scalegate.engine.profile_query import (
    COLUMN,
    HLL,
    NEGATIVE,
    POSITIVE,
    Column,
    columns_of,
    read_profile,
)
from scalegate.engine.sketches import hashing
from scalegate.engine.sketches.quantiles import key_expression

#: the streaming engine, for every query of this plan
ENGINE: Final = "streaming"
#: integer columns whose values span at most this many are counted by value (see _numbers)
EXACT_SPAN = 1 << 16
#: input files of at least this many bytes in all are checked with this plan
STREAM_BYTES = 32 << 20


def columnar(paths: tuple[str, ...]) -> bool:
    """Whether the input reads each column on its own (Parquet files, frames in memory)."""
    return all(Path(p).suffix.lower() in (".parquet", ".pq") for p in paths)


def wanted(paths: tuple[str, ...]) -> bool:
    """Whether to use this plan for an input read from ``paths`` (none: an in-memory frame,
    which the one-``select`` plan serves best)."""
    if not paths:
        return False
    return sum(Path(p).stat().st_size for p in paths) >= STREAM_BYTES


def run(
    frame: nw.LazyFrame[Any],
    rules: list[RulePlan],
    *,
    examples: int,
    profile: bool = True,
    alpha: float,
    top_capacity: int,
    precision: int,
    schema: Any = None,
    columnar: bool = True,
) -> Outcome:
    """What :func:`.polars_plan.run` returns, computed with queries that stream (see the
    module's docstring): memory bounded by the group_bys' distinct keys, not by the rows.

    ``columnar``: the source reads each column on its own (Parquet, frames), so one small
    query per column is cheapest; otherwise (CSV, NDJSON: every query parses the whole
    text) the profile's columns are unpivoted into one query per kind."""
    import polars as pl

    native = frame.to_native()
    polars = polars_plan.converter(frame)
    columns = columns_of(frame.collect_schema() if schema is None else schema)

    exprs: list[Any] = [pl.len().alias("rows")]
    fails: dict[str, Any] = {}
    unique: list[RulePlan] = []
    for rule in rules:
        if rule.aggregates is not None:
            exprs += [polars(e).alias(f"{rule.name}_{k}") for k, e in rule.aggregates.items()]
        elif rule.unique:
            unique.append(rule)
        else:
            assert rule.fails is not None
            fails[rule.name] = polars(rule.fails).fill_null(False)
            exprs.append(fails[rule.name].cast(pl.Int64).sum().alias(rule.name))
    source = native
    if profile:
        # each float column's finite values once, as a column, rather than once per moment
        floats = [c for c in columns if c.kind == NUMERIC and c.dtype.is_float()]
        source = native.with_columns(polars_plan.finite(c).alias(_finite(c)) for c in floats)
        exprs += polars_plan.aggregates(
            columns,
            lambda c: pl.col(_finite(c)) if c.dtype.is_float() else polars_plan.finite(c),
        )
    result = source.select(exprs).collect(engine=ENGINE)
    row = dict(zip(result.columns, result.row(0), strict=True))

    found: dict[str, list[Any]] = {}
    for rule in unique:
        row[rule.name], first = _duplicates(native, rule, examples)
        if first:
            found[rule.name] = first
    failing = [r for r in rules if r.name in fails and row[r.name] and r.example_columns]
    for r in failing if examples else []:
        # one at a time: each query holds its own read buffers (a CSV reader's are large)
        head = native.filter(fails[r.name]).select(_shown(r)).head(examples)
        found[r.name] = head.collect(engine=ENGINE).get_column("shown").to_list()
    row.update({EXAMPLE + k: v for k, v in found.items()})
    if not profile:
        return Outcome(row, found, None)

    row.update(_numbers(native, columns, row, alpha, precision, columnar=columnar))
    row.update(_labelled(native, columns, top_capacity, precision, columnar=columnar))
    groups = polars_plan.groups(row, columns, top_capacity, precision)
    hash_id = hashing.hash_id(frame)
    computed = read_profile(row, groups, columns, alpha, top_capacity, precision, hash_id)
    return Outcome(row, found, computed)


def _finite(c: Column) -> str:
    """Name of the temporary column of a float column's finite values."""
    return f"__scalegate_finite_{c.index}"


def _shown(rule: RulePlan) -> Any:
    """A rule's example: its one column's value, or a struct of its columns."""
    import polars as pl

    cols = list(dict.fromkeys(rule.example_columns))
    return (pl.col(cols[0]) if len(cols) == 1 else pl.struct(cols)).alias("shown")


def _duplicates(native: Any, rule: RulePlan, examples: int) -> tuple[int, list[Any]]:
    """A ``unique`` rule's failing rows (complete keys seen more than once) with a streaming
    ``group_by``, and the first ``examples`` of them in row order."""
    import polars as pl

    keys = list(rule.unique)
    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    counts = (
        native.filter(complete)
        .group_by(keys)
        .agg(pl.len().alias("__n"))
        .filter(pl.col("__n") > 1)
        .collect(engine=ENGINE)
    )
    failing = int(counts.get_column("__n").sum()) if counts.height else 0
    if not failing or not examples or not rule.example_columns:
        return failing, []
    first = (
        native.join(
            counts.lazy().select(keys),
            on=keys,
            how="semi",
            maintain_order="left",
        )
        .select(_shown(rule))
        .head(examples)
        .collect(engine=ENGINE)
    )
    return failing, first.get_column("shown").to_list()


def _span(row: dict[str, Any], c: Column) -> int | None:
    """``max - min`` of an integer column's values (from the first query), None if none."""
    low, high = row.get(c.stat("min", finite=True)), row.get(c.stat("max", finite=True))
    return None if low is None or high is None else int(high) - int(low)


def _codes(c: Column, value: Any, alpha: float, precision: int) -> tuple[Any, Any]:
    """A numeric column's quantile code and HyperLogLog code of ``value`` (its finite values
    as Float64): the same codes, in the same Int64 layout, as the other plans."""
    import polars as pl

    key = (
        key_expression(value.abs(), alpha, int64=pl.Int64)
        + (c.index * COLUMN + POSITIVE)
        + (value < 0).cast(pl.Int64) * (NEGATIVE - POSITIVE)
    )
    return key, _hll(c, value, precision)


def _hll(c: Column, value: Any, precision: int) -> Any:
    import polars as pl

    code = hashing.polars_codes(value, precision) + (c.index * COLUMN + HLL)
    return pl.when(value.is_not_null()).then(code)


def _numbers(
    native: Any,
    columns: list[Column],
    row: dict[str, Any],
    alpha: float,
    precision: int,
    *,
    columnar: bool = True,
) -> dict[str, list[Any]]:
    """Per numeric column its quantile bucket codes with counts (``__pq<i>``) and per
    numeric or temporal column its distinct HyperLogLog codes (``__ph<i>``).

    Integer columns whose values span at most :data:`EXACT_SPAN` (``row``, the first query,
    has their min and max) are counted by value, and their codes computed from those few
    counts; every other column gets a code per row, counted. Both are streaming group_bys,
    one per column (cheaper than one over an unpivot of them all), run together.
    """
    import polars as pl

    out: dict[str, list[Any]] = {}
    for c in columns:
        if c.kind == NUMERIC:
            out[f"{LIST}q{c.index}"] = []
        if c.kind in (NUMERIC, TEMPORAL):
            out[f"{LIST}h{c.index}"] = []

    def span(c: Column) -> int | None:
        return _span(row, c) if c.kind == NUMERIC and c.dtype.is_integer() else None

    by_value = [c for c in columns if (span(c) or 0) <= EXACT_SPAN and span(c) is not None]
    if not columnar:
        by_value = []  # its own query, one more parse of the text: not worth it
    per_row: list[Any] = []  # code expressions, one group_by each
    for c in columns:
        if c.kind == NUMERIC and c not in by_value:
            quantile, distinct = _codes(c, polars_plan.finite(c).cast(pl.Float64), alpha, precision)
            per_row += [quantile.alias(f"q{c.index}"), distinct.alias(f"h{c.index}")]
        elif c.kind == TEMPORAL:
            per_row.append(_hll(c, pl.col(c.name), precision).alias(f"h{c.index}"))
    queries = []
    if per_row and not columnar:
        long = native.select(per_row).unpivot(value_name="key").select("key").drop_nulls()
        queries.append(long.group_by("key").agg(pl.len().cast(pl.Int64).alias("n")))
    elif per_row:
        queries.append(
            pl.concat(
                [
                    native.select(code.alias("key"))
                    .drop_nulls()
                    .group_by("key")
                    .agg(pl.len().cast(pl.Int64).alias("n"))
                    for code in per_row
                ]
            )
        )
    if by_value:
        queries.append(
            pl.concat(
                [
                    native.select(pl.col(c.name).cast(pl.Float64).alias("value"))
                    .drop_nulls()
                    .group_by("value")
                    .agg(pl.len().cast(pl.Int64).alias("n"))
                    .select(pl.lit(c.index).alias("index"), "value", "n")
                    for c in by_value
                ]
            )
        )
    if not queries:
        return out
    done = pl.collect_all(queries, engine=ENGINE)
    counted = [done[0]] if per_row else []
    if by_value:
        values = done[-1]
        for c in by_value:
            mine = values.filter(pl.col("index") == c.index)
            quantile, distinct = _codes(c, pl.col("value"), alpha, precision)
            counted.append(
                mine.group_by(quantile.alias("key")).agg(pl.col("n").sum()).select("key", "n")
            )
            counted.append(mine.select(distinct.alias("key"), "n").unique("key"))
    for key, n in pl.concat(counted).iter_rows():
        index, low = divmod(key, COLUMN)
        if HLL <= low < HLL + (1 << (precision + hashing.RANK_BITS)):
            out[f"{LIST}h{index}"].append(low - HLL)
        else:
            out[f"{LIST}q{index}"].append({"key": key, "n": n})
    return out


def _labelled(
    native: Any, columns: list[Column], capacity: int, precision: int, *, columnar: bool = True
) -> dict[str, Any]:
    """The string and boolean columns' reductions of :func:`.polars_plan.labels` (``__pt``,
    ``__pz``, ``__pr`` per column), from one streaming ``group_by`` of (column, value)."""
    import polars as pl

    labels = [c for c in columns if c.kind in (STRING, BOOLEAN)]
    if not labels:
        return {}
    if columnar:
        # one group_by per column, concatenated (cheaper than one over an unpivot of them all)
        query = pl.concat(
            [
                native.select(pl.col(c.name).cast(pl.String).alias("value"))
                .drop_nulls()
                .group_by("value")
                .agg(pl.len().alias("n"))
                .select(pl.lit(str(c.index)).alias("var"), "value", "n")
                for c in labels
            ]
        )
    else:
        query = (
            native.select([pl.col(c.name).cast(pl.String).alias(str(c.index)) for c in labels])
            .unpivot(variable_name="var", value_name="value")
            .drop_nulls("value")
            .group_by("var", "value")
            .agg(pl.len().alias("n"))
        )
    counts = query.collect(engine=ENGINE)
    by_column = {
        var: frame.select(pl.struct("value", "n").implode()).item()
        for (var,), frame in counts.group_by("var")
    }
    value_type = pl.List(pl.Struct({"value": pl.String, "n": counts.schema["n"]}))
    lists = pl.DataFrame(
        [
            pl.Series(
                f"{LIST}s{c.index}",
                [by_column.get(str(c.index), pl.Series([], dtype=value_type.inner))],
                dtype=value_type,
            )
            for c in labels
        ]
    )
    reduced = lists.select(polars_plan.labels(columns, capacity, precision))
    return dict(zip(reduced.columns, reduced.row(0), strict=True))
