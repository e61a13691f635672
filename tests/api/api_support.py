"""API test support: a populated workspace (team, use case, evidence, monitor with a batch, alert
rule, open promotion request), bearer tokens for each role (plus an expired and a revoked
one), and an in-process client on the ASGI app."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from svc_support import scored

#: the user who stands for each role in the tests (see TEAM in tests/conftest.py)
ROLE_USER = {"viewer": "vic", "contributor": "carla", "approver": "rita", "admin": "ada"}
ROLES = tuple(ROLE_USER)
PASSWORD = "correct horse battery"
#: ben owns the use case and asked for its promotion, so he may not approve it
TEAM = [
    ("ada", "admin", []),
    ("ben", "contributor", []),
    ("carla", "contributor", []),
    ("rita", "approver", ["risk"]),
    ("vic", "viewer", []),
]

CONTRACT = """\
contract: applications
columns:
  id:
    type: integer
    rules:
      - not_null
      - unique
  credit_score:
    rules:
      - between: {min: 300, max: 900}
"""


@dataclass
class Workspace:
    """What the tests need to know about a populated workspace."""

    url: str
    tokens: dict[str, str]  # role -> token text
    spare: dict[str, int]  # role -> id of a second token of that user, to revoke
    expired: str
    revoked: str
    files: dict[str, Path]
    ids: dict[str, Any] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def upload(self, name: str) -> tuple[str, bytes, str]:
        path = self.files[name]
        return (path.name, path.read_bytes(), "application/octet-stream")


def write_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "reference": folder / "reference.parquet",
        "batch": folder / "batch.parquet",
        "labels": folder / "labels.csv",
        "contract": folder / "contract.yaml",
        "good": folder / "good.csv",
        "current": folder / "current.parquet",
    }
    scored(2_000, seed=1).write_parquet(files["reference"])
    batch = scored(500, seed=2, start_id=10_000)
    batch.drop("label").write_parquet(files["batch"])
    batch.select("id", "label").write_csv(files["labels"])
    batch.select("id", "credit_score").write_csv(files["good"])
    scored(500, seed=5, drift=True, start_id=20_000).write_parquet(files["current"])
    files["contract"].write_text(CONTRACT, encoding="utf-8")
    return files


def build_workspace(url: str, folder: Path) -> Workspace:
    """Populate the empty database at ``url``; return tokens, files and ids."""
    from scalegate.services import (
        alerts,
        auth,
        gates,
        monitoring,
        objectives,
        policies,
        registry,
        users,
    )
    from scalegate.services.clock import utcnow
    from scalegate.services.registry import charter_from_fields
    from scalegate.services.workspace import open_store

    files = write_files(folder)
    store = open_store(url)
    try:
        for name, role, domains in TEAM:
            users.add(
                store, name, role=role, domains=domains, actor=None if name == "ada" else "ada"
            )
        tokens, spare = {}, {}
        for role, name in ROLE_USER.items():
            tokens[role], _ = auth.create_token(store, name, "main", actor="ada")
            _, info = auth.create_token(store, name, "spare", actor="ada")
            spare[role] = info.id
            auth.set_password(store, name, PASSWORD, actor="ada")
        expired, _ = auth.create_token(
            store,
            "ada",
            "old",
            timedelta(days=1),
            actor="ada",
            now=utcnow() - timedelta(days=10),
        )
        revoked, info = auth.create_token(store, "ada", "gone", actor="ada")
        auth.revoke_token(store, info.id, actor="ada")
        registry.add(
            store,
            charter_from_fields(
                slug="uc",
                name="Claims triage",
                business_owner="ben",
                technical_owner="ben",
                kpis=[
                    {
                        "name": "cost",
                        "unit": "EUR",
                        "direction": "decrease",
                        "baseline": 10,
                        "target": 8,
                    }
                ],
            ),
            actor="ben",
        )
        ev = registry.record_evidence(
            store, "uc", kind="note", status="info", summary="kick-off", actor="ben"
        )
        monitoring.create(
            store,
            "uc",
            str(files["reference"]),
            actor="ben",
            model_name="triage-gbm",
            model_version="1",
            task="classification",
        )
        batch = monitoring.log_batch(store, "uc", str(files["batch"]), actor="ben")
        alerts.add_rule(
            store, "uc", name="r1", metric="drift_share", op=">", threshold=0.5, actor="ben"
        )
        # objective 'uc' (no use case: deletable) and 'other', which use case 'uc' serves
        objectives.add(store, "uc", name="Faster claims", actor="ben")
        objectives.add(store, "other", name="Lower cost", actor="ben")
        objectives.link(store, "other", ["uc"], actor="ben")
        gates.promote(store, "uc", "pilot", actor="ben")  # fails: opens a request
        decision = gates.evaluate(store, "uc", "pilot")
        ids = {
            "evidence": ev.ref,
            "batch": batch.batch_id,
            "criterion": decision.results[0].id,
            "policy": policies.active(store).document,
        }
    finally:
        store.close()
    return Workspace(url, tokens, spare, expired, revoked, files, ids)


def make_client(url: str, **settings: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from scalegate.api import create_app
    from scalegate.settings import Settings

    app = create_app(Settings(db=url, **settings))
    with TestClient(app) as client:
        yield client
