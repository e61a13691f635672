"""Paging and filtering the audit log (the web viewer's service), checked against plain
Python filtering of every event."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from svc_support import charter, events

from scalegate.errors import ValidationError
from scalegate.services import audit, gates, registry, users


def _fill(store) -> None:
    for i in range(12):
        registry.add(store, charter(f"uc-{i:02d}"), actor="ben" if i % 2 else "carla")
    for i in range(0, 12, 3):
        gates.approve(store, f"uc-{i:02d}", gate="pilot", domain="business", actor="omar")
    users.add(store, "zoe", role="viewer", actor="ada")


def _all_pages(store, filters: audit.EventFilters, limit: int) -> list[int]:
    seqs: list[int] = []
    before = None
    while True:
        page = audit.events_page(store, filters, before=before, limit=limit)
        assert len(page.events) <= limit
        seqs.extend(e.seq for e in page.events)
        if page.next_before is None:
            return seqs
        assert page.next_before == page.events[-1].seq
        before = page.next_before


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        (audit.EventFilters(), lambda e: True),
        (audit.EventFilters(actor="ben"), lambda e: e.actor == "ben"),
        (audit.EventFilters(action="approval.recorded"), lambda e: e.action == "approval.recorded"),
        (audit.EventFilters(action="usecase.*"), lambda e: e.action.startswith("usecase.")),
        (audit.EventFilters(action="user."), lambda e: e.action.startswith("user.")),
        (
            audit.EventFilters(subject="uc-03"),
            lambda e: (e.subject_type, e.subject_id) == ("use_case", "uc-03"),
        ),
        (
            audit.EventFilters(subject="user:zoe"),
            lambda e: (e.subject_type, e.subject_id) == ("user", "zoe"),
        ),
        (
            audit.EventFilters(actor="omar", action="approval.*", subject="uc-06"),
            lambda e: e.actor == "omar" and e.subject_id == "uc-06",
        ),
    ],
)
def test_pages_concatenate_to_the_filtered_chain_newest_first(team, filters, keep) -> None:
    _fill(team)
    expected = [e.seq for e in reversed(events(team)) if keep(e)]
    assert expected  # every filter matches something
    for limit in (1, 5, 50):
        assert _all_pages(team, filters, limit) == expected


def test_date_range_includes_both_days(team) -> None:
    _fill(team)
    every = events(team)
    today = date.fromisoformat(every[-1].at[:10])
    for since, until, n in [
        (today, today, len(every)),
        (today - timedelta(days=3), None, len(every)),
        (None, today - timedelta(days=1), 0),
        (today + timedelta(days=1), None, 0),
    ]:
        page = audit.events_page(team, audit.EventFilters(since=since, until=until), limit=500)
        assert len(page.events) == n
    assert audit.events_page(team).head_seq == every[-1].seq == audit.head_seq(team)


def test_bad_ranges_and_sizes_name_the_field(team) -> None:
    with pytest.raises(ValidationError, match=r"starts .* after it ends") as caught:
        audit.events_page(team, audit.EventFilters(since=date(2026, 2, 1), until=date(2026, 1, 1)))
    assert caught.value.fields["field"] == "since"
    with pytest.raises(ValidationError, match="limit must be between 1 and 500"):
        audit.events_page(team, limit=0)
    with pytest.raises(ValidationError, match="before must be"):
        audit.events_page(team, before=0)


def test_an_empty_match_has_no_next_page(team) -> None:
    page = audit.events_page(team, audit.EventFilters(actor="nobody"))
    assert page.events == [] and page.next_before is None


def test_day_boundaries_with_stamped_events(store) -> None:
    from scalegate.store.audit_log import append_event

    stamps = [
        ("2026-01-01T23:59:59.999999+00:00", "approval.recorded"),
        ("2026-01-02T00:00:00.000000+00:00", "approval.recorded"),
        ("2026-01-02T12:00:00.000000+00:00", "usecase.created"),
        ("2026-01-02T23:59:59.999999+00:00", "approval.withdrawn"),
        ("2026-01-03T00:00:00.000000+00:00", "approval.recorded"),
    ]
    base = audit.head_seq(store)  # opening a workspace may already have written events
    with store.write() as conn:
        for at, action in stamps:
            append_event(
                conn, actor="ada", action=action, subject_type="use_case", subject_id="x", at=at
            )
    day = date(2026, 1, 2)

    def seqs(**kw) -> list[int]:
        page = audit.events_page(store, audit.EventFilters(**kw), limit=500)
        return [e.seq - base for e in page.events if e.seq > base]

    assert seqs(since=day, until=day) == [4, 3, 2]
    assert seqs(since=day) == [5, 4, 3, 2]
    assert seqs(until=day) == [4, 3, 2, 1]
    assert seqs(since=day, until=day, action="approval.*") == [4, 2]
    assert seqs(since=date(2026, 1, 4)) == []
    assert seqs(until=date(2025, 12, 31)) == []
    page = audit.events_page(
        store, audit.EventFilters(action="approval."), before=base + 4, limit=1
    )
    assert [e.seq - base for e in page.events] == [2] and page.next_before == base + 2
