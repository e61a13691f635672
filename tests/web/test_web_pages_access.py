"""Approvals, audit and contract pages without a browser: redirects to the login page, role
and CSRF refusals, HTML errors for bad input, the audit export (FastAPI's TestClient on an
app over the live server's demo store)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from web_support import PASSWORD

HTML = {"Accept": "text/html"}
PAGES = [
    "/approvals",
    "/audit",
    "/audit/verify",
    "/audit/export.jsonl",
    "/contracts",
    "/contracts/x",
]


@pytest.fixture
def client(live_server: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from scalegate.api import create_app
    from scalegate.settings import Settings

    app = create_app(Settings(db=live_server.db), store=live_server.store)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def _login(client: Any, username: str) -> str:
    """Log in through the login form (with whatever hidden fields it carries) and return the
    session's CSRF token (from the page's logout form)."""
    form = _hidden_fields(client.get("/login", headers=HTML).text)
    form.update({"username": username, "password": PASSWORD, "next": "/"})
    answer = client.post("/login", data=form)
    assert answer.status_code == 303
    token = _hidden_fields(client.get("/contracts", headers=HTML).text)["csrf_token"]
    assert token
    return token


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_to_the_login_page_without_a_session(client: Any, path: str) -> None:
    answer = client.get(path, headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


def test_posting_an_approval_without_a_session_redirects_to_login(client: Any) -> None:
    answer = client.post("/approvals", data={"slug": "x", "gate": "pilot", "domain": "risk"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_viewer_and_a_contributor_are_refused_the_approve_form(client: Any) -> None:
    from scalegate.services import gates

    target = gates.awaiting_approval(client.app.state.store, actor="ada")[0]
    form = {"slug": target.slug, "gate": target.gate.value, "domain": target.domain}
    for user, role in (("vic", "viewer"), ("ben", "contributor")):
        token = _login(client, user)
        page = client.get("/approvals", headers=HTML)
        assert page.status_code == 200 and "Only approvers sign off gates" in page.text
        assert 'action="/approvals"' not in page.text
        answer = client.post("/approvals", data={**form, "csrf_token": token}, headers=HTML)
        assert answer.status_code == 403
        assert f"needs the approver role; '{user}' is a {role}" in html.unescape(answer.text)
        assert "<html" in answer.text  # an HTML error page, not JSON
        client.cookies.clear()


def test_an_approver_without_the_csrf_token_is_refused(client: Any) -> None:
    from scalegate.services import gates

    store = client.app.state.store
    # ada (an admin) may approve in every domain, so something always awaits her
    target = next(a for a in gates.awaiting_approval(store, actor="ada") if a.can_act)
    _login(client, "ada")
    form = {"slug": target.slug, "gate": target.gate.value, "domain": target.domain}
    for extra in ({}, {"csrf_token": "0" * 64}):
        answer = client.post("/approvals", data={**form, **extra}, headers=HTML)
        assert answer.status_code == 403 and "CSRF" in html.unescape(answer.text)
    assert target in gates.awaiting_approval(store, actor="ada")


def test_an_approval_the_service_refuses_shows_its_reason(client: Any) -> None:
    token = _login(client, "rita")
    form = {"slug": "resume-screening", "gate": "pilot", "domain": "business"}
    answer = client.post("/approvals", data={**form, "csrf_token": token}, headers=HTML)
    assert answer.status_code == 403
    assert "rita may not approve for the business domain" in html.unescape(answer.text)
    answer = client.post(
        "/approvals", data={**form, "gate": "scaled", "csrf_token": token}, headers=HTML
    )
    assert answer.status_code == 403  # the domain is checked first


def test_bad_audit_filters_and_unknown_contracts_answer_in_html(client: Any) -> None:
    _login(client, "vic")
    answer = client.get("/audit?since=yesterday", headers=HTML)
    assert answer.status_code == 422
    assert "since 'yesterday' is not a day" in html.unescape(answer.text)
    answer = client.get("/audit?since=2026-02-01&until=2026-01-01", headers=HTML)
    assert answer.status_code == 422 and "after it ends" in html.unescape(answer.text)
    answer = client.get("/audit?before=0", headers=HTML)
    assert answer.status_code == 422
    answer = client.get("/contracts/no-such-contract", headers=HTML)
    assert answer.status_code == 404
    assert "unknown data contract 'no-such-contract'" in html.unescape(answer.text)


def test_empty_filter_fields_redirect_to_the_short_url(client: Any) -> None:
    _login(client, "vic")
    answer = client.get("/audit?actor=&action=approval.*&subject=&since=&until=", headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/audit?action=approval.%2A"


def test_audit_export_streams_every_event_as_json_lines(client: Any) -> None:
    from scalegate.services import audit

    _login(client, "vic")
    answer = client.get("/audit/export.jsonl")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in answer.headers["content-disposition"]
    rows = [json.loads(line) for line in html.unescape(answer.text).splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) >= audit.head_seq(client.app.state.store) - 1  # the GET may log in between
