"""Several processes writing to one database at once, on both backends.

Each audit row's hash depends on the previous row, so appends must be serialised: no lost
writes, no duplicate or skipped sequence numbers, and a chain that still verifies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from scalegate.domain.use_case import Charter
from scalegate.services import audit, registry
from scalegate.services.workspace import open_store
from scalegate.store import Store
from scalegate.store.migrations import HEAD_REVISION
from scalegate.store.tables import audit_events, evidence, policies

pytestmark = pytest.mark.slow

PROCESSES = 4
WRITES = 25

WORKER = r"""
import sys
from scalegate.domain.use_case import Charter
from scalegate.services import registry
from scalegate.services.workspace import open_store

url, wid, writes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    sys.exit(3)
store = open_store(url)
try:
    if writes:
        own = f"w{wid}-case"
        registry.add(store, Charter(slug=own, name=f"worker {wid}"), actor="ben")
        for i in range(writes - 1):
            if i % 3 == 2:
                registry.edit(store, "shared", {"purpose": f"worker {wid} step {i}"}, actor="ben")
            else:
                # half of the evidence goes to one use case every worker writes to
                registry.record_evidence(
                    store,
                    "shared" if i % 2 else own,
                    kind="note",
                    status="info",
                    summary=f"{wid}/{i}",
                    payload={"worker": wid, "i": i},
                    actor="carla",
                )
finally:
    store.close()
print("done", flush=True)
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}


def run_workers(url: str, *, writes: int, processes: int = PROCESSES) -> None:
    """Start the workers, wait until all are up, then release them at the same moment."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(w), str(writes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for w in range(processes)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            if line != "ready\n":
                _, err = p.communicate(timeout=30)
                pytest.fail(f"worker did not start: {line!r}\n{err}")
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        failures = []
        for w, p in enumerate(procs):
            out, err = p.communicate(timeout=120)
            if p.returncode != 0 or "done" not in out:
                failures.append(f"worker {w} exited {p.returncode}:\n{err}")
        assert not failures, "\n".join(failures)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


def _count(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_concurrent_writers_lose_nothing_and_keep_the_chain_linear(
    team: Store, db_url: str
) -> None:
    registry.add(team, Charter(slug="shared", name="Shared"), actor="ben")
    with team.read() as conn:
        start = int(conn.execute(sa.select(sa.func.max(audit_events.c.seq))).scalar_one())
    started = time.monotonic()

    run_workers(db_url, writes=WRITES)

    elapsed = time.monotonic() - started
    expected = start + PROCESSES * WRITES
    with team.read() as conn:
        rows = conn.execute(
            sa.select(audit_events.c.seq, audit_events.c.actor, audit_events.c.action).order_by(
                audit_events.c.seq
            )
        ).all()
    assert len(rows) == expected  # no lost writes
    assert [r.seq for r in rows] == list(range(1, expected + 1))  # contiguous
    new = rows[start:]
    actions = Counter(r.action for r in new)
    edits = sum(1 for i in range(WRITES - 1) if i % 3 == 2)
    assert actions == {
        "usecase.created": PROCESSES,
        "usecase.updated": PROCESSES * edits,
        "evidence.recorded": PROCESSES * (WRITES - 1 - edits),
    }
    assert _count(team, evidence) == PROCESSES * (WRITES - 1 - edits)
    report = audit.verify(team)
    assert report.ok, report.message()
    assert report.events == expected
    # every worker's use case exists and the shared one saw all of them
    assert {uc.slug for uc in registry.list_all(team)} == {"shared"} | {
        f"w{w}-case" for w in range(PROCESSES)
    }
    assert elapsed < 60, f"{PROCESSES} x {WRITES} writes took {elapsed:.1f}s"


def test_concurrent_first_open_migrates_once(db_url: str) -> None:
    """Several processes opening the same brand-new database: one migrates, the others wait
    and find it done; the default policy is stored exactly once."""
    run_workers(db_url, writes=0)
    with Store(db_url) as store:
        assert store.current_revision() == HEAD_REVISION
        with store.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(HEAD_REVISION,)]
        assert _count(store, policies) == 1
        report = audit.verify(store)
        assert report.ok, report.message()
        assert report.events == 1
    open_store(db_url).close()  # and it opens normally afterwards
