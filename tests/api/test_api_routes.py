"""The API end to end: what each group of routes returns, compared with the services (and,
for /metrics, read back with prometheus-client's own parser)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import PASSWORD, Workspace, make_client

from scalegate.services import audit, monitoring, registry
from scalegate.services.workspace import open_store


@pytest.fixture
def api(workspace: Workspace) -> Iterator[tuple[Workspace, Any]]:
    for client in make_client(workspace.url):
        yield workspace, client


def test_health_docs_and_openapi_need_no_token(api: tuple[Workspace, Any]) -> None:
    _, client = api
    from scalegate.store.migrations import HEAD_REVISION

    assert client.get("/healthz").json() == {"status": "ok", "schema_revision": HEAD_REVISION}
    assert client.get("/docs").status_code == 200
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/api/v1/use-cases/{slug}/gate" in doc["paths"]


def test_tokens_over_http_are_shown_once_and_work(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    r = client.post("/api/v1/tokens", headers=ws.auth("contributor"), json={"name": "ci"})
    assert r.status_code == 201
    created = r.json()
    token, info = created["token"], created["info"]
    assert token.startswith("sg_") and info["prefix"] == token[:9]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "carla"
    listed = client.get("/api/v1/tokens", headers=ws.auth("contributor")).json()
    assert token not in json.dumps(listed)
    assert {t["name"] for t in listed} == {"main", "spare", "ci"}
    r = client.delete(f"/api/v1/tokens/{info['id']}", headers=ws.auth("contributor"))
    assert r.json()["revoked_at"] is not None
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["error"] == "token_revoked"


def test_password_login_issues_a_token_and_failures_are_audited(
    api: tuple[Workspace, Any],
) -> None:
    ws, client = api
    r = client.post("/api/v1/login", json={"username": "rita", "password": PASSWORD})
    assert r.status_code == 201
    token = r.json()["token"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["username"]
        == "rita"
    )
    r = client.post("/api/v1/login", json={"username": "rita", "password": "guess guess"})
    assert r.status_code == 401
    assert r.json() == {
        "error": "unauthenticated",
        "message": "wrong username or password",
        "field": "password",
    }
    events = client.get(
        "/api/v1/audit/events", headers=ws.auth("admin"), params={"subject_id": "rita"}
    ).json()
    assert [e["after"] for e in events if e["action"] == "auth.login_failed"] == [
        {"reason": "wrong password"}
    ]
    for _ in range(4):
        r = client.post("/api/v1/login", json={"username": "rita", "password": "guess guess"})
        assert r.status_code == 401
    r = client.post("/api/v1/login", json={"username": "rita", "password": PASSWORD})
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "too_many_attempts" and "try again in" in r.json()["message"]
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60


def test_use_case_round_trip(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    h = ws.auth("contributor")
    charter = {
        "slug": "churn",
        "name": "Churn",
        "purpose": "Keep customers",
        "departments": ["sales"],
        "kpis": [{"name": "churn", "unit": "%", "direction": "decrease", "baseline": 9}],
    }
    assert client.post("/api/v1/use-cases", headers=h, json=charter).status_code == 201
    r = client.patch("/api/v1/use-cases/churn", headers=h, json={"risk_tier": "high"})
    assert r.json()["risk_tier"] == "high"
    listed = client.get("/api/v1/use-cases", headers=h, params={"department": "sales"}).json()
    assert [u["slug"] for u in listed] == ["churn"]
    store = open_store(ws.url)
    try:
        assert registry.get(store, "churn").risk_tier.value == "high"
        shown = client.get("/api/v1/use-cases/churn", headers=h).json()
        assert shown["history"][0]["to_stage"] == "idea"
        gate = client.get("/api/v1/use-cases/churn/gate", headers=h).json()
        assert gate["gate"] == "pilot" and gate["passed"] is False
    finally:
        store.close()


def test_data_checks_stored_from_an_upload_and_from_a_client_result(
    api: tuple[Workspace, Any],
) -> None:
    ws, client = api
    r = client.post(
        "/api/v1/checks",
        headers=ws.auth("contributor"),
        files={"data": ws.upload("good"), "contract": ws.upload("contract")},
        data={"use_case": "uc"},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["passed"] is True and run["rows"] == 500 and run["source"] == "good.csv"
    ref = run["evidence"]
    ev = client.get(f"/api/v1/evidence/{ref}", headers=ws.auth("viewer")).json()
    assert ev["kind"] == "data_check" and ev["subject"] == "applications"
    # the same run posted as a client-computed result stores equal payload numbers
    posted = client.post(
        "/api/v1/use-cases/uc/checks", headers=ws.auth("contributor"), json={"result": run}
    )
    assert posted.status_code == 201, posted.text
    again = client.get(f"/api/v1/evidence/{posted.json()['evidence']}", headers=ws.auth("viewer"))
    assert again.json()["payload"]["results"] == ev["payload"]["results"]
    assert again.json()["payload"]["profile"] == ev["payload"]["profile"]
    assert ev["payload"]["dataset"]["source"] == "good.csv"
    _no_temporary_paths(client, ws)
    # a viewer may check but not store
    r = client.post(
        "/api/v1/checks",
        headers=ws.auth("viewer"),
        files={"data": ws.upload("good"), "contract": ws.upload("contract")},
        data={"use_case": "uc"},
    )
    assert r.status_code == 403


def test_monitoring_over_http_matches_the_service(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    h = ws.auth("contributor")
    r = client.post(
        "/api/v1/use-cases/uc/monitors/default/batches",
        headers=h,
        files={"data": ws.upload("current")},
    )
    assert r.status_code == 201, r.text
    logged = r.json()
    r = client.post(
        "/api/v1/use-cases/uc/monitors/default/labels",
        headers=h,
        files={"data": ws.upload("labels")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 500
    store = open_store(ws.url)
    try:
        assert client.get("/api/v1/use-cases/uc/monitors/default/batches", headers=h).json() == (
            json.loads(json.dumps(monitoring.batches(store, "uc", "default"), default=str))
        )
        detail = client.get(f"/api/v1/use-cases/uc/batches/{logged['batch']}", headers=h)
        assert detail.json()["drift"] == json.loads(
            json.dumps(monitoring.batch_detail(store, "uc", logged["batch"])["drift"])
        )
    finally:
        store.close()
    monitors = client.get("/api/v1/use-cases/uc/monitors", headers=h).json()
    assert [m["name"] for m in monitors] == ["default"]
    _no_temporary_paths(client, ws)


def _no_temporary_paths(client: Any, ws: Workspace) -> None:
    """Nothing stored (evidence, batches, audit chain) names the upload's temporary copy."""
    h = ws.auth("viewer")
    stored = [
        client.get("/api/v1/use-cases/uc/evidence", headers=h).text,
        client.get("/api/v1/use-cases/uc/monitors/default/batches", headers=h).text,
        client.get("/api/v1/audit/export", headers=h).text,
    ]
    for text in stored:
        assert "scalegate-upload-" not in text


