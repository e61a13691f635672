"""The shared portfolio cache: every write invalidates it, concurrent requests share one
build, and what it serves equals an uncached build."""

from __future__ import annotations

import gzip
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from svc_support import charter, scored, utc_now

from scalegate.domain.stage import Stage
from scalegate.errors import UnknownChoiceError
from scalegate.services import (
    alerts,
    auth,
    demo,
    gates,
    monitoring,
    policies,
    portfolio,
    registry,
    users,
)
from scalegate.services.portfolio_cache import PortfolioCache, cache_for
from scalegate.store import Store
from scalegate.store import tables as t

NOW = utc_now().replace(microsecond=0)

#: tables whose rows no portfolio reads: token bookkeeping (``last_used_at`` on every
#: authenticated request) and webhook delivery attempts
UNAUDITED_TABLES = {"api_tokens", "alert_deliveries"}

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class AuditGuard:
    """Watches every committed write transaction of a store: one that changed a table other
    than :data:`UNAUDITED_TABLES` must also have appended an audit event (which moves the
    chain head, the portfolio cache's key)."""

    def __init__(self) -> None:
        self.open: dict[int, set[str]] = {}
        self.committed: list[set[str]] = []
        self.unaudited: list[set[str]] = []

    def statement(self, conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        found = _WRITE.match(sql)
        if found:
            self.open.setdefault(id(conn), set()).add(found.group(1))

    def commit(self, conn: Any) -> None:
        tables = self.open.pop(id(conn), set())
        if not tables:
            return
        self.committed.append(tables)
        if tables - UNAUDITED_TABLES - {"audit_events", "audit_head"} and (
            "audit_events" not in tables or "audit_head" not in tables
        ):
            self.unaudited.append(tables)

    def rollback(self, conn: Any) -> None:
        self.open.pop(id(conn), None)

    def touched(self) -> set[str]:
        return set().union(*self.committed) if self.committed else set()


@contextmanager
def audit_guard(store: Store) -> Iterator[AuditGuard]:
    guard = AuditGuard()
    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", guard.statement),
        ("commit", guard.commit),
        ("rollback", guard.rollback),
    ]
    for name, fn in hooks:
        event.listen(store.engine, name, fn)
    try:
        yield guard
    finally:
        for name, fn in hooks:
            event.remove(store.engine, name, fn)


# ============================================================================ the guard
def test_the_guard_catches_a_write_without_an_audit_event(team) -> None:
    registry.add(team, charter("quiet"), actor="ben")
    with audit_guard(team) as guard, team.write() as conn:
        conn.execute(sa.update(t.use_cases).values(name="changed behind the chain's back"))
    assert guard.unaudited == [{"use_cases"}]


def test_every_write_of_the_demo_appends_an_audit_event(store) -> None:
    """The demo drives users, registry, approvals, evidence, data checks, retirements,
    monitors, batches, labels and alert rules through the services."""
    with audit_guard(store) as guard:
        demo.build(store)
    assert guard.unaudited == []
    expected = {
        "users",
        "use_cases",
        "stage_history",
        "approvals",
        "evidence",
        "monitors",
        "monitor_batches",
        "batch_rows",
        "alert_rules",
        "alerts",
    }
    assert expected <= guard.touched()


# ============================================================================ invalidation
def _pilot(store: Store, slug: str, days: int, *, checked: bool = True, **overrides: Any) -> None:
    registry.add(
        store,
        charter(slug, **overrides),
        actor="ada",
        stage=Stage.PILOT,
        stage_since=NOW - timedelta(days=days),
    )
    if checked:
        registry.record_evidence(
            store,
            slug,
            kind="data_check",
            subject="applications",
            status="pass",
            actor="ben",
            at=NOW - timedelta(days=1),
        )


def _watched(store: Store) -> None:
    """A production use case with a monitor but no batch yet (monitoring-active fails)."""
    registry.add(
        store,
        charter("watched"),
        actor="ada",
        stage=Stage.PRODUCTION,
        stage_since=NOW - timedelta(days=60),
    )
    monitoring.create(
        store,
        "watched",
        scored(2_000, seed=1),
        actor="ben",
        model_name="gbm",
        model_version="1",
        task="classification",
    )


