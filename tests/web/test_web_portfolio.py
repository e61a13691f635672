"""The portfolio page in Chromium: funnel, stalled use cases with blockers, filters."""

from __future__ import annotations

from typing import Any

from web_support import login, screenshot


def test_portfolio_shows_funnel_stalled_and_ready(page: Any, live_server: Any) -> None:
    from scalegate.services import portfolio

    expected = portfolio.build(live_server.store)
    login(page, "vic")
    for stage in ("idea", "pilot", "production", "scaled"):
        count = page.locator(f'.funnel-count[data-stage="{stage}"]').inner_text()
        assert int(count) == expected.stages[stage]
    rows = page.locator("#stalled-rows tr")
    assert rows.count() == len(expected.stalled)
    first = expected.stalled[0]
    assert rows.first.get_by_role("link", name=first.name).is_visible()
    for b in first.blockers:
        assert rows.first.get_by_text(b.id, exact=True).is_visible()
    screenshot(page, "portfolio")


def test_filters_swap_the_body_and_work_as_plain_links(page: Any, live_server: Any) -> None:
    from scalegate.services import portfolio

    wanted = portfolio.build(live_server.store, risk_tier="high")
    login(page, "vic")
    page.get_by_label("Risk tier").select_option("high")
    page.wait_for_url("**/?risk_tier=high")
    rows = page.locator("#stalled-rows tr")
    assert rows.count() == len(wanted.stalled)
    slugs = {s.slug for s in wanted.stalled}
    for i in range(rows.count()):
        href = rows.nth(i).get_by_role("link").first.get_attribute("href")
        assert href is not None and href.removeprefix("/use-cases/") in slugs
    page.goto("/?risk_tier=high")  # the same URL without htmx
    assert page.locator("#stalled-rows tr").count() == len(wanted.stalled)
