"""The criterion registry: the one place where criterion kinds are looked up.

Built-in kinds register here exactly like a plugin would. A kind has a short stable id (used
in policy YAML), a Pydantic model for its parameters, and a pure function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from scalegate.domain.decision import Verdict
from scalegate.domain.stage import Stage
from scalegate.gates.context import GateContext


class Params(BaseModel):
    """Base class of criterion parameters: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=Params)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a criterion function returns."""

    verdict: Verdict
    reason: str
    evidence: tuple[str, ...] = ()

    @classmethod
    def ok(cls, reason: str, *evidence: str) -> Outcome:
        return cls(Verdict.PASS, reason, evidence)

    @classmethod
    def fail(cls, reason: str, *evidence: str) -> Outcome:
        return cls(Verdict.FAIL, reason, evidence)

    @classmethod
    def na(cls, reason: str) -> Outcome:
        return cls(Verdict.NOT_APPLICABLE, reason)


CheckFn = Callable[[Any, GateContext, Stage], Outcome]


@dataclass(frozen=True, slots=True)
class Criterion(Generic[P]):
    kind: str
    params: type[P]
    check: Callable[[P, GateContext, Stage], Outcome]
    summary: str


CRITERIA: dict[str, Criterion[Any]] = {}


def register(
    kind: str, params: type[P], summary: str
) -> Callable[
    [Callable[[P, GateContext, Stage], Outcome]], Callable[[P, GateContext, Stage], Outcome]
]:
    """Register a criterion kind. Used by built-ins and plugins alike."""

    def deco(
        fn: Callable[[P, GateContext, Stage], Outcome],
    ) -> Callable[[P, GateContext, Stage], Outcome]:
        if kind in CRITERIA:
            raise ValueError(f"criterion kind '{kind}' is already registered")
        CRITERIA[kind] = Criterion(kind, params, fn, summary)
        return fn

    return deco
