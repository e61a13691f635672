"""Results of evaluating a gate: one verdict and reason per criterion."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

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


class CriterionResult(BaseModel):
    """The verdict of one criterion, with a human reason and the evidence used."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    verdict: Verdict
    reason: str
    description: str = ""
    evidence: tuple[str, ...] = ()
    #: when the verdict is ``waived``: the reason it would otherwise have failed
    waived_failure: str | None = None


class GateDecision(BaseModel):
    """Everything a gate evaluation found. Immutable; rendering lives elsewhere."""

    model_config = ConfigDict(frozen=True)

    use_case: str
    gate: Stage
    stage: Stage
    policy_name: str
    policy_version: int
    evaluated_at: datetime
    results: tuple[CriterionResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.verdict.clears for r in self.results)

    @property
    def blockers(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.verdict is Verdict.FAIL)

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["passed"] = self.passed
        return data
