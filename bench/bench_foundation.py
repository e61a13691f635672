"""Foundation benchmarks: gate evaluation, audit verification, portfolio and CLI start-up.

Targets (from the issue):

* gate evaluation of one use case in a store of 10,000: median under 20 ms (SQLite);
* ``audit verify`` over 1,000,000 audit events: under 10 s;
* ``portfolio`` over 10,000 use cases: under 1 s.

Usage::

    python bench/bench_foundation.py [--use-cases 10000] [--events 1000000] [--db-url URL]

Without ``--db-url`` the data set lives in ``bench/.data/`` (a SQLite file per size) and is
reused by later runs; ``--fresh`` regenerates it. A ``postgresql://`` URL gets its own schema
(``sgbench_uc<N>_ev<M>``) inside that database, reused the same way. Results are printed as
a table and merged into ``bench/results/foundation.json`` (one entry per backend).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, insert, select, update

from scalegate.audit import canonical_json, event_hash
from scalegate.domain.stage import Stage, next_stage
from scalegate.errors import ScalegateError
from scalegate.services import audit, gates, portfolio, registry, users, workspace
from scalegate.store import Store, resolve_url
from scalegate.store import tables as t
from scalegate.store.audit_log import read_head

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_FILE = BENCH_DIR / "results" / "foundation.json"

ADMIN = "bench-admin"
SEED = 20240601

TARGET_GATE_MEDIAN_MS = 20.0
TARGET_VERIFY_S = 10.0
TARGET_PORTFOLIO_S = 1.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ============================================================================ data set
FIRST_NAMES = (
    "alice",
    "bruno",
    "chloe",
    "dmitri",
    "elena",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jonas",
    "kemal",
    "lena",
    "marco",
    "nadia",
    "oskar",
    "priya",
    "quentin",
    "rosa",
    "samir",
    "tara",
    "ulrich",
    "vera",
    "wei",
    "xenia",
    "yusuf",
    "zoe",
    "amara",
    "bjorn",
    "celine",
    "dario",
    "emeka",
    "freya",
    "gustav",
    "hana",
    "ivan",
    "julia",
    "kofi",
    "lucia",
    "mateo",
    "noor",
    "olga",
    "pavel",
    "rania",
    "stefan",
    "tomas",
    "uma",
    "viktor",
    "wanda",
    "yara",
)
DEPARTMENTS = (
    "finance",
    "claims",
    "operations",
    "marketing",
    "sales",
    "supply-chain",
    "legal",
    "procurement",
    "hr",
    "customer-service",
    "risk",
    "it",
)
TOPICS = (
    "invoice-matching",
    "claims-triage",
    "churn-prediction",
    "demand-forecast",
    "contract-review",
    "call-summaries",
    "fraud-alerts",
    "lead-scoring",
    "document-extraction",
    "email-routing",
    "price-optimisation",
    "anomaly-detection",
    "knowledge-assistant",
    "route-planning",
    "quality-inspection",
)
SYSTEMS = (
    "SAP S/4HANA",
    "Salesforce",
    "Guidewire ClaimCenter",
    "Zendesk",
    "ServiceNow",
    "Workday",
    "Snowflake reporting",
    "Replenishment engine",
)
MODES = ("api", "batch", "embedded_ui", "report")
KPI_NAMES = (
    ("handling time", "minutes", "decrease"),
    ("auto-match rate", "%", "increase"),
    ("cost per case", "EUR", "decrease"),
    ("forecast error", "%", "decrease"),
    ("conversion rate", "%", "increase"),
    ("customer satisfaction", "points", "increase"),
)
TAGS = ("genai", "llm", "classification", "forecasting", "document-ai", "real-time", "vision")

STAGE_WEIGHTS = {
    Stage.IDEA: 0.33,
    Stage.PILOT: 0.35,
    Stage.PRODUCTION: 0.18,
    Stage.SCALED: 0.08,
    Stage.RETIRED: 0.06,
}
TIER_WEIGHTS = {"minimal": 0.40, "limited": 0.35, "high": 0.22, "prohibited": 0.03}
MAX_DAYS_IN_STAGE = {Stage.IDEA: 200, Stage.PILOT: 300, Stage.PRODUCTION: 400, Stage.SCALED: 600}

#: approval domains each gate of the default policy asks for, per risk tier
GATE_DOMAINS: dict[Stage, dict[str, tuple[str, ...]]] = {
    Stage.PILOT: {"*": ("business",)},
    Stage.PRODUCTION: {
        "minimal": ("business",),
        "limited": ("risk", "business"),
        "high": ("risk", "data", "business"),
    },
    Stage.SCALED: {
        "minimal": ("executive",),
        "limited": ("executive", "risk"),
        "high": ("executive", "risk"),
    },
}

#: filler audit events: (action, weight)
FILLER_ACTIONS = (
    ("evidence.recorded", 0.5),
    ("usecase.updated", 0.2),
    ("approval.recorded", 0.15),
    ("promotion.requested", 0.1),
    ("waiver.granted", 0.05),
)


@dataclass
class People:
    contributors: list[str]
    approvers: dict[str, list[str]]  # domain -> usernames


@dataclass
class DatasetInfo:
    location: str
    use_cases: int
    users: int
    audit_events: int
    approvals: int
    evidence: int
    waivers: int
    open_requests: int
    stages: dict[str, int]
    reused: bool
    generation_s: dict[str, float] = field(default_factory=dict)


def pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_people(store: Store, now: datetime) -> People:
    """About 50 users: an admin, contributors (owners), approvers per domain, viewers."""
    users.add(store, ADMIN, role="admin", display_name="Benchmark admin", actor=None, now=now)
    names = FIRST_NAMES
    contributors = [f"{n}.c" for n in names[:30]]
    for name in contributors:
        users.add(store, name, role="contributor", email=f"{name}@example.com", actor=ADMIN)
    approver_domains = (
        ["business"] * 4
        + ["risk"] * 3
        + ["data"] * 3
        + ["security", "executive", "executive"]
        + ["business,data"]
    )
    approvers: dict[str, list[str]] = {}
    for name, domains in zip(names[30:], approver_domains, strict=False):
        username = f"{name}.a"
        users.add(store, username, role="approver", domains=domains.split(","), actor=ADMIN)
        for d in domains.split(","):
            approvers.setdefault(d, []).append(username)
    for name in names[44:49]:
        users.add(store, f"{name}.v", role="viewer", actor=ADMIN)
    return People(contributors, approvers)


def make_charter(rng: random.Random, i: int, stage: Stage, people: People) -> dict[str, Any]:
    complete = rng.random() < (0.6 if stage is Stage.IDEA else 0.92)
    tier = pick(rng, TIER_WEIGHTS)
    if tier == "prohibited" and stage is not Stage.IDEA:
        tier = "high"
    depts = rng.sample(DEPARTMENTS, rng.choice((1, 1, 1, 2, 2, 3)))
    topic = rng.choice(TOPICS)
    business = rng.choice(people.contributors) if rng.random() < 0.93 else None
    technical: str | None = rng.choice(people.contributors)
    if stage is Stage.IDEA and rng.random() < 0.4:
        technical = None
    elif rng.random() < 0.03:
        technical = business  # trips the "distinct owners" criterion of the scaled gate
    kpis = []
    for name, unit, direction in rng.sample(KPI_NAMES, rng.choice((0, 1, 1, 2, 2, 3))):
        baseline = round(rng.uniform(5, 100), 1) if rng.random() < 0.85 else None
        kpis.append(
            {
                "name": name,
                "unit": unit,
                "direction": direction,
                "baseline": baseline,
                "target": round(rng.uniform(5, 100), 1),
            }
        )
    n_targets = rng.choice((0, 1, 1, 1, 2)) if stage is not Stage.IDEA else rng.choice((0, 0, 1))
    targets = [{"system": s, "mode": rng.choice(MODES)} for s in rng.sample(SYSTEMS, n_targets)]
    return {
        "slug": f"{depts[0]}-{topic}-{i:05d}",
        "name": f"{topic.replace('-', ' ').capitalize()} for {depts[0]} #{i}",
        "purpose": f"Use {topic.replace('-', ' ')} to take manual work out of {depts[0]}."
        if complete or rng.random() < 0.5
        else "",
        "strategic_objective": "Cut operating cost by 10% within two years" if complete else "",
        "business_owner": business,
        "technical_owner": technical,
        "departments": depts,
        "integration_targets": targets,
        "kpis": kpis,
        "risk_tier": tier,
        "tags": rng.sample(TAGS, rng.choice((0, 1, 2))),
    }


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def populate(store: Store, n_use_cases: int, rng: random.Random, now: datetime) -> None:
    """Create users and use cases through the real services, one transaction each."""
    people = make_people(store, now)
    started = time.perf_counter()
    for i in range(n_use_cases):
        stage = pick(rng, STAGE_WEIGHTS)
        retire = stage is Stage.RETIRED
        if retire:
            stage = pick(rng, {Stage.IDEA: 0.5, Stage.PILOT: 0.4, Stage.PRODUCTION: 0.1})
        data = make_charter(rng, i, stage, people)
        slug = data["slug"]
        since = now - timedelta(days=rng.uniform(0.5, MAX_DAYS_IN_STAGE[stage]))
        registry.add(
            store,
            registry.charter_from_fields(**data),
            actor=ADMIN,
            stage=stage,
            stage_since=since,
            now=since,
        )
        owners = {data["business_owner"], data["technical_owner"]}
        tier = data["risk_tier"]
        gate = next_stage(stage)
        if gate is not None and not retire and tier != "prohibited":
            wanted = GATE_DOMAINS[gate]
            for domain in wanted.get(tier, wanted.get("*", ())):
                if rng.random() < 0.55:
                    approver = rng.choice(people.approvers[domain])
                    if approver in owners:
                        continue
                    gates.approve(
                        store,
                        slug,
                        gate=gate,
                        domain=domain,
                        actor=approver,
                        note="reviewed in the monthly AI board",
                        now=between(rng, since, now),
                    )
        evidence_by = data["technical_owner"] or ADMIN
        if stage is not Stage.IDEA and not retire:
            if tier == "high" and rng.random() < 0.7:
                registry.record_evidence(
                    store,
                    slug,
                    kind="model_card",
                    status="pass" if rng.random() < 0.85 else "fail",
                    summary="model card reviewed by model risk",
                    payload={"version": rng.randint(1, 5), "reviewer": "model-risk"},
                    actor=evidence_by,
                    at=now - timedelta(days=rng.uniform(0, 500)),
                )
            for kind in ("data_check", "drift_report"):
                if rng.random() < 0.25:
                    registry.record_evidence(
                        store,
                        slug,
                        kind=kind,
                        status=rng.choice(("pass", "pass", "pass", "warn", "fail")),
                        summary=f"{kind.replace('_', ' ')} from the nightly pipeline",
                        payload={"rows": rng.randint(10_000, 5_000_000), "run": i},
                        actor=evidence_by,
                        at=between(rng, since, now),
                    )
        if stage is Stage.PILOT and not retire and rng.random() < 0.03:
            approver = rng.choice(people.approvers["risk"])
            if approver not in owners:
                gates.waive(
                    store,
                    slug,
                    gate=Stage.PRODUCTION,
                    criterion="time-box",
                    justification="extended pilot agreed by the AI board to collect more data",
                    expires=now + timedelta(days=rng.randint(30, 180)),
                    actor=approver,
                    now=now,
                )
        if gate is not None and not retire and rng.random() < 0.06:
            gates.promote(store, slug, gate, actor=data["business_owner"] or ADMIN, now=now)
        if retire:
            registry.retire(
                store,
                slug,
                lessons="the business case did not hold once integration costs were known",
                actor=ADMIN,
                now=between(rng, since, now),
            )
        if (i + 1) % 1000 == 0:
            rate = (i + 1) / (time.perf_counter() - started)
            log(f"  {i + 1}/{n_use_cases} use cases ({rate:.0f}/s)")


def _filler_event(
    rng: random.Random, slugs: Sequence[str], actors: Sequence[str]
) -> tuple[str, str, str, Any, Any]:
    """A plausible (actor, action, subject_id, before, after) for an existing use case."""
    action = rng.choices([a for a, _ in FILLER_ACTIONS], weights=[w for _, w in FILLER_ACTIONS])[0]
    slug = rng.choice(slugs)
    actor = rng.choice(actors)
    before: Any = None
    after: Any
    if action == "evidence.recorded":
        kind = rng.choice(("data_check", "drift_report", "eval_run", "model_card"))
        after = {
            "evidence": f"ev-{rng.randint(1, 10**7)}",
            "kind": kind,
            "status": rng.choice(("pass", "pass", "warn", "fail", "info")),
            "summary": f"{kind.replace('_', ' ')} from the nightly pipeline",
        }
    elif action == "usecase.updated":
        before = {"purpose": "Automate the manual steps."}
        after = {"purpose": f"Automate the manual steps of {slug} (revision {rng.randint(2, 9)})."}
    elif action == "approval.recorded":
        after = {
            "approval": f"ap-{rng.randint(1, 10**6)}",
            "gate": rng.choice(("pilot", "production", "scaled")),
            "domain": rng.choice(("business", "risk", "data", "executive")),
            "note": "reviewed in the monthly AI board",
        }
    elif action == "promotion.requested":
        after = {
            "gate": rng.choice(("pilot", "production", "scaled")),
            "policy_version": 1,
            "blockers": rng.sample(["charter", "owners", "kpis", "integration", "time-box"], 2),
        }
    else:
        after = {
            "waiver": f"wv-{rng.randint(1, 10**5)}",
            "gate": "production",
            "criterion": "time-box",
            "justification": "extended pilot agreed by the AI board to collect more data",
            "expires_at": "2030-01-31T00:00:00+00:00",
        }
    return actor, action, slug, before, after


def append_filler(
    store: Store,
    total: int,
    rng: random.Random,
    slugs: Sequence[str],
    actors: Sequence[str],
    *,
    batch: int = 50_000,
) -> int:
    """Top the audit chain up to ``total`` events, ``batch`` per write transaction.

    Does what ``append_event`` does (same hash function, same columns, head row updated in the
    same transaction) but inserts a whole batch with one executemany.
    """
    with store.read() as conn:
        start_seq, _ = read_head(conn)
    if start_seq >= total:
        return 0
    base = datetime.now(UTC)
    started = time.perf_counter()
    while True:
        with store.write() as conn:
            head_seq, prev = read_head(conn)
            if head_seq >= total:
                break
            if head_seq == 0:
                raise RuntimeError("filler events need an existing chain head")
            last = min(total, head_seq + batch)
            rows: list[dict[str, Any]] = []
            for seq in range(head_seq + 1, last + 1):
                actor, action, sid, before, after = _filler_event(rng, slugs, actors)
                at = (base + timedelta(milliseconds=seq - start_seq)).isoformat(
                    timespec="microseconds"
                )
                before_text, after_text = canonical_json(before), canonical_json(after)
                digest = event_hash(
                    seq, at, actor, action, "use_case", sid, before_text, after_text, prev
                )
                rows.append(
                    {
                        "seq": seq,
                        "at": at,
                        "actor": actor,
                        "action": action,
                        "subject_type": "use_case",
                        "subject_id": sid,
                        "before": before_text,
                        "after": after_text,
                        "prev_hash": prev,
                        "hash": digest,
                    }
                )
                prev = digest
            conn.execute(insert(t.audit_events), rows)
            conn.execute(
                update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=last, hash=prev)
            )
        done = last - start_seq
        rate = done / (time.perf_counter() - started)
        log(f"  {last}/{total} audit events ({rate:,.0f}/s)")
    return total - start_seq


# ============================================================================ locations
@dataclass
class Location:
    """Where the data set lives: a store URL, plus how to wipe it."""

    url: str
    backend: str
    managed: bool  # created by this script (safe to wipe and regenerate)
    describe: str
    pg_admin_url: str | None = None
    pg_schema: str | None = None

    def wipe(self) -> None:
        if self.backend == "sqlite":
            path = Path(sa.engine.make_url(self.url).database or "")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        assert self.pg_admin_url and self.pg_schema
        engine = sa.create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.pg_schema}" CASCADE')
        engine.dispose()

    def prepare(self) -> None:
        if self.backend == "sqlite":
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            return
        assert self.pg_admin_url and self.pg_schema
        engine = sa.create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.pg_schema}"')
        engine.dispose()

    def size_bytes(self) -> int | None:
        if self.backend == "sqlite":
            path = sa.engine.make_url(self.url).database or ""
            return sum(
                Path(f"{path}{s}").stat().st_size
                for s in ("", "-wal")
                if Path(f"{path}{s}").exists()
            )
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            size = conn.execute(
                sa.text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :s AND c.relkind = 'r'"
                ),
                {"s": self.pg_schema},
            ).scalar()
        engine.dispose()
        return int(size or 0)


def locate(db_url: str | None, n_use_cases: int, n_events: int) -> Location:
    name = f"uc{n_use_cases}_ev{n_events}"
    if db_url is None:
        path = DATA_DIR / f"foundation-{name.replace('_', '-')}.db"
        return Location(resolve_url(path), "sqlite", True, str(path.relative_to(REPO_DIR)))
    url = resolve_url(db_url)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Location(url, "sqlite", False, parsed.database or url)
    schema = f"sgbench_{name}"
    scoped = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return Location(
        scoped.render_as_string(hide_password=False),
        "postgresql",
        True,
        f"{parsed.render_as_string(hide_password=True)} schema {schema}",
        pg_admin_url=url,
        pg_schema=schema,
    )


def _counts(store: Store) -> dict[str, Any]:
    def count(table: sa.Table) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    with store.read() as conn:
        stages: dict[str, int] = dict(
            conn.execute(
                select(t.use_cases.c.stage, func.count()).group_by(t.use_cases.c.stage)
            ).all()
        )
        admin = conn.execute(select(t.users.c.id).where(t.users.c.username == ADMIN)).first()
        return {
            "use_cases": count(t.use_cases),
            "users": count(t.users),
            "audit_events": read_head(conn)[0],
            "approvals": count(t.approvals),
            "evidence": count(t.evidence),
            "waivers": count(t.waivers),
            "open_requests": int(
                conn.execute(
                    select(func.count())
                    .select_from(t.promotion_requests)
                    .where(t.promotion_requests.c.status == "open")
                ).scalar_one()
            ),
            "stages": {str(k): int(v) for k, v in sorted(stages.items())},
            "has_admin": admin is not None,
        }


def _hashes_current(store: Store) -> bool:
    """Whether the first and last stored events hash as this version of scalegate hashes.

    A cached data set outlives changes to the hash format; verifying it would then fail.
    """
    with store.read() as conn:
        head_seq, _ = read_head(conn)
        rows = conn.execute(
            select(*t.audit_events.c).where(t.audit_events.c.seq.in_({1, head_seq}))
        ).all()
    return bool(rows) and all(
        event_hash(*(r._mapping[c.name] for c in t.audit_events.c if c.name != "hash")) == r.hash
        for r in rows
    )


def ensure_dataset(loc: Location, n_use_cases: int, n_events: int, fresh: bool) -> DatasetInfo:
    """Reuse the data set at ``loc`` if complete; otherwise (re)generate it."""
    if fresh:
        if not loc.managed:
            log(f"--fresh: deleting {loc.describe}")
        loc.wipe()
    loc.prepare()
    timings: dict[str, float] = {}
    store = workspace.open_store(loc.url)
    try:
        counts = _counts(store)
        complete_cases = counts["has_admin"] and counts["use_cases"] == n_use_cases
        empty = counts["users"] == 0 and counts["use_cases"] == 0
        problem = None
        if not empty and not complete_cases:
            problem = f"holds other or incomplete data ({counts['use_cases']} use cases)"
        elif not empty and not _hashes_current(store):
            problem = "was hashed with another audit hash format"
        if problem:
            if not loc.managed:
                raise SystemExit(
                    f"{loc.describe} {problem}; pass --fresh to delete it, or use an empty database"
                )
            log(f"{loc.describe} {problem}; regenerating")
            store.close()
            loc.wipe()
            loc.prepare()
            store = workspace.open_store(loc.url)
            empty, complete_cases = True, False
        reused = complete_cases and counts["audit_events"] >= n_events
        rng = random.Random(SEED)
        now = datetime.now(UTC)
        if empty:
            log(f"generating {n_use_cases} use cases through the services in {loc.describe}")
            started = time.perf_counter()
            populate(store, n_use_cases, rng, now)
            timings["use_cases_s"] = round(time.perf_counter() - started, 1)
        if not reused:
            with store.read() as conn:
                slugs = list(conn.execute(select(t.use_cases.c.slug)).scalars())
                actors = list(conn.execute(select(t.users.c.username)).scalars())
            log(f"appending audit events up to {n_events}")
            started = time.perf_counter()
            append_filler(store, n_events, rng, slugs, actors)
            timings["audit_events_s"] = round(time.perf_counter() - started, 1)
            if store.is_sqlite:
                with store.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
        counts = _counts(store)
    finally:
        store.close()
    counts.pop("has_admin")
    return DatasetInfo(location=loc.describe, reused=reused, generation_s=timings, **counts)


# ============================================================================ measuring
@dataclass
class Result:
    name: str
    unit: str
    median: float
    p95: float | None = None
    min: float | None = None
    max: float | None = None
    runs: int = 1
    #: median CPU time (user + system) of the process doing the work; less sensitive than the
    #: wall-clock time to other load on the machine
    cpu: float | None = None
    target: float | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.median < self.target


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Samples:
    """Wall-clock and CPU seconds of repeated runs."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)


