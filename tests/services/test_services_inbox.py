"""The approvals inbox: what awaits an approver's domains, renewals of out-of-date
approvals, and the approver's recent decisions."""

from __future__ import annotations

import pytest
from svc_support import ago, charter

from scalegate.domain.stage import Stage
from scalegate.errors import ConflictError
from scalegate.services import gates, registry


def _keys(items: list[gates.AwaitedApproval]) -> set[tuple[str, str, str]]:
    return {(a.slug, a.gate.value, a.domain) for a in items}


def _failing_domains(store, slug: str, criterion: str) -> set[str]:
    """The domains the gate evaluation itself says are missing for ``criterion``."""
    result = next(r for r in gates.evaluate(store, slug).results if r.id == criterion)
    if result.verdict.value != "fail":
        return set()
    missing = result.reason.split(" (")[0].removeprefix("missing approval from ")
    return {d.strip() for d in missing.split(",")}


def test_inbox_lists_what_the_gate_evaluation_says_is_missing_for_my_domains(team) -> None:
    registry.add(team, charter("low"), actor="ben")  # minimal tier: pilot needs business
    registry.add(
        team,
        charter("high-one", risk_tier="high"),
        actor="ada",
        stage=Stage.PILOT,
        stage_since=ago(20),
    )  # production gate of a high-risk case: risk and data, and business
    assert _keys(gates.awaiting_approval(team, actor="omar")) == {
        ("low", "pilot", "business"),
        ("high-one", "production", "data"),
        ("high-one", "production", "business"),
    }
    assert _keys(gates.awaiting_approval(team, actor="rita")) == {
        ("high-one", "production", "risk")
    }
    # the same answer as the full gate evaluation, criterion by criterion
    assert _failing_domains(team, "high-one", "risk-approval") == {"risk", "data"}
    assert _failing_domains(team, "high-one", "business-approval") == {"business"}
    # an admin may approve in any domain; a viewer or contributor has no inbox
    assert len(gates.awaiting_approval(team, actor="ada")) == 4
    assert gates.awaiting_approval(team, actor="vic") == []
    assert gates.awaiting_approval(team, actor="ben") == []
    assert gates.awaiting_approval(team, actor="nobody") == []

    gates.approve(team, "high-one", gate="production", domain="data", actor="omar")
    assert _keys(gates.awaiting_approval(team, actor="omar")) == {
        ("low", "pilot", "business"),
        ("high-one", "production", "business"),
    }
    assert _failing_domains(team, "high-one", "risk-approval") == {"risk"}


def test_owners_and_requesters_see_the_item_but_may_not_act(team) -> None:
    registry.add(team, charter("mine", business_owner="omar"), actor="ben")
    (item,) = gates.awaiting_approval(team, actor="omar")
    assert not item.can_act and "you own mine" in item.why_not

    registry.add(team, charter("asked", risk_tier="limited"), actor="ben")
    gates.approve(team, "asked", gate="pilot", domain="business", actor="omar")
    assert gates.promote(team, "asked", "pilot", actor="ben").promoted
    out = gates.promote(team, "asked", "production", actor="rita")
    assert out.request_opened
    (risk,) = [a for a in gates.awaiting_approval(team, actor="rita") if a.slug == "asked"]
    assert not risk.can_act and "requested this promotion" in risk.why_not
    assert risk.request is not None and risk.request.requested_by == "rita"
    # someone else in the domain may act, and open requests come first
    first = gates.awaiting_approval(team, actor="ada")[0]
    assert first.slug == "asked" and first.can_act and first.request is not None


def test_a_waived_approval_is_not_awaited(team) -> None:
    registry.add(team, charter("waived"), actor="ben")
    gates.waive(
        team,
        "waived",
        gate="pilot",
        criterion="business-approval",
        justification="sponsor on leave, agreed by the board",
        expires=ago(-30),
        actor="rita",
    )
    assert gates.awaiting_approval(team, actor="omar") == []


def test_an_out_of_date_approval_is_awaited_again_and_may_be_renewed(team) -> None:
    # the default policy's scaled gate counts a risk approval for 365 days
    registry.add(
        team,
        charter("old", risk_tier="limited"),
        actor="ada",
        stage=Stage.PRODUCTION,
        stage_since=ago(600),
    )
    old = gates.approve(team, "old", gate="scaled", domain="risk", actor="rita", now=ago(400))
    (item,) = [a for a in gates.awaiting_approval(team, actor="rita") if a.domain == "risk"]
    assert "older than 365 days" in item.reason and item.can_act
    renewed = gates.approve(team, "old", gate="scaled", domain="risk", actor="rita")
    assert renewed.id != old.id
    assert [a for a in gates.awaiting_approval(team, actor="rita") if a.domain == "risk"] == []
    with pytest.raises(ConflictError, match="already approved"):
        gates.approve(team, "old", gate="scaled", domain="risk", actor="rita")


def test_decisions_by_lists_my_approvals_and_waivers_newest_first(team) -> None:
    registry.add(team, charter("uc-a"), actor="ben")
    registry.add(team, charter("uc-b"), actor="ben")
    first = gates.approve(team, "uc-a", gate="pilot", domain="business", actor="omar", note="ok")
    wv = gates.waive(
        team,
        "uc-b",
        gate="pilot",
        criterion="business-approval",
        justification="sponsor on leave, agreed by the board",
        expires=ago(-30),
        actor="omar",
    )
    mine = gates.decisions_by(team, actor="omar")
    assert [(d["ref"], d["use_case"], d["kind"]) for d in mine] == [
        (wv.ref, "uc-b", "waiver"),
        (first.ref, "uc-a", "approval"),
    ]
    assert mine[1]["note"] == "ok" and mine[1]["what"] == "business approval"
    assert gates.decisions_by(team, actor="rita") == []
    assert len(gates.decisions_by(team, actor="omar", limit=1)) == 1


def test_open_requests_carry_the_blockers_a_full_evaluation_gives(team) -> None:
    for slug, tier in (("req-a", "minimal"), ("req-b", "high"), ("req-c", "limited")):
        registry.add(team, charter(slug, risk_tier=tier), actor="ben")
        assert gates.promote(team, slug, "pilot", actor="ben").request_opened
    gates.approve(team, "req-b", gate="pilot", domain="business", actor="omar")
    items = gates.inbox(team, actor="omar")
    assert [i["use_case"] for i in items] == ["req-a", "req-b", "req-c"]
    for item in items:
        decision = gates.evaluate(team, str(item["use_case"]))
        assert item["blockers"] == [(b.id, b.reason) for b in decision.blockers]
        assert item["requested_by"] == "ben" and item["can_act"]
    assert items[1]["blockers"] == []  # approved: the gate passes now
    assert [i["use_case"] for i in gates.inbox(team, actor="omar", limit=2)] == ["req-a", "req-b"]
    assert gates.open_request_count(team) == 3
    assert not any(i["can_act"] for i in gates.inbox(team, actor="ben"))  # the requester
