"""The data of a profile: :class:`DatasetProfile` and :class:`ColumnProfile`, how they
merge and how they read and write plain JSON. Computing one is in :mod:`.profile_query`;
the error bounds are listed in :mod:`scalegate.engine.profile`."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import narwhals as nw

from scalegate.engine.sketches.distinct import DistinctSketch
from scalegate.engine.sketches.frequent import TopValues
from scalegate.engine.sketches.moments import Moments
from scalegate.engine.sketches.quantiles import QuantileSketch
from scalegate.errors import ValidationError

#: version of the ``to_dict`` layout
FORMAT = 1

NUMERIC, STRING, BOOLEAN, TEMPORAL, OTHER = "numeric", "string", "boolean", "temporal", "other"

_T = TypeVar("_T")


class ProfileError(ValidationError):
    """Profiles that cannot be merged or read back."""

    code = "invalid_profile"


@dataclass(frozen=True)
class ColumnProfile:
    """Summary of one column. ``count`` is non-null values (NaN and infinities included);
    ``min`` and ``max`` are over finite values (strings: lexicographic)."""

    name: str
    dtype: str
    kind: str
    count: int = 0
    nulls: int = 0
    nan: int = 0
    pos_inf: int = 0
    neg_inf: int = 0
    min: Any = None
    max: Any = None
    min_length: int | None = None
    max_length: int | None = None
    moments: Moments | None = None
    quantiles: QuantileSketch | None = None
    distinct: DistinctSketch | None = None
    top: TopValues | None = None

    @property
    def infinities(self) -> int:
        return self.pos_inf + self.neg_inf

    @property
    def mean(self) -> float | None:
        """Mean of the finite values."""
        return self.moments.mean if self.moments and self.moments.count else None

    def variance(self, ddof: int = 1) -> float | None:
        """Variance of the finite values (``ddof=1``: sample variance)."""
        return self.moments.variance(ddof) if self.moments else None

    def std(self, ddof: int = 1) -> float | None:
        return self.moments.std(ddof) if self.moments else None

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile of the finite values, within relative error ``alpha``."""
        return self.quantiles.quantile(q) if self.quantiles else None

    @property
    def distinct_count(self) -> int | None:
        """Distinct non-null (finite, for floats) values: exact or HyperLogLog estimate."""
        if self.distinct is None:
            return None
        values = self.moments.count if self.moments is not None else self.count
        return min(self.distinct.estimate(), values)

    def top_values(self, k: int = 10) -> list[tuple[str, int]]:
        """The ``k`` most frequent values and their lower-bound counts (``top.error``)."""
        return self.top.top(k) if self.top else []

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """The profile of this column over both samples."""
        if self.kind != other.kind:
            if other.count == 0:
                return replace(self, nulls=self.nulls + other.nulls)
            if self.count == 0:
                return replace(other, nulls=self.nulls + other.nulls)
            raise ProfileError(
                f"column '{self.name}' is {self.dtype} in one profile and {other.dtype} in "
                "the other; profiles of the same dataset can be merged",
                field=self.name,
            )
        distinct = _both(self.distinct, other.distinct, DistinctSketch.merge)
        top = _both(self.top, other.top, TopValues.merge)
        if distinct and self.top and other.top and self.top.complete and other.top.complete:
            # both value lists are whole: the union is known exactly
            distinct = replace(distinct, exact=len({*self.top.counts, *other.top.counts}))
        moments = None
        if self.moments is not None and other.moments is not None:
            moments = self.moments.merge(other.moments)
        return ColumnProfile(
            name=self.name,
            dtype=_merge_dtype(self.dtype, other.dtype),
            kind=self.kind,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
            nan=self.nan + other.nan,
            pos_inf=self.pos_inf + other.pos_inf,
            neg_inf=self.neg_inf + other.neg_inf,
            min=_both(self.min, other.min, min),
            max=_both(self.max, other.max, max),
            min_length=_both(self.min_length, other.min_length, min),
            max_length=_both(self.max_length, other.max_length, max),
            moments=moments,
            quantiles=_both(self.quantiles, other.quantiles, QuantileSketch.merge),
            distinct=distinct,
            top=top,
        )

    def summary(self, *, top: int = 5) -> dict[str, Any]:
        """Plain numbers for reports: counts, moments, five quantiles, distinct, top values."""
        out: dict[str, Any] = {
            "dtype": self.dtype,
            "count": self.count,
            "nulls": self.nulls,
            "min": encode_scalar(self.min),
            "max": encode_scalar(self.max),
        }
        if self.kind == NUMERIC:
            out |= {"nan": self.nan, "infinities": self.infinities}
            out |= {"mean": self.mean, "std": self.std()}
            qs = (0.05, 0.25, 0.5, 0.75, 0.95)
            out["quantiles"] = {str(q): self.quantile(q) for q in qs}
        if self.distinct is not None:
            out["distinct"] = self.distinct_count
        if self.top is not None:
            out["top"] = [[value, count] for value, count in self.top_values(top)]
            out["top_error"] = self.top.error
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "kind": self.kind,
            "count": self.count,
            "nulls": self.nulls,
            "nan": self.nan,
            "pos_inf": self.pos_inf,
            "neg_inf": self.neg_inf,
            "min": encode_scalar(self.min),
            "max": encode_scalar(self.max),
            "min_length": self.min_length,
            "max_length": self.max_length,
            "moments": self.moments.to_dict() if self.moments else None,
            "quantiles": self.quantiles.to_dict() if self.quantiles else None,
            "distinct": self.distinct.to_dict() if self.distinct else None,
            "top": self.top.to_dict() if self.top else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        def part(key: str, reader: Any) -> Any:
            value = data.get(key)
            return None if value is None else reader(value)

        return cls(
            name=str(data["name"]),
            dtype=str(data["dtype"]),
            kind=str(data["kind"]),
            count=int(data["count"]),
            nulls=int(data["nulls"]),
            nan=int(data.get("nan", 0)),
            pos_inf=int(data.get("pos_inf", 0)),
            neg_inf=int(data.get("neg_inf", 0)),
            min=decode_scalar(data.get("min")),
            max=decode_scalar(data.get("max")),
            min_length=part("min_length", int),
            max_length=part("max_length", int),
            moments=part("moments", Moments.from_dict),
            quantiles=part("quantiles", QuantileSketch.from_dict),
            distinct=part("distinct", DistinctSketch.from_dict),
            top=part("top", TopValues.from_dict),
        )


