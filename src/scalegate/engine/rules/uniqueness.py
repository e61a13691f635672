"""Uniqueness rules: ``unique`` on a column, ``unique {columns}`` on the dataset.

A failing row is one whose value (or key) occurs more than once, so two copies of a value
are two failing rows. Nulls are not compared: a null value, or a key with any null part,
never fails.
"""

from __future__ import annotations

from typing import Annotated

import narwhals as nw
from pydantic import Field

from scalegate.engine.rules.registry import (
    ANY_SCOPE,
    Params,
    RowCheck,
    RuleContext,
    RuleError,
    register,
)


class UniqueParams(Params):
    #: the key's columns (dataset rules); a column rule uses its own column
    columns: Annotated[tuple[str, ...], Field(min_length=1)] | None = None


@register(
    "unique",
    UniqueParams,
    scopes=ANY_SCOPE,
    summary="no value (column) or key (dataset, columns: [...]) occurs twice",
)
def unique(params: UniqueParams, ctx: RuleContext) -> RowCheck:
    if ctx.column is not None:
        if params.columns is not None:
            raise RuleError("a column's unique rule takes no columns; write it under dataset:")
        keys: tuple[str, ...] = (ctx.column,)
    elif params.columns is None:
        raise RuleError("a dataset unique rule needs columns: [...]")
    else:
        keys = params.columns
    for name in keys:
        ctx.dtype(name)
    complete = nw.all_horizontal(*(~nw.col(k).is_null() for k in keys), ignore_nulls=False)
    what = "duplicated" if len(keys) == 1 else f"with a duplicated key ({', '.join(keys)})"
    return RowCheck(complete & (nw.len().over(*keys) > 1), what, keys, duplicate_keys=keys)
