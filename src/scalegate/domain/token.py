"""API tokens as the rest of scalegate sees them: never the secret, only its display prefix."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TokenInfo(BaseModel):
    """An API token's record. ``prefix`` (``sg_`` + 6 characters) identifies it in lists."""

    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked`` at ``now`` (an aware datetime)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
