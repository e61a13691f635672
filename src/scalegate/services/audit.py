"""Verifying and exporting the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

from scalegate.audit import ChainReport, verify_chain
from scalegate.domain.audit_event import AuditEvent
from scalegate.errors import ValidationError
from scalegate.store import Store
from scalegate.store.audit_log import iter_events, iter_rows, page_events, read_head

#: events per page of the audit viewer, and the most one page may ask for
PAGE_SIZE = 50
MAX_PAGE = 500


def verify(store: Store) -> ChainReport:
    """Recompute every hash and link; name the first bad sequence number if any."""
    with store.read() as conn:
        head = read_head(conn)
        with closing(iter_rows(conn)) as rows:
            return verify_chain(rows, head=head)


def head_seq(store: Store) -> int:
    """The sequence number of the newest event (0 for an empty chain). One row read."""
    with store.read() as conn:
        return read_head(conn)[0]


def event_dict(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at,
        "actor": ev.actor,
        "action": ev.action,
        "subject_type": ev.subject_type,
        "subject_id": ev.subject_id,
        "before": json.loads(ev.before),
        "after": json.loads(ev.after),
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def export_lines(store: Store) -> Iterator[str]:
    """Every event as one line of JSON (with its newline), oldest first, read in one
    transaction while the caller consumes them.

    ``before``/``after`` keep their exact canonical text in ``before_json``/``after_json`` so
    an auditor can recompute each hash from the export alone.
    """
    with store.read() as conn:
        for ev in iter_events(conn):
            row = event_dict(ev)
            row["before_json"], row["after_json"] = ev.before, ev.after
            yield json.dumps(row, ensure_ascii=False) + "\n"


def export(store: Store, out: IO[str]) -> int:
    """Write every event as one JSON object per line (see :func:`export_lines`); return
    how many."""
    n = 0
    for line in export_lines(store):
        out.write(line)
        n += 1
    return n


def recent(
    store: Store,
    *,
    limit: int = 50,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> Iterator[AuditEvent]:
    with store.read() as conn:
        yield from list(
            iter_events(
                conn,
                subject_type=subject_type,
                subject_id=subject_id,
                limit=limit,
                newest_first=True,
            )
        )


@dataclass(frozen=True)
class EventFilters:
    """What the audit viewer narrows events to; None means any.

    ``action`` is an exact action (``approval.recorded``) or a family ending in ``.*`` or
    ``.`` (``approval.*``). ``subject`` is a use case slug, or ``type:id`` for other subjects
    (``user:ada``, ``policy:default``). ``since`` and ``until`` are UTC days, both included.
    """

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return any((self.actor, self.action, self.subject, self.since, self.until))


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, and where the next (older) page starts."""

    events: list[AuditEvent]
    #: pass as ``before`` to get the next older page; None when no older event matches
    next_before: int | None
    #: the newest sequence number of the whole chain when the page was read
    head_seq: int


def _subject(text: str) -> tuple[str, str]:
    kind, sep, ident = text.partition(":")
    if sep and kind and ident:
        return kind, ident
    return "use_case", text


def events_page(
    store: Store,
    filters: EventFilters = EventFilters(),
    *,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> EventPage:
    """Up to ``limit`` events older than sequence ``before`` (newest first) that match
    ``filters``. Reads one page plus one row through indexes (keyset paging on ``seq``): it
    neither counts nor loads the chain, so a page of a million events costs what a page of a
    hundred does. Raises ValidationError naming the field for a bad range or page size."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}, not {limit}", field="limit")
    if before is not None and before < 1:
        raise ValidationError(
            f"before must be a sequence number >= 1, not {before}", field="before"
        )
    if filters.since and filters.until and filters.since > filters.until:
        raise ValidationError(
            f"the range starts ({filters.since.isoformat()}) after it ends "
            f"({filters.until.isoformat()})",
            field="since",
        )
    action = (filters.action or "").strip() or None
    prefix = None
    if action is not None and (action.endswith(".*") or action.endswith(".")):
        prefix, action = action.rstrip("*"), None
    subject_type = subject_id = None
    if filters.subject and filters.subject.strip():
        subject_type, subject_id = _subject(filters.subject.strip())
    with store.read() as conn:
        head, _ = read_head(conn)
        found = page_events(
            conn,
            before_seq=before,
            limit=limit + 1,
            actor=(filters.actor or "").strip() or None,
            action=action,
            action_prefix=prefix,
            subject_type=subject_type,
            subject_id=subject_id,
            at_from=filters.since.isoformat() if filters.since else None,
            at_to=(filters.until + timedelta(days=1)).isoformat() if filters.until else None,
        )
    more = len(found) > limit
    shown = found[:limit]
    return EventPage(shown, shown[-1].seq if more and shown else None, head)
