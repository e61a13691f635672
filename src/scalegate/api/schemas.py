"""Request and response bodies of the API that are not domain models themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from scalegate.domain.use_case import Charter
from scalegate.services.registry import UseCaseDocument

#: a row id in a path: bounded to what an Integer column holds on every backend
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

#: a JSON object whose shape the services document (decisions, reports, results)
JsonObject = dict[str, Any]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UseCaseIn(UseCaseDocument):
    """A charter; ``stage``/``stage_since`` register a use case already past ``idea``
    (admins only)."""


class UseCaseChanges(_Body):
    """Charter fields to change; omitted fields stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=200)
    purpose: str | None = None
    strategic_objective: str | None = None
    business_owner: str | None = None
    technical_owner: str | None = None
    departments: list[str] | None = None
    integration_targets: list[dict[str, Any]] | None = None
    kpis: list[dict[str, Any]] | None = None
    risk_tier: str | None = None
    tags: list[str] | None = None


class RetireIn(_Body):
    lessons: str = Field(min_length=1, max_length=20_000, description="Lessons learned")


class PromoteIn(_Body):
    to: str = Field(description="Target stage: pilot | production | scaled")
    note: str = Field("", max_length=5_000)


class PromoteOut(BaseModel):
    promoted: bool
    stage: str
    request_opened: bool
    decision: JsonObject


class ApproveIn(_Body):
    gate: str = Field(description="Gate being approved: pilot | production | scaled")
    domain: str = Field(description="Approval domain, e.g. risk, business, data")
    note: str = Field("", max_length=5_000)


class WaiveIn(_Body):
    gate: str
    criterion: str = Field(description="Criterion id in the policy, e.g. time-box")
    justification: str = Field(max_length=5_000)
    expires: datetime = Field(description="Expiry (ISO date-time), at most 365 days ahead")


class EvidenceIn(_Body):
    kind: str = Field(description="Evidence kind, e.g. model_card, pen_test")
    status: str = Field(description="pass | fail | warn | info")
    summary: str = Field("", max_length=2_000)
    payload: JsonObject = Field(default_factory=dict)
    at: datetime | None = Field(None, description="When it was produced [default: now]")
    subject: str | None = Field(None, max_length=200)


class PolicyIn(_Body):
    document: str = Field(description="The policy YAML text", max_length=1_000_000)
    source: str = Field("request body", max_length=200, description="Name used in errors")


class PolicyOut(BaseModel):
    version: int
    name: str
    document: str


class CheckResultIn(_Body):
    """A check run computed elsewhere: the JSON of ``scalegate check --json``."""

    result: JsonObject


class FairnessReportIn(_Body):
    """A fairness report computed elsewhere: the JSON of ``scalegate fairness --json``."""

    report: JsonObject


class RuleIn(_Body):
    monitor: str = Field("default", max_length=64)
    name: str | None = Field(None, max_length=64)
    metric: str = Field(max_length=100)
    op: str = Field(description="<, <=, >, >=")
    threshold: float
    windows: int = Field(1, ge=1, le=1000)
    webhook: str | None = Field(None, max_length=2000)


class UserIn(_Body):
    username: str
    role: str = "contributor"
    domains: list[str] = Field(default_factory=list)
    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=200)


class UserChanges(_Body):
    role: str | None = None
    domains: list[str] | None = None
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=200)
    active: bool | None = None


class PasswordIn(_Body):
    password: str = Field(max_length=1024)


class TokenIn(_Body):
    user: str | None = Field(None, description="Whose token [default: the caller]")
    name: str = Field("api", max_length=100)
    expires_in_days: float | None = Field(
        90, gt=0, le=3650, description="Lifetime in days; null for a token that never expires"
    )


class TokenCreated(BaseModel):
    token: str = Field(description="The token text: shown once, never stored")
    info: JsonObject


class LoginIn(_Body):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    name: str = Field("login", max_length=100)
    expires_in_days: float = Field(1, gt=0, le=30)


class Health(BaseModel):
    status: str
    schema_revision: str | None


__all__ = ["Charter", "JsonObject"]


class ObjectiveIn(_Body):
    slug: str = Field(description="Short id, e.g. faster-claims")
    name: str = Field(min_length=1, max_length=200)
    sponsor: str = Field("", max_length=200, description="Free text: a name or a role")
    outcome: str = Field("", max_length=4_000, description="The intended business outcome")


class ObjectiveChanges(_Body):
    """Objective fields to change; omitted fields stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=200)
    sponsor: str | None = Field(None, max_length=200)
    outcome: str | None = Field(None, max_length=4_000)


class LinkIn(_Body):
    use_cases: list[str] = Field(min_length=1, max_length=1_000, description="Use case slugs")


class KpiIn(_Body):
    kpi: str = Field(min_length=1, max_length=200, description="KPI name as in the charter")
    #: a number (text that reads as one is accepted); the service rejects the rest with
    #: the same message the CLI and the local SDK give
    value: float | str = Field(description="The measured value, a finite number")
    at: datetime | None = Field(None, description="When it was measured [default: now]")
    unit: str | None = Field(None, max_length=100, description="Must be the KPI's unit")