@dataclass(frozen=True)
class DatasetProfile:
    """Row count and one :class:`ColumnProfile` per column, in the dataset's column order."""

    row_count: int
    columns: tuple[ColumnProfile, ...] = ()

    def __getitem__(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def __iter__(self) -> Iterator[ColumnProfile]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """See :func:`merge`."""
        return merge(self, other)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (no NaN, no infinity), read back by :meth:`from_dict`."""
        return {
            "format": FORMAT,
            "row_count": self.row_count,
            "columns": [column.to_dict() for column in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetProfile:
        if data.get("format") != FORMAT:
            raise ProfileError(
                f"unknown profile format {data.get('format')!r}; this scalegate reads format "
                f"{FORMAT}",
                value=data.get("format"),
            )
        try:
            columns = tuple(ColumnProfile.from_dict(c) for c in data["columns"])
            return cls(int(data["row_count"]), columns)
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"profile data is incomplete or malformed: {exc}") from None


def merge(a: DatasetProfile, b: DatasetProfile) -> DatasetProfile:
    """The profile of the union of two samples of the same dataset.

    Columns missing from one side count as all-null there. Counts, nulls, min and max are
    exact; the sketches keep the bounds stated in the module docstring.
    """
    names = a.names + [name for name in b.names if name not in set(a.names)]
    columns = []
    for name in names:
        left = _column_or_nulls(a, name, b)
        right = _column_or_nulls(b, name, a)
        columns.append(left.merge(right))
    return DatasetProfile(a.row_count + b.row_count, tuple(columns))


def merge_all(profiles: Iterable[DatasetProfile]) -> DatasetProfile:
    """Merge any number of profiles (an empty iterable gives an empty profile)."""
    result: DatasetProfile | None = None
    for item in profiles:
        result = item if result is None else merge(result, item)
    return result if result is not None else DatasetProfile(0, ())


def kind_of(dtype: Any) -> str:
    """The profile kind of a Narwhals dtype."""
    if dtype == nw.Boolean:
        return BOOLEAN
    if dtype.is_numeric():
        return NUMERIC
    if dtype.is_temporal():
        return TEMPORAL
    if dtype in (nw.String, nw.Categorical, nw.Enum):
        return STRING
    return OTHER


def _column_or_nulls(profile: DatasetProfile, name: str, other: DatasetProfile) -> ColumnProfile:
    try:
        return profile[name]
    except KeyError:
        template = other[name]
        return ColumnProfile(name, template.dtype, template.kind, nulls=profile.row_count)


def _both(a: _T | None, b: _T | None, combine: Any) -> _T | None:
    if a is None:
        return b
    if b is None:
        return a
    result: _T = combine(a, b)
    return result


def _merge_dtype(a: str, b: str) -> str:
    if a == b:
        return a
    return " | ".join(sorted(set(a.split(" | ")) | set(b.split(" | "))))


def encode_scalar(value: Any) -> Any:
    """A min or max as JSON: numbers and strings as they are, temporal values tagged."""
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"timedelta_us": value // dt.timedelta(microseconds=1)}
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def decode_scalar(value: Any) -> Any:
    """Inverse of :func:`encode_scalar`."""
    if not isinstance(value, dict):
        return value
    if "datetime" in value:
        return dt.datetime.fromisoformat(value["datetime"])
    if "date" in value:
        return dt.date.fromisoformat(value["date"])
    if "time" in value:
        return dt.time.fromisoformat(value["time"])
    if "timedelta_us" in value:
        return dt.timedelta(microseconds=value["timedelta_us"])
    raise ProfileError(f"unknown value encoding {value!r}")