def _scenario(store: Store) -> None:
    _pilot(store, "stuck", 40)  # stalled: business approval missing
    _pilot(store, "ready", 10)
    gates.approve(store, "ready", gate="production", domain="business", actor="omar")
    _pilot(store, "unchecked", 40, checked=False)
    registry.add(store, charter("fresh-idea"), actor="ben")


def _write_policy(store: Store) -> None:
    text = policies.active(store).document.replace("stall_after_days: 30", "stall_after_days: 50")
    policies.apply(store, text, source="test", actor="ada")


WRITES: dict[str, Callable[[Store], Any]] = {
    "add use case": lambda s: registry.add(s, charter("another"), actor="ben"),
    "edit charter": lambda s: registry.edit(s, "ready", {"technical_owner": None}, actor="ada"),
    "retire": lambda s: registry.retire(s, "stuck", lessons="no data owner", actor="ada"),
    "promote": lambda s: gates.promote(s, "ready", to="production", actor="ben"),
    "approve": lambda s: gates.approve(
        s, "stuck", gate="production", domain="business", actor="omar"
    ),
    "evidence": lambda s: registry.record_evidence(
        s, "unchecked", kind="data_check", subject="applications", status="pass", actor="ben"
    ),
    "waiver": lambda s: gates.waive(
        s,
        "stuck",
        gate="production",
        criterion="business-approval",
        justification="sponsor signs next week",
        expires=NOW + timedelta(days=20),
        actor="omar",
    ),
    "policy": _write_policy,
    "user": lambda s: users.edit(s, "ben", actor="ada", active=False),
    "batch": lambda s: monitoring.log_batch(
        s, "watched", scored(500, seed=2, start_id=5_000).drop("label"), actor="ben"
    ),
    "alert rule": lambda s: alerts.add_rule(
        s, "watched", metric="accuracy", op="<", threshold=0.99, actor="ben"
    ),
}


@pytest.mark.parametrize("kind", list(WRITES))
def test_each_kind_of_write_invalidates_the_cache(team, kind: str) -> None:
    _scenario(team)
    _watched(team)
    cache = PortfolioCache(team, clock=lambda: NOW)
    before = cache.get()
    assert cache.get() is before  # served from the cache while nothing changes
    with audit_guard(team) as guard:
        WRITES[kind](team)
    assert guard.unaudited == []
    after = cache.get()
    uncached = portfolio.build(team, now=NOW)
    assert after.portfolio == uncached
    assert json.loads(after.json) == uncached.to_dict()
    if kind == "alert rule":
        # a rule changes no portfolio figure, but still moves the head: a new build
        assert after is not before and after.head != before.head
    else:
        # the write changed the portfolio, so a cache that kept serving `before` fails above
        assert after.portfolio != before.portfolio


def test_writes_of_tokens_and_passwords_are_audited_or_ignored(team) -> None:
    cache = PortfolioCache(team, clock=lambda: NOW)
    first = cache.get()
    with audit_guard(team) as guard:
        text, info = auth.create_token(team, "ben", actor="ben")
        auth.authenticate_token(team, text)  # writes last_used_at only
        auth.revoke_token(team, info.id, actor="ben")
        auth.set_password(team, "ben", "correct horse battery", actor="ben")
    assert guard.unaudited == []
    assert "api_tokens" in guard.touched()
    assert cache.get().portfolio == first.portfolio == portfolio.build(team, now=NOW)


def test_a_failing_promotion_opens_a_request_under_audit(team) -> None:
    _pilot(team, "stuck", 40)
    with audit_guard(team) as guard:
        outcome = gates.promote(team, "stuck", to="production", actor="ben")
    assert not outcome.promoted and outcome.request_opened
    assert guard.unaudited == [] and "promotion_requests" in guard.touched()


def test_a_write_from_another_store_object_is_seen(team) -> None:
    """Another process writing to the same database moves the same chain head."""
    _scenario(team)
    cache = PortfolioCache(team, clock=lambda: NOW)
    before = cache.get()
    other = Store(team.url)
    try:
        registry.add(other, charter("from-elsewhere"), actor="ben")
    finally:
        other.close()
    after = cache.get()
    assert after.portfolio.total == before.portfolio.total + 1


