"""A realistic example portfolio: nine use cases across departments, risk tiers and stages,
some stalled for different reasons. Building it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scalegate.domain.stage import Stage
from scalegate.errors import ConflictError
from scalegate.services import auth, data_checks, demo_fairness, gates, registry, users
from scalegate.services.clock import utcnow
from scalegate.services.demo_data import CONTRACTS, DemoRun, batch
from scalegate.store import Store
from scalegate.store import repositories as repo
from scalegate.store import token_repository as tokens_repo

ADMIN = "ada"
#: every demo user's login password for the web UI and ``POST /api/v1/login``
DEMO_PASSWORD = "scalegate-demo"

USERS: list[dict[str, Any]] = [
    {"username": "ada", "role": "admin", "display_name": "Ada Lovelace (AI platform lead)"},
    {"username": "ben", "role": "contributor", "display_name": "Ben Okafor (data scientist)"},
    {"username": "carla", "role": "contributor", "display_name": "Carla Ruiz (claims director)"},
    {"username": "dev", "role": "contributor", "display_name": "Dev Patel (ML engineer)"},
    {"username": "fiona", "role": "contributor", "display_name": "Fiona Berg (CFO office)"},
    {
        "username": "rita",
        "role": "approver",
        "domains": ["risk"],
        "display_name": "Rita Moreau (risk & compliance)",
    },
    {
        "username": "omar",
        "role": "approver",
        "domains": ["business", "data"],
        "display_name": "Omar Haddad (COO office, data governance)",
    },
    {
        "username": "eve",
        "role": "approver",
        "domains": ["executive"],
        "display_name": "Eve Chen (Chief Operating Officer)",
    },
    {"username": "vic", "role": "viewer", "display_name": "Victor Stone (internal audit)"},
]


def _kpi(
    name: str, unit: str, direction: str, baseline: float | None, target: float | None
) -> dict[str, Any]:
    return {
        "name": name,
        "unit": unit,
        "direction": direction,
        "baseline": baseline,
        "target": target,
    }


@dataclass(frozen=True)
class DemoCase:
    charter: dict[str, Any]
    stage: Stage
    days_in_stage: int
    approvals: tuple[tuple[str, str, str], ...] = ()  # (gate, domain, approver)
    evidence: tuple[tuple[str, str, str, int], ...] = ()  # (kind, status, summary, days ago)
    data_checks: tuple[DemoRun, ...] = ()
    retire_lessons: str | None = None


CASES: list[DemoCase] = [
    DemoCase(
        {
            "slug": "invoice-matching",
            "name": "Invoice matching",
            "purpose": "Match supplier invoices to purchase orders and receipts automatically.",
            "strategic_objective": "Cut the cost of finance operations by 20%",
            "business_owner": "fiona",
            "technical_owner": "dev",
            "departments": ["finance"],
            "integration_targets": [{"system": "SAP S/4HANA", "mode": "batch"}],
            "kpis": [
                _kpi("auto-match rate", "%", "increase", 41, 85),
                _kpi("finance operations cost", "EUR/month", "decrease", 180_000, 144_000),
            ],
            "risk_tier": "minimal",
            "tags": ["document-ai"],
        },
        Stage.SCALED,
        210,
    ),
    DemoCase(
        {
            "slug": "claims-triage",
            "name": "Claims triage",
            "purpose": "Route incoming motor claims to fast-track, standard or fraud review.",
            "strategic_objective": "Settle simple claims within 48 hours",
            "business_owner": "carla",
            "technical_owner": "ben",
            "departments": ["claims", "operations"],
            "integration_targets": [
                {"system": "Guidewire ClaimCenter", "mode": "api"},
                {"system": "Claims handler workbench", "mode": "embedded_ui"},
            ],
            "kpis": [
                _kpi("median time to settle", "hours", "decrease", 96, 48),
                _kpi("handling cost per claim", "EUR per claim", "decrease", 38, 30),
                _kpi("claims handling cost", "EUR/month", "decrease", 410_000, 350_000),
            ],
            "risk_tier": "high",
            "tags": ["classification", "customer-facing"],
        },
        Stage.PRODUCTION,
        150,
        approvals=(("scaled", "risk", "rita"),),
        evidence=(("model_card", "pass", "model card v3 reviewed by risk", 120),),
        data_checks=tuple(
            DemoRun("claims-intake", days, broken=days == 14) for days in (28, 21, 14, 7, 1)
        ),
    ),
    DemoCase(
        {
            "slug": "churn-prediction",
            "name": "Churn prediction",
            "purpose": "Flag subscribers likely to cancel so retention can call them first.",
            "strategic_objective": "Reduce monthly churn from 2.1% to 1.6%",
            "business_owner": "carla",
            "technical_owner": "ben",
            "departments": ["marketing"],
            "integration_targets": [{"system": "Salesforce", "mode": "batch"}],
            "kpis": [_kpi("monthly churn", "%", "decrease", 2.1, 1.6)],
            "risk_tier": "limited",
            "tags": ["propensity"],
        },
        Stage.PILOT,
        75,
        approvals=(("production", "business", "omar"),),
        data_checks=(
            DemoRun("customer-features", 20, broken=True),
            DemoRun("customer-features", 3),
        ),
    ),
    DemoCase(
        {
            "slug": "demand-forecast",
            "name": "Store demand forecast",
            "purpose": "Forecast daily demand per store and SKU to drive replenishment.",
            "strategic_objective": "Lower stock-outs and waste in fresh produce",
            "business_owner": "fiona",
            "technical_owner": "dev",
            "departments": ["supply-chain"],
            "integration_targets": [{"system": "Replenishment engine", "mode": "batch"}],
            "kpis": [_kpi("forecast MAPE", "%", "decrease", 31, 18)],
            "risk_tier": "minimal",
            "tags": ["forecasting"],
        },
        Stage.PILOT,
        205,
        approvals=(("production", "business", "omar"),),
        data_checks=(DemoRun("sales-history", 9), DemoRun("sales-history", 2, broken=True)),
    ),
    DemoCase(
        {
            "slug": "contract-review",
            "name": "Contract review assistant",
            "purpose": "Highlight unusual clauses in supplier contracts for the legal team.",
            "strategic_objective": "Halve the legal review backlog",
            "business_owner": "fiona",
            "technical_owner": None,
            "departments": ["legal", "procurement"],
            "integration_targets": [{"system": "Contract lifecycle tool", "mode": "embedded_ui"}],
            "kpis": [_kpi("review time per contract", "hours", "decrease", 6, 3)],
            "risk_tier": "limited",
            "tags": ["genai", "llm"],
        },
        Stage.PILOT,
        64,
        approvals=(("production", "risk", "rita"), ("production", "business", "omar")),
    ),
    DemoCase(
        {
            "slug": "call-summaries",
            "name": "Call summaries",
            "purpose": "Summarise customer calls into the CRM so agents stop typing notes.",
            "strategic_objective": "Give agents 10% of their day back",
            "business_owner": "carla",
            "technical_owner": "dev",
            "departments": ["customer-service"],
            "integration_targets": [{"system": "Zendesk", "mode": "embedded_ui"}],
            "kpis": [_kpi("after-call work", "seconds", "decrease", None, 45)],
            "risk_tier": "limited",
            "tags": ["genai", "speech"],
        },
        Stage.PILOT,
        48,
        approvals=(("production", "risk", "rita"), ("production", "business", "omar")),
        data_checks=(DemoRun("call-transcripts", 4, broken=True),),
    ),
    DemoCase(
        {
            "slug": "fraud-alerts",
            "name": "Card fraud alerts",
            "purpose": "Score card transactions in real time and hold the riskiest for review.",
            "strategic_objective": "Keep fraud losses under 5 bp of card volume",
            "business_owner": "fiona",
            "technical_owner": "ben",
            "departments": ["finance", "risk"],
            "integration_targets": [{"system": "Card authorisation switch", "mode": "api"}],
            "kpis": [_kpi("fraud loss", "bp", "decrease", 7.5, 5)],
            "risk_tier": "high",
            "tags": ["real-time"],
        },
        Stage.PILOT,
        21,
        approvals=(
            ("production", "risk", "rita"),
            ("production", "data", "omar"),
            ("production", "business", "omar"),
        ),
        evidence=(("model_card", "pass", "model card v1, reviewed", 5),),
        data_checks=(DemoRun("card-transactions", 1),),
    ),
    DemoCase(
        {
            "slug": "resume-screening",
            "name": "Résumé screening",
            "purpose": "Rank applications for high-volume roles.",
            "strategic_objective": "Fill store roles faster",
            "business_owner": None,
            "technical_owner": None,
            "departments": ["hr"],
            "risk_tier": "high",
            "tags": ["employment"],
        },
        Stage.IDEA,
        110,
    ),
    DemoCase(
        {
            "slug": "workplace-emotion",
            "name": "Workplace emotion detection",
            "purpose": "Infer call-centre agents' emotions from webcam video.",
            "strategic_objective": "Improve agent wellbeing",
            "business_owner": "carla",
            "departments": ["customer-service"],
            "risk_tier": "prohibited",
            "tags": ["computer-vision"],
        },
        Stage.IDEA,
        40,
        retire_lessons="Emotion recognition in the workplace is a prohibited practice under "
        "EU AI Act Art. 5(1)(f). Screen ideas with the risk questionnaire before any data work.",
    ),
]

SLUGS = tuple(c.charter["slug"] for c in CASES)


@dataclass(frozen=True)
class DemoObjective:
    slug: str
    name: str
    sponsor: str
    outcome: str
    use_cases: tuple[str, ...]


#: the third serves no use case in production yet: the portfolio flags it
OBJECTIVES: list[DemoObjective] = [
    DemoObjective(
        "lower-operating-cost",
        "Lower operating cost",
        "Eve Chen, Chief Operating Officer",
        "Cut the cost of finance and back-office operations by 20% within two years.",
        ("invoice-matching", "demand-forecast", "contract-review"),
    ),
    DemoObjective(
        "customer-experience",
        "Faster, friendlier service",
        "Laura Diaz, Chief Customer Officer",
        "Settle simple claims within 48 hours and keep churn below 1.6% a month.",
        ("claims-triage", "churn-prediction", "call-summaries"),
    ),
    DemoObjective(
        "risk-in-appetite",
        "Keep fraud and compliance risk in appetite",
        "Chief Risk Officer",
        "Fraud losses under 5 bp of card volume; no AI use outside the EU AI Act.",
        ("fraud-alerts", "resume-screening"),
    ),
]

#: monthly KPI history of the use cases in production: (slug, months of history, how far
#: from baseline to target the last month got)
KPI_HISTORY: tuple[tuple[str, int, float], ...] = (
    ("invoice-matching", 9, 0.95),
    ("claims-triage", 6, 0.7),
)


@dataclass(frozen=True)
class DemoResult:
    created_users: int
    created_use_cases: int


def build(store: Store, *, now: datetime | None = None) -> DemoResult:
    """Create the demo users and use cases that are not there yet."""
    now = now or utcnow()
    with store.read() as conn:
        existing_users = {u.username for u in repo.list_users(conn)}
        existing_cases = {c.slug for c in repo.list_use_cases(conn)}
        # demo workspaces made before logins existed get the demo password too
        no_password = [
            u for u in sorted(existing_users) if tokens_repo.password_hash(conn, u) is None
        ]
    if existing_users and ADMIN not in existing_users:
        raise ConflictError(
            "this database already has users of its own; run the demo on a new database, "
            "e.g. scalegate demo --db demo.db"
        )
    for username in no_password:
        if username in {spec["username"] for spec in USERS}:
            auth.set_password(store, username, DEMO_PASSWORD, actor=ADMIN)
    made_users = 0
    for spec in USERS:
        if spec["username"] in existing_users:
            continue
        actor = None if not existing_users and spec["role"] == "admin" else ADMIN
        users.add(store, actor=actor, now=now, **spec)
        auth.set_password(store, spec["username"], DEMO_PASSWORD, actor=ADMIN)
        existing_users.add(spec["username"])
        made_users += 1
    made_cases = 0
    for case in CASES:
        slug = case.charter["slug"]
        if slug in existing_cases:
            continue
        since = now - timedelta(days=case.days_in_stage)
        charter = registry.charter_from_fields(**case.charter)
        registry.add(
            store,
            charter,
            actor=ADMIN,
            stage=case.stage,
            stage_since=since,
            now=since if case.stage is Stage.IDEA else now,
        )
        for i, (gate, domain, approver) in enumerate(case.approvals):
            gates.approve(
                store,
                slug,
                gate=gate,
                domain=domain,
                actor=approver,
                note="demo approval",
                now=now - timedelta(days=10 - i),
            )
        for kind, status, summary, days_ago in case.evidence:
            registry.record_evidence(
                store,
                slug,
                kind=kind,
                status=status,
                summary=summary,
                actor=case.charter.get("technical_owner") or ADMIN,
                at=now - timedelta(days=days_ago),
            )
        _check_batches(store, slug, case, now)
        demo_fairness.record_review(
            store, slug, actor=case.charter.get("technical_owner") or ADMIN, now=now
        )
        _production_batches(store, slug, now)
        if case.retire_lessons:
            registry.retire(store, slug, lessons=case.retire_lessons, actor=ADMIN, now=now)
        _kpi_history(store, slug, now)
        made_cases += 1
    _objectives(store, now)
    return DemoResult(made_users, made_cases)


def _objectives(store: Store, now: datetime) -> None:
    """Create the demo objectives that are missing and link each demo use case that serves
    no objective yet (a link someone changed is left as it is)."""
    from scalegate.services import objectives

    existing = {s.objective.slug: s for s in objectives.list_all(store)}
    linked = {uc for s in existing.values() for uc, _ in s.use_cases}
    for spec in OBJECTIVES:
        if spec.slug not in existing:
            objectives.add(
                store,
                spec.slug,
                name=spec.name,
                sponsor=spec.sponsor,
                outcome=spec.outcome,
                actor=ADMIN,
                now=now,
            )
        todo = [uc for uc in spec.use_cases if uc not in linked]
        if todo:
            objectives.link(store, spec.slug, todo, actor=ADMIN, now=now)


def _kpi_history(store: Store, slug: str, now: datetime) -> None:
    """Monthly measurements of every KPI of a demo use case in production, moving from
    the baseline towards the target with a little month-to-month noise."""
    from scalegate.services import kpis

    spec = next((h for h in KPI_HISTORY if h[0] == slug), None)
    if spec is None:
        return
    _, months, reach = spec
    case = next(c for c in CASES if c.charter["slug"] == slug)
    points = []
    for kpi in case.charter["kpis"]:
        base, target = kpi["baseline"], kpi["target"]
        for m in range(months):
            ago = months - 1 - m
            share = reach * (m + 1) / months + ((m * 7) % 5 - 2) * 0.02
            value = base + (target - base) * share
            points.append((kpi["name"], round(value, 1), now - timedelta(days=30 * ago + 2)))
    kpis.record_series(store, slug, points, actor=case.charter["technical_owner"])


def _check_batches(store: Store, slug: str, case: DemoCase, now: datetime) -> None:
    """Run each of the case's demo batches through its contract and store the run."""
    actor = case.charter.get("technical_owner") or ADMIN
    contracts = {}
    for i, run in enumerate(case.data_checks):
        if run.contract not in contracts:
            contracts[run.contract] = data_checks.load_contract(
                CONTRACTS[run.contract], f"{run.contract}.yaml"
            )
        at = now - timedelta(days=run.days_ago, hours=3)
        frame = batch(run.contract, seed=len(slug) * 100 + i, at=at, broken=run.broken)
        result = data_checks.run(frame, contracts[run.contract], now=at)
        data_checks.record(store, slug, result, actor=actor, at=at)