def summarise(
    name: str,
    unit: str,
    samples: Samples,
    *,
    target: float | None = None,
    note: str = "",
) -> Result:
    scale = 1000.0 if unit == "ms" else 1.0
    wall = [v * scale for v in samples.wall]
    return Result(
        name=name,
        unit=unit,
        median=statistics.median(wall),
        p95=percentile(wall, 0.95) if len(wall) >= 20 else None,
        min=min(wall),
        max=max(wall),
        runs=len(wall),
        cpu=statistics.median(samples.cpu) * scale if samples.cpu else None,
        target=target,
        note=note,
    )


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result) of one call in this process."""
    cpu = time.process_time()
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, time.process_time() - cpu, value


def scalegate_exe() -> list[str]:
    exe = Path(sys.executable).with_name("scalegate")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from scalegate.cli.app import main; main()"]


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    env["COLUMNS"] = "120"
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(args: Sequence[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(wall seconds, CPU seconds, process) of one ``scalegate`` run, start-up included."""
    cmd = [*scalegate_exe(), *args]
    cpu = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=cli_env(), check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}"
        )
    return elapsed, children_cpu() - cpu, proc


def bench_gate(store: Store, samples: int, rng: random.Random) -> Result:
    with store.read() as conn:
        slugs = list(conn.execute(select(t.use_cases.c.slug)).scalars())
    chosen = rng.sample(slugs, min(samples, len(slugs)))
    for slug in chosen[:20]:  # warm-up: policy parse cache, compiled SQL cache, pool
        gates.evaluate(store, slug, "production")
    times = Samples()
    passed = 0
    for slug in chosen:
        wall, cpu, decision = timed(partial(gates.evaluate, store, slug, "production"))
        times.add(wall, cpu)
        passed += decision.passed
    return summarise(
        "gate evaluate (service)",
        "ms",
        times,
        target=TARGET_GATE_MEDIAN_MS,
        note=f"{len(chosen)} distinct use cases, {passed} pass",
    )


