"""Results of evaluating a gate: one verdict and reason per criterion.

Plain frozen dataclasses rather than Pydantic models: the portfolio builds tens of thousands
of them per call and they are never parsed from user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from scalegate.domain.stage import Stage


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"

    @property
    def clears(self) -> bool:
        """Whether this verdict lets a promotion through."""
        return self is not Verdict.FAIL


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The verdict of one criterion, with a human reason and the evidence used."""

    id: str
    kind: str
    verdict: Verdict
    reason: str
    description: str = ""
    evidence: tuple[str, ...] = ()
    #: when the verdict is ``waived``: the reason it would otherwise have failed
    waived_failure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "description": self.description,
            "evidence": list(self.evidence),
            "waived_failure": self.waived_failure,
        }


@dataclass(frozen=True, slots=True)
class GateDecision:
    """Everything a gate evaluation found. Immutable; rendering lives elsewhere."""

    use_case: str
    gate: Stage
    stage: Stage
    policy_name: str
    policy_version: int
    evaluated_at: datetime
    results: tuple[CriterionResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.verdict is not Verdict.FAIL for r in self.results)

    @property
    def blockers(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.verdict is Verdict.FAIL)

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case,
            "gate": self.gate.value,
            "stage": self.stage.value,
            "policy_name": self.policy_name,
            "policy_version": self.policy_version,
            "evaluated_at": self.evaluated_at.isoformat(),
            "results": [r.to_dict() for r in self.results],
            "passed": self.passed,
        }
