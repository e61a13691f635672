"""The use case and its charter."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scalegate.domain.stage import Stage

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$"
_SLUG_RE = re.compile(SLUG_PATTERN)


class RiskTier(StrEnum):
    """EU AI Act style risk tiers."""

    MINIMAL = "minimal"
    LIMITED = "limited"
    HIGH = "high"
    PROHIBITED = "prohibited"


class IntegrationMode(StrEnum):
    """How the model's output reaches the business system."""

    API = "api"
    BATCH = "batch"
    EMBEDDED_UI = "embedded_ui"
    REPORT = "report"


class Direction(StrEnum):
    """Which way a KPI should move."""

    INCREASE = "increase"
    DECREASE = "decrease"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class IntegrationTarget(_Model):
    """A business system the use case feeds, and how."""

    system: Annotated[str, Field(min_length=1, max_length=200)]
    mode: IntegrationMode
    description: str = ""


class Kpi(_Model):
    """A success measure with its baseline and target."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    unit: str = ""
    direction: Direction = Direction.INCREASE
    baseline: float | None = None
    target: float | None = None

    @property
    def measurable(self) -> bool:
        """Both baseline and target recorded."""
        return self.baseline is not None and self.target is not None


#: Charter fields a policy may require (``charter_complete`` criterion).
CHARTER_FIELDS: tuple[str, ...] = (
    "name",
    "purpose",
    "strategic_objective",
    "business_owner",
    "technical_owner",
    "departments",
    "integration_targets",
    "kpis",
    "tags",
)


class Charter(_Model):
    """What a user writes about a use case: everything except its lifecycle state.

    This is the shape of ``usecase add --file uc.yaml``.
    """

    slug: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    purpose: str = ""
    strategic_objective: str = ""
    business_owner: str | None = None
    technical_owner: str | None = None
    departments: tuple[str, ...] = ()
    integration_targets: tuple[IntegrationTarget, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    risk_tier: RiskTier = RiskTier.MINIMAL
    tags: tuple[str, ...] = ()

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG_RE.match(v):
            raise ValueError(
                "a slug is 2-64 lowercase letters, digits and hyphens, starting and ending "
                "with a letter or digit, e.g. 'claims-triage'"
            )
        return v

    @field_validator("business_owner", "technical_owner", mode="before")
    @classmethod
    def _blank_owner_is_none(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @field_validator("departments", "tags", mode="before")
    @classmethod
    def _one_string_is_a_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(p.strip() for p in v.split(",") if p.strip())
        return v

    @field_validator("kpis")
    @classmethod
    def _unique_kpi_names(cls, v: tuple[Kpi, ...]) -> tuple[Kpi, ...]:
        seen: set[str] = set()
        for k in v:
            if k.name in seen:
                raise ValueError(f"KPI '{k.name}' is listed twice")
            seen.add(k.name)
        return v


class UseCase(Charter):
    """A registered use case: charter plus lifecycle state."""

    id: int
    stage: Stage = Stage.IDEA
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    lessons_learned: str | None = None

    def charter(self) -> Charter:
        return Charter.model_validate(self.model_dump(include=set(Charter.model_fields)))

    def days_in_stage(self, now: datetime) -> float:
        return (now - self.stage_entered_at).total_seconds() / 86400.0


def is_slug(value: str) -> bool:
    return bool(_SLUG_RE.match(value))
