"""GET /api/v1/portfolio: served from the shared cache, gzip when asked, pages of the
stalled list, writes visible at once, and no more requests at once than pooled connections."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from svc_support import charter, utc_now

from scalegate.api.routers.portfolio import accepts_gzip
from scalegate.domain.stage import Stage
from scalegate.services import portfolio, registry
from scalegate.services.workspace import open_store

PATH = "/api/v1/portfolio"


@pytest.fixture
def stalled(workspace: Any) -> Any:
    """The API workspace plus 25 pilots stalled for 31 to 55 days."""
    store = open_store(workspace.url)
    try:
        for i in range(25):
            registry.add(
                store,
                charter(f"stuck-{i:02d}", business_owner="ben", technical_owner="carla"),
                actor="ada",
                stage=Stage.PILOT,
                stage_since=utc_now() - timedelta(days=31 + i),
            )
    finally:
        store.close()
    return workspace


def _uncached(url: str, generated_at: str, **filters: Any) -> dict[str, Any]:
    store = open_store(url)
    try:
        now = datetime.fromisoformat(generated_at)
        return portfolio.build(store, now=now, **filters).to_dict()
    finally:
        store.close()


def test_gzip_and_plain_answers_equal_an_uncached_build(client: Any, stalled: Any) -> None:
    packed = client.get(PATH, headers={**stalled.auth("viewer"), "Accept-Encoding": "gzip"})
    assert packed.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["age"]) >= 0
    plain = client.get(PATH, headers={**stalled.auth("viewer"), "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == packed.json()  # httpx decoded the gzip one
    body = plain.json()
    assert len(body["stalled"]) == 25
    assert body == _uncached(stalled.url, body["generated_at"])


def test_pages_of_the_stalled_list(client: Any, stalled: Any) -> None:
    full = client.get(PATH, headers=stalled.auth("viewer")).json()
    page = client.get(PATH, params={"limit": 10, "offset": 20}, headers=stalled.auth("viewer"))
    assert page.status_code == 200
    got = page.json()
    assert got["stalled"] == full["stalled"][20:30] and len(got["stalled"]) == 5
    assert (got["stalled_total"], got["offset"], got["limit"]) == (25, 20, 10)
    rest = {
        k: v for k, v in got.items() if k not in ("stalled", "stalled_total", "offset", "limit")
    }
    assert rest == {k: v for k, v in full.items() if k != "stalled"}
    again = client.get(PATH, params={"limit": 10, "offset": 20}, headers=stalled.auth("viewer"))
    assert again.json() == got


@pytest.mark.parametrize("params", [{"limit": 0}, {"offset": -1}, {"limit": "many"}])
def test_bad_paging_is_a_422_with_the_usual_shape(client: Any, stalled: Any, params: Any) -> None:
    r = client.get(PATH, params=params, headers=stalled.auth("viewer"))
    assert r.status_code == 422
    assert set(r.json()) >= {"error", "message"}


def test_filters_and_unknown_tier(client: Any, stalled: Any) -> None:
    r = client.get(PATH, params={"owner": "ben"}, headers=stalled.auth("viewer"))
    body = r.json()
    assert body == _uncached(stalled.url, body["generated_at"], owner="ben")
    bad = client.get(PATH, params={"risk_tier": "extreme"}, headers=stalled.auth("viewer"))
    assert bad.status_code == 422
    assert "risk tier" in bad.json()["message"]


def test_a_write_through_the_api_shows_at_once(client: Any, stalled: Any) -> None:
    before = client.get(PATH, headers=stalled.auth("viewer")).json()
    r = client.post(
        "/api/v1/use-cases/stuck-00/retire",
        json={"lessons": "the sponsor left"},
        headers=stalled.auth("admin"),
    )
    assert r.status_code == 200, r.text
    after = client.get(PATH, headers=stalled.auth("viewer")).json()
    assert after["stages"]["retired"] == before["stages"]["retired"] + 1
    assert "stuck-00" not in {s["slug"] for s in after["stalled"]}


def test_requests_run_at_most_as_many_at_once_as_pooled_connections(client: Any) -> None:
    from anyio import to_thread

    def tokens() -> float:
        return to_thread.current_default_thread_limiter().total_tokens

    assert client.portal.call(tokens) == client.app.state.store.pool_size


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("", False),
        (None, False),
        ("gzip;q=x", False),
    ],
)
def test_accept_encoding(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_openapi_documents_paging(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"][PATH]["get"]["parameters"]}
    assert {"limit", "offset", "department", "risk_tier", "owner"} <= names
    assert json.dumps(spec)  # still serialisable


def test_etag_gives_304_until_something_changes(client: Any, stalled: Any) -> None:
    first = client.get(PATH, headers=stalled.auth("viewer"))
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    same = client.get(PATH, headers={**stalled.auth("viewer"), "If-None-Match": tag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag
    # the strong form of the tag matches too (weak comparison)
    strong = client.get(PATH, headers={**stalled.auth("viewer"), "If-None-Match": tag[2:]})
    assert strong.status_code == 304
    paged = client.get(
        PATH, params={"limit": 5}, headers={**stalled.auth("viewer"), "If-None-Match": tag}
    )
    assert paged.status_code == 200  # another page is another representation
    r = client.post(
        "/api/v1/use-cases/stuck-03/retire",
        json={"lessons": "merged into another use case"},
        headers=stalled.auth("admin"),
    )
    assert r.status_code == 200
    changed = client.get(PATH, headers={**stalled.auth("viewer"), "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
