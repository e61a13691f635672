"""Reading and writing web dashboard sessions. Functions take a connection from
``Store.read()`` or ``Store.write()``; they never open transactions themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from scalegate.store import tables as t


def insert_session(
    conn: Connection,
    *,
    session_hash: str,
    username: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(
        insert(t.web_sessions).values(
            session_hash=session_hash,
            username=username,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


def session_by_hash(conn: Connection, session_hash: str) -> dict[str, Any] | None:
    """``{"username", "created_at", "expires_at"}`` of the session, or None."""
    row = conn.execute(
        select(
            t.web_sessions.c.username, t.web_sessions.c.created_at, t.web_sessions.c.expires_at
        ).where(t.web_sessions.c.session_hash == session_hash)
    ).first()
    return dict(row._mapping) if row else None


def delete_session(conn: Connection, session_hash: str) -> str | None:
    """Delete the session; the username it belonged to, or None if there was none."""
    found = session_by_hash(conn, session_hash)
    if found is None:
        return None
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.session_hash == session_hash))
    return str(found["username"])


def delete_expired(conn: Connection, now: datetime) -> int:
    """Delete sessions that expired at or before ``now``; how many."""
    result = conn.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at <= now))
    return int(result.rowcount or 0)
