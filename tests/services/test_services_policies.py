"""Policy versions and opening a workspace."""

from __future__ import annotations

import json

from svc_support import events

from scalegate.gates import load_policy
from scalegate.services import policies
from scalegate.services.workspace import open_store


def test_new_workspace_gets_the_packaged_default_as_version_1(store) -> None:
    pv = policies.active(store)
    assert pv.version == 1 and pv.policy.name == "default"
    assert pv.document == policies.default_policy_text()
    [ev] = events(store)
    assert (ev.action, ev.actor, ev.subject_id) == ("policy.applied", "system", "default")
    assert json.loads(ev.after) == {"version": 1, "source": "packaged default"}


def test_reopening_a_workspace_adds_nothing(db_url: str) -> None:
    first = open_store(db_url)
    try:
        n = len(events(first))
    finally:
        first.close()
    second = open_store(db_url)
    try:
        assert len(events(second)) == n == 1
        assert [h["version"] for h in policies.history(second)] == [1]
    finally:
        second.close()


def test_default_policy_has_the_documented_gates_and_time_boxes() -> None:
    policy = load_policy(policies.default_policy_text(), "default.yaml")
    assert [g.value for g in policy.gates] == ["pilot", "production", "scaled"]
    assert policy.stall_after_days == 30
    assert {s.value: d for s, d in policy.time_boxes.items()} == {"idea": 90, "pilot": 120}
    kinds = {c.kind for specs in policy.gates.values() for c in specs}
    assert {
        "charter_complete",
        "owners_assigned",
        "kpis_defined",
        "integration_defined",
        "approvals",
        "time_box",
        "risk_acceptable",
        "evidence",
    } <= kinds


def test_apply_then_history_and_versions(team) -> None:
    text = policies.default_policy_text().replace("stall_after_days: 30", "stall_after_days: 45")
    pv = policies.apply(team, text, source="slower.yaml", actor="ada")
    assert pv.version == 2 and pv.policy.stall_after_days == 45
    assert policies.active(team).policy.stall_after_days == 45
    assert policies.get_version(team, 1).policy.stall_after_days == 30
    rows = policies.history(team)
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["sha256"] != rows[1]["sha256"]
