"""API tokens: issue (shown once), list, revoke; and a password login that issues one."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query, Request, status

from scalegate.api.auth import Viewer, store_of
from scalegate.api.routers import API_PREFIX
from scalegate.api.schemas import LoginIn, RowId, TokenCreated, TokenIn
from scalegate.domain.token import TokenInfo
from scalegate.services import auth

router = APIRouter(prefix=API_PREFIX, tags=["tokens"])


def _days(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(days=value)


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(
    caller: Viewer, user: str | None = Query(None, description="[default: yours; admins: all]")
) -> list[TokenInfo]:
    """Tokens (never their secret): the caller's own, or anyone's for an admin."""
    return auth.list_tokens(caller.store, username=user, actor=caller.actor)


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(caller: Viewer, body: TokenIn) -> TokenCreated:
    """Issue a token for the caller (or, as an admin, for anyone). The text is shown once."""
    text, info = auth.create_token(
        caller.store,
        body.user or caller.actor,
        body.name,
        _days(body.expires_in_days),
        actor=caller.actor,
    )
    return TokenCreated(token=text, info=info.model_dump(mode="json"))


@router.delete("/tokens/{token_id}", response_model=TokenInfo)
def revoke_token(caller: Viewer, token_id: RowId) -> TokenInfo:
    """Revoke a token at once (its owner or an admin)."""
    return auth.revoke_token(caller.store, token_id, actor=caller.actor)


@router.post("/login", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def login(request: Request, body: LoginIn) -> TokenCreated:
    """Exchange a username and password for a short-lived token (default one day).
    Failed attempts are audited as ``auth.login_failed``."""
    store = store_of(request)
    user = auth.verify_password(store, body.username, body.password)
    text, info = auth.create_token(
        store, user.username, body.name, _days(body.expires_in_days), actor=user.username
    )
    return TokenCreated(token=text, info=info.model_dump(mode="json"))
