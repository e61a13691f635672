"""The approvals inbox in Chromium: approve from the inbox, see it in the audit log; a
viewer gets an explanation and a 403 when posting directly."""

from __future__ import annotations

import json
import re
from typing import Any

from web_support import login, screenshot


def _csrf(page: Any) -> str:
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return str(token)


def test_an_approver_approves_from_the_inbox_and_the_audit_log_shows_it(
    page: Any, live_server: Any
) -> None:
    from scalegate.services import gates

    awaiting = gates.awaiting_approval(live_server.store, actor="omar")
    item = next(a for a in awaiting if a.can_act)
    login(page, "omar", next_path="/approvals")
    rows = page.locator("#inbox tbody tr")
    assert rows.count() == len(awaiting)
    row = page.locator(f'#inbox tr[data-slug="{item.slug}"][data-domain="{item.domain}"]')
    link = row.get_by_role("link", name=item.name)
    assert link.get_attribute("href") == f"/use-cases/{item.slug}"
    assert item.reason in row.inner_text()
    screenshot(page, "approvals")

    row.get_by_label(f"Note for {item.slug}").fill("sponsor confirmed in steering committee")
    row.get_by_role(
        "button", name=f"Approve {item.slug} for {item.gate.value} ({item.domain})"
    ).click()
    page.wait_for_url(re.compile(r"/approvals\?approved=ap-\d+"))
    assert "recorded" in page.get_by_role("status").inner_text()
    assert row.count() == 0  # the row is gone
    assert page.locator("#inbox tbody tr").count() == len(awaiting) - 1
    newest = page.locator("#decisions tbody tr").first
    assert item.slug in newest.inner_text() and f"{item.domain} approval" in newest.inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/audit")
    top = page.locator("#audit-rows tr").first
    cells = top.locator("td")
    assert cells.nth(2).inner_text() == "omar"
    assert cells.nth(3).inner_text() == "approval.recorded"
    assert cells.nth(4).inner_text() == item.slug
    top.locator("summary").click()
    after = json.loads(top.locator(".event-json pre").last.inner_text())
    assert after["domain"] == item.domain and after["gate"] == item.gate.value
    assert after["note"] == "sponsor confirmed in steering committee"


def test_a_viewer_sees_an_explanation_and_gets_403_posting_directly(
    page: Any, live_server: Any
) -> None:
    from scalegate.services import audit, gates

    login(page, "vic", next_path="/approvals")
    assert page.get_by_role("heading", name="Only approvers sign off gates").is_visible()
    assert page.locator('form[action="/approvals"]').count() == 0
    assert page.get_by_role("button", name=re.compile("^Approve")).count() == 0
    screenshot(page, "approvals-viewer")
    target = gates.awaiting_approval(live_server.store, actor="ada")[0]
    answer = page.request.post(
        "/approvals",
        form={
            "slug": target.slug,
            "gate": target.gate.value,
            "domain": target.domain,
            "csrf_token": _csrf(page),
        },
        headers={"Accept": "text/html"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "needs the approver role" in answer.text()
    still = gates.awaiting_approval(live_server.store, actor="ada")
    assert (target.slug, target.domain) in {(a.slug, a.domain) for a in still}
    denied = next(iter(audit.recent(live_server.store, subject_type="user", subject_id="vic")))
    assert denied.action == "auth.denied"
