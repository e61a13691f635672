"""The audit log viewer in Chromium: newest first, paging, filters, expandable events,
the chain verified on demand."""

from __future__ import annotations

from typing import Any

from web_support import login, screenshot


def _seqs(page: Any) -> list[int]:
    return [
        int(s)
        for s in page.locator("#audit-rows tr[data-seq]").evaluate_all(
            "rows => rows.map(r => r.dataset.seq)"
        )
    ]


def test_pages_newest_first_and_shows_older_events_on_demand(page: Any, live_server: Any) -> None:
    from scalegate.services import audit

    login(page, "vic", next_path="/audit")
    first = _seqs(page)
    assert len(first) == audit.PAGE_SIZE
    assert first[0] == audit.head_seq(live_server.store)  # nothing else writes meanwhile
    assert first == sorted(first, reverse=True)
    screenshot(page, "audit")
    page.get_by_role("link", name="Show 50 older events").click()  # htmx appends the rows
    page.locator("#audit-rows tr[data-seq]").nth(len(first)).wait_for()
    both = _seqs(page)
    expected = audit.events_page(live_server.store, before=first[-1]).events
    assert both[len(first) :] == [e.seq for e in expected]
    # the same older page as a plain link (no JavaScript needed)
    page.goto(f"/audit?before={first[-1]}")
    assert _seqs(page) == [e.seq for e in expected]


def test_filters_narrow_the_log_and_events_expand(page: Any, live_server: Any) -> None:
    from scalegate.services import audit

    login(page, "vic", next_path="/audit")
    page.get_by_label("Action").fill("approval.*")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?action=approval.*")
    wanted = audit.events_page(live_server.store, audit.EventFilters(action="approval.*"))
    assert _seqs(page) == [e.seq for e in wanted.events]
    actions = page.locator("#audit-rows tr[data-seq] td:nth-child(4)").all_inner_texts()
    assert actions and all(a.startswith("approval.") for a in actions)

    page.get_by_label("Action").fill("")
    page.get_by_label("Actor").fill("omar")
    page.get_by_label("Subject").fill("fraud-alerts")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?actor=omar&subject=fraud-alerts")
    wanted = audit.events_page(
        live_server.store, audit.EventFilters(actor="omar", subject="fraud-alerts")
    )
    assert wanted.events and _seqs(page) == [e.seq for e in wanted.events]
    row = page.locator("#audit-rows tr[data-seq]").first
    assert not row.locator(".event-json").is_visible()
    row.locator("summary").click()
    assert row.locator(".event-json").is_visible()
    assert '"approval": "ap-' in row.locator(".event-json").inner_text()

    page.get_by_label("To", exact=True).fill("2001-01-01")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_text("No events match these filters").is_visible()


def test_verify_chain_on_demand_shows_intact(page: Any, live_server: Any) -> None:
    from scalegate.services import audit

    login(page, "vic", next_path="/audit")
    chain = page.locator("#chain")
    page.get_by_role("link", name="Verify chain").click()
    chain.locator('[data-chain="intact"]').wait_for()
    report = audit.verify(live_server.store)
    assert report.ok
    assert "audit chain intact" in page.locator("#chain").inner_text()
    screenshot(page, "audit-verified")
    page.reload()  # the result is kept, with the head it covered
    assert page.locator('#chain [data-chain="intact"]').is_visible()
