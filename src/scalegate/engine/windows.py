"""Time windows and column checks shared by the performance metrics and their estimation.

A window is a period string ``<n><unit>``: ``h`` (hours), ``d`` (days), ``w`` (weeks starting
on Monday; only ``1w``), ``mo`` (calendar months), ``q`` (quarters) or ``y`` (years). A row
falls in the window that starts at its timestamp truncated to the period, computed inside the
input's engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import narwhals as nw

from scalegate.errors import ValidationError

_PERIOD = re.compile(r"^([1-9][0-9]*)(h|d|w|mo|q|y)$")
_UNITS = "h (hours), d (days), w (weeks from Monday), mo (months), q (quarters), y (years)"


class ColumnError(ValidationError):
    """A column the caller named is missing from the data or has an unusable type or value."""

    code = "invalid_column"

    @classmethod
    def missing(cls, name: str, role: str, columns: Sequence[str], source: str) -> ColumnError:
        shown = ", ".join(repr(c) for c in list(columns)[:30]) or "none"
        more = f" (and {len(columns) - 30} more)" if len(columns) > 30 else ""
        return cls(
            f"{source}: no column '{name}' (the {role}); its columns are {shown}{more}",
            column=name,
            field=role,
            source=source,
        )

    @classmethod
    def wrong(cls, name: str, role: str, problem: str, source: str) -> ColumnError:
        return cls(f"{source}: column '{name}' (the {role}) {problem}", column=name, field=role)


@dataclass(frozen=True)
class Period:
    """A window length: ``count`` units of ``unit`` (h, d, w, mo, q, y)."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``"1d"``, ``"6h"``, ``"1w"``, ``"1mo"``...; raises ValidationError otherwise."""
        match = _PERIOD.match(str(text).strip())
        if match is None:
            raise ValidationError(
                f"window '{text}': expected <number><unit> such as 1d, 1w or 1mo; "
                f"units are {_UNITS}",
                field="window",
                value=text,
            )
        count, unit = int(match.group(1)), match.group(2)
        if unit == "w" and count != 1:
            raise ValidationError(
                f"window '{text}': weeks are only supported as 1w; use days (e.g. 14d)",
                field="window",
                value=text,
            )
        return cls(count, unit)

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    def start(self, timestamp: nw.Expr) -> nw.Expr:
        """The start of the window each timestamp falls in (an engine expression)."""
        if self.unit != "w":
            return timestamp.dt.truncate(str(self))
        day = timestamp.dt.truncate("1d")
        weekday = timestamp.dt.weekday()  # Monday is 1
        monday: Any = nw.when(weekday == 1).then(day)
        for k in range(2, 8):
            monday = monday.when(weekday == k).then(day.dt.offset_by(f"-{k - 1}d"))
        result: nw.Expr = monday
        return result

    def end(self, start: datetime | date) -> datetime | date:
        """The (exclusive) end of the window that starts at ``start``."""
        if self.unit == "h":
            return start + timedelta(hours=self.count)
        if self.unit == "d":
            return start + timedelta(days=self.count)
        if self.unit == "w":
            return start + timedelta(weeks=1)
        months = {"mo": 1, "q": 3, "y": 12}[self.unit] * self.count
        index = start.year * 12 + start.month - 1 + months
        return start.replace(year=index // 12, month=index % 12 + 1)


def segments_of(segment: str | Sequence[str] | None) -> tuple[str, ...]:
    """The segment columns as a tuple (a single name may be given as a string)."""
    if segment is None:
        return ()
    if isinstance(segment, str):
        return (segment,)
    return tuple(segment)


def require(schema: Mapping[str, Any], columns: Mapping[str, str | None], source: str) -> None:
    """Every named column (role -> name) exists in ``schema``; else a ColumnError."""
    names = list(schema)
    for role, name in columns.items():
        if name is not None and name not in schema:
            raise ColumnError.missing(name, role, names, source)


def check_window(
    schema: Mapping[str, Any], window: str | None, timestamp: str | None, source: str
) -> Period | None:
    """The parsed window, after checking that window and timestamp come together."""
    if window is None and timestamp is None:
        return None
    if window is None or timestamp is None:
        raise ValidationError(
            "give both window (e.g. '1d') and timestamp (a column) to compute per time window",
            field="window" if window is None else "timestamp",
        )
    period = Period.parse(window)
    require(schema, {"timestamp": timestamp}, source)
    dtype = schema[timestamp]
    if dtype not in (nw.Datetime, nw.Date) and not isinstance(dtype, nw.Datetime):
        raise ColumnError.wrong(
            timestamp, "timestamp", f"is {dtype}, not a date or datetime column", source
        )
    return period


def is_number(dtype: Any) -> bool:
    """Whether a Narwhals dtype is numeric (integers, floats or decimals)."""
    return bool(dtype.is_numeric())


def usable(expr: nw.Expr, dtype: Any) -> nw.Expr:
    """True where a value is present: not null and, for floats, not NaN or infinite."""
    present = ~expr.is_null()
    if dtype.is_float():
        present = present & expr.is_finite()
    return present
