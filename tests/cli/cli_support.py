"""Helpers shared by the CLI tests (imported as a plain module, not a fixture file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from scalegate.store import Store
from scalegate.store import tables as t

FULL_FLAGS = [
    "--name",
    "Claims triage",
    "--purpose",
    "Route incoming motor claims.",
    "--objective",
    "Settle simple claims within 48 hours",
    "--business-owner",
    "carla",
    "--technical-owner",
    "ben",
    "--department",
    "claims",
    "--department",
    "operations",
    "--kpi",
    "median time to settle:hours:decrease:96:48",
    "--integration",
    "Guidewire ClaimCenter:api",
    "--risk-tier",
    "limited",
    "--tag",
    "triage,customer-facing",
]


def snapshot(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table (empty if the database does not exist yet)."""
    if "://" not in url and not Path(url).exists():
        return {}
    store = Store(url, migrate=False)
    try:
        out: dict[str, list[tuple[str, ...]]] = {}
        with store.read() as conn:
            for table in t.metadata.sorted_tables:
                rows = conn.execute(sa.select(table)).all()
                out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
        return out
    finally:
        store.close()


def event_count(url: str) -> int:
    return len(snapshot(url).get("audit_events", []))


def as_json(result: Any) -> Any:
    assert result.code in (0, 1), result.err
    return json.loads(result.out)
