"""Web sessions: login, the stored hash, expiry, logout, CSRF tokens and the audit trail."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from scalegate.errors import AuthenticationError
from scalegate.services import audit, auth, sessions, users
from scalegate.store import tables as t

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PASSWORD = "a long enough password"
HOURS12 = timedelta(hours=12)


@pytest.fixture
def with_password(team):
    auth.set_password(team, "rita", PASSWORD, actor="ada")
    return team


def _rows(store) -> list[dict]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t.web_sessions))]


def _actions(store) -> list[str]:
    return [e.action for e in audit.recent(store, limit=100)]


def test_login_stores_only_the_sha256_of_the_session_id(with_password) -> None:
    text, session = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    assert text.startswith("sgs_") and len(text) > 40
    (row,) = _rows(with_password)
    assert row["session_hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(row)
    assert row["expires_at"] == T0 + HOURS12
    assert session.user.username == "rita" and session.expires_at == T0 + HOURS12
    assert _actions(with_password)[0] == "auth.login"
    assert text not in str([audit.event_dict(e) for e in audit.recent(with_password)])


def test_resolve_finds_the_user_until_the_session_expires(with_password) -> None:
    text, _ = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    found = sessions.resolve(with_password, text, now=T0 + timedelta(hours=11, minutes=59))
    assert found.user.username == "rita"
    with pytest.raises(AuthenticationError, match="expired"):
        sessions.resolve(with_password, text, now=T0 + HOURS12)


@pytest.mark.parametrize("text", [None, "", "sgs_unknown", "sg_an-api-token", "sgs_" + "x" * 300])
def test_unknown_or_malformed_session_ids_are_not_logged_in(with_password, text) -> None:
    with pytest.raises(AuthenticationError, match="not logged in"):
        sessions.resolve(with_password, text, now=T0)


def test_a_deactivated_user_loses_their_session(with_password) -> None:
    text, _ = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    users.edit(with_password, "rita", active=False, actor="ada")
    with pytest.raises(AuthenticationError, match="deactivated"):
        sessions.resolve(with_password, text, now=T0)


def test_wrong_password_opens_no_session_and_is_audited(with_password) -> None:
    with pytest.raises(AuthenticationError, match="wrong username or password"):
        sessions.login(with_password, "rita", PASSWORD + "!", lifetime=HOURS12, now=T0)
    assert _rows(with_password) == []
    assert _actions(with_password)[0] == "auth.login_failed"


def test_logout_deletes_the_session_and_is_audited(with_password) -> None:
    text, _ = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    assert sessions.logout(with_password, text) is True
    assert _rows(with_password) == []
    assert _actions(with_password)[0] == "auth.logout"
    with pytest.raises(AuthenticationError):
        sessions.resolve(with_password, text, now=T0)
    assert sessions.logout(with_password, text) is False


def test_a_login_sweeps_expired_sessions(with_password) -> None:
    old, _ = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    new, _ = sessions.login(
        with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0 + timedelta(days=1)
    )
    hashes = {r["session_hash"] for r in _rows(with_password)}
    assert hashes == {hashlib.sha256(new.encode()).hexdigest()}
    del old


def test_csrf_token_is_the_hmac_of_the_session_id(with_password) -> None:
    a, sa_ = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    _, sb = sessions.login(with_password, "rita", PASSWORD, lifetime=HOURS12, now=T0)
    expected = hmac.new(a.encode(), b"scalegate-csrf", hashlib.sha256).hexdigest()
    assert sa_.csrf_token == expected == sessions.resolve(with_password, a, now=T0).csrf_token
    assert sb.csrf_token != sa_.csrf_token
    assert sessions.csrf_valid(a, sa_.csrf_token)
    assert not sessions.csrf_valid(a, sb.csrf_token)
    assert not sessions.csrf_valid(a, None)
    assert not sessions.csrf_valid(a, "")
