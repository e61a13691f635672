"""Web dashboard sessions: password login, the session behind a cookie, CSRF tokens, logout.

A session id is ``sgs_`` + 32 random bytes (URL-safe base64). Like API tokens, only its
SHA-256 is stored, so a copy of the database cannot be replayed as a login. The CSRF token
of a session is derived from its id (HMAC-SHA256), so it is constant for the session,
unknown to anyone without the cookie, and needs no storage. Logins, failed logins (via
:func:`scalegate.services.auth.verify_password`) and logouts are audit events.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from scalegate.domain.user import User
from scalegate.errors import AuthenticationError
from scalegate.services import auth
from scalegate.services.clock import aware, utcnow
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store import session_repository as sessions_repo
from scalegate.store.audit_log import append_event

SESSION_PREFIX = "sgs_"
MAX_SESSION_TEXT = 200


@dataclass(frozen=True)
class Session:
    """A live session: who, until when, and the CSRF token its forms must carry."""

    user: User
    expires_at: datetime
    csrf_token: str


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def csrf_token(session_text: str) -> str:
    """The synchronizer token of a session: HMAC-SHA256 of a fixed label keyed by its id."""
    return hmac.new(session_text.encode("utf-8"), b"scalegate-csrf", hashlib.sha256).hexdigest()


def csrf_valid(session_text: str, token: str | None) -> bool:
    """True if ``token`` is the session's CSRF token (compared in constant time)."""
    if not token:
        return False
    return hmac.compare_digest(csrf_token(session_text), token)


def login(
    store: Store,
    username: str,
    password: str,
    *,
    lifetime: timedelta,
    now: datetime | None = None,
) -> tuple[str, Session]:
    """Check the password and open a session; returns the session id (shown once) and it.

    Raises :class:`AuthenticationError` (one message whatever went wrong) and records
    ``auth.login_failed`` when the password is wrong or the user unknown or deactivated;
    :class:`TooManyAttemptsError` while the username is locked after repeated failures
    (see :func:`scalegate.services.auth.verify_password`). Expired sessions are swept on
    the way.
    """
    now = aware(now or utcnow())
    if lifetime <= timedelta(0):
        raise ValueError("a session lifetime must be positive")
    user = auth.verify_password(store, username.strip(), password)
    text = SESSION_PREFIX + secrets.token_urlsafe(32)
    expires = now + lifetime
    with store.write() as conn:
        sessions_repo.delete_expired(conn, now)
        sessions_repo.insert_session(
            conn,
            session_hash=_hash(text),
            username=user.username,
            created_at=now,
            expires_at=expires,
        )
        append_event(
            conn,
            actor=user.username,
            action="auth.login",
            subject_type="user",
            subject_id=user.username,
            after={"via": "web", "expires_at": expires.isoformat()},
        )
    return text, Session(user, expires, csrf_token(text))


def resolve(store: Store, text: str | None, *, now: datetime | None = None) -> Session:
    """The live session behind a cookie value.

    Raises :class:`AuthenticationError` when there is none, it is unknown or expired, or its
    user is gone or deactivated. Reads only.
    """
    now = aware(now or utcnow())
    if not text or not text.startswith(SESSION_PREFIX) or len(text) > MAX_SESSION_TEXT:
        raise AuthenticationError("not logged in")
    with store.read() as conn:
        found = sessions_repo.session_by_hash(conn, _hash(text))
        user = repo.get_user(conn, found["username"]) if found else None
    if found is None or user is None:
        raise AuthenticationError("not logged in")
    expires = aware(found["expires_at"])
    if expires <= now:
        raise AuthenticationError("your session expired; log in again")
    if not user.active:
        raise AuthenticationError(f"user '{user.username}' is deactivated")
    return Session(user, expires, csrf_token(text))


def logout(store: Store, text: str | None) -> bool:
    """End the session (delete it); True if there was one. Audited as ``auth.logout``."""
    if not text or not text.startswith(SESSION_PREFIX) or len(text) > MAX_SESSION_TEXT:
        return False
    with store.write() as conn:
        username = sessions_repo.delete_session(conn, _hash(text))
        if username is None:
            return False
        append_event(
            conn,
            actor=username,
            action="auth.logout",
            subject_type="user",
            subject_id=username,
            after={"via": "web"},
        )
    return True