def _production_batches(store: Store, slug: str, now: datetime) -> None:
    """For the demo's models in production: a monitor, alert rules, weekly batches over four
    months and their labels two weeks later (claims-triage drifts in its last weeks)."""
    from scalegate.services import alerts, demo_monitoring, monitoring

    model = next((m for m in demo_monitoring.MODELS if m.slug == slug), None)
    if model is None:
        return
    actor = next(c.charter["technical_owner"] for c in CASES if c.charter["slug"] == slug)
    reference = demo_monitoring.frame(
        model, rows=demo_monitoring.REFERENCE_ROWS, seed=demo_monitoring.seed_of(model, None)
    )
    monitor = monitoring.create(
        store,
        slug,
        reference,
        actor=actor,
        model_name=model.model_name,
        model_version=model.model_version,
        task="classification",
        artifact_uri=f"s3://models/{model.model_name}/{model.model_version}/model.pkl",
        code_revision="3f9c2ab",
        reference_source=f"{model.model_name} validation set ({len(reference):,} rows)",
    )
    accuracy = monitor.reference_metrics.get("accuracy", 0.8)
    for name, metric, op, threshold, windows in (
        ("accuracy-drop", "accuracy", "<=", demo_monitoring.accuracy_bound(accuracy, 0.05), 2),
        ("input-drift", "drift_share", ">=", 0.25, 2),
    ):
        alerts.add_rule(
            store,
            slug,
            monitor=monitor.name,
            name=name,
            metric=metric,
            op=op,
            threshold=threshold,
            windows=windows,
            actor=actor,
        )
    pending: list[tuple[datetime, Any]] = []  # (labels arrive, frame), oldest first
    next_id = 1_000_000

    def labels_until(moment: datetime) -> None:
        while pending and pending[0][0] <= moment:
            arrive, labelled = pending.pop(0)
            monitoring.log_labels(
                store, slug, labelled.select("id", "label"), actor=actor, now=arrive
            )

    for week, at in demo_monitoring.weekly(model, now):
        batch = demo_monitoring.frame(
            model,
            rows=demo_monitoring.BATCH_ROWS,
            seed=demo_monitoring.seed_of(model, week),
            week=week,
            start_id=next_id,
            at=at,
        )
        next_id += len(batch)
        labels_until(at)
        monitoring.log_batch(store, slug, batch.drop("label"), actor=actor, at=at, now=at)
        pending.append((at + timedelta(days=demo_monitoring.LABEL_DELAY_DAYS), batch))
    labels_until(now)
