"""Fairness over HTTP: an uploaded batch, or a report computed elsewhere; errors as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import Workspace, make_client

from scalegate.engine.fairness import fairness_metrics
from scalegate.services import registry
from scalegate.services.workspace import open_store

FORM = {"sensitive": "channel,home_ownership", "label": "label", "score": "score"}


@pytest.fixture
def api(workspace: Workspace) -> Iterator[tuple[Workspace, Any]]:
    for client in make_client(workspace.url):
        yield workspace, client


def _kinds(ws: Workspace) -> list[str]:
    store = open_store(ws.url)
    try:
        return [e.kind for e in registry.list_evidence(store, "uc")]
    finally:
        store.close()


def test_upload_computes_the_engine_report(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    r = client.post(
        "/api/v1/use-cases/uc/fairness",
        headers=ws.auth("viewer"),
        files={"data": ws.upload("reference")},
        data={**FORM, "threshold": "0.6"},
    )
    assert r.status_code == 200, r.text
    expected = fairness_metrics(
        str(ws.files["reference"]),
        sensitive=["channel", "home_ownership"],
        label="label",
        score="score",
        threshold=0.6,
    ).to_dict()
    got = r.json()
    assert got["source"] == "reference.parquet"
    assert {k: v for k, v in got.items() if k != "source"} == {
        k: v for k, v in expected.items() if k != "source"
    }
    assert "fairness_report" not in _kinds(ws)


def test_upload_with_record_stores_evidence(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    args = {"files": {"data": ws.upload("reference")}, "data": {**FORM, "record": "true"}}
    r = client.post("/api/v1/use-cases/uc/fairness", headers=ws.auth("viewer"), **args)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert "fairness_report" not in _kinds(ws)
    r = client.post("/api/v1/use-cases/uc/fairness", headers=ws.auth("contributor"), **args)
    assert r.status_code == 200, r.text
    ref = r.json()["evidence"]
    stored = client.get(f"/api/v1/evidence/{ref}", headers=ws.auth("viewer")).json()
    assert stored["kind"] == "fairness_report" and stored["subject"] == "channel,home_ownership"


def test_a_computed_report_is_stored_and_recomputed(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    report = fairness_metrics(
        str(ws.files["reference"]), sensitive="channel", label="label", prediction="prediction"
    ).to_dict()
    tampered = {**report, "disparities": {"demographic_parity_difference": 0.0}}
    r = client.post(
        "/api/v1/use-cases/uc/fairness-reports",
        headers=ws.auth("contributor"),
        json={"report": tampered},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["disparities"] == report["disparities"]
    assert body["evidence"].startswith("ev-")


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({**FORM, "sensitive": "race"}, 422, "no column 'race'"),
        ({**FORM, "label": "purpose"}, 422, "need a binary classifier"),
        ({"sensitive": "channel", "label": "label"}, 422, "prediction column or a score"),
    ],
)
def test_bad_uploads_answer_json(
    api: tuple[Workspace, Any], form: dict[str, str], status: int, message: str
) -> None:
    ws, client = api
    r = client.post(
        "/api/v1/use-cases/uc/fairness",
        headers=ws.auth("contributor"),
        files={"data": ws.upload("reference")},
        data={**form, "record": "true"},
    )
    assert r.status_code == status, r.text
    assert message in r.json()["message"]
    assert "fairness_report" not in _kinds(ws)


def test_bad_reports_and_unknown_use_case(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    r = client.post(
        "/api/v1/use-cases/uc/fairness-reports",
        headers=ws.auth("contributor"),
        json={"report": {"sensitive": ["g"], "groups": []}},
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_document"
    r = client.post(
        "/api/v1/use-cases/nope/fairness",
        headers=ws.auth("viewer"),
        files={"data": ws.upload("reference")},
        data=FORM,
    )
    assert r.status_code == 404 and r.json()["error"] == "not_found"
