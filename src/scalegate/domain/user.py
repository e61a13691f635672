"""People, roles and approval domains."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"
DOMAIN_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
_DOMAIN_RE = re.compile(DOMAIN_PATTERN)
_USERNAME_RE = re.compile(USERNAME_PATTERN)

#: Approval domains known out of the box. A policy may name others; users then carry them.
DEFAULT_DOMAINS: tuple[str, ...] = ("business", "risk", "data", "security", "executive")


class Role(StrEnum):
    """What a user may do. Each role includes the ones before it."""

    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 0, Role.CONTRIBUTOR: 1, Role.APPROVER: 2, Role.ADMIN: 3}


class User(BaseModel):
    """A person who acts in scalegate."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    username: str
    display_name: str = ""
    email: str = ""
    role: Role = Role.VIEWER
    domains: tuple[str, ...] = ()
    active: bool = True
    created_at: datetime | None = None

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not _USERNAME_RE.match(v):
            raise ValueError(
                "a username is 1-100 letters, digits and . _ @ -, starting with a letter or "
                "digit, e.g. 'rita' or 'rita.moreau@example.com'"
            )
        return v

    @field_validator("domains", mode="before")
    @classmethod
    def _domains(cls, v: object) -> object:
        if isinstance(v, str):
            v = [p for p in v.split(",") if p.strip()]
        if isinstance(v, list | tuple):
            out = []
            for d in v:
                d = str(d).strip().lower()
                if not _DOMAIN_RE.match(d):
                    raise ValueError(f"approval domain '{d}' must match {DOMAIN_PATTERN}")
                out.append(d)
            return tuple(sorted(set(out)))
        return v

    def can_approve(self, domain: str) -> bool:
        """Approvers approve in their own domains; admins in any domain."""
        if not self.active:
            return False
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.APPROVER and domain in self.domains
