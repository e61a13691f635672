"""Where SQL engines (Spark, DuckDB, ...) need a query shaped differently than Polars.

Polars evaluates any expression anywhere: a window such as ``nw.len().over("id")`` may sit
inside a ``sum`` or a ``filter``. SQL engines allow window functions only in a projection,
so on them every row rule's failure flag is first computed as a column of its own (one
``with_columns``, still one query plan) and the aggregates and example filters then read
that column. Polars frames are left exactly as they are.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import narwhals as nw

from scalegate.engine.rules.registry import Plan, RowCheck

_FLAG = "__scalegate_fails_"


def is_polars(frame: nw.LazyFrame[Any]) -> bool:
    """Whether ``frame`` runs on Polars (every other engine gets the SQL-shaped queries)."""
    return frame.implementation is nw.Implementation.POLARS


def flag_rows(frame: nw.LazyFrame[Any], plans: list[Plan]) -> tuple[nw.LazyFrame[Any], list[Plan]]:
    """``frame`` with a failure-flag column per row rule, and the plans reading those columns.

    On Polars both come back unchanged. A rule whose flag the engine rejects on its own keeps
    its expression, so that it fails (and is reported) alone when the rules are computed.
    """
    flags = {
        f"{_FLAG}{i}": plan.fails for i, plan in enumerate(plans) if isinstance(plan, RowCheck)
    }
    if is_polars(frame) or not flags:
        return frame, plans
    try:
        flagged = frame.with_columns(**flags)
    except Exception:  # the engine refused one of them while planning: find out which
        flagged, kept = frame, {}
        for name, expr in flags.items():
            try:
                flagged = flagged.with_columns(**{name: expr})
                kept[name] = expr
            except Exception:
                continue
        flags = kept
    out: list[Plan] = []
    for i, plan in enumerate(plans):
        name = f"{_FLAG}{i}"
        if isinstance(plan, RowCheck) and name in flags:
            plan = replace(plan, fails=nw.col(name))
        out.append(plan)
    return flagged, out
