"""Column types: backend dtypes (through Narwhals) mapped to a contract's logical types."""

from __future__ import annotations

from typing import Any

import narwhals as nw

from scalegate.domain.contract import ColumnType

#: what each logical type accepts besides itself
_ACCEPTS: dict[ColumnType, frozenset[ColumnType]] = {
    ColumnType.NUMBER: frozenset({ColumnType.INTEGER, ColumnType.FLOAT}),
    # a categorical column holds strings; pandas ``category`` and Polars ``Enum`` land here
    ColumnType.STRING: frozenset({ColumnType.CATEGORICAL}),
}


def column_type(dtype: Any) -> ColumnType | None:
    """The logical type of a Narwhals dtype, or None when no contract type describes it."""
    if dtype.is_integer():
        return ColumnType.INTEGER
    if dtype.is_float() or isinstance(dtype, nw.Decimal):
        return ColumnType.FLOAT
    if isinstance(dtype, nw.String):
        return ColumnType.STRING
    if isinstance(dtype, nw.Boolean):
        return ColumnType.BOOLEAN
    if isinstance(dtype, nw.Datetime):
        return ColumnType.DATETIME
    if isinstance(dtype, nw.Date):
        return ColumnType.DATE
    if isinstance(dtype, nw.Categorical | nw.Enum):
        return ColumnType.CATEGORICAL
    return None


def satisfies(actual: ColumnType | None, expected: ColumnType) -> bool:
    """Whether a column of logical type ``actual`` meets a contract's ``type: expected``."""
    if actual is None:
        return False
    return actual == expected or actual in _ACCEPTS.get(expected, frozenset())


def is_numeric(dtype: Any) -> bool:
    return column_type(dtype) in (ColumnType.INTEGER, ColumnType.FLOAT)


def is_textual(dtype: Any) -> bool:
    return column_type(dtype) in (ColumnType.STRING, ColumnType.CATEGORICAL)


def show(value: Any) -> str:
    """A parameter value as it reads in a reason line: 18, 0.5, 'a'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)
