"""Objectives, KPI measurements and the portfolio's value over the API: what the routes
return (compared with the services) and their errors' JSON shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import Workspace, make_client

from scalegate.services import kpis, objectives, value
from scalegate.services.workspace import open_store


@pytest.fixture
def api(workspace: Workspace) -> Iterator[tuple[Workspace, Any]]:
    for client in make_client(workspace.url):
        yield workspace, client


def _error(r: Any, status: int, code: str, message: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code
    assert message in body["message"], body["message"]


def test_objective_routes(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    h = ws.auth("contributor")
    r = client.post(
        "/api/v1/objectives",
        headers=h,
        json={"slug": "growth", "name": "Growth", "sponsor": "CFO", "outcome": "More revenue"},
    )
    assert r.status_code == 201 and r.json()["created_by"] == "carla"
    r = client.post("/api/v1/objectives/growth/links", headers=h, json={"use_cases": ["uc"]})
    assert r.json() == {
        "objective": "growth",
        "linked": [{"use_case": "uc", "moved_from": "other"}],
    }
    listed = client.get("/api/v1/objectives", headers=ws.auth("viewer")).json()
    store = open_store(ws.url)
    try:
        assert listed == [s.to_dict() for s in objectives.list_all(store)]
    finally:
        store.close()
    shown = client.get("/api/v1/objectives/growth", headers=h).json()
    assert shown["use_cases"] == [{"slug": "uc", "stage": "idea"}]
    assert shown["nothing_in_production"] is True
    r = client.patch("/api/v1/objectives/growth", headers=h, json={"sponsor": "CEO"})
    assert r.json()["sponsor"] == "CEO" and r.json()["name"] == "Growth"
    r = client.delete("/api/v1/use-cases/uc/objective", headers=h)
    assert r.json() == {"use_case": "uc", "unlinked_from": "growth"}
    assert client.delete("/api/v1/objectives/growth", headers=ws.auth("admin")).status_code == 204
    assert client.get("/api/v1/objectives/growth", headers=h).status_code == 404


def test_kpi_routes_and_value(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    h = ws.auth("contributor")
    r = client.post(
        "/api/v1/use-cases/uc/kpis",
        headers=h,
        json={"kpi": "cost", "value": 9, "at": "2025-01-31T00:00:00Z", "unit": "€"},
    )
    assert r.status_code == 201
    ev = r.json()
    assert ev["kind"] == "kpi_measurement" and ev["subject"] == "cost"
    assert ev["payload"] == {
        "kpi": "cost",
        "value": 9.0,
        "unit": "EUR",
        "baseline": 10.0,
        "target": 8.0,
        "direction": "decrease",
    }
    shown = client.get("/api/v1/use-cases/uc/kpis", headers=ws.auth("viewer")).json()
    store = open_store(ws.url)
    try:
        assert shown == kpis.report(store, "uc").to_dict()
        assert client.get("/api/v1/portfolio/value", headers=h).json().keys() == (
            value.build(store).to_dict().keys()
        )
    finally:
        store.close()
    assert shown["kpis"][0]["progress"] == pytest.approx(0.5)
    assert shown["realised_value"] == {"EUR": 1.0}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "message"),
    [
        (
            "POST",
            "/api/v1/use-cases/uc/kpis",
            {"kpi": "costs", "value": 1},
            422,
            "invalid",
            "unknown KPI 'costs'; the charter's KPIs are 'cost'",
        ),
        (
            "POST",
            "/api/v1/use-cases/uc/kpis",
            {"kpi": "cost", "value": "ten"},
            422,
            "invalid",
            "KPI 'cost': value 'ten' is not a number",
        ),
        (
            "POST",
            "/api/v1/use-cases/uc/kpis",
            {"kpi": "cost", "value": 1, "unit": "USD"},
            422,
            "invalid",
            "KPI 'cost' is measured in 'EUR', not 'USD'",
        ),
        (
            "POST",
            "/api/v1/use-cases/uc/kpis",
            {"kpi": "cost", "value": 1, "at": "2999-01-01T00:00:00Z"},
            422,
            "invalid",
            "evidence cannot be dated in the future",
        ),
        ("POST", "/api/v1/use-cases/uc/kpis", {"kpi": "cost"}, 422, "invalid", "value"),
        (
            "POST",
            "/api/v1/use-cases/nope/kpis",
            {"kpi": "cost", "value": 1},
            404,
            "not_found",
            "unknown use case 'nope'",
        ),
        (
            "POST",
            "/api/v1/objectives",
            {"slug": "uc", "name": "x"},
            409,
            "conflict",
            "an objective with slug 'uc' already exists",
        ),
        (
            "POST",
            "/api/v1/objectives",
            {"slug": "Bad Slug", "name": "x"},
            422,
            "invalid_document",
            "slug",
        ),
        (
            "PATCH",
            "/api/v1/objectives/nope",
            {"name": "x"},
            404,
            "not_found",
            "unknown objective 'nope'",
        ),
        ("POST", "/api/v1/objectives/uc/links", {"use_cases": []}, 422, "invalid", "use_cases"),
        (
            "POST",
            "/api/v1/objectives/uc/links",
            {"use_cases": ["uc", "nope"]},
            404,
            "not_found",
            "unknown use case 'nope'",
        ),
        ("DELETE", "/api/v1/objectives/other", None, 403, "forbidden", "needs the admin role"),
    ],
)
def test_bad_requests(
    api: tuple[Workspace, Any],
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    message: str,
) -> None:
    ws, client = api
    kwargs = {"json": body} if body is not None else {}
    r = client.request(method, path, headers=ws.auth("contributor"), **kwargs)
    _error(r, status, code, message)
