"""The use case page in Chromium: blockers, charts, approve and promote, roles and CSRF."""

from __future__ import annotations

from typing import Any

from web_support import login, screenshot


def _csrf(page: Any) -> str:
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return str(token)


def test_a_stalled_use_case_shows_its_blockers_and_charts(page: Any, live_server: Any) -> None:
    from scalegate.services import gates, portfolio

    stalled = next(
        s for s in portfolio.build(live_server.store).stalled if s.slug == "claims-triage"
    )
    login(page, "vic")
    page.get_by_role("link", name=stalled.name).click()
    page.wait_for_url("**/use-cases/claims-triage")
    decision = gates.evaluate(live_server.store, "claims-triage")
    checklist = page.get_by_role("table", name="Gate checklist")
    assert checklist.locator("tbody tr").count() == len(decision.results)
    for b in decision.blockers:
        row = checklist.locator(f'tr[data-criterion="{b.id}"]')
        assert row.locator(".pill").inner_text() == "fail"
        assert b.reason in row.inner_text()
        for ref in b.evidence:  # each criterion links to its evidence
            assert row.get_by_role("link", name=ref).get_attribute("href") == (
                f"/use-cases/claims-triage/evidence/{ref}"
            )
    for r in decision.results:  # approvals and waivers are on the page itself
        for ref in r.evidence:
            if not ref.startswith("ev-"):
                link = checklist.locator(f'tr[data-criterion="{r.id}"]').get_by_role("link")
                assert link.get_attribute("href") == f"#{ref}"
                assert page.locator(f"#{ref}").is_visible()
    # drift and performance of its monitor, and one chart per KPI measured at least twice
    from scalegate.services import kpis

    report = kpis.report(live_server.store, "claims-triage")
    measured = [s for s in report.kpis if len(s.points) >= 2]
    assert measured, "the demo records KPI history for claims-triage"
    assert page.locator("html").get_attribute("data-charts-drawn") == str(2 + len(measured))
    table = page.get_by_role("table").filter(has_text="Realised")
    for s in report.kpis:  # progress and realised value as `scalegate kpi show` computes them
        row = table.locator("tr").filter(has_text=s.kpi.name).first.inner_text()
        if s.progress.fraction is not None:
            assert f"{100 * s.progress.fraction:.0f}%" in row
        if s.realised is not None:
            assert f"{s.realised.amount:+,.0f} {s.realised.unit.label}" in row
    assert page.get_by_role("button", name="Approve for scaled").count() == 0  # a viewer
    screenshot(page, "use-case")


def test_evidence_page_shows_the_record(page: Any, live_server: Any) -> None:
    from scalegate.services import registry

    ev = registry.list_evidence(live_server.store, "claims-triage", kind="drift_report")[0]
    login(page, "vic", next_path="/use-cases/claims-triage")
    page.locator(f"#{ev.ref}").get_by_role("link", name=ev.ref).click()
    page.wait_for_url(f"**/evidence/{ev.ref}")
    assert ev.summary in page.locator("main").inner_text()
    screenshot(page, "evidence")


def test_approve_then_promote_records_audit_events(page: Any, live_server: Any) -> None:
    from scalegate.services import audit, registry

    slug = "churn-prediction"
    login(page, "rita", next_path=f"/use-cases/{slug}")
    screenshot(page, "use-case-approver")
    page.get_by_label("Domain").select_option("risk")
    page.get_by_role("button", name="Approve for production").click()
    page.wait_for_url(f"**/use-cases/{slug}?done=approved#gate")
    assert page.get_by_role("status").inner_text() == "Approval recorded."
    newest = page.locator(".activity li").first
    assert newest.get_attribute("data-action") == "approval.recorded"
    assert "rita" in newest.inner_text() and "domain: risk" in newest.inner_text()
    page.get_by_role("button", name="Log out").click()

    login(page, "ben", next_path=f"/use-cases/{slug}")
    assert page.get_by_role("button", name="Approve for production").count() == 0
    page.get_by_role("button", name="Promote to production").click()
    page.wait_for_url(f"**/use-cases/{slug}?done=promoted#gate")
    assert page.get_by_role("status").inner_text() == "Promoted."
    assert registry.get(live_server.store, slug).stage.value == "production"
    event = next(iter(audit.recent(live_server.store, subject_type="use_case", subject_id=slug)))
    assert (event.action, event.actor) == ("usecase.promoted", "ben")
    newest = page.locator(".activity li").first
    assert newest.get_attribute("data-action") == "usecase.promoted"
    assert "ben" in newest.inner_text()


