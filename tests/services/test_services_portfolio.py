"""The portfolio: counts per stage, and which use cases are stalled and exactly why."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from svc_support import charter, utc_now

from scalegate.domain.stage import Stage
from scalegate.services import gates, policies, portfolio, registry

KPI_NO_BASELINE = [{"name": "after-call work", "unit": "s", "direction": "decrease", "target": 45}]


def _pilot(store, slug: str, days: int, now, *, checked: bool = True, **overrides) -> None:
    """A pilot for ``days``; ``checked``: its data contract passed a check yesterday."""
    registry.add(
        store,
        charter(slug, **overrides),
        actor="ada",
        stage=Stage.PILOT,
        stage_since=now - timedelta(days=days),
    )
    if checked:
        registry.record_evidence(
            store,
            slug,
            kind="data_check",
            subject="applications",
            status="pass",
            actor="ben",
            at=now - timedelta(days=1),
        )


def _approve(store, slug: str, *domains: str) -> None:
    approver = {"business": "omar", "data": "omar", "risk": "rita", "executive": "eve"}
    for d in domains:
        gates.approve(store, slug, gate="production", domain=d, actor=approver[d])


def _stalled(p) -> dict:
    return {s.slug: s for s in p.stalled}


def test_counts_per_stage(team) -> None:
    now = utc_now()
    registry.add(team, charter("i-one"), actor="ben")
    registry.add(team, charter("i-two"), actor="ben")
    _pilot(team, "p-one", 5, now)
    registry.add(team, charter("prod"), actor="ada", stage=Stage.PRODUCTION)
    registry.add(team, charter("big"), actor="ada", stage=Stage.SCALED)
    registry.add(team, charter("gone"), actor="ben")
    registry.retire(team, "gone", lessons="did not pay off in the pilot", actor="ben")
    p = portfolio.build(team, now=now)
    assert p.stages == {
        "idea": 2,
        "pilot": 1,
        "production": 1,
        "scaled": 1,
        "retired": 1,
    }
    assert p.total == 6
    assert (p.policy_name, p.policy_version, p.stall_after_days) == ("default", 1, 30)


def test_empty_portfolio(store) -> None:
    p = portfolio.build(store)
    assert p.total == 0 and p.stalled == [] and p.ready == []
    assert set(p.stages.values()) == {0}


@pytest.mark.parametrize(
    ("overrides", "domains", "blocker", "reason"),
    [
        pytest.param(
            {"technical_owner": None},
            ("business",),
            "owners",
            "no technical owner assigned",
            id="missing-owner",
        ),
        pytest.param(
            {"kpis": KPI_NO_BASELINE},
            ("business",),
            "kpis",
            "KPI 'after-call work' has no baseline",
            id="no-kpi-baseline",
        ),
        pytest.param(
            {"risk_tier": "limited"},
            ("business",),
            "risk-approval",
            "missing approval from risk",
            id="missing-risk-approval",
        ),
    ],
)
def test_stalled_because_the_gate_keeps_failing(
    team, overrides, domains, blocker: str, reason: str
) -> None:
    now = utc_now()
    _pilot(team, "stuck", 64, now, **overrides)
    _approve(team, "stuck", *domains)
    p = portfolio.build(team, now=now)
    s = _stalled(p)["stuck"]
    assert s.stage is Stage.PILOT and s.gate is Stage.PRODUCTION
    assert s.days_in_stage == 64
    assert s.days_stalled == 64 - 30
    assert s.why == "gate failing"
    assert [(b.id, b.reason) for b in s.blockers] == [(blocker, reason)]
    assert p.ready == []


def test_stalled_because_past_its_time_box(team) -> None:
    now = utc_now()
    _pilot(team, "overdue", 150, now)
    _approve(team, "overdue", "business")
    p = portfolio.build(team, now=now)
    s = _stalled(p)["overdue"]
    assert s.why == "past its time box"
    assert [b.id for b in s.blockers] == ["time-box"]
    assert s.blockers[0].reason == "in pilot for 150 days, past its 120-day time box by 30"
    assert s.days_in_stage == 150
    assert s.days_stalled >= 30


def test_idea_past_its_time_box(team) -> None:
    now = utc_now()
    registry.add(team, charter("old-idea"), actor="ben", stage_since=now - timedelta(days=100))
    s = _stalled(portfolio.build(team, now=now))["old-idea"]
    assert s.gate is Stage.PILOT and s.why == "gate failing, past its time box"
    assert {b.id for b in s.blockers} == {"time-box", "business-approval"}
    # the approval has been missing since day 0: stalled since the 30-day grace ran out
    assert s.days_stalled == 100 - 30


def test_only_the_time_box_counts_from_the_end_of_the_box(team) -> None:
    now = utc_now()
    registry.add(team, charter("boxed"), actor="ben", stage_since=now - timedelta(days=100))
    gates.approve(team, "boxed", gate="pilot", domain="business", actor="omar")
    s = _stalled(portfolio.build(team, now=now))["boxed"]
    assert s.why == "past its time box"
    assert [b.id for b in s.blockers] == ["time-box"]
    assert s.days_stalled == 100 - 90  # the default policy boxes ideas at 90 days


def test_recent_failures_are_not_stalled_and_passing_ones_are_ready(team) -> None:
    now = utc_now()
    _pilot(team, "young", 20, now, technical_owner=None)
    _pilot(team, "ready", 60, now)
    _approve(team, "ready", "business")
    p = portfolio.build(team, now=now)
    assert p.stalled == []
    assert p.ready == ["ready"]
    # the same young pilot stalls once the grace period is over
    later = portfolio.build(team, now=now + timedelta(days=15))
    s = _stalled(later)["young"]
    assert s.days_stalled == 5 and s.days_in_stage == 35


def test_stalled_sorted_longest_first_and_waivers_unstall(team) -> None:
    now = utc_now()
    _pilot(team, "a-short", 40, now, technical_owner=None)
    _pilot(team, "b-long", 90, now, technical_owner=None)
    _approve(team, "a-short", "business")
    _approve(team, "b-long", "business")
    p = portfolio.build(team, now=now)
    assert [s.slug for s in p.stalled] == ["b-long", "a-short"]
    gates.waive(
        team,
        "b-long",
        gate="production",
        criterion="owners",
        justification="owner being hired, interim cover agreed",
        expires=now + timedelta(days=30),
        actor="rita",
    )
    p = portfolio.build(team, now=now)
    assert [s.slug for s in p.stalled] == ["a-short"]
    assert p.ready == ["b-long"]


def test_time_boxes_and_grace_come_from_the_policy(team) -> None:
    now = utc_now()
    _pilot(team, "tight", 12, now, technical_owner=None)
    assert portfolio.build(team, now=now).stalled == []
    policies.apply(
        team,
        "name: tight\nstall_after_days: 5\ntime_boxes:\n  pilot: 10\ngates:\n"
        "  production:\n    - id: owners\n      kind: owners_assigned\n"
        "    - id: time-box\n      kind: time_box\n",
        source="tight.yaml",
        actor="ada",
    )
    p = portfolio.build(team, now=now)
    assert (p.policy_name, p.policy_version, p.stall_after_days) == ("tight", 2, 5)
    s = _stalled(p)["tight"]
    assert s.why == "gate failing, past its time box"
    assert s.days_stalled == 12 - 5
    assert {b.id for b in s.blockers} == {"owners", "time-box"}


def test_filters(team) -> None:
    now = utc_now()
    _pilot(team, "claims-a", 60, now, technical_owner=None, departments=["claims"])
    _pilot(
        team,
        "mkt-b",
        60,
        now,
        technical_owner=None,
        departments=["marketing"],
        business_owner="omar",
        risk_tier="high",
    )
    registry.add(team, charter("claims-idea", departments=["claims", "ops"]), actor="ben")

    def slugs(p) -> tuple[int, list[str]]:
        return p.total, [s.slug for s in p.stalled]

    assert slugs(portfolio.build(team, now=now)) == (3, ["claims-a", "mkt-b"])
    assert slugs(portfolio.build(team, now=now, department="claims")) == (2, ["claims-a"])
    assert slugs(portfolio.build(team, now=now, risk_tier="high")) == (1, ["mkt-b"])
    assert slugs(portfolio.build(team, now=now, owner="omar")) == (1, ["mkt-b"])
    assert slugs(portfolio.build(team, now=now, owner="carla")) == (2, ["claims-a"])
    assert slugs(portfolio.build(team, now=now, department="nowhere")) == (0, [])
    assert portfolio.build(team, now=now, department="claims").stages["idea"] == 1


def test_to_dict_shape(team) -> None:
    now = utc_now()
    _pilot(team, "stuck", 64, now, technical_owner=None)
    _pilot(team, "fine", 3, now)
    _approve(team, "fine", "business")
    d = json.loads(json.dumps(portfolio.build(team, now=now).to_dict()))
    assert set(d) == {
        "generated_at",
        "policy",
        "stall_after_days",
        "total",
        "stages",
        "stalled",
        "ready_to_promote",
        "top_blockers",
    }
    assert d["policy"] == {"name": "default", "version": 1}
    assert d["total"] == 2 and d["stages"]["pilot"] == 2
    assert d["ready_to_promote"] == ["fine"]
    [s] = d["stalled"]
    assert s["slug"] == "stuck" and s["stage"] == "pilot" and s["gate"] == "production"
    assert s["days_in_stage"] == 64 and s["days_stalled"] == 34
    assert s["departments"] == ["claims"] and s["risk_tier"] == "minimal"
    assert s["business_owner"] == "carla"
    assert {b["id"] for b in s["blockers"]} == {"owners", "business-approval"}
    for b in s["blockers"]:
        assert set(b) == {"id", "kind", "reason", "evidence"} and b["reason"]
