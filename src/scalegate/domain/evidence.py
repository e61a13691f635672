"""Evidence, approvals, waivers and promotion requests: the records gates read."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from scalegate.domain.stage import Stage


class EvidenceStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    INFO = "info"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Record):
    """An immutable typed record attached to a use case.

    ``kind`` is a short stable id (``data_check``, ``model_card``, ``drift_report``...).
    Later features add kinds without touching the gate engine.
    """

    id: int
    use_case_id: int
    kind: str
    #: what the record is about within its kind, e.g. the contract a ``data_check`` ran
    subject: str | None = None
    status: EvidenceStatus
    summary: str = ""
    payload: dict[str, Any] = {}
    created_at: datetime
    created_by: str

    @property
    def ref(self) -> str:
        return f"ev-{self.id}"


class Approval(_Record):
    """A sign-off by one approval domain for one gate."""

    id: int
    use_case_id: int
    gate: Stage
    domain: str
    approver: str
    note: str = ""
    created_at: datetime
    #: the stage the use case was in when approved; approvals expire on a stage change
    stage: Stage

    @property
    def ref(self) -> str:
        return f"ap-{self.id}"


class Waiver(_Record):
    """A deliberate exception to one criterion of one gate, with an expiry."""

    id: int
    use_case_id: int
    gate: Stage
    criterion: str
    justification: str
    approver: str
    expires_at: datetime
    created_at: datetime
    stage: Stage

    @property
    def ref(self) -> str:
        return f"wv-{self.id}"

    def active(self, now: datetime) -> bool:
        return self.expires_at > now


class PromotionRequest(_Record):
    """Someone asked to move a use case through a gate; approvers see it in their inbox."""

    id: int
    use_case_id: int
    gate: Stage
    requested_by: str
    created_at: datetime
    status: str = "open"  # open | done | withdrawn