def bench_verify(store: Store, url: str, repeat: int, expected: int) -> list[Result]:
    times = Samples()
    for _ in range(repeat):
        wall, cpu, report = timed(lambda: audit.verify(store))
        if not report.ok or report.events != expected:
            raise RuntimeError(f"verify failed on the benchmark data: {report.message()}")
        times.add(wall, cpu)
        log(f"  audit.verify: {wall:.2f} s (CPU {cpu:.2f} s)")
    cli = Samples()
    for _ in range(repeat):
        wall, cpu, _proc = run_cli(["--db", url, "audit", "verify"])
        cli.add(wall, cpu)
        log(f"  scalegate audit verify: {wall:.2f} s (CPU {cpu:.2f} s)")
    note = f"{expected:,} events"
    return [
        summarise("audit verify (service)", "s", times, target=TARGET_VERIFY_S, note=note),
        summarise("audit verify (CLI)", "s", cli, target=TARGET_VERIFY_S, note=note),
    ]


def bench_portfolio(store: Store, url: str, repeat: int) -> list[Result]:
    times = Samples()
    stalled = ready = 0
    first, _cpu, _p = timed(lambda: portfolio.build(store))  # cold: policy parse, SQL compile
    for _ in range(repeat):
        wall, cpu, p = timed(lambda: portfolio.build(store))
        times.add(wall, cpu)
        stalled, ready = len(p.stalled), len(p.ready)
    cli = Samples()
    size = 0
    for _ in range(repeat):
        wall, cpu, proc = run_cli(["--db", url, "portfolio", "--json"])
        cli.add(wall, cpu)
        size = len(proc.stdout)
    note = f"{stalled} stalled, {ready} ready; first call {first:.2f} s"
    return [
        summarise("portfolio build (service)", "s", times, target=TARGET_PORTFOLIO_S, note=note),
        summarise(
            "portfolio --json (CLI)",
            "s",
            cli,
            target=TARGET_PORTFOLIO_S,
            note=f"{size / 1e6:.1f} MB of JSON",
        ),
    ]


