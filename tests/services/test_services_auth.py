"""Passwords and API tokens: hashing, the token lifecycle, permissions and the audit trail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from scalegate.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TokenExpiredError,
    TokenRevokedError,
    UnknownTokenError,
    ValidationError,
)
from scalegate.services import audit, auth
from scalegate.store import tables as t

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _events(store, action: str) -> list[dict]:
    return [audit.event_dict(e) for e in audit.recent(store, limit=500) if e.action == action]


def _stored_hashes(store) -> dict[str, str | None]:
    with store.read() as conn:
        rows = conn.execute(sa.select(t.users.c.username, t.users.c.password_hash)).all()
    return dict(rows)


# ---------------------------------------------------------------------------- passwords


def test_rfc7914_scrypt_vector_verifies() -> None:
    """A hash built from the RFC 7914 test vector (N=1024, r=8, p=16) is accepted, and a
    one-character change of the password is not: our parsing and parameters are scrypt's."""
    key = bytes.fromhex(
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    )
    stored = f"scrypt$10$8$16${_b64(b'NaCl')}${_b64(key)}"
    assert auth.check_password("password", stored)
    assert not auth.check_password("passwore", stored)


def test_hash_format_and_parameters() -> None:
    stored = auth.hash_password("a long password")
    scheme, log_n, r, p, salt, key = stored.split("$")
    assert (scheme, int(log_n), int(r), int(p)) == ("scrypt", 15, 8, 1)
    salt_raw = base64.urlsafe_b64decode(salt + "==")
    assert len(salt_raw) == 16
    expected = hashlib.scrypt(
        b"a long password", salt=salt_raw, n=2**15, r=8, p=1, maxmem=2**26, dklen=32
    )
    assert hmac.compare_digest(base64.urlsafe_b64decode(key + "=="), expected)


@pytest.mark.parametrize("stored", ["", "bcrypt$x", "scrypt$15$8$1$!!$??", "scrypt$a$b$c$d$e"])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not auth.check_password("whatever", stored)


def test_same_password_two_users_two_hashes(team) -> None:
    auth.set_password(team, "ben", "same password 1", actor="ben")
    auth.set_password(team, "carla", "same password 1", actor="ada")
    hashes = _stored_hashes(team)
    assert hashes["ben"] and hashes["carla"] and hashes["ben"] != hashes["carla"]
    assert "same password" not in json.dumps(_events(team, "user.password_set"))
    assert auth.verify_password(team, "ben", "same password 1").username == "ben"
    assert auth.verify_password(team, "carla", "same password 1").username == "carla"


def test_password_rules_and_permissions(team) -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        auth.set_password(team, "ben", "short", actor="ben")
    with pytest.raises(PermissionDeniedError, match="needs the admin role"):
        auth.set_password(team, "carla", "long enough pw", actor="ben")
    with pytest.raises(NotFoundError):
        auth.set_password(team, "nobody", "long enough pw", actor="ada")
    assert _stored_hashes(team)["carla"] is None


def test_failed_logins_look_alike_and_are_audited(team) -> None:
    auth.set_password(team, "ben", "right password", actor="ben")
    failures = []
    for user, password in [("ben", "wrong password"), ("ghost", "any password"), ("vic", "x" * 9)]:
        with pytest.raises(AuthenticationError) as err:
            auth.verify_password(team, user, password)
        failures.append(err.value.to_dict())
    # one message whatever went wrong: nobody learns which users exist
    assert {f["message"] for f in failures} == {"wrong username or password"}
    events = _events(team, "auth.login_failed")
    reasons = {e["subject_id"]: e["after"]["reason"] for e in events}
    assert reasons == {"ben": "wrong password", "ghost": "unknown user", "vic": "no password set"}
    assert "wrong password" not in json.dumps(
        [e["after"] for e in events if e["subject_id"] == "vic"]
    )
    assert audit.verify(team).ok


def test_a_deactivated_user_cannot_log_in(team) -> None:
    from scalegate.services import users

    auth.set_password(team, "ben", "right password", actor="ben")
    users.edit(team, "ben", active=False, actor="ada")
    with pytest.raises(AuthenticationError):
        auth.verify_password(team, "ben", "right password")


# ---------------------------------------------------------------------------- tokens


