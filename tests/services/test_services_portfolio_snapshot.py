"""Portfolio snapshots: reused while the audit head stands still, rebuilt after any change
or once too old, always equal to a fresh build."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from svc_support import ago, charter

from scalegate.errors import UnknownChoiceError
from scalegate.services import auth, portfolio, registry


def _same(a: portfolio.Portfolio, b: portfolio.Portfolio) -> bool:
    da, db = a.to_dict(), b.to_dict()
    da.pop("generated_at"), db.pop("generated_at")
    return da == db


def test_a_snapshot_is_reused_until_something_changes(team) -> None:
    registry.add(team, charter("stuck-a", kpis=[]), actor="ada", stage_since=ago(200))
    first = portfolio.snapshot(team)
    assert portfolio.snapshot(team) is first
    assert _same(first, portfolio.build(team))
    registry.add(team, charter("stuck-b", kpis=[]), actor="ada", stage_since=ago(200))
    second = portfolio.snapshot(team)
    assert second is not first
    assert {s.slug for s in second.stalled} == {"stuck-a", "stuck-b"}
    assert _same(second, portfolio.build(team))


def test_any_audited_event_invalidates_even_a_failed_login(team) -> None:
    first = portfolio.snapshot(team)
    with pytest.raises(Exception, match="wrong username or password"):
        auth.verify_password(team, "nobody", "x" * 8)
    assert portfolio.snapshot(team) is not first


def test_an_old_snapshot_is_rebuilt(team) -> None:
    first = portfolio.snapshot(team)
    assert portfolio.snapshot(team, max_age=timedelta(0)) is not first


def test_filters_have_their_own_snapshots(team) -> None:
    registry.add(team, charter("hr-case", departments=["hr"]), actor="ada")
    registry.add(team, charter("ops-case", departments=["ops"]), actor="ada")
    hr = portfolio.snapshot(team, department="hr")
    everything = portfolio.snapshot(team)
    assert (hr.total, everything.total) == (1, 2)
    assert portfolio.snapshot(team, department="hr") is hr


def test_invalid_filters_raise_like_build(team) -> None:
    with pytest.raises(UnknownChoiceError, match="risk tier"):
        portfolio.snapshot(team, risk_tier="extreme")


def test_concurrent_callers_share_one_build(team) -> None:
    registry.add(team, charter("shared"), actor="ada")
    results: list[portfolio.Portfolio] = []
    threads = [
        threading.Thread(target=lambda: results.append(portfolio.snapshot(team))) for _ in range(6)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 6
    assert all(r is results[0] for r in results)  # two builds would give two objects


def test_facets_follow_the_data(team) -> None:
    registry.add(team, charter("hr-case", departments=["hr"]), actor="ada")
    first = portfolio.facets_snapshot(team)
    assert portfolio.facets_snapshot(team) is first
    assert first == portfolio.facets(team) and first["departments"] == ["hr"]
    registry.add(team, charter("ops-case", departments=["ops"], business_owner="omar"), actor="ada")
    second = portfolio.facets_snapshot(team)
    assert second["departments"] == ["hr", "ops"] and "omar" in second["owners"]
