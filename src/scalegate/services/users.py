"""People and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pydantic
from sqlalchemy import Connection

from scalegate.domain import documents
from scalegate.domain.user import Role, User
from scalegate.errors import ConflictError, NotFoundError, UnknownChoiceError, ValidationError
from scalegate.services.access import require
from scalegate.services.clock import utcnow
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store.audit_log import append_event


def _role(value: str | Role) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise UnknownChoiceError.of("role", value, [r.value for r in Role]) from None


def _build(**fields: Any) -> User:
    try:
        return User.model_validate(fields)
    except pydantic.ValidationError as exc:
        raise documents.field_error(exc, what="user field") from None


def _audit_user(user: User) -> dict[str, Any]:
    return user.model_dump(mode="json", exclude={"created_at"})


def add(
    store: Store,
    username: str,
    *,
    role: str | Role = Role.VIEWER,
    domains: list[str] | tuple[str, ...] = (),
    display_name: str = "",
    email: str = "",
    actor: str | None,
    now: datetime | None = None,
) -> User:
    """Add a user. The very first user of a workspace must be an admin and needs no actor."""
    user = _build(
        username=username,
        role=_role(role),
        domains=list(domains),
        display_name=display_name,
        email=email,
    )
    if user.domains and user.role not in (Role.APPROVER, Role.ADMIN):
        raise ValidationError(
            f"approval domains only mean something for approvers and admins; "
            f"'{username}' is a {user.role.value}",
            field="domains",
        )
    with store.write() as conn:
        first = repo.count_users(conn) == 0
        if first:
            if user.role is not Role.ADMIN:
                raise ValidationError(
                    "the first user of a workspace must be an admin: add it with --role admin",
                    field="role",
                )
            acting = actor or user.username
        else:
            acting = require(conn, actor, Role.ADMIN, doing="adding a user").username
        if repo.get_user(conn, user.username) is not None:
            raise ConflictError(f"user '{user.username}' already exists", value=user.username)
        saved = repo.insert_user(conn, user, now or utcnow())
        append_event(
            conn,
            actor=acting,
            action="user.created",
            subject_type="user",
            subject_id=user.username,
            after=_audit_user(saved),
        )
    return saved


def edit(
    store: Store,
    username: str,
    *,
    role: str | Role | None = None,
    domains: list[str] | None = None,
    display_name: str | None = None,
    email: str | None = None,
    active: bool | None = None,
    actor: str | None,
) -> User:
    with store.write() as conn:
        require(conn, actor, Role.ADMIN, doing="changing a user")
        current = _get(conn, username)
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = _role(role)
        if domains is not None:
            changes["domains"] = list(domains)
        if display_name is not None:
            changes["display_name"] = display_name
        if email is not None:
            changes["email"] = email
        if active is not None:
            changes["active"] = active
        if not changes:
            raise ValidationError("nothing to change: give at least one field to edit")
        data = current.model_dump()
        data.update(changes)
        updated = _build(**data)
        if updated.domains and updated.role not in (Role.APPROVER, Role.ADMIN):
            raise ValidationError(
                f"'{username}' would be a {updated.role.value} with approval domains; "
                "clear them with --domains '' or make the user an approver",
                field="domains",
            )
        if current.role is Role.ADMIN and (updated.role is not Role.ADMIN or not updated.active):
            admins = [u for u in repo.list_users(conn) if u.role is Role.ADMIN and u.active]
            if len(admins) <= 1:
                raise ConflictError(f"'{username}' is the last active admin; add another first")
        repo.update_user(conn, updated)
        before = {k: v for k, v in _audit_user(current).items() if k in changes}
        after = {k: v for k, v in _audit_user(updated).items() if k in changes}
        append_event(
            conn,
            actor=actor or "",
            action="user.updated",
            subject_type="user",
            subject_id=username,
            before=before,
            after=after,
        )
    return updated


def _get(conn: Connection, username: str) -> User:
    user = repo.get_user(conn, username)
    if user is None:
        raise NotFoundError.named("user", username, hint="'scalegate user list' shows users")
    return user


def get(store: Store, username: str) -> User:
    with store.read() as conn:
        return _get(conn, username)


def list_all(store: Store) -> list[User]:
    with store.read() as conn:
        return repo.list_users(conn)
