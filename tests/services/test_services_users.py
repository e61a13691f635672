"""Users and roles: who may do what."""

from __future__ import annotations

import json

import pytest
from svc_support import ago, charter, events, snapshot

from scalegate.domain.user import Role
from scalegate.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.services import gates, registry, users


def test_first_user_must_be_an_admin(store) -> None:
    before = snapshot(store)
    with pytest.raises(ValidationError, match="first user of a workspace must be an admin"):
        users.add(store, "ben", role="contributor", actor=None)
    assert snapshot(store) == before
    ada = users.add(store, "ada", role="admin", actor=None)
    assert ada.role is Role.ADMIN
    ev = events(store)[-1]
    assert (ev.action, ev.actor, ev.subject_id) == ("user.created", "ada", "ada")
    assert json.loads(ev.after)["role"] == "admin"


def test_only_admins_add_users(team) -> None:
    before = snapshot(team)
    for actor in ("ben", "rita", "vic"):
        with pytest.raises(PermissionDeniedError, match="adding a user needs the admin role"):
            users.add(team, "zed", role="viewer", actor=actor)
    with pytest.raises(ValidationError, match="--as USER or set SCALEGATE_USER"):
        users.add(team, "zed", role="viewer", actor=None)
    with pytest.raises(PermissionDeniedError, match="unknown user 'ghost'"):
        users.add(team, "zed", role="viewer", actor="ghost")
    assert snapshot(team) == before
    zed = users.add(team, "zed", role="approver", domains=["Security"], actor="ada")
    assert zed.domains == ("security",)
    assert users.get(team, "zed").role is Role.APPROVER


def test_user_bad_input(team) -> None:
    before = snapshot(team)
    with pytest.raises(ConflictError, match="user 'ben' already exists"):
        users.add(team, "ben", role="viewer", actor="ada")
    with pytest.raises(UnknownChoiceError, match="unknown role 'superuser'; known roles are"):
        users.add(team, "zed", role="superuser", actor="ada")
    with pytest.raises(ValidationError, match="approval domains only mean something"):
        users.add(team, "zed", role="contributor", domains=["risk"], actor="ada")
    with pytest.raises(ValidationError, match="user field 'domains'"):
        users.add(team, "zed", role="approver", domains=["Bad Domain"], actor="ada")
    with pytest.raises(ValidationError, match="user field 'username'"):
        users.add(team, "has space", role="viewer", actor="ada")
    with pytest.raises(NotFoundError, match="unknown user 'ghost'"):
        users.edit(team, "ghost", role="viewer", actor="ada")
    with pytest.raises(ValidationError, match="nothing to change"):
        users.edit(team, "ben", actor="ada")
    with pytest.raises(PermissionDeniedError, match="changing a user needs the admin role"):
        users.edit(team, "vic", role="admin", actor="rita")
    assert snapshot(team) == before


def test_last_admin_cannot_be_demoted_or_deactivated(team) -> None:
    before = snapshot(team)
    with pytest.raises(ConflictError, match="'ada' is the last active admin"):
        users.edit(team, "ada", role="viewer", actor="ada")
    with pytest.raises(ConflictError, match="last active admin"):
        users.edit(team, "ada", active=False, actor="ada")
    assert snapshot(team) == before
    users.edit(team, "omar", role="admin", domains=[], actor="ada")
    demoted = users.edit(team, "ada", role="contributor", actor="omar")
    assert demoted.role is Role.CONTRIBUTOR
    ev = events(team)[-1]
    assert ev.action == "user.updated" and ev.actor == "omar"
    assert json.loads(ev.before) == {"role": "admin"}
    assert json.loads(ev.after) == {"role": "contributor"}
    with pytest.raises(ConflictError, match="'omar' is the last active admin"):
        users.edit(team, "omar", role="approver", actor="omar")


def test_deactivated_user_cannot_act(team) -> None:
    users.edit(team, "ben", active=False, actor="ada")
    with pytest.raises(PermissionDeniedError, match="user 'ben' is deactivated"):
        registry.add(team, charter("by-ben"), actor="ben")


def test_viewer_cannot_edit_or_promote(team) -> None:
    registry.add(team, charter("watched"), actor="ben")
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match="editing a use case needs the contributor"):
        registry.edit(team, "watched", {"name": "V"}, actor="vic")
    with pytest.raises(PermissionDeniedError, match="promoting a use case needs the contributor"):
        gates.promote(team, "watched", "pilot", actor="vic")
    assert snapshot(team) == before


def test_contributor_cannot_approve_or_waive(team) -> None:
    registry.add(team, charter("needs-ok"), actor="ben")
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match="approving needs the approver role"):
        gates.approve(team, "needs-ok", gate="pilot", domain="business", actor="carla")
    with pytest.raises(PermissionDeniedError, match="granting a waiver needs the approver"):
        gates.waive(
            team,
            "needs-ok",
            gate="pilot",
            criterion="business-approval",
            justification="a long enough reason",
            expires=ago(-30),
            actor="ben",
        )
    assert snapshot(team) == before


def test_approvers_approve_only_in_their_own_domains(team) -> None:
    registry.add(team, charter("domains", business_owner="carla"), actor="ben")
    before = snapshot(team)
    with pytest.raises(PermissionDeniedError, match=r"rita may not approve for the business"):
        gates.approve(team, "domains", gate="pilot", domain="business", actor="rita")
    with pytest.raises(PermissionDeniedError, match=r"their domains: executive"):
        gates.approve(team, "domains", gate="pilot", domain="risk", actor="eve")
    with pytest.raises(UnknownChoiceError, match="unknown approval domain 'legal'"):
        gates.approve(team, "domains", gate="pilot", domain="legal", actor="omar")
    assert snapshot(team) == before
    ap = gates.approve(team, "domains", gate="pilot", domain="business", actor="omar")
    assert (ap.domain, ap.approver, ap.gate.value) == ("business", "omar", "pilot")
    # an admin may approve in any domain
    ap2 = gates.approve(team, "domains", gate="pilot", domain="security", actor="ada")
    assert ap2.approver == "ada"


def test_list_users(team) -> None:
    names = [u.username for u in users.list_all(team)]
    assert sorted(names) == ["ada", "ben", "carla", "eve", "omar", "rita", "vic"]
    assert users.get(team, "omar").domains == ("business", "data")
