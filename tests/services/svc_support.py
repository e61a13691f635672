"""Helpers shared by the service tests (imported as a plain module, not a fixture file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from scalegate.domain.audit_event import AuditEvent
from scalegate.domain.use_case import Charter
from scalegate.services import audit, registry
from scalegate.store import Store
from scalegate.store import tables as t


def utc_now() -> datetime:
    return datetime.now(UTC)


def ago(days: float, *, base: datetime | None = None) -> datetime:
    return (base or utc_now()) - timedelta(days=days)


def charter(slug: str, **overrides: Any) -> Charter:
    """A charter complete enough to pass every non-approval criterion of the default policy."""
    fields: dict[str, Any] = {
        "slug": slug,
        "name": slug.replace("-", " ").capitalize(),
        "purpose": "Route claims to the right queue.",
        "strategic_objective": "Settle simple claims within 48 hours",
        "business_owner": "carla",
        "technical_owner": "ben",
        "departments": ["claims"],
        "integration_targets": [{"system": "ClaimCenter", "mode": "api"}],
        "kpis": [
            {
                "name": "time to settle",
                "unit": "hours",
                "direction": "decrease",
                "baseline": 96,
                "target": 48,
            }
        ],
        "risk_tier": "minimal",
        "tags": ["triage"],
    }
    fields.update(overrides)
    return registry.charter_from_fields(**fields)


def snapshot(store: Store) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, for 'nothing was written' assertions."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with store.read() as conn:
        for table in t.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out


def events(store: Store) -> list[AuditEvent]:
    """All audit events, oldest first."""
    return list(reversed(list(audit.recent(store, limit=100_000))))


def actions(store: Store) -> list[str]:
    return [e.action for e in events(store)]


def verdicts(decision: Any) -> dict[str, str]:
    return {r.id: r.verdict.value for r in decision.results}


def scored(rows: int, seed: int, *, drift: bool = False, start_id: int = 0) -> Any:
    """The synthetic credit table with a fixed logistic model's score, its prediction, a
    label drawn from the score (so the model is calibrated) and an id."""
    import numpy as np
    import polars as pl

    from scalegate.engine.synthetic import credit_table

    table = credit_table(rows, seed, drift=drift)
    rng = np.random.default_rng(seed + 99)
    score_z = (table["credit_score"].fill_null(690).to_numpy() - 690) / 70
    util = table["revolving_util"].fill_null(0.5).to_numpy()
    score = 1 / (1 + np.exp(-(0.4 + 1.3 * score_z - 1.1 * (util - 0.5))))
    return table.with_columns(
        pl.Series("id", np.arange(start_id, start_id + rows, dtype=np.int64)),
        pl.Series("score", score),
        pl.Series("prediction", (score >= 0.5).astype(np.int64)),
        pl.Series("label", (rng.random(rows) < score).astype(np.int64)),
    )
