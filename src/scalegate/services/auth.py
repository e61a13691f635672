"""Passwords and API tokens: who is calling, proven.

Passwords are hashed with scrypt (``hashlib.scrypt``; N=2**15, r=8, p=1, a 16-byte random
salt, a 32-byte key: about 32 MiB and tens of milliseconds per hash) and compared with
``hmac.compare_digest``. Tokens are ``sg_`` + 32 random bytes (URL-safe base64): with 256 bits
of entropy a fast hash is enough, so only their SHA-256 is stored, and the token text is
returned exactly once. Every change is audited; the secrets never are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection

from scalegate.domain.token import TokenInfo
from scalegate.domain.user import Role, User
from scalegate.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TokenExpiredError,
    TokenRevokedError,
    TooManyAttemptsError,
    UnknownTokenError,
    ValidationError,
)
from scalegate.services.access import require
from scalegate.services.clock import aware, utcnow
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store import token_repository as tokens_repo
from scalegate.store.audit_log import append_event, recent_times

#: scrypt cost parameters: N (as log2), r, p. Stored with each hash so they can grow later.
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
TOKEN_PREFIX = "sg_"
#: how stale ``last_used_at`` may get before a successful call writes it again
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_NAME = 100
#: after this many failed logins for one username within LOGIN_WINDOW, further attempts are
#: refused (429) without checking the password until the oldest of them is LOGIN_WINDOW old
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=15)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(
    password: str, salt: bytes, log_n: int, r: int, p: int, dklen: int = KEY_BYTES
) -> bytes:
    if not (1 <= log_n <= 20 and 1 <= r <= 32 and 1 <= p <= 32 and 16 <= dklen <= 128):
        raise ValueError("scrypt parameters out of range")
    n = 1 << log_n
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * n * r * p + 2**20,
        dklen=dklen,
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash: ``scrypt$<log2 N>$<r>$<p>$<salt>$<key>`` (base64url)."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_LOG_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


#: hashed once, compared against when the user is unknown so that timing says nothing
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def check_password(password: str, stored: str) -> bool:
    """True if ``password`` matches ``stored``; the key comparison runs in constant time."""
    try:
        scheme, log_n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        actual = _scrypt(password, _unb64(salt), int(log_n), int(r), int(p), len(expected))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD} characters", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"a password has at most {MAX_PASSWORD} characters", field="password")


def _user(conn: Connection, username: str) -> User:
    user = repo.get_user(conn, username)
    if user is None:
        raise NotFoundError.named("user", username, hint="'scalegate user list' shows users")
    return user


def _self_or_admin(conn: Connection, actor: str | None, username: str, *, doing: str) -> User:
    """The acting user if they act on themself (any role) or are an admin."""
    acting = require(conn, actor, Role.VIEWER, doing=doing)
    if acting.username != username and acting.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"{doing} for another user needs the admin role; '{acting.username}' is a "
            f"{acting.role.value}",
            actor=acting.username,
            needed=Role.ADMIN.value,
        )
    return acting


# ---------------------------------------------------------------------------- passwords


def set_password(store: Store, username: str, password: str, *, actor: str | None) -> None:
    """Set ``username``'s login password (themself, or an admin for anyone). Audited as
    ``user.password_set`` without the password or its hash."""
    _check_new_password(password)
    hashed = hash_password(password)  # slow: outside the write transaction
    with store.write() as conn:
        acting = _self_or_admin(conn, actor, username, doing="setting a password")
        _user(conn, username)
        tokens_repo.set_password_hash(conn, username, hashed)
        append_event(
            conn,
            actor=acting.username,
            action="user.password_set",
            subject_type="user",
            subject_id=username,
        )


def verify_password(
    store: Store, username: str, password: str, *, now: datetime | None = None
) -> User:
    """The user if ``password`` is theirs and they are active.

    Otherwise raise :class:`AuthenticationError` with the same message whatever went wrong
    (unknown user, no password, wrong password, deactivated) and record ``auth.login_failed``.
    An unknown user costs one scrypt hash too, so timing does not reveal who exists.

    After :data:`LOGIN_MAX_FAILURES` failures for ``username`` within :data:`LOGIN_WINDOW`
    (unknown usernames alike), attempts raise :class:`TooManyAttemptsError` with
    ``retry_after`` seconds, are audited as ``auth.login_locked`` and do not extend the lock.
    """
    now = aware(now) if now else utcnow()
    subject = username[:200]
    with store.read() as conn:
        failures = recent_times(
            conn,
            action="auth.login_failed",
            subject_type="user",
            subject_id=subject,
            since=(now - LOGIN_WINDOW).isoformat(timespec="microseconds"),
            limit=LOGIN_MAX_FAILURES,
        )
        user = repo.get_user(conn, username)
        stored = tokens_repo.password_hash(conn, username) if user else None
    if len(failures) >= LOGIN_MAX_FAILURES:
        oldest = datetime.fromisoformat(failures[-1])
        retry_after = max(1, int((oldest + LOGIN_WINDOW - now).total_seconds()) + 1)
        with store.write() as conn:
            append_event(
                conn,
                actor=username[:100],
                action="auth.login_locked",
                subject_type="user",
                subject_id=subject,
                after={"retry_after": retry_after},
                at=now.isoformat(timespec="microseconds"),
            )
        raise TooManyAttemptsError(
            f"too many failed logins for '{username[:100]}'; try again in "
            f"{-(-retry_after // 60)} minutes",
            retry_after=retry_after,
        )
    ok = check_password(password, stored or _dummy_hash())
    if user is not None and stored is not None and ok and user.active:
        return user
    reason = (
        "unknown user"
        if user is None
        else "no password set"
        if stored is None
        else "deactivated"
        if ok
        else "wrong password"
    )
    with store.write() as conn:
        append_event(
            conn,
            actor=username[:100],
            action="auth.login_failed",
            subject_type="user",
            subject_id=username[:200],
            after={"reason": reason},
            at=now.isoformat(timespec="microseconds"),
        )
    raise AuthenticationError("wrong username or password", field="password")


# ---------------------------------------------------------------------------- tokens


def _token_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _audit_token(info: TokenInfo) -> dict[str, object]:
    return info.model_dump(mode="json", exclude={"last_used_at"})


def create_token(
    store: Store,
    username: str,
    name: str = "default",
    expires_in: timedelta | None = timedelta(days=90),
    *,
    actor: str | None,
    now: datetime | None = None,
) -> tuple[str, TokenInfo]:
    """Issue a token for ``username`` (themself, or an admin for anyone).

    Returns the token text, which is not stored and cannot be shown again, and its record.
    ``expires_in=None`` issues a token that never expires.
    """
    now = aware(now or utcnow())
    name = (name or "").strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        raise ValidationError(
            f"a token name has 1 to {MAX_TOKEN_NAME} characters", field="name", value=name
        )
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationError("a token's lifetime must be positive", field="expires")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.write() as conn:
        acting = _self_or_admin(conn, actor, username, doing="creating a token")
        owner = _user(conn, username)
        if not owner.active:
            raise ConflictError(f"user '{username}' is deactivated; activate them first")
        info = tokens_repo.insert_token(
            conn,
            username=username,
            name=name,
            token_hash=_token_hash(text),
            prefix=text[: len(TOKEN_PREFIX) + 6],
            created_at=now,
            created_by=acting.username,
            expires_at=None if expires_in is None else now + expires_in,
        )
        append_event(
            conn,
            actor=acting.username,
            action="token.created",
            subject_type="user",
            subject_id=username,
            after=_audit_token(info),
        )
    return text, info


def list_tokens(store: Store, *, username: str | None = None, actor: str | None) -> list[TokenInfo]:
    """Tokens, oldest first. An admin sees ``username``'s (everyone's when None); anyone
    else sees only their own, and asking for another user's is a permission denial."""
    with store.read() as conn:
        acting = require(conn, actor, Role.VIEWER, doing="listing tokens")
        if acting.role is Role.ADMIN:
            return tokens_repo.list_tokens(conn, username)
        if username not in (None, acting.username):
            raise PermissionDeniedError(
                f"listing another user's tokens needs the admin role; '{acting.username}' is "
                f"a {acting.role.value}",
                actor=acting.username,
                needed=Role.ADMIN.value,
            )
        return tokens_repo.list_tokens(conn, acting.username)