# ============================================================================ behaviour
class Gate:
    """A build function that counts its calls and blocks until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, store: Store, **kwargs: Any) -> portfolio.Portfolio:
        with self._lock:
            self.calls += 1
        self.started.set()
        assert self.release.wait(30), "the test never released the build"
        return portfolio.build(store, **kwargs)


def test_concurrent_requests_share_one_build(team) -> None:
    _scenario(team)
    build = Gate()
    cache = PortfolioCache(team, clock=lambda: NOW, build=build)
    n = 12
    arrived = threading.Barrier(n + 1)
    results: list[Any] = [None] * n

    def request(i: int) -> None:
        arrived.wait()
        results[i] = cache.get()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    arrived.wait()
    assert build.started.wait(30)
    build.release.set()
    for th in threads:
        th.join(30)
    assert build.calls == 1 and cache.builds == 1
    assert all(r is results[0] for r in results)
    assert results[0].portfolio == portfolio.build(team, now=NOW)


def test_filters_are_cached_apart_and_equal_uncached_builds(team) -> None:
    _scenario(team)
    registry.add(team, charter("risky", risk_tier="high", departments=["risk"]), actor="ben")
    cache = PortfolioCache(team, clock=lambda: NOW)
    cases = [
        {},
        {"risk_tier": "high"},
        {"department": "claims"},
        {"owner": "carla"},
        {"department": "nobody"},
    ]
    for filters in cases:
        got = cache.get(**filters)
        assert got.portfolio == portfolio.build(team, now=NOW, **filters)
    assert cache.builds == len(cases)
    assert cache.get(risk_tier="high").portfolio.total == 1


def test_gzip_bytes_are_the_json(team) -> None:
    for i in range(20):
        _pilot(team, f"stuck-{i}", 40)
    got = PortfolioCache(team, clock=lambda: NOW).get()
    assert got.gzip is not None and len(got.gzip) < len(got.json)
    assert gzip.decompress(got.gzip) == got.json


def test_errors_are_not_cached(team) -> None:
    cache = PortfolioCache(team, clock=lambda: NOW)
    for _ in range(2):
        with pytest.raises(UnknownChoiceError, match="risk tier"):
            cache.get(risk_tier="extreme")
    assert cache.builds == 2


class FakeTime:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_old_entries_refresh_in_the_background_then_expire(team) -> None:
    _scenario(team)
    clock = FakeTime()
    now = [NOW]
    cache = PortfolioCache(
        team, max_age=60, refresh_after=45, clock=lambda: now[0], monotonic=clock
    )
    first = cache.get()
    clock.value += 30
    assert cache.get() is first and cache.builds == 1  # young: served as is
    # time-driven change: 50 days later the "ready" pilot sits past stall_after_days too
    now[0] = NOW + timedelta(days=50)
    clock.value += 20  # 50 s old: still served, and a background refresh starts
    assert cache.get() is first
    assert cache.builds == 2
    for th in threading.enumerate():
        if th.name == "scalegate-portfolio-refresh":
            th.join(30)
    refreshed = cache.get()
    assert refreshed is not first
    assert refreshed.portfolio == portfolio.build(team, now=now[0])
    clock.value += 61  # past max_age: the request waits for a new build
    latest = cache.get()
    assert latest is not refreshed and cache.builds == 3


def test_one_cache_per_store(team, tmp_path) -> None:
    assert cache_for(team) is cache_for(team)
    other = Store(str(tmp_path / "other.db"))
    try:
        assert cache_for(other) is not cache_for(team)
    finally:
        other.close()


def test_refresh_after_must_not_exceed_max_age(store) -> None:
    with pytest.raises(ValueError, match="refresh_after"):
        PortfolioCache(store, max_age=10, refresh_after=20)


def test_entries_are_bounded_and_expired_ones_freed(team) -> None:
    _scenario(team)
    clock = FakeTime()
    cache = PortfolioCache(
        team, max_age=60, refresh_after=45, max_entries=2, clock=lambda: NOW, monotonic=clock
    )
    cache.get(department="claims")
    cache.get(owner="carla")
    cache.get()  # a third filter combination evicts the least recently used one
    assert cache.builds == 3
    cache.get(owner="carla")
    assert cache.builds == 3  # still kept
    cache.get(department="claims")
    assert cache.builds == 4  # was evicted: built again
    clock.value += 61
    cache.get(owner="nobody")  # storing a new entry frees the expired ones
    assert list(cache._entries) == [cache.get(owner="nobody").filters]
