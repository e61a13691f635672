"""Verifying and exporting the audit chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from typing import IO, Any

from scalegate.audit import ChainReport, verify_chain
from scalegate.domain.audit_event import AuditEvent
from scalegate.store import Store
from scalegate.store.audit_log import iter_events, iter_rows, read_head


def verify(store: Store) -> ChainReport:
    """Recompute every hash and link; name the first bad sequence number if any."""
    with store.read() as conn:
        head = read_head(conn)
        with closing(iter_rows(conn)) as rows:
            return verify_chain(rows, head=head)


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
