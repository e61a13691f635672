"""Users (admins manage them), the caller themself, and login passwords."""

from __future__ import annotations

from fastapi import APIRouter, status

from scalegate.api.auth import Admin, Viewer
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import PasswordIn, UserChanges, UserIn
from scalegate.domain.user import User
from scalegate.services import auth, users

router = APIRouter(prefix=API_PREFIX, tags=["users"])


@router.get("/me", response_model=User)
def me(caller: Viewer) -> User:
    """The user the token belongs to."""
    return caller.user


@router.get("/users", response_model=list[User])
def list_users(caller: Admin) -> list[User]:
    """Every user with role, domains and status."""
    return users.list_all(caller.store)


@router.post("/users", response_model=User, status_code=status.HTTP_201_CREATED)
def add_user(caller: Admin, body: UserIn) -> User:
    """Add a user."""
    return users.add(
        caller.store,
        body.username,
        role=body.role,
        domains=body.domains,
        display_name=body.display_name,
        email=body.email,
        actor=caller.actor,
    )


@router.patch("/users/{username}", response_model=User)
def edit_user(caller: Admin, username: str, body: UserChanges) -> User:
    """Change a user's role, domains, name, e-mail or status."""
    return users.edit(caller.store, username, actor=caller.actor, **body.model_dump())


@router.put("/users/{username}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(caller: Viewer, username: str, body: PasswordIn) -> None:
    """Set a login password: one's own, or anyone's as an admin."""
    auth.set_password(caller.store, username, body.password, actor=caller.actor)
