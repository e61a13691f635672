"""Freshness rules: ``freshness {column, max_age}`` on the dataset.

The newest value of a date or timestamp column must be at most ``max_age`` older than the
``now`` the check runs with. Naive timestamps are read as UTC; a date counts from midnight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import narwhals as nw
from pydantic import Field, field_validator

from scalegate.domain.contract import ColumnType
from scalegate.engine.rules.registry import (
    DATASET,
    AggregateCheck,
    Params,
    RuleContext,
    RuleError,
    Verdict,
    register,
)
from scalegate.engine.rules.types import column_type

_AGE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``'90m'``, ``'24h'``, ``'7d'`` as a timedelta."""
    m = _AGE.match(text)
    if not m:
        raise ValueError(
            f"max_age {text!r} is not a duration; write a number and a unit, "
            "e.g. 90m, 24h, 7d (units s, m, h, d, w)"
        )
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class FreshnessParams(Params):
    column: str = Field(min_length=1)
    max_age: str

    @field_validator("max_age", mode="before")
    @classmethod
    def _age(cls, v: Any) -> Any:
        if isinstance(v, str):
            parse_age(v)
        return v

    @property
    def age(self) -> timedelta:
        return parse_age(self.max_age)


def _as_utc(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _show_age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


@register(
    "freshness",
    FreshnessParams,
    scopes=DATASET,
    summary="the newest value of a timestamp column is at most max_age old",
)
def freshness(params: FreshnessParams, ctx: RuleContext) -> AggregateCheck:
    kind = column_type(ctx.dtype(params.column))
    if kind not in (ColumnType.DATETIME, ColumnType.DATE):
        raise RuleError(
            f"freshness needs a date or datetime column; '{params.column}' is "
            f"{ctx.dtype(params.column)}"
        )
    limit, now = params.age, _as_utc(ctx.now)

    def judge(values: Mapping[str, Any], rows: int) -> Verdict:
        newest = values["newest"]
        if newest is None:
            return Verdict(False, f"'{params.column}' holds no values", total=rows)
        age = now - _as_utc(newest)
        shown = newest.isoformat()
        if age > limit:
            return Verdict(
                False,
                f"newest '{params.column}' is {shown}, {_show_age(age)} old; "
                f"allowed {params.max_age}",
                failing=1,
                total=1,
            )
        return Verdict(True, f"newest '{params.column}' is {shown}, {_show_age(age)} old", total=1)

    return AggregateCheck({"newest": nw.col(params.column).max()}, judge)
