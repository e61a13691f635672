"""Who is acting, and may they? Role checks shared by every service."""

from __future__ import annotations

from sqlalchemy import Connection

from scalegate.domain.user import Role, User
from scalegate.errors import PermissionDeniedError, ValidationError
from scalegate.store import repositories as repo


def require(conn: Connection, actor: str | None, role: Role, *, doing: str) -> User:
    """The acting user, provided they exist, are active and hold at least ``role``."""
    if not actor:
        raise ValidationError(
            f"{doing} needs to know who is acting: pass --as USER or set SCALEGATE_USER",
            field="actor",
        )
    user = repo.get_user(conn, actor)
    if user is None:
        raise PermissionDeniedError(
            f"unknown user '{actor}'; an admin adds users with 'scalegate user add'",
            actor=actor,
        )
    if not user.active:
        raise PermissionDeniedError(f"user '{actor}' is deactivated", actor=actor)
    return require_role(user, role, doing=doing)


def require_role(user: User, role: Role, *, doing: str) -> User:
    """``user``, provided they hold at least ``role``; otherwise PermissionDeniedError naming
    what they were ``doing``, the role needed and theirs. The one role check of the
    services, the API and the web pages."""
    if not user.role.allows(role):
        raise PermissionDeniedError(
            f"{doing} needs the {role.value} role; '{user.username}' is a {user.role.value}",
            actor=user.username,
            needed=role.value,
        )
    return user
