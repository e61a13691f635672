"""The data contract pages in Chromium: the list, one contract's columns and runs."""

from __future__ import annotations

from typing import Any

from web_support import login, screenshot


def test_contract_page_shows_the_columns_of_a_demo_contract_and_its_runs(
    page: Any, live_server: Any
) -> None:
    from scalegate.services import contracts, data_checks
    from scalegate.services.demo_data import CONTRACTS

    listed = contracts.list_contracts(live_server.store)
    login(page, "vic", next_path="/contracts")
    assert page.locator("#contracts tbody tr").count() == len(listed)
    screenshot(page, "contracts")
    page.get_by_role("link", name="claims-intake").click()
    page.wait_for_url("**/contracts/claims-intake")

    declared = data_checks.load_contract(CONTRACTS["claims-intake"], "claims-intake.yaml")
    detail = contracts.contract(live_server.store, "claims-intake")
    for name in declared.columns:
        assert page.locator(f'#schema tr[data-column="{name}"]').count() == 1, name
    assert page.locator("#schema tbody tr").count() == len(detail.columns)
    runs = page.locator("#runs tbody tr")
    assert runs.count() == len(detail.runs) == detail.total_runs
    for i, run in enumerate(detail.runs):
        row = runs.nth(i)
        assert row.get_attribute("data-ref") == run.ref
        assert row.locator(".pill").inner_text() == run.status
        assert row.get_by_role("link", name=run.ref).get_attribute("href") == (
            f"/use-cases/{run.use_case}/evidence/{run.ref}"
        )
    assert "fail" in {r.status for r in detail.runs}  # the demo's broken batch
    users = page.locator("#contract-users tbody tr")
    assert users.count() == len(detail.use_cases)
    screenshot(page, "contract")
