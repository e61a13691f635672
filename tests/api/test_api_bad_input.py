"""Bad input over HTTP: a 4xx with a JSON body that names the problem, and nothing written.

"Nothing written" is checked on a snapshot of every table (audit chain included) taken
before the request and after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from api_support import Workspace, make_client

from scalegate.store import tables as t

#: tables a request may touch without changing state: tokens record when they were last used
_IGNORED = {"api_tokens"}


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    from scalegate.store import Store

    store = Store(url, migrate=False)
    try:
        with store.read() as conn:
            return {
                name: sorted(map(tuple, conn.execute(sa.select(table)).all()), key=repr)
                for name, table in t.metadata.tables.items()
                if name not in _IGNORED
            }
    finally:
        store.close()


def _problem(r: Any, status: int, *needles: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["error"], str) and isinstance(body["message"], str)
    for needle in needles:
        assert needle in body["message"], body
    return body


@pytest.fixture
def api(workspace: Workspace) -> Iterator[tuple[Workspace, Any]]:
    for client in make_client(workspace.url, max_upload_mb=0.01):  # 10 kB
        yield workspace, client


CASES: list[tuple[str, str, dict[str, Any], int, tuple[str, ...]]] = [
    # malformed JSON
    (
        "POST",
        "/api/v1/use-cases",
        {"content": b'{"slug": "x",', "headers": {"content-type": "application/json"}},
        422,
        ("not valid JSON",),
    ),
    # wrong types and missing fields name the field
    ("POST", "/api/v1/use-cases", {"json": {"slug": 5, "name": "X"}}, 422, ("'slug'",)),
    ("POST", "/api/v1/use-cases", {"json": {"slug": "xy"}}, 422, ("'name'", "required")),
    ("POST", "/api/v1/use-cases", {"json": ["a list"]}, 422, ("body",)),
    (
        "POST",
        "/api/v1/use-cases",
        {"json": {"slug": "Bad Slug!", "name": "X"}},
        422,
        ("slug",),
    ),
    ("POST", "/api/v1/use-cases", {"json": {"slug": "uc", "name": "Again"}}, 409, ("uc",)),
    ("POST", "/api/v1/use-cases/uc/promote", {"json": {"to": "heaven"}}, 422, ("heaven",)),
    ("POST", "/api/v1/use-cases/uc/promote", {"json": {"to": "pilot", "x": 1}}, 422, ("'x'",)),
    (
        "POST",
        "/api/v1/use-cases/uc/waivers",
        {
            "json": {
                "gate": "pilot",
                "criterion": "charter",
                "justification": "j" * 20,
                "expires": "tomorrow",
            }
        },
        422,
        ("'expires'",),
    ),
    ("GET", "/api/v1/alerts", {"params": {"limit": "many"}}, 422, ("query field 'limit'",)),
    ("GET", "/api/v1/use-cases", {"params": {"risk_tier": "extreme"}}, 422, ("extreme",)),
    ("POST", "/api/v1/policy", {"json": {"document": "gates: [1, 2"}}, 422, ("request body",)),
    # unknown ids
    ("GET", "/api/v1/use-cases/nope", {}, 404, ("unknown use case 'nope'",)),
    ("PATCH", "/api/v1/use-cases/nope", {"json": {"purpose": "x"}}, 404, ("nope",)),
    ("GET", "/api/v1/evidence/ev-999", {}, 404, ("ev-999",)),
    ("GET", "/api/v1/use-cases/uc/monitors/nope", {}, 404, ("nope",)),
    ("GET", "/api/v1/use-cases/uc/batches/999", {}, 404, ("999",)),
    ("GET", "/api/v1/use-cases/uc/batches/abc", {}, 422, ("batch_id",)),
    ("DELETE", "/api/v1/tokens/999", {}, 404, ("999",)),
    ("PATCH", "/api/v1/users/nobody", {"json": {"email": "a@b.c"}}, 404, ("nobody",)),
    # unknown routes and methods
    ("GET", "/api/v1/nothing-here", {}, 404, ("no such route",)),
    ("DELETE", "/api/v1/use-cases", {}, 405, ("DELETE",)),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "needles"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES],
)
def test_bad_requests_name_the_problem_and_write_nothing(
    api: tuple[Workspace, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    needles: tuple[str, ...],
) -> None:
    ws, client = api
    before = snapshot(ws.url)
    headers = {**ws.auth("admin"), **kwargs.get("headers", {})}
    rest = {k: v for k, v in kwargs.items() if k != "headers"}
    r = client.request(method, path, headers=headers, **rest)
    _problem(r, status, *needles)
    assert snapshot(ws.url) == before


def test_uploads_over_the_limit_get_413_and_write_nothing(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    before = snapshot(ws.url)
    big = ("batch.csv", b"id,credit_score\n" + b"1,700\n" * 5_000, "text/csv")
    r = client.post(
        "/api/v1/use-cases/uc/monitors/default/batches",
        headers=ws.auth("admin"),
        files={"data": big},
    )
    body = _problem(r, 413, "upload limit", "SCALEGATE_MAX_UPLOAD_MB")
    assert body["error"] == "too_large"

    # a body streamed without Content-Length is counted as it arrives
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1_000

    r = client.post(
        "/api/v1/use-cases/uc/checks",
        headers={**ws.auth("admin"), "content-type": "application/json"},
        content=chunks(),
    )
    _problem(r, 413, "upload limit")
    assert snapshot(ws.url) == before


@pytest.mark.parametrize(
    ("upload", "needles"),
    [
        (("batch.csv", b"\x00\x01\x02binary\xff\xfe", "text/csv"), ("batch.csv",)),
        (
            ("batch.parquet", b"this is not parquet at all", "application/octet-stream"),
            ("batch.parquet",),
        ),
        (
            ("batch.xlsx", b"PK\x03\x04", "application/octet-stream"),
            ("batch.xlsx", "unknown file type"),
        ),
        (("batch.csv", b"", "text/csv"), ("empty",)),
        (("", b"a,b\n1,2\n", "text/csv"), ("'data'",)),
        (("batch.csv", b"id,x\n1,2\n3\n", "text/csv"), ("batch.csv",)),
    ],
)
def test_uploads_that_are_not_tables_get_4xx_naming_the_file(
    api: tuple[Workspace, Any], upload: tuple[str, bytes, str], needles: tuple[str, ...]
) -> None:
    ws, client = api
    before = snapshot(ws.url)
    r = client.post(
        "/api/v1/use-cases/uc/monitors/default/batches",
        headers=ws.auth("admin"),
        files={"data": upload},
    )
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    for needle in needles:
        assert needle in body["message"], body
    assert "scalegate-upload-" not in r.text  # no temporary paths leak
    assert snapshot(ws.url) == before


def test_a_missing_upload_names_the_field(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    r = client.post("/api/v1/checks", headers=ws.auth("viewer"), files={"data": ws.upload("good")})
    body = _problem(r, 422, "'contract'")
    assert body["field"] == "contract"


def test_a_bad_contract_upload_names_file_and_line(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    contract = ("c.yaml", b"contract: x\ncolumns:\n  id:\n    rules: [not_nul]\n", "text/yaml")
    r = client.post(
        "/api/v1/checks",
        headers=ws.auth("viewer"),
        files={"data": ws.upload("good"), "contract": contract},
    )
    _problem(r, 422, "c.yaml", "not_nul")


def test_a_client_computed_result_with_wrong_fields_is_refused(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    before = snapshot(ws.url)
    r = client.post(
        "/api/v1/use-cases/uc/checks",
        headers=ws.auth("contributor"),
        json={
            "result": {
                "contract": "c",
                "version": "1",
                "rows": -1,
                "columns": 1,
                "results": [],
                "started": "2026-01-01T00:00:00Z",
                "finished": "2026-01-01T00:00:01Z",
            }
        },
    )
    _problem(r, 422, "rows")
    assert snapshot(ws.url) == before


def test_permission_denials_are_audited(api: tuple[Workspace, Any]) -> None:
    ws, client = api
    r = client.post("/api/v1/policy", headers=ws.auth("contributor"), json={"document": "x"})
    _problem(r, 403, "admin")
    # a denial from the service (approval domain) is recorded too
    r = client.post(
        "/api/v1/use-cases/uc/approvals",
        headers=ws.auth("approver"),
        json={"gate": "pilot", "domain": "business"},
    )
    _problem(r, 403, "business")
    events = client.get(
        "/api/v1/audit/events", headers=ws.auth("admin"), params={"subject_type": "user"}
    ).json()
    denied = [e for e in events if e["action"] == "auth.denied"]
    assert [(e["actor"], e["after"]["doing"]) for e in denied] == [
        ("rita", "POST /api/v1/use-cases/uc/approvals"),
        ("carla", "POST /api/v1/policy"),
    ]
    assert client.get("/api/v1/audit/verify", headers=ws.auth("viewer")).json()["ok"] is True
