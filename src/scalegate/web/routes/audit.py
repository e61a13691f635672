"""The audit log viewer: newest events first, filtered and paged by sequence number, each
expandable to its before/after JSON; the chain's verification on demand; the export.

Paging is keyset paging on ``seq`` (``?before=N``): a page costs the same on the first or the
20,000th page of a million events, and nothing counts the chain. Verifying recomputes every
hash, seconds for a million events, so it runs only when someone asks (the "Verify chain"
button); the last result is kept in memory with the head it covered, and the page says how
many events were appended since.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from scalegate.audit import ChainReport
from scalegate.domain.audit_event import AuditEvent
from scalegate.errors import ValidationError
from scalegate.services import audit
from scalegate.services.clock import utcnow
from scalegate.store import Store
from scalegate.web.auth import Viewer
from scalegate.web.contexts import AuditFilters, AuditPage, AuditRow, ChainStatus
from scalegate.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

#: one verification at a time per server: a second click waits for the running one
_VERIFY_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Verified:
    report: ChainReport
    at: datetime
    seconds: float


def _pretty(text: str) -> str:
    value = json.loads(text)
    return "" if value is None else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _gist(text: str, limit: int = 140) -> str:
    value = json.loads(text)
    if not isinstance(value, dict):
        return "" if value is None else str(value)[:limit]
    parts = []
    for key, item in value.items():
        shown = item if isinstance(item, str | int | float | bool) or item is None else "…"
        parts.append(f"{key}: {shown}")
    out = " · ".join(parts)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _row(ev: AuditEvent) -> AuditRow:
    return AuditRow(
        seq=ev.seq,
        at=ev.at,
        actor=ev.actor,
        action=ev.action,
        subject_type=ev.subject_type,
        subject_id=ev.subject_id,
        before=_pretty(ev.before),
        after=_pretty(ev.after),
        gist=_gist(ev.after),
        hash=ev.hash,
    )


def _day(value: str | None, name: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{name} '{value[:40]}' is not a day like 2026-11-26", field=name
        ) from None


def chain_status(request: Request, head_seq: int) -> ChainStatus:
    """The last verification this server ran, against the current head."""
    last: _Verified | None = getattr(request.app.state, "audit_verified", None)
    if last is None:
        return ChainStatus(head_seq=head_seq)
    r = last.report
    return ChainStatus(
        ok=r.ok,
        message=r.message(),
        events=r.events,
        first_bad_seq=r.first_bad_seq,
        verified_at=last.at.isoformat(),
        head_seq=head_seq,
        appended_since=max(0, head_seq - r.events) if r.ok else 0,
        seconds=last.seconds,
    )


def build_page(
    store: Store, request: Request, filters: AuditFilters, before: int | None
) -> AuditPage:
    """One page of the audit log for ``filters``, older than ``before``."""
    wanted = audit.EventFilters(
        actor=filters.actor or None,
        action=filters.action or None,
        subject=filters.subject or None,
        since=_day(filters.since, "since"),
        until=_day(filters.until, "until"),
    )
    found = audit.events_page(store, wanted, before=before)
    older = f"/audit?{filters.query(before=found.next_before)}" if found.next_before else None
    return AuditPage(
        rows=[_row(ev) for ev in found.events],
        filters=filters,
        chain=chain_status(request, found.head_seq),
        head_seq=found.head_seq,
        older_url=older,
        paged=before is not None,
    )


def _clean(value: str | None, limit: int = 200) -> str:
    return (value or "").strip()[:limit]


@router.get("/audit")
async def audit_log(
    caller: Viewer,
    request: Request,
    actor: str | None = Query(None),
    action: str | None = Query(None, description="exact, or a family like approval.*"),
    subject: str | None = Query(None, description="a use case slug, or type:id"),
    since: str | None = Query(None, description="first UTC day, YYYY-MM-DD"),
    until: str | None = Query(None, description="last UTC day, YYYY-MM-DD"),
    before: int | None = Query(None, ge=1, description="show events older than this seq"),
    part: str | None = Query(None, description="'rows': only the next page's rows"),
) -> Response:
    filters = AuditFilters(
        actor=_clean(actor, 100),
        action=_clean(action, 64),
        subject=_clean(subject),
        since=_clean(since, 10),
        until=_clean(until, 10),
    )
    if any(v == "" for v in request.query_params.values()):
        # the filter form sends its empty fields too: answer with the short, shareable URL
        query = filters.query(before=before)
        return RedirectResponse("/audit" + (f"?{query}" if query else ""), status_code=303)
    page = await run_in_threadpool(build_page, caller.store, request, filters, before)
    if is_htmx(request) and part == "rows":
        return render(request, "audit/_rows.html", page)
    return render(request, "audit/page.html", page)


def _verify(store: Store) -> _Verified:
    with _VERIFY_LOCK:
        started = time.perf_counter()
        report = audit.verify(store)
        return _Verified(report, utcnow(), time.perf_counter() - started)


@router.get("/audit/verify")
async def verify(caller: Viewer, request: Request) -> Response:
    """Recompute the whole chain now; htmx gets the status box, a browser the whole page."""
    result = await run_in_threadpool(_verify, caller.store)
    request.app.state.audit_verified = result
    status = chain_status(request, await run_in_threadpool(audit.head_seq, caller.store))
    if is_htmx(request):
        return render(request, "audit/_chain.html", None, chain=status)
    page = await run_in_threadpool(build_page, caller.store, request, AuditFilters(), None)
    return render(request, "audit/page.html", page)


@router.get("/audit/export.jsonl")
def export(caller: Viewer) -> Response:
    """Every event, oldest first, one JSON object per line (as ``scalegate audit export``)."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        audit.export_lines(caller.store),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="scalegate-audit-{stamp}.jsonl"',
            "Cache-Control": "no-store",
        },
    )
