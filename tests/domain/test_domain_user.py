"""Users, roles and approval domains."""

from __future__ import annotations

import itertools
from typing import Any

import pydantic
import pytest

from scalegate.domain.user import DEFAULT_DOMAINS, Role, User


def user(**overrides: Any) -> User:
    data: dict[str, Any] = {"username": "rita"}
    data.update(overrides)
    return User.model_validate(data)


# ------------------------------------------------------------------ domains


def test_domains_are_lowercased_stripped_deduplicated_and_sorted() -> None:
    u = user(domains=["Risk", " data ", "risk", "BUSINESS"])
    assert u.domains == ("business", "data", "risk")


def test_domains_as_a_comma_string() -> None:
    assert user(domains="Risk, business,, ").domains == ("business", "risk")
    assert user(domains="executive").domains == ("executive",)


@pytest.mark.parametrize("value", ["", [], (), " , "])
def test_no_domains(value: object) -> None:
    assert user(domains=value).domains == ()


def test_default_domains_are_valid() -> None:
    assert user(domains=list(DEFAULT_DOMAINS)).domains == tuple(sorted(DEFAULT_DOMAINS))


def test_custom_domains_are_allowed() -> None:
    assert user(domains=["model_ops", "legal-eu"]).domains == ("legal-eu", "model_ops")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1risk", "1risk"),
        ("risk!", "risk!"),
        ("RISK TEAM", "risk team"),
        ("_x", "_x"),
        ("a" * 41, "a" * 41),
    ],
)
def test_invalid_domains_are_named(value: str, shown: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        user(domains=["risk", value])
    errors = info.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == ("domains",)
    assert f"approval domain '{shown}' must match" in errors[0]["msg"]


def test_longest_domain_is_accepted() -> None:
    assert user(domains=["a" * 40]).domains == ("a" * 40,)


# ------------------------------------------------------------------ username


@pytest.mark.parametrize("name", ["ada", "Ada.Lovelace", "a", "ada@example.com", "x_1-2", "9"])
def test_valid_usernames(name: str) -> None:
    assert user(username=name).username == name


@pytest.mark.parametrize("name", ["", "-ada", ".ada", "a b", "ada!", "a" * 101])
def test_invalid_usernames(name: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        user(username=name)
    assert info.value.errors()[0]["loc"] == ("username",)


def test_user_defaults_and_extra_fields() -> None:
    u = user()
    assert u.role is Role.VIEWER
    assert u.active is True
    assert u.domains == ()
    with pytest.raises(pydantic.ValidationError) as info:
        user(password="x")
    assert info.value.errors()[0]["type"] == "extra_forbidden"


def test_unknown_role_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        user(role="superuser")
    assert info.value.errors()[0]["loc"] == ("role",)


# ------------------------------------------------------------------ roles

ORDER = [Role.VIEWER, Role.CONTRIBUTOR, Role.APPROVER, Role.ADMIN]


def test_roles_are_ranked() -> None:
    assert [r.rank for r in ORDER] == [0, 1, 2, 3]
    assert set(ORDER) == set(Role)


@pytest.mark.parametrize(("have", "need"), list(itertools.product(ORDER, ORDER)))
def test_each_role_includes_the_ones_before_it(have: Role, need: Role) -> None:
    assert have.allows(need) is (ORDER.index(have) >= ORDER.index(need))


def test_role_allows_spot_checks() -> None:
    assert Role.ADMIN.allows(Role.APPROVER)
    assert Role.APPROVER.allows(Role.CONTRIBUTOR)
    assert not Role.CONTRIBUTOR.allows(Role.APPROVER)
    assert not Role.VIEWER.allows(Role.CONTRIBUTOR)
    assert Role.VIEWER.allows(Role.VIEWER)


# ------------------------------------------------------------------ can_approve


def test_approver_approves_in_own_domains_only() -> None:
    u = user(role="approver", domains=["risk", "data"])
    assert u.can_approve("risk")
    assert u.can_approve("data")
    assert not u.can_approve("business")
    assert not u.can_approve("executive")


def test_approver_without_domains_approves_nothing() -> None:
    u = user(role="approver")
    assert not any(u.can_approve(d) for d in DEFAULT_DOMAINS)


def test_admin_approves_in_any_domain() -> None:
    u = user(role="admin")
    assert all(u.can_approve(d) for d in DEFAULT_DOMAINS)
    assert u.can_approve("some-custom-domain")


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_lower_roles_never_approve_even_with_domains(role: str) -> None:
    u = user(role=role, domains=["risk"])
    assert not u.can_approve("risk")


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_inactive_users_never_approve(role: str) -> None:
    u = user(role=role, domains=["risk"], active=False)
    assert not u.can_approve("risk")
    assert not u.can_approve("business")
