"""Policies: which criteria each gate asks for, per risk tier, and how long stages may last.

A policy is a YAML document. It is stored in versions; every gate decision records the
version it was evaluated with.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scalegate.domain.stage import GATES, Stage
from scalegate.domain.use_case import RiskTier

CRITERION_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
_ID_RE = re.compile(CRITERION_ID_PATTERN)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriterionSpec(_Spec):
    """One requirement of a gate, as written in the policy."""

    id: Annotated[str, Field(pattern=CRITERION_ID_PATTERN)]
    kind: Annotated[str, Field(min_length=1)]
    description: str = ""
    params: dict[str, Any] = {}
    #: if set, the criterion applies only to use cases in these risk tiers
    tiers: tuple[RiskTier, ...] | None = None
    #: per-tier parameter overrides, merged over ``params``
    by_tier: dict[RiskTier, dict[str, Any]] = {}

    def applies_to(self, tier: RiskTier) -> bool:
        return self.tiers is None or tier in self.tiers

    def params_for(self, tier: RiskTier) -> dict[str, Any]:
        merged = dict(self.params)
        merged.update(self.by_tier.get(tier, {}))
        return merged


class Policy(_Spec):
    """A whole policy document."""

    name: Annotated[str, Field(min_length=1, max_length=100)] = "default"
    description: str = ""
    #: a use case whose next gate fails for longer than this is stalled
    stall_after_days: Annotated[int, Field(ge=0)] = 30
    #: the longest a use case should stay in a stage (days); past it, the time box fails
    time_boxes: dict[Stage, Annotated[int, Field(gt=0)] | None] = {}
    gates: dict[Stage, tuple[CriterionSpec, ...]]

    @field_validator("gates")
    @classmethod
    def _gates(cls, v: dict[Stage, tuple[CriterionSpec, ...]]) -> Any:
        for gate, criteria in v.items():
            if gate not in GATES:
                allowed = ", ".join(g.value for g in GATES)
                raise ValueError(f"'{gate.value}' is not a gate; gates are {allowed}")
            ids = [c.id for c in criteria]
            dups = sorted({i for i in ids if ids.count(i) > 1})
            if dups:
                raise ValueError(f"gate '{gate.value}' lists criterion id '{dups[0]}' twice")
        return v

    @field_validator("time_boxes")
    @classmethod
    def _boxes(cls, v: dict[Stage, int | None]) -> Any:
        if Stage.RETIRED in v:
            raise ValueError("retired use cases have no time box")
        return v

    @model_validator(mode="after")
    def _some_gate(self) -> Policy:
        if not self.gates:
            raise ValueError("a policy needs at least one gate")
        return self

    def criteria(self, gate: Stage) -> tuple[CriterionSpec, ...]:
        return self.gates.get(gate, ())

    def time_box(self, stage: Stage) -> int | None:
        return self.time_boxes.get(stage)


def is_criterion_id(value: str) -> bool:
    return bool(_ID_RE.match(value))
