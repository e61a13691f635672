"""uc.fairness(...) from Python: locally, and over HTTP against a real server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import scalegate as sg
from scalegate.services import registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sdk_local import client  # noqa: F401  (fixture)
from test_sdk_remote import Server, local, remote, same, server  # noqa: F401  (fixtures)


def frame(n: int = 2000, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east"], n)
    y = (rng.random(n) < 0.35).astype(int)
    p = (rng.random(n) < np.where(region == "east", 0.5, 0.3)).astype(int)
    return pl.DataFrame({"region": region, "defaulted": y, "flagged": p})


def test_local_fairness_records_and_returns_the_report(client: Any) -> None:  # noqa: F811
    uc = client.use_case("credit-limit")
    run = uc.fairness(frame(), sensitive="region", label="defaulted", prediction="flagged")
    assert run.evidence is not None and run.evidence.kind == "fairness_report"
    assert run.evidence.subject == "region" and run.evidence.created_by == "ben"
    assert [g.group["region"] for g in run.groups] == ["east", "north", "south"]
    assert run.disparities["demographic_parity_difference"] > 0.1
    assert run.to_dict()["evidence"] == run.evidence.ref
    stored = registry.get_evidence(client.store, run.evidence.ref)
    assert stored.payload == run.report.to_dict()
    before = len(registry.list_evidence(client.store, "credit-limit"))
    bare = uc.fairness(
        frame(), sensitive="region", label="defaulted", prediction="flagged", record=False
    )
    assert bare.evidence is None and bare.disparities == run.disparities
    with pytest.raises(sg.ValidationError, match="no column 'gender'"):
        uc.fairness(frame(), sensitive="gender", label="defaulted", prediction="flagged")
    assert len(registry.list_evidence(client.store, "credit-limit")) == before


def test_remote_fairness_equals_local(
    server: Server,  # noqa: F811
    remote: sg.RemoteClient,  # noqa: F811
    local: sg.Client,  # noqa: F811
) -> None:
    data = frame(seed=5)
    args: dict[str, Any] = {"sensitive": "region", "label": "defaulted", "prediction": "flagged"}
    run = remote.use_case("credit-limit").fairness(data, **args)
    twin = local.use_case("credit-twin").fairness(data, **args)
    assert run.evidence is not None and twin.evidence is not None
    assert same(run.evidence.payload["groups"], twin.evidence.payload["groups"])
    assert run.evidence.payload["disparities"] == twin.evidence.payload["disparities"]
    assert run.evidence.summary == twin.evidence.summary
    with server.connect("vic") as vic, pytest.raises(sg.PermissionDeniedError, match="fairness"):
        vic.use_case("credit-limit").fairness(data, **args)
    unrecorded = remote.use_case("credit-limit").fairness(data, **args, record=False)
    assert unrecorded.evidence is None