def revoke_token(
    store: Store, token_id: int, *, actor: str | None, now: datetime | None = None
) -> TokenInfo:
    """Revoke a token at once (its owner, or an admin). Revoking twice is a conflict."""
    now = aware(now or utcnow())
    with store.write() as conn:
        info = tokens_repo.get_token(conn, token_id)
        if info is None:
            require(conn, actor, Role.VIEWER, doing="revoking a token")
            raise NotFoundError.named(
                "token", str(token_id), hint="'scalegate token list' shows tokens"
            )
        acting = _self_or_admin(conn, actor, info.username, doing="revoking a token")
        if info.revoked_at is not None:
            raise ConflictError(f"token {token_id} was already revoked", value=token_id)
        tokens_repo.set_token_times(conn, token_id, revoked_at=now)
        revoked = info.model_copy(update={"revoked_at": now})
        append_event(
            conn,
            actor=acting.username,
            action="token.revoked",
            subject_type="user",
            subject_id=info.username,
            after={"id": token_id, "prefix": info.prefix, "name": info.name},
        )
    return revoked


def authenticate_token(store: Store, text: str, *, now: datetime | None = None) -> User:
    """The active user a bearer token belongs to.

    Raises :class:`UnknownTokenError`, :class:`TokenExpiredError`,
    :class:`TokenRevokedError`, or :class:`AuthenticationError` for a deactivated owner.
    A success writes ``last_used_at`` at most once a minute per token.
    """
    now = aware(now or utcnow())
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        raise UnknownTokenError("unknown API token; tokens start with 'sg_'")
    digest = _token_hash(text)
    with store.read() as conn:
        info = tokens_repo.token_by_hash(conn, digest)
        user = repo.get_user(conn, info.username) if info else None
    if info is None or user is None:
        raise UnknownTokenError("unknown API token; 'scalegate token create' issues one")
    state = info.state(now)
    if state == "revoked":
        raise TokenRevokedError(f"API token {info.prefix}… was revoked", token=info.id)
    if state == "expired":
        assert info.expires_at is not None
        raise TokenExpiredError(
            f"API token {info.prefix}… expired on {info.expires_at.date().isoformat()}",
            token=info.id,
        )
    if not user.active:
        raise AuthenticationError(f"user '{user.username}' is deactivated")
    if info.last_used_at is None or now - info.last_used_at >= LAST_USED_RESOLUTION:
        with store.write() as conn:
            tokens_repo.set_token_times(conn, info.id, last_used_at=now)
    return user


def record_denial(store: Store, *, actor: str, doing: str, message: str) -> None:
    """Record ``auth.denied``: ``actor`` was refused ``doing`` (e.g. ``POST /api/v1/...``)."""
    with store.write() as conn:
        append_event(
            conn,
            actor=actor,
            action="auth.denied",
            subject_type="user",
            subject_id=actor,
            after={"doing": doing[:500], "message": message[:500]},
        )