def test_a_viewer_sees_no_forms_and_is_refused_posting_directly(
    page: Any, live_server: Any
) -> None:
    from scalegate.services import audit, registry

    slug = "fraud-alerts"  # ready to promote
    login(page, "vic", next_path=f"/use-cases/{slug}")
    assert page.get_by_role("button", name="Promote to production").count() == 0
    assert page.get_by_role("button", name="Approve for production").count() == 0
    token = _csrf(page)
    before = registry.get(live_server.store, slug).stage
    answer = page.request.post(
        f"/use-cases/{slug}/promote",
        form={"to": "production", "csrf_token": token},
        headers={"Accept": "text/html"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "needs the contributor role" in answer.text()
    assert registry.get(live_server.store, slug).stage == before
    answer = page.request.post(
        f"/use-cases/{slug}/approve",
        form={"gate": "production", "domain": "risk", "csrf_token": token},
        max_redirects=0,
    )
    assert answer.status == 403
    denied = next(iter(audit.recent(live_server.store, subject_type="user", subject_id="vic")))
    assert denied.action == "auth.denied"


def test_a_post_without_the_csrf_token_is_refused(page: Any, live_server: Any) -> None:
    from scalegate.services import registry

    slug = "fraud-alerts"
    login(page, "ben", next_path=f"/use-cases/{slug}")
    before = registry.get(live_server.store, slug).stage
    for form in ({"to": "production"}, {"to": "production", "csrf_token": "0" * 64}):
        answer = page.request.post(
            f"/use-cases/{slug}/promote",
            form=form,
            headers={"Accept": "text/html"},
            max_redirects=0,
        )
        assert answer.status == 403
        assert "CSRF" in answer.text()
    assert registry.get(live_server.store, slug).stage == before


def test_separation_of_duties_is_enforced_by_the_service(page: Any, live_server: Any) -> None:
    slug = "contract-review"  # its gate fails: promoting opens a request by rita
    login(page, "rita", next_path=f"/use-cases/{slug}")
    page.get_by_role("button", name="Request promotion to production").click()
    page.wait_for_url(f"**/use-cases/{slug}?done=requested#gate")
    token = _csrf(page)
    answer = page.request.post(
        f"/use-cases/{slug}/approve",
        form={"gate": "production", "domain": "risk", "csrf_token": token},
        headers={"Accept": "text/html"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "separation of duties" in answer.text()


def test_the_charts_carry_the_monitor_batches(page: Any, live_server: Any) -> None:
    import json

    from scalegate.services import monitoring

    monitor = monitoring.get(live_server.store, "claims-triage")
    batches = list(reversed(monitoring.batches(live_server.store, "claims-triage")))
    login(page, "vic", next_path="/use-cases/claims-triage")
    data = json.loads(page.locator("#chart-data").text_content() or "{}")
    series = data[monitor.name]
    assert series["labels"] == [b["at"][:10] for b in batches]
    assert series["drift_share"] == [b["metrics"]["drift_share"] for b in batches]
    metric = monitor.primary_metric
    assert series["realised"] == [b["metrics"].get(metric) for b in batches]
    assert series["reference"] == monitor.reference_metrics[metric]
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-monitor]')]"
        ".map(c => Chart.getChart(c).data.datasets.length)"
    )
    assert drawn == [min(6, len(series["features"])) + 1, 3]
    # each KPI chart: the measurements, the baseline and the target, as `kpi show` has them
    from scalegate.services import kpis

    kpi_data = json.loads(page.locator("#kpi-data").text_content() or "{}")
    for s in kpis.report(live_server.store, "claims-triage").kpis:
        if len(s.points) < 2:
            assert s.kpi.name not in kpi_data
            continue
        assert kpi_data[s.kpi.name]["values"] == [p.value for p in s.points]
        sets = page.evaluate(
            'name => Chart.getChart(document.querySelector(`canvas[data-kpi="${name}"]`))'
            ".data.datasets.map(d => d.label)",
            s.kpi.name,
        )
        assert sets == [s.kpi.name, "baseline", "target"]