def test_token_lifecycle(team) -> None:
    text, info = auth.create_token(team, "ben", "ci", timedelta(days=90), actor="ben", now=T0)
    assert text.startswith("sg_") and len(text) == 3 + 43  # 32 bytes, URL-safe base64
    assert info.prefix == text[:9] and info.expires_at == T0 + timedelta(days=90)
    # only the SHA-256 is stored; the text appears nowhere in the database or the audit log
    with team.read() as conn:
        stored = conn.execute(sa.select(t.api_tokens)).mappings().one()
    assert stored["token_hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert text not in json.dumps([str(v) for v in stored.values()])
    assert text not in json.dumps(_events(team, "token.created"), default=str)
    # use: the owner, and last_used_at written
    assert auth.authenticate_token(team, text, now=T0 + timedelta(days=1)).username == "ben"
    assert auth.list_tokens(team, actor="ben")[0].last_used_at == T0 + timedelta(days=1)
    # expire
    with pytest.raises(TokenExpiredError, match="expired on 2026-08-30"):
        auth.authenticate_token(team, text, now=T0 + timedelta(days=90))
    # revoke (a second token): then it is refused even before expiry
    text2, info2 = auth.create_token(team, "ben", "laptop", None, actor="ben", now=T0)
    assert info2.expires_at is None
    auth.revoke_token(team, info2.id, actor="ben", now=T0 + timedelta(hours=1))
    with pytest.raises(TokenRevokedError):
        auth.authenticate_token(team, text2, now=T0 + timedelta(hours=2))
    with pytest.raises(ConflictError, match="already revoked"):
        auth.revoke_token(team, info2.id, actor="ada")
    assert [e["after"]["id"] for e in _events(team, "token.revoked")] == [info2.id]
    assert audit.verify(team).ok


@pytest.mark.parametrize("text", ["", "sg_", "sg_" + "A" * 43, "Bearer x", "x" * 500])
def test_unknown_tokens(team, text: str) -> None:
    with pytest.raises(UnknownTokenError):
        auth.authenticate_token(team, text)


def test_tokens_of_deactivated_users_stop_working(team) -> None:
    from scalegate.services import users

    text, _ = auth.create_token(team, "ben", "ci", actor="ben")
    users.edit(team, "ben", active=False, actor="ada")
    with pytest.raises(AuthenticationError, match="deactivated"):
        auth.authenticate_token(team, text)


def test_admins_issue_and_revoke_for_others_users_only_for_themselves(team) -> None:
    _, info = auth.create_token(team, "vic", "dash", actor="ada")
    assert info.created_by == "ada"
    with pytest.raises(PermissionDeniedError):
        auth.create_token(team, "ada", "steal", actor="ben")
    with pytest.raises(PermissionDeniedError):
        auth.revoke_token(team, info.id, actor="ben")
    with pytest.raises(PermissionDeniedError):
        auth.list_tokens(team, username="vic", actor="ben")
    assert [i.id for i in auth.list_tokens(team, actor="vic")] == [info.id]
    assert auth.list_tokens(team, actor="ben") == []
    assert [i.username for i in auth.list_tokens(team, actor="ada")] == ["vic"]
    with pytest.raises(NotFoundError):
        auth.revoke_token(team, 999, actor="ada")


@pytest.mark.parametrize(
    ("name", "expires"), [("", timedelta(days=1)), ("x" * 101, None), ("ok", timedelta(0))]
)
def test_bad_token_requests_write_nothing(team, name: str, expires: timedelta | None) -> None:
    before = audit.verify(team).events
    with pytest.raises(ValidationError):
        auth.create_token(team, "ben", name, expires, actor="ben")
    assert audit.verify(team).events == before
    assert auth.list_tokens(team, actor="ada") == []


def test_repeated_failed_logins_lock_the_username_for_a_while(team) -> None:
    """Five failures within the window refuse further attempts (without checking the
    password, unknown names alike), audited apart, and the lock slides with the window."""
    from datetime import timedelta

    from scalegate.errors import TooManyAttemptsError
    from scalegate.services.clock import utcnow

    auth.set_password(team, "ben", "right password", actor="ben")
    start = utcnow()
    for name in ("ben", "ghost"):
        for i in range(auth.LOGIN_MAX_FAILURES):
            with pytest.raises(AuthenticationError):
                auth.verify_password(team, name, f"guess {i:04}", now=start + timedelta(minutes=i))
        late = start + timedelta(minutes=auth.LOGIN_MAX_FAILURES)
        with pytest.raises(TooManyAttemptsError) as err:  # even the right password
            auth.verify_password(team, name, "right password", now=late)
        # the first failure (at start) frees a slot when it is LOGIN_WINDOW old
        expected = (auth.LOGIN_WINDOW - timedelta(minutes=auth.LOGIN_MAX_FAILURES)).seconds + 1
        assert err.value.fields["retry_after"] == expected
        assert err.value.http_status == 429
    assert len(_events(team, "auth.login_locked")) == 2
    assert len(_events(team, "auth.login_failed")) == 2 * auth.LOGIN_MAX_FAILURES
    # other users are not affected
    auth.set_password(team, "carla", "carla password", actor="carla")
    assert auth.verify_password(team, "carla", "carla password", now=late).username == "carla"
    # once the oldest failure leaves the window, ben may try again
    free = start + auth.LOGIN_WINDOW + timedelta(seconds=1)
    assert auth.verify_password(team, "ben", "right password", now=free).username == "ben"
    assert audit.verify(team).ok
