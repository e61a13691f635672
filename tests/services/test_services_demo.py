"""The demo portfolio: realistic, stalled for each reason, and idempotent."""

from __future__ import annotations

import pytest
from svc_support import events, snapshot

from scalegate.errors import ConflictError
from scalegate.services import audit, demo, portfolio, registry, users


@pytest.fixture
def demo_store(store):
    result = demo.build(store)
    assert result.created_use_cases == len(demo.CASES) == 9
    assert result.created_users == len(demo.USERS)
    return store


def test_demo_portfolio_spans_stages_tiers_and_departments(demo_store) -> None:
    cases = registry.list_all(demo_store)
    assert sorted(c.slug for c in cases) == sorted(demo.SLUGS)
    stages = {c.stage.value for c in cases}
    assert stages == {"idea", "pilot", "production", "scaled", "retired"}
    assert {c.risk_tier.value for c in cases} == {"minimal", "limited", "high", "prohibited"}
    assert len({d for c in cases for d in c.departments}) >= 6
    retired = registry.get(demo_store, "workplace-emotion")
    assert retired.stage.value == "retired" and "EU AI Act" in (retired.lessons_learned or "")


def test_demo_has_stalled_use_cases_for_each_reason(demo_store) -> None:
    p = portfolio.build(demo_store)
    assert p.total == 9
    stalled = {s.slug: s for s in p.stalled}
    blockers = {slug: {b.id: b.reason for b in s.blockers} for slug, s in stalled.items()}
    # missing owner
    assert "no technical owner assigned" in blockers["contract-review"]["owners"]
    # no KPI baseline
    assert "has no baseline" in blockers["call-summaries"]["kpis"]
    # missing risk approval
    assert blockers["churn-prediction"]["risk-approval"] == "missing approval from risk"
    # past its time box
    assert "past its time box" in stalled["demand-forecast"].why
    assert "past its 120-day time box" in blockers["demand-forecast"]["time-box"]
    # production data that breaks its contract, and a pilot whose data was never checked
    assert blockers["demand-forecast"]["data-contract"].startswith(
        "latest check of 'sales-history'"
    )
    assert "units.between" in blockers["demand-forecast"]["data-contract"]
    assert blockers["contract-review"]["data-contract"] == "no data check run recorded"
    assert all(s.days_stalled > 0 for s in p.stalled)
    # and something is ready to go, so the demo has a happy path too
    assert "fraud-alerts" in p.ready


def test_demo_twice_adds_nothing(demo_store) -> None:
    before = snapshot(demo_store)
    n_events = len(events(demo_store))
    again = demo.build(demo_store)
    assert (again.created_use_cases, again.created_users) == (0, 0)
    assert len(events(demo_store)) == n_events
    assert snapshot(demo_store) == before


def test_demo_audit_chain_verifies(demo_store) -> None:
    report = audit.verify(demo_store)
    assert report.ok, report.problem
    assert report.events == len(events(demo_store))
    actions = {e.action for e in events(demo_store)}
    assert {
        "policy.applied",
        "user.created",
        "usecase.created",
        "approval.recorded",
        "evidence.recorded",
        "usecase.retired",
    } <= actions


def test_demo_refuses_a_workspace_with_its_own_users(store) -> None:
    users.add(store, "zoe", role="admin", actor=None)
    before = snapshot(store)
    with pytest.raises(ConflictError, match="already has users of its own"):
        demo.build(store)
    assert snapshot(store) == before


def test_demo_data_checks_are_real_runs(demo_store) -> None:
    from scalegate.services import data_checks
    from scalegate.services.demo_data import CONTRACTS, batch

    runs = registry.list_evidence(demo_store, "demand-forecast", kind="data_check")
    assert [(r.subject, r.status.value) for r in runs] == [
        ("sales-history", "fail"),
        ("sales-history", "pass"),
    ]
    stored = registry.get_evidence(demo_store, runs[0].ref).payload
    results = {r["id"]: r for r in stored["results"]}
    # about 3% of the generated units were negated; the stored count is the engine's
    assert results["units.between"]["status"] == "fail"
    assert 20 < results["units.between"]["failing"] < 120
    assert stored["profile"]["row_count"] == stored["dataset"]["rows"] == 2000
    # the same seeded batch, re-run, gives the stored count, and so does plain Polars
    contract = data_checks.load_contract(CONTRACTS["sales-history"], "sales-history.yaml")
    at = runs[0].created_at
    frame = batch("sales-history", seed=len("demand-forecast") * 100 + 1, at=at, broken=True)
    again = data_checks.run(frame, contract, now=at)
    assert again.result("units.between").failing == results["units.between"]["failing"]
    assert (frame["units"] < 0).sum() == results["units.between"]["failing"]
    weekly = registry.list_evidence(demo_store, "claims-triage", kind="data_check")
    assert [r.status.value for r in weekly].count("fail") == 1
    assert len(weekly) == 5


def test_demo_users_log_in_with_the_demo_password(demo_store) -> None:
    from scalegate.errors import AuthenticationError
    from scalegate.services import auth
    from scalegate.store import token_repository

    for spec in demo.USERS:
        assert auth.verify_password(demo_store, spec["username"], demo.DEMO_PASSWORD)
    with pytest.raises(AuthenticationError):
        auth.verify_password(demo_store, "rita", "not-the-demo-password")
    # a demo workspace made before logins existed gets the password on the next run
    with demo_store.write() as conn:
        token_repository.set_password_hash(conn, "vic", None)
    with pytest.raises(AuthenticationError):
        auth.verify_password(demo_store, "vic", demo.DEMO_PASSWORD)
    demo.build(demo_store)
    assert auth.verify_password(demo_store, "vic", demo.DEMO_PASSWORD).username == "vic"
