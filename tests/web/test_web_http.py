"""The dashboard over HTTP, in process: sessions and cookies, CSRF, redirects, error pages,
slices of the stalled table. (The browser tests drive the same pages in Chromium.)"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services"))
from svc_support import charter, utc_now

from scalegate.services import audit, auth, registry
from scalegate.store import tables as t

PASSWORD = "web password 123"
HTML = {"Accept": "text/html,application/xhtml+xml"}
HTMX = {**HTML, "HX-Request": "true"}


def _client(store: Any, base_url: str = "http://testserver", **settings: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from scalegate.api import create_app
    from scalegate.settings import Settings

    app = create_app(Settings(db=store.url, **settings), store=store)
    with TestClient(app, base_url=base_url, follow_redirects=False) as client:
        yield client


@pytest.fixture
def web(team) -> Any:
    for user in ("ben", "rita", "vic"):
        auth.set_password(team, user, PASSWORD, actor="ada")
    return team


@pytest.fixture
def client(web) -> Iterator[Any]:
    yield from _client(web)


def _login_form(client: Any, **fields: str) -> Any:
    """Fetch the login form (its double-submit cookie and field) and post ``fields``."""
    import re

    form = client.get("/login", headers=HTML)
    token = re.search(r'name="login_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    return client.post("/login", data={"login_token": token.group(1), **fields}, headers=HTML)


def _login(client: Any, user: str = "rita", next_url: str = "/") -> str:
    answer = _login_form(client, username=user, password=PASSWORD, next=next_url)
    assert answer.status_code == 303, answer.text
    return str(answer.cookies["scalegate_session"])


def _csrf(client: Any, path: str = "/") -> str:
    import re

    page = client.get(path, headers=HTML)
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def test_pages_redirect_to_login_keeping_where_the_user_wanted_to_go(client) -> None:
    answer = client.get("/?risk_tier=high", headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Frisk_tier%3Dhigh"
    answer = client.get("/", headers=HTMX)  # htmx follows HX-Redirect instead
    assert answer.status_code == 204 and answer.headers["HX-Redirect"] == "/login?next=/"


def test_login_sets_an_httponly_lax_cookie_with_the_session_lifetime(web) -> None:
    # Secure cookies travel over HTTPS only
    for client in _client(web, "https://testserver", session_hours=2, secure_cookies=True):
        answer = _login_form(client, username="rita", password=PASSWORD, next="/use-cases/x")
        assert answer.status_code == 303 and answer.headers["location"] == "/use-cases/x"
        (cookie,) = [
            c for c in answer.headers.get_list("set-cookie") if c.startswith("scalegate_session=")
        ]
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
        assert {"httponly", "secure", "path", "max-age"} <= attributes
        assert "max-age=7200" in cookie.lower() and "samesite=lax" in cookie.lower()
        text = cookie.split(";")[0].split("=", 1)[1]
        with web.read() as conn:
            stored = conn.execute(sa.select(t.web_sessions.c.session_hash)).scalars().all()
        assert stored == [hashlib.sha256(text.encode()).hexdigest()]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil", "x"])
def test_login_never_redirects_off_site(client, target: str) -> None:
    answer = _login_form(client, username="rita", password=PASSWORD, next=target)
    assert answer.headers["location"] == "/"


def test_a_login_post_without_the_forms_token_is_refused(client, web) -> None:
    """Login CSRF: a foreign page posting credentials has neither the cookie nor the field."""
    fields = {"username": "rita", "password": PASSWORD}
    answer = client.post("/login", data=fields, headers=HTML)
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    client.get("/login", headers=HTML)  # the cookie alone is not enough either
    answer = client.post("/login", data={**fields, "login_token": "forged"}, headers=HTML)
    assert answer.status_code == 403
    assert "scalegate_session" not in answer.headers.get("set-cookie", "")
    with web.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.web_sessions)).scalar() == 0


def test_a_failed_login_shows_the_form_again_and_is_audited(client, web) -> None:
    answer = _login_form(client, username="rita", password="nope")
    assert answer.status_code == 200
    assert "wrong username or password" in answer.text
    assert "scalegate_session" not in answer.headers.get("set-cookie", "")
    assert next(iter(audit.recent(web))).action == "auth.login_failed"


def test_repeated_failures_lock_the_login_form_too(client) -> None:
    from scalegate.services.auth import LOGIN_MAX_FAILURES

    for _ in range(LOGIN_MAX_FAILURES):
        _login_form(client, username="vic", password="nope")
    answer = _login_form(client, username="vic", password=PASSWORD)
    assert answer.status_code == 200 and "too many failed logins" in answer.text
    assert "scalegate_session" not in answer.headers.get("set-cookie", "")


def test_logout_needs_the_csrf_token_and_then_ends_the_session(client, web) -> None:
    _login(client)
    answer = client.post("/logout", headers=HTML)
    assert answer.status_code == 403 and "CSRF" in answer.text
    assert answer.headers["content-type"].startswith("text/html")
    answer = client.post("/logout", data={"csrf_token": _csrf(client)}, headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    with web.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.web_sessions)).scalar() == 0
    client.cookies.clear()
    assert client.get("/", headers=HTML).status_code == 303


def test_the_csrf_header_counts_like_the_form_field(client, web) -> None:
    registry.add(web, charter("credit-limit"), actor="ben")
    _login(client, "ben")
    token = _csrf(client)
    answer = client.post(
        "/use-cases/credit-limit/promote",
        data={"to": "pilot"},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert answer.status_code == 303, answer.text


def test_the_api_does_not_take_the_session_cookie(client) -> None:
    _login(client)
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401 and answer.json()["error"] == "unauthenticated"


def test_errors_are_html_for_pages_and_json_for_the_api(client) -> None:
    _login(client)
    page = client.get("/use-cases/no-such-thing", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no-such-thing" in page.text
    assert client.get("/nowhere", headers=HTML).status_code == 404
    api = client.get("/api/v1/nowhere", headers=HTML)
    assert api.status_code == 404 and api.json()["error"] == "not_found"


def test_pages_carry_a_strict_content_security_policy(client) -> None:
    answer = client.get("/login", headers=HTML)
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert answer.headers["cache-control"] == "no-store"


def test_static_files_are_served_from_the_package(client) -> None:
    for path in ("/static/app.css", "/static/charts.js", "/static/vendor/htmx-2.0.11.min.js"):
        answer = client.get(path)
        assert answer.status_code == 200 and len(answer.content) > 100, path


def test_the_stalled_table_comes_in_slices(client, web) -> None:
    since = utc_now() - timedelta(days=200)
    for i in range(57):
        registry.add(web, charter(f"stuck-{i:02d}", kpis=[]), actor="ada", stage_since=since)
    _login(client, "vic")
    page = client.get("/", headers=HTML)
    assert page.text.count('<tr>\n  <td><a href="/use-cases/stuck-') == 50
    assert "Show 7 more (50 of 57 shown)" in page.text
    rest = client.get("/?offset=50&part=rows", headers=HTMX)
    assert rest.text.count('href="/use-cases/stuck-') == 7
    assert "more-row" not in rest.text
    plain = client.get("/?offset=50", headers=HTML)  # the same link without htmx
    assert plain.text.count('<tr>\n  <td><a href="/use-cases/stuck-') == 7


def test_a_filter_swap_pushes_the_clean_url(client) -> None:
    _login(client, "vic")
    answer = client.get("/?part=body&risk_tier=high&department=", headers=HTMX)
    assert answer.status_code == 200 and answer.text.lstrip().startswith('<div id="portfolio"')
    assert answer.headers["HX-Push-Url"] == "/?risk_tier=high"


def test_user_text_is_escaped(client, web) -> None:
    name = '<script>alert("x")</script> & co'
    registry.add(web, charter("escaped", name=name, purpose="<b>bold</b>"), actor="ben")
    _login(client, "vic")
    page = client.get("/use-cases/escaped", headers=HTML).text
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page


def test_kpis_show_the_latest_measurement_and_progress(client, web) -> None:
    registry.add(web, charter("kpi-case"), actor="ben")  # time to settle: 96 -> 48 hours
    for value in (90.0, 72.0):  # the newest counts
        registry.record_evidence(
            web,
            "kpi-case",
            kind="kpi_measurement",
            status="info",
            summary=f"time to settle {value}",
            payload={"kpi": "time to settle", "value": value},
            actor="ben",
        )
    _login(client, "vic")
    page = client.get("/use-cases/kpi-case", headers=HTML).text
    assert ">72</a>" in page
    assert 'title="50% of the way from baseline to target"' in page  # (96 - 72) / (96 - 48)


def test_a_bad_query_parameter_is_an_html_page_naming_it(client) -> None:
    _login(client, "vic")
    answer = client.get("/?offset=-3", headers=HTML)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "offset" in answer.text
    api = client.get("/api/v1/use-cases?risk_tier=1", headers=HTML)  # the API stays JSON
    assert api.status_code == 401 and api.json()["error"] == "unauthenticated"