def test_standalone_drift_matches_the_cli(api: tuple[Workspace, Any], cli) -> None:
    ws, client = api
    r = client.post(
        "/api/v1/drift",
        headers=ws.auth("viewer"),
        files={"reference": ws.upload("reference"), "current": ws.upload("current")},
    )
    assert r.status_code == 200, r.text
    out = cli("drift", str(ws.files["reference"]), str(ws.files["current"]), "--json")
    assert out.code == 1  # the current batch drifted
    assert r.json() == json.loads(out.out)


def test_alert_rules_over_http(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    h = ws.auth("contributor")
    r = client.post(
        "/api/v1/use-cases/uc/alert-rules",
        headers=h,
        json={
            "name": "hook",
            "metric": "drift_share",
            "op": ">",
            "threshold": 0.2,
            "webhook": "https://hooks.example.com/services/SECRET123",
        },
    )
    assert r.status_code == 201, r.text
    assert "SECRET123" not in r.text
    rules = client.get("/api/v1/use-cases/uc/alert-rules", headers=h).json()
    assert {x["name"] for x in rules} == {"r1", "hook"}
    assert "SECRET123" not in json.dumps(rules)
    r = client.post("/api/v1/use-cases/uc/alert-rules/default/hook/disable", headers=h)
    assert r.json()["active"] is False
    assert client.get("/api/v1/alerts", headers=h).status_code == 200


def test_audit_export_streams_the_chain(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    r = client.get("/api/v1/audit/export", headers=ws.auth("viewer"))
    assert r.headers["content-type"].startswith("application/x-ndjson")
    store = open_store(ws.url)
    try:
        expected = io.StringIO()
        n = audit.export(store, expected)
    finally:
        store.close()
    lines = r.text.splitlines()
    assert len(lines) == n and r.text == expected.getvalue()
    verify = client.get("/api/v1/audit/verify", headers=ws.auth("viewer")).json()
    assert verify["ok"] is True and verify["events"] >= n


def test_metrics_read_back_with_prometheus_client(api: tuple[Workspace, Any]) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    ws, client = api
    for _ in range(3):
        client.get("/api/v1/use-cases/uc", headers=ws.auth("viewer"))
    client.get("/api/v1/use-cases/nope", headers=ws.auth("viewer"))
    client.get("/api/v1/use-cases/uc")  # 401
    r = client.get("/metrics", headers=ws.auth("viewer"))
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    counts = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["scalegate_http_requests"].samples
    }
    assert counts[("/api/v1/use-cases/{slug}", "200")] == 3
    assert counts[("/api/v1/use-cases/{slug}", "404")] == 1
    assert counts[("/api/v1/use-cases/{slug}", "401")] == 1
    histogram = families["scalegate_http_request_duration_seconds"]
    total = [
        s.value
        for s in histogram.samples
        if s.name.endswith("_count") and s.labels["route"] == "/api/v1/use-cases/{slug}"
    ]
    assert total == [5]
    buckets = [
        (float(s.labels["le"]), s.value)
        for s in histogram.samples
        if s.name.endswith("_bucket") and s.labels["route"] == "/api/v1/use-cases/{slug}"
    ]
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative
    assert buckets[-1] == (float("inf"), 5)
    stages = {s.labels["stage"]: s.value for s in families["scalegate_use_cases"].samples}
    store = open_store(ws.url)
    try:
        listed = registry.list_all(store)
    finally:
        store.close()
    assert stages["idea"] == sum(u.stage.value == "idea" for u in listed)
    assert sum(stages.values()) == len(listed)
    assert families["scalegate_users"].samples


def test_unexpected_errors_are_json_without_internals(workspace: Workspace) -> None:
    from fastapi.testclient import TestClient

    from scalegate.api import create_app
    from scalegate.settings import Settings

    app = create_app(Settings(db=workspace.url))

    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {
        "error": "internal",
        "message": "internal server error; the server log has the details",
    }
