"""What a check run produces: immutable results, JSON-able through ``to_dict``.

Failing data is a result, not an exception. Results never hold NaN: fractions of an empty
dataset are 0, and NaN or infinite example values are kept as the text ``'NaN'``/``'inf'``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from scalegate.domain.contract import Severity

if TYPE_CHECKING:
    from scalegate.engine.profile_model import DatasetProfile


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    #: not evaluated: the rule's optional column is absent, or its required one is missing
    SKIPPED = "skipped"
    #: could not be evaluated on this data (wrong column type, unknown column, engine error)
    ERROR = "error"


def plain(value: Any) -> Any:
    """A value as JSON can hold it: finite numbers, text, lists and mappings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value).replace("nan", "NaN")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return plain(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def example(value: Any) -> Any:
    """An example value as results keep it: NaN and infinities become text."""
    if isinstance(value, float) and not math.isfinite(value):
        return plain(value)
    if isinstance(value, dict):
        return {k: example(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one rule (or of a column's type or presence) on one dataset."""

    id: str
    rule: str
    column: str | None
    severity: Severity
    status: Status
    failing: int = 0
    total: int = 0
    fraction: float = 0.0
    threshold: float = 1.0
    examples: tuple[Any, ...] = ()
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Passed or skipped."""
        return self.status in (Status.PASS, Status.SKIPPED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "column": self.column,
            "severity": self.severity.value,
            "status": self.status.value,
            "failing": self.failing,
            "total": self.total,
            "fraction": self.fraction,
            "threshold": self.threshold,
            "examples": [plain(v) for v in self.examples],
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A contract run against one dataset."""

    contract: str
    version: str
    source: str
    backend: str
    rows: int
    columns: int
    results: tuple[RuleResult, ...]
    schema: dict[str, str]
    started: datetime
    finished: datetime
    #: the dataset's mergeable profile, computed in the same run (None if not asked for)
    profile: DatasetProfile | None = None

    @property
    def passed(self) -> bool:
        """Every ``error``-severity rule passed or was skipped."""
        return not self.failed

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        """``error``-severity results that failed or could not be evaluated."""
        return tuple(r for r in self.results if r.severity == Severity.ERROR and not r.ok)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        """``warn``-severity results that failed or could not be evaluated."""
        return tuple(r for r in self.results if r.severity == Severity.WARN and not r.ok)

    def result(self, rule_id: str) -> RuleResult:
        """The result with this id."""
        for r in self.results:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def to_dict(self) -> dict[str, Any]:
        counts = {s.value: 0 for s in Status}
        for r in self.results:
            counts[r.status.value] += 1
        return {
            "contract": self.contract,
            "version": self.version,
            "source": self.source,
            "backend": self.backend,
            "rows": self.rows,
            "columns": self.columns,
            "passed": self.passed,
            "summary": {
                **counts,
                "failed": len(self.failed),
                "warnings": len(self.warnings),
            },
            "schema": dict(self.schema),
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "results": [r.to_dict() for r in self.results],
            "profile": None if self.profile is None else self.profile.to_dict(),
        }