def bench_startup(repeat: int = 5) -> Result:
    times = Samples()
    for _ in range(repeat):
        wall, cpu, _proc = run_cli(["--help"])
        times.add(wall, cpu)
    return summarise("scalegate --help", "s", times, note="start-up, no database")


# ============================================================================ reporting
def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} {unit}" if unit == "ms" or value >= 10 else f"{value:.3f} {unit}"


def print_table(results: Sequence[Result]) -> None:
    header = ("benchmark", "median", "p95", "min", "CPU", "runs", "target", "met", "note")
    rows = [header]
    for r in results:
        met = {None: "", True: "yes", False: "NO"}[r.met]
        target = f"< {r.target:g} {r.unit}" if r.target is not None else ""
        rows.append(
            (
                r.name,
                fmt(r.median, r.unit),
                fmt(r.p95, r.unit),
                fmt(r.min, r.unit),
                fmt(r.cpu, r.unit),
                str(r.runs),
                target,
                met,
                r.note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=REPO_DIR, capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "dirty_src": bool(git("status", "--porcelain", "--", "src")),
    }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "pydantic": metadata.version("pydantic"),
        "scalegate": metadata.version("scalegate"),
    }


def save(backend: str, payload: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        existing = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        existing = {}
    runs = existing.get("runs", {}) if isinstance(existing, dict) else {}
    runs[backend] = payload
    path.write_text(json.dumps({"runs": runs}, indent=2) + "\n", "utf-8")


# ============================================================================ main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--use-cases", type=int, default=10_000, help="use cases (default 10000)")
    p.add_argument(
        "--events", type=int, default=1_000_000, help="audit events in total (default 1000000)"
    )
    p.add_argument(
        "--db-url",
        help="SQLite path/URL or postgresql:// URL [default: a cached file in bench/.data/]",
    )
    p.add_argument("--fresh", action="store_true", help="regenerate the data set")
    p.add_argument("--samples", type=int, default=1000, help="use cases to evaluate (default 1000)")
    p.add_argument("--repeat", type=int, default=3, help="runs of verify and portfolio (default 3)")
    p.add_argument(
        "--only",
        action="append",
        choices=("gate", "verify", "portfolio", "startup"),
        help="run only these benchmarks (repeatable)",
    )
    p.add_argument("--output", type=Path, default=RESULTS_FILE, help="JSON results file")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    only = set(args.only or ("gate", "verify", "portfolio", "startup"))
    loc = locate(args.db_url, args.use_cases, args.events)
    try:
        info = ensure_dataset(loc, args.use_cases, args.events, args.fresh)
    except ScalegateError as exc:
        log(f"error: {exc}")
        return 2
    log(
        f"data set: {info.use_cases} use cases {info.stages}, {info.users} users, "
        f"{info.audit_events:,} audit events ({'reused' if info.reused else 'generated'})"
    )
    load_before = os.getloadavg()
    results: list[Result] = []
    rng = random.Random(SEED + 1)
    store = workspace.open_store(loc.url)
    try:
        if "gate" in only:
            log("gate evaluation ...")
            results.append(bench_gate(store, args.samples, rng))
        if "portfolio" in only:
            log("portfolio ...")
            results.extend(bench_portfolio(store, loc.url, args.repeat))
        if "verify" in only:
            log("audit verify ...")
            results.extend(bench_verify(store, loc.url, args.repeat, info.audit_events))
    finally:
        store.close()
    if "startup" in only:
        log("start-up ...")
        results.append(bench_startup())

    load_after = os.getloadavg()
    print(
        f"\nscalegate foundation benchmarks on {loc.backend} ({os.cpu_count()} CPUs): "
        f"{info.use_cases:,} use cases, {info.audit_events:,} audit events\n"
    )
    print_table(results)
    busy = max(load_before[0], load_after[0])
    if busy > 0.5 * (os.cpu_count() or 1) + 1:
        print(
            f"\nnote: the machine was busy (1-min load average up to {busy:.1f}); "
            "wall-clock times are inflated, the CPU column less so"
        )
    payload = {
        "backend": loc.backend,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_state(),
        "load_average": {"before": load_before, "after": load_after},
        "args": {
            "use_cases": args.use_cases,
            "events": args.events,
            "samples": args.samples,
            "repeat": args.repeat,
        },
        "dataset": {**asdict(info), "size_bytes": loc.size_bytes()},
        "results": [{**asdict(r), "met": r.met} for r in results],
    }
    save(loc.backend, payload, args.output)
    print(f"\nresults written to {args.output}")
    missed = [r.name for r in results if r.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
