"""Reading and writing API tokens and password hashes. Functions take a connection from
``Store.read()`` or ``Store.write()``; they never open transactions themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from scalegate.domain.token import TokenInfo
from scalegate.store import tables as t

_INFO_COLUMNS = [c for c in t.api_tokens.c if c.name != "token_hash"]


def _info(row: Any) -> TokenInfo:
    return TokenInfo.model_validate(dict(row._mapping))


def insert_token(
    conn: Connection,
    *,
    username: str,
    name: str,
    token_hash: str,
    prefix: str,
    created_at: datetime,
    created_by: str,
    expires_at: datetime | None,
) -> TokenInfo:
    result = conn.execute(
        insert(t.api_tokens).values(
            username=username,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            created_at=created_at,
            created_by=created_by,
            expires_at=expires_at,
        )
    )
    assert result.inserted_primary_key is not None
    info = get_token(conn, int(result.inserted_primary_key[0]))
    assert info is not None
    return info


def get_token(conn: Connection, token_id: int) -> TokenInfo | None:
    row = conn.execute(select(*_INFO_COLUMNS).where(t.api_tokens.c.id == token_id)).first()
    return _info(row) if row else None


def token_by_hash(conn: Connection, token_hash: str) -> TokenInfo | None:
    row = conn.execute(
        select(*_INFO_COLUMNS).where(t.api_tokens.c.token_hash == token_hash)
    ).first()
    return _info(row) if row else None


def list_tokens(conn: Connection, username: str | None = None) -> list[TokenInfo]:
    query = select(*_INFO_COLUMNS).order_by(t.api_tokens.c.id)
    if username is not None:
        query = query.where(t.api_tokens.c.username == username)
    return [_info(r) for r in conn.execute(query)]


def set_token_times(conn: Connection, token_id: int, **values: datetime) -> None:
    """Set ``revoked_at`` and/or ``last_used_at``."""
    conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(**values))


def password_hash(conn: Connection, username: str) -> str | None:
    return conn.execute(
        select(t.users.c.password_hash).where(t.users.c.username == username)
    ).scalar_one_or_none()


def set_password_hash(conn: Connection, username: str, value: str | None) -> None:
    conn.execute(update(t.users).where(t.users.c.username == username).values(password_hash=value))
