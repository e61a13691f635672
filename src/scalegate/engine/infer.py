"""A starter contract inferred from the profile of a known-good sample.

:func:`infer` turns a :class:`~scalegate.engine.profile_model.DatasetProfile` into a contract
mapping that the same sample passes. The choices, all from the profile (no second pass):

- ``type``: the column's logical type (integers, floats, text, booleans, dates, timestamps,
  categoricals); none for other types or an all-null column of unknown type.
- ``not_null``: plain when the sample has no nulls; with ``max_fraction`` =
  :data:`NULL_SLACK` times the observed fraction (rounded up to 0.01 %) when it has some;
  none when every value is null.
- ``between``: the observed finite min and max of number, date and timestamp columns. NaN
  and infinities fail ``between``; a sample holding some gets a ``threshold`` that allows
  :data:`NULL_SLACK` times their fraction.
- ``length``: the observed shortest and longest text.
- ``in_set``: text columns whose values are known completely (the top-values sketch holds
  every value and the distinct count is exact) with at most :data:`IN_SET_MAX` distinct
  values, each seen at least twice on average (so an id-like column is not frozen).
- ``unique``: when the exact distinct count equals the number of values (text columns;
  number columns only have an estimate, so they get a comment suggesting ``unique``).
- ``row_count``: ``min`` = :data:`ROW_COUNT_FRACTION` of the sample's rows (rounded down, at
  least 1): later batches may be smaller, but an empty or truncated one should fail.
- ``freshness``: a comment suggesting it for each date or timestamp column, since the age a
  batch may have depends on how often it arrives, which a sample does not tell.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scalegate.engine.frames import read_error, to_lazy
from scalegate.engine.profile_model import NUMERIC, STRING, TEMPORAL, ColumnProfile, DatasetProfile
from scalegate.errors import ScalegateError, ValidationError

#: ``row_count`` ``min`` as a fraction of the sample's rows
ROW_COUNT_FRACTION = 0.5
#: most distinct values an ``in_set`` rule lists
IN_SET_MAX = 20
#: allowance above an observed fraction of nulls (or NaN and infinities)
NULL_SLACK = 1.2

_TYPES = {
    "Int8": "integer",
    "Int16": "integer",
    "Int32": "integer",
    "Int64": "integer",
    "Int128": "integer",
    "UInt8": "integer",
    "UInt16": "integer",
    "UInt32": "integer",
    "UInt64": "integer",
    "UInt128": "integer",
    "Float32": "float",
    "Float64": "float",
    "Decimal": "float",
    "String": "string",
    "Boolean": "boolean",
    "Date": "date",
    "Datetime": "datetime",
    "Categorical": "categorical",
    "Enum": "categorical",
}


@dataclass(frozen=True)
class Inferred:
    """An inferred contract mapping and the comment lines to put on top of it."""

    contract: dict[str, Any]
    header: list[str] = field(default_factory=list)


def column_type(dtype: str) -> str | None:
    """The contract type of a profile's dtype text (``'Datetime(time_unit=...)'``)."""
    return _TYPES.get(re.split(r"[(\[]", dtype, maxsplit=1)[0].strip())


def loose(fraction: float) -> float:
    """A fraction a bit above ``fraction``: :data:`NULL_SLACK` times it, rounded up to 1e-4."""
    return min(1.0, math.ceil(fraction * NULL_SLACK * 10_000) / 10_000)


def _rules(col: ColumnProfile, rows: int, kind: str | None) -> tuple[list[Any], list[str]]:
    rules: list[Any] = []
    notes: list[str] = []
    if rows == 0:
        return rules, notes
    if col.count == 0:
        notes.append(f"'{col.name}' is null in every row of the sample: no rules inferred")
        return rules, notes
    if col.nulls == 0:
        rules.append("not_null")
    else:
        rules.append({"not_null": {"max_fraction": loose(col.nulls / rows)}})

    ranged = col.kind == NUMERIC or (col.kind == TEMPORAL and kind in ("date", "datetime"))
    if ranged and col.min is not None and col.max is not None:
        entry: dict[str, Any] = {"between": {"min": col.min, "max": col.max}}
        bad = col.nan + col.infinities
        if bad:
            entry["threshold"] = round(1.0 - loose(bad / rows), 6)
        rules.append(entry)

    if col.kind == STRING:
        if col.min_length is not None and col.max_length is not None:
            rules.append({"length": {"min": col.min_length, "max": col.max_length}})
        exact = col.distinct.exact if col.distinct is not None else None
        if exact is not None and exact == col.count and col.count > 1:
            rules.append("unique")
        elif (
            exact is not None
            and col.top is not None
            and col.top.complete
            and 0 < exact <= IN_SET_MAX
            and exact * 2 <= col.count
        ):
            values = sorted(col.top.counts)
            rules.append({"in_set": {"values": values}})
    elif col.kind == NUMERIC and kind == "integer" and col.distinct is not None and col.count > 1:
        estimate = col.distinct_count or 0
        if estimate >= col.count * (1 - 3 * col.distinct.relative_error):
            notes.append(
                f"'{col.name}' has about {estimate:,} distinct values in {col.count:,}: "
                "if it is a key, add '- unique' to its rules"
            )
    return rules, notes


