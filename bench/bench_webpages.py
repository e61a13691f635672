"""Time the data behind the approvals, audit and contract pages at scale.

``audit``: ``services.audit.events_page`` (the audit viewer's one query) for the newest
page, a deep page and each kind of filter over ``--events`` synthetic audit events written
straight into a fresh database (the hashes are not a valid chain: this times paging, not
verification; ``bench_foundation.py`` times ``verify``).

``inbox``: ``services.gates.awaiting_approval`` and ``inbox`` for an approver and an admin
over the use cases of an existing database, e.g. the one ``bench_foundation.py`` generates
(``--inbox-db bench/.data/foundation-uc10000-ev1000000.db``).

Medians of ``--repeat`` runs; CPU time is reported beside wall time because the machines
these run on are often shared.

    .venv/bin/python bench/bench_webpages.py --db /tmp/audit-1m.db
    .venv/bin/python bench/bench_webpages.py --db /tmp/audit-1m.db --inbox-db bench/.data/X.db
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from scalegate.services import audit, gates, workspace
from scalegate.store import Store
from scalegate.store import tables as t

ACTIONS = {
    "evidence.recorded": 30,
    "monitor.batch_logged": 30,
    "auth.login": 20,
    "usecase.updated": 10,
    "approval.recorded": 4,
    "alert.opened": 4,
    "waiver.granted": 1,
    "usecase.promoted": 1,
}
START = datetime(2025, 1, 1, tzinfo=UTC)
STEP_S = 30  # one event every 30 s: a million events span about a year


def fill(store: Store, n: int, seed: int = 7) -> None:
    """Write ``n`` synthetic events (60 actors, one rare actor every 100,000 events, 10,000
    subjects) unless the database already holds them."""
    with store.read() as conn:
        have = conn.execute(sa.select(sa.func.count()).select_from(t.audit_events)).scalar()
    if have and have >= n:
        return
    rng = random.Random(seed)
    names, weights = list(ACTIONS), list(ACTIONS.values())
    insert = t.audit_events.insert()
    with store.engine.begin() as conn:
        conn.execute(t.audit_events.delete())
        rows: list[dict[str, Any]] = []
        for seq in range(1, n + 1):
            rows.append(
                {
                    "seq": seq,
                    "at": (START + timedelta(seconds=seq * STEP_S)).isoformat(
                        timespec="microseconds"
                    ),
                    "actor": "rare-actor" if seq % 100_000 == 0 else f"user{rng.randrange(60)}",
                    "action": rng.choices(names, weights)[0],
                    "subject_type": "use_case",
                    "subject_id": f"uc-{rng.randrange(10_000):05d}",
                    "before": "null",
                    "after": '{"x":1}',
                    "prev_hash": "0" * 64,
                    "hash": "1" * 64,
                }
            )
            if len(rows) == 50_000:
                conn.execute(insert, rows)
                rows = []
        if rows:
            conn.execute(insert, rows)
        conn.execute(t.audit_head.delete())
        conn.execute(t.audit_head.insert().values(id=1, seq=n, hash="1" * 64))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if store.is_sqlite else "VACUUM ANALYZE audit_events")


def timed(
    fn: Callable[..., Any], repeat: int, *args: Any, **kwargs: Any
) -> tuple[float, float, Any]:
    """Median wall and CPU milliseconds of ``fn(*args, **kwargs)``, and its last result."""
    wall, cpu = [], []
    out = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, out


def bench_audit(store: Store, n: int, repeat: int) -> None:
    f = audit.EventFilters
    day = START.date() + timedelta(days=31)
    cases: dict[str, tuple[audit.EventFilters, int | None]] = {
        "newest page": (f(), None),
        f"deep page (before={n // 2:,})": (f(), n // 2),
        "actor, common": (f(actor="user7"), None),
        "actor, rare": (f(actor="rare-actor"), None),
        "action, 1% of events": (f(action="waiver.granted"), None),
        "action family approval.*": (f(action="approval.*"), None),
        "subject (use case slug)": (f(subject="uc-00042"), None),
        "one old day": (f(since=day, until=day), None),
        "actor + action + two old days": (
            f(actor="user3", action="auth.login", since=day, until=day + timedelta(days=1)),
            None,
        ),
    }
    print(
        f"\naudit events_page over {n:,} events ({'SQLite' if store.is_sqlite else 'PostgreSQL'})"
    )
    print(f"{'query':34} {'wall ms':>8} {'cpu ms':>7} rows")
    for name, (filters, before) in cases.items():
        wall, cpu, page = timed(audit.events_page, repeat, store, filters, before=before)
        print(f"{name:34} {wall:8.1f} {cpu:7.1f} {len(page.events)}")


def bench_inbox(store: Store, repeat: int) -> None:
    with store.read() as conn:
        people = conn.execute(
            sa.select(t.users.c.username, t.users.c.role).where(
                t.users.c.role.in_(["approver", "admin"])
            )
        ).all()
        cases = conn.execute(sa.select(sa.func.count()).select_from(t.use_cases)).scalar()
    picked = [p for p in people if p.role == "approver"][:1] + [
        p for p in people if p.role == "admin"
    ][:1]
    requests = gates.open_request_count(store)
    print(f"\napprovals inbox over {cases:,} use cases, {requests} open requests")
    for who in picked:
        wall, cpu, items = timed(gates.awaiting_approval, repeat, store, actor=who.username)
        label = f"{who.username} ({who.role})"
        print(
            f"{label}: awaiting_approval {len(items):,} rows, wall {wall:.0f} ms, cpu {cpu:.0f} ms"
        )
        wall, cpu, _ = timed(gates.inbox, repeat, store, actor=who.username, limit=50)
        print(f"{label}: inbox(limit=50) wall {wall:.0f} ms, cpu {cpu:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database for the synthetic audit log")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--inbox-db", help="a populated database to time the inbox on")
    args = parser.parse_args()
    store = workspace.open_store(args.db)
    try:
        started = time.perf_counter()
        fill(store, args.events)
        print(f"data set ready in {time.perf_counter() - started:.0f} s")
        bench_audit(store, args.events, args.repeat)
    finally:
        store.close()
    if args.inbox_db:
        store = workspace.open_store(args.inbox_db)
        try:
            bench_inbox(store, args.repeat)
        finally:
            store.close()


if __name__ == "__main__":
    main()
