"""Who is calling: bearer tokens resolved to users, and the least role each route needs.

Every route under ``/api/v1`` depends on exactly one of :data:`viewer`, :data:`contributor`,
:data:`approver` or :data:`admin`. The dependency authenticates the token (401 if missing,
unknown, expired or revoked) and refuses callers below the route's role (403) before the
request body is read. Services enforce the finer rules (approval domains, separation of
duties, admins for others' tokens) with the caller's username as ``actor``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from scalegate.domain.user import Role, User
from scalegate.errors import AuthenticationError
from scalegate.services import auth
from scalegate.services.access import require_role
from scalegate.settings import Settings
from scalegate.store import Store

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="sg_ token",
    description="An API token from 'scalegate token create' "
    "(sent as 'Authorization: Bearer sg_...')",
)


@dataclass(frozen=True)
class Caller:
    """The authenticated user of one request, with the store and settings to act on."""

    user: User
    store: Store
    settings: Settings

    @property
    def actor(self) -> str:
        return self.user.username


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _needs(role: Role) -> Callable[..., Caller]:
    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None:
            raise AuthenticationError(
                "missing API token: send 'Authorization: Bearer sg_...'; "
                "'scalegate token create' issues one"
            )
        store = store_of(request)
        user = auth.authenticate_token(store, credentials.credentials)
        request.state.user = user.username
        require_role(user, role, doing=f"{request.method} {request.url.path}")
        return Caller(user, store, request.app.state.settings)

    dependency.__name__ = f"needs_{role.value}"
    dependency.min_role = role  # type: ignore[attr-defined]
    return dependency


#: route dependencies: the least role a route needs
viewer = _needs(Role.VIEWER)
contributor = _needs(Role.CONTRIBUTOR)
approver = _needs(Role.APPROVER)
admin = _needs(Role.ADMIN)

Viewer = Annotated[Caller, Depends(viewer)]
Contributor = Annotated[Caller, Depends(contributor)]
Approver = Annotated[Caller, Depends(approver)]
Admin = Annotated[Caller, Depends(admin)]


def min_role(dependency: object) -> Role | None:
    """The role a route dependency stands for (None for other dependencies)."""
    role = getattr(dependency, "min_role", None)
    return role if isinstance(role, Role) else None