def infer(profile: DatasetProfile, *, name: str = "inferred", source: str = "") -> Inferred:
    """A starter contract that ``profile``'s sample passes (see the module docstring).

    Example:
        >>> import polars as pl
        >>> from scalegate.engine.profile import profile as profile_of
        >>> p = profile_of(pl.DataFrame({"age": [30, 41, 52, 63]}))
        >>> infer(p, name="people").contract["columns"]["age"]
        {'type': 'integer', 'rules': ['not_null', {'between': {'min': 30, 'max': 63}}]}
    """
    if not profile.columns:
        raise ValidationError(f"{source or 'the sample'}: has no columns; nothing to infer")
    rows = profile.row_count
    header = [
        f"Starter contract inferred by `scalegate contract infer` from {source or 'a sample'}: "
        f"{rows:,} rows, {len(profile.columns)} columns.",
        "Review every rule before relying on it: bounds and value lists are what this one "
        "sample held, not what the data must hold.",
        f"row_count min is {ROW_COUNT_FRACTION:g} of the sample's rows; not_null allows "
        f"{NULL_SLACK:g}x the sample's null fraction where it had nulls; in_set lists text "
        f"values when there are at most {IN_SET_MAX}, each seen twice on average.",
    ]
    notes: list[str] = []
    if rows == 0:
        notes.append("the sample is empty: only column types were inferred")
    columns: dict[str, Any] = {}
    fresh: list[str] = []
    for col in profile.columns:
        kind = column_type(col.dtype)
        rules, col_notes = _rules(col, rows, kind)
        notes.extend(col_notes)
        spec: dict[str, Any] = {}
        if kind is not None:
            spec["type"] = kind
        if rules:
            spec["rules"] = rules
        columns[col.name] = spec
        if kind in ("date", "datetime") and col.max is not None:
            fresh.append(col.name)
    contract: dict[str, Any] = {"contract": name, "version": "1"}
    if rows > 0:
        minimum = max(1, math.floor(rows * ROW_COUNT_FRACTION))
        contract["dataset"] = [{"row_count": {"min": minimum}}]
    contract["columns"] = columns
    if fresh:
        header.append(
            "Freshness is a choice of yours (how often batches arrive); to check it, add "
            "under dataset: one of"
        )
        header.extend(f"  - freshness: {{column: {n}, max_age: 24h}}" for n in fresh)
    header.extend(f"Note: {n}" for n in notes)
    wrapped = [part for line in header for part in _wrap(line)]
    return Inferred(contract, [*wrapped, ""])


def _wrap(line: str) -> list[str]:
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(line, 96, subsequent_indent=indent + "  ") or [line]


def profile_sample(data: Any) -> tuple[DatasetProfile, str]:
    """The profile of a sample (path or frame) and its description; unreadable data is a
    :class:`DataError` naming it."""
    from scalegate.engine.profile_query import compute
    from scalegate.engine.sketches.distinct import DEFAULT_PRECISION
    from scalegate.engine.sketches.frequent import DEFAULT_CAPACITY
    from scalegate.engine.sketches.quantiles import DEFAULT_ALPHA

    lf, src = to_lazy(data)
    try:
        found = compute(
            lf, alpha=DEFAULT_ALPHA, top_capacity=DEFAULT_CAPACITY, precision=DEFAULT_PRECISION
        )
    except ScalegateError:
        raise
    except Exception as exc:  # each backend raises its own kinds
        raise read_error(src, exc) from None
    return found, src.description


def contract_name(data: Any) -> str:
    """A contract name from a sample's path (its file or folder name), else ``inferred``."""
    if isinstance(data, str | Path):
        text = str(data)
        if not any(ch in text for ch in "*?["):
            stem = Path(text.rstrip("/")).stem
            if stem:
                return stem[:100]
    return "inferred"
