"""The most frequent values of a column, with an explicit bound on how wrong a count can be.

A profile keeps up to ``capacity`` values (100 by default) with counts, and reports the top
``k`` of them. The invariant, for every value ``v`` (listed or not, with ``counts[v] = 0``
when unlisted)::

    counts[v] <= true count of v <= counts[v] + error

- From one pass the engine counts every value exactly and returns the ``capacity + 1`` most
  frequent: listed counts are exact and ``error`` is the count of the first value left out
  (0 when all fit; then ``complete`` is true), which is at most ``n / (capacity + 1)``.
- Merging adds counts and errors, keeps the ``capacity`` largest, and adds the largest
  dropped count to ``error``. Each merge level adds at most ``n / (capacity + 1)``, so after
  ``d`` levels of merging ``error <= (d + 1) * n / (capacity + 1)``; the exact figure is
  carried in ``error`` and reported with the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: values kept per column
DEFAULT_CAPACITY = 100


def _ordered(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class TopValues:
    """Frequent values with lower-bound counts; see the module docstring for ``error``."""

    counts: Mapping[str, int] = field(default_factory=dict)
    error: int = 0
    complete: bool = True
    capacity: int = DEFAULT_CAPACITY

    @classmethod
    def from_ranked(
        cls, rows: Iterable[tuple[str, int]], *, distinct: int, capacity: int = DEFAULT_CAPACITY
    ) -> TopValues:
        """From the engine's ``capacity + 1`` most frequent ``(value, exact count)`` pairs."""
        ordered = _ordered(dict(rows))
        error = ordered[capacity][1] if len(ordered) > capacity else 0
        return cls(dict(ordered[:capacity]), error, distinct <= capacity, capacity)

    def top(self, k: int = 10) -> list[tuple[str, int]]:
        """The ``k`` most frequent values with their (lower-bound) counts."""
        return _ordered(self.counts)[:k]

    def bounds(self, value: str) -> tuple[int, int]:
        """Lowest and highest possible true count of ``value``."""
        low = self.counts.get(value, 0)
        return low, low + self.error

    def merge(self, other: TopValues) -> TopValues:
        """Frequent values of the union of both samples."""
        capacity = min(self.capacity, other.capacity)
        counts = dict(self.counts)
        for value, count in other.counts.items():
            counts[value] = counts.get(value, 0) + count
        error = self.error + other.error
        complete = self.complete and other.complete and len(counts) <= capacity
        ordered = _ordered(counts)
        if len(ordered) > capacity:
            error += ordered[capacity][1]
            ordered = ordered[:capacity]
        return TopValues(dict(ordered), error, complete, capacity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": [[value, count] for value, count in _ordered(self.counts)],
            "error": self.error,
            "complete": self.complete,
            "capacity": self.capacity,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TopValues:
        return cls(
            {str(value): int(count) for value, count in data["values"]},
            int(data["error"]),
            bool(data["complete"]),
            int(data["capacity"]),
        )
