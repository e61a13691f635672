"""Appending to and reading the audit chain. Appends happen inside the caller's write
transaction, so a state change and its audit event commit or roll back together."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from scalegate.audit import GENESIS_HASH, canonical_json, event_hash
from scalegate.audit.verify import Row
from scalegate.domain.audit_event import AuditEvent
from scalegate.store.tables import audit_events, audit_head

_COLUMNS = (
    audit_events.c.seq,
    audit_events.c.at,
    audit_events.c.actor,
    audit_events.c.action,
    audit_events.c.subject_type,
    audit_events.c.subject_id,
    audit_events.c.before,
    audit_events.c.after,
    audit_events.c.prev_hash,
    audit_events.c.hash,
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def append_event(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: Any = None,
    after: Any = None,
    at: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside ``Store.write()``."""
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    at = at or now_iso()
    before_text, after_text = canonical_json(before), canonical_json(after)
    digest = event_hash(
        seq, at, actor, action, subject_type, subject_id, before_text, after_text, prev
    )
    event = AuditEvent(
        seq, at, actor, action, subject_type, subject_id, before_text, after_text, prev, digest
    )
    conn.execute(
        insert(audit_events).values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before_text,
            after=after_text,
            prev_hash=prev,
            hash=digest,
        )
    )
    if head:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    else:
        conn.execute(insert(audit_head).values(id=1, seq=seq, hash=digest))
    return event


def recent_times(
    conn: Connection, *, action: str, subject_type: str, subject_id: str, since: str, limit: int
) -> list[str]:
    """The ``at`` of the latest ``limit`` events with this action and subject at or after
    ``since`` (an ISO time in UTC like :func:`now_iso`), newest first. Uses the subject index."""
    rows = conn.execute(
        select(audit_events.c.at)
        .where(
            audit_events.c.subject_type == subject_type,
            audit_events.c.subject_id == subject_id,
            audit_events.c.action == action,
            audit_events.c.at >= since,
        )
        .order_by(audit_events.c.seq.desc())
        .limit(limit)
    )
    return [row[0] for row in rows]


#: numbers PostgreSQL server-side cursors so that two readers on one connection never clash
_cursor_ids = itertools.count(1)


def read_head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def iter_rows(conn: Connection, *, batch: int = 20_000) -> Generator[Row, None, None]:
    """Stream every event in sequence order as plain tuples (fast path for verify).

    Reads through the driver's own cursor: a SQLAlchemy Row per event costs about a third of
    the whole read of a million events, and as every column is a plain integer or string the
    driver's tuples hold exactly the values SQLAlchemy would return. PostgreSQL gets a named
    (server-side) cursor so that rows stream in batches; SQLite's cursor streams anyway.
    """
    sql = str(select(*_COLUMNS).order_by(audit_events.c.seq).compile(dialect=conn.dialect))
    driver = conn.connection.driver_connection
    assert driver is not None
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(name=f"scalegate_audit_rows_{next(_cursor_ids)}")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while part := cursor.fetchmany(batch):
            yield from part
    finally:
        # a reader that stops early (a broken chain) must not leave a server cursor open
        cursor.close()


def iter_events(
    conn: Connection,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since_seq: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> Iterator[AuditEvent]:
    query = select(*_COLUMNS)
    if subject_type is not None:
        query = query.where(audit_events.c.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(audit_events.c.subject_id == subject_id)
    if since_seq is not None:
        query = query.where(audit_events.c.seq > since_seq)
    query = query.order_by(audit_events.c.seq.desc() if newest_first else audit_events.c.seq)
    if limit is not None:
        query = query.limit(limit)
    for row in conn.execution_options(yield_per=10_000).execute(query):
        yield AuditEvent(*tuple(row))


def _seq_bounds(
    conn: Connection, at_from: str | None, at_to: str | None
) -> tuple[int, int | None] | None:
    """The ``seq`` range of the events with ``at_from <= at < at_to``, found through the
    ``at`` index in two lookups; None if no event is that recent.

    Appends hold the writers' lock (``BEGIN IMMEDIATE``, PostgreSQL's advisory lock) while
    they stamp ``at``, so ``at`` grows with ``seq``: a time range is a ``seq`` range, and the
    search then walks the primary key or the (actor|action, seq) indexes inside it.
    """
    c = audit_events.c

    def first_at_or_after(moment: str) -> int | None:
        query = select(c.seq).where(c.at >= moment).order_by(c.at, c.seq).limit(1)
        found = conn.execute(query).scalar()
        return None if found is None else int(found)

    low = 1
    if at_from is not None:
        first = first_at_or_after(at_from)
        if first is None:
            return None
        low = first
    high = first_at_or_after(at_to) if at_to is not None else None
    return low, high


def _actions_with_prefix(conn: Connection, prefix: str, upper: str) -> list[str]:
    """The distinct actions starting with ``prefix``: a loose index scan, one ``min`` per
    action (there are a few dozen actions, and millions of events)."""
    c = audit_events.c
    found: list[str] = []
    while True:
        floor = c.action > found[-1] if found else c.action >= prefix
        action = conn.execute(select(func.min(c.action)).where(floor, c.action < upper)).scalar()
        if action is None:
            return found
        found.append(str(action))


def page_events(
    conn: Connection,
    *,
    before_seq: int | None = None,
    limit: int = 50,
    actor: str | None = None,
    action: str | None = None,
    action_prefix: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    at_from: str | None = None,
    at_to: str | None = None,
) -> list[AuditEvent]:
    """Up to ``limit`` events with ``seq < before_seq``, newest first, matching every filter
    given (keyset paging: the cost depends on the page, not on the length of the chain).

    ``at_from``/``at_to`` compare the ISO-8601 UTC text of ``at`` (``at_from <= at < at_to``),
    which sorts as time does. ``action_prefix`` matches actions starting with it: each such
    action is read through the (action, seq) index and the newest of all are kept, because a
    range over that index would have to sort every event of the family.
    """
    c = audit_events.c
    query = select(*_COLUMNS)
    if at_from is not None or at_to is not None:
        bounds = _seq_bounds(conn, at_from, at_to)
        if bounds is None:
            return []
        low, high = bounds
        query = query.where(c.seq >= low)
        if high is not None:
            query = query.where(c.seq < high)
        if at_from is not None:
            query = query.where(c.at >= at_from)
        if at_to is not None:
            query = query.where(c.at < at_to)
    if before_seq is not None:
        query = query.where(c.seq < before_seq)
    if actor is not None:
        query = query.where(c.actor == actor)
    if subject_type is not None:
        query = query.where(c.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(c.subject_id == subject_id)
    newest_first = query.order_by(c.seq.desc()).limit(limit)
    if action_prefix:
        upper = action_prefix[:-1] + chr(ord(action_prefix[-1]) + 1)
        actions = _actions_with_prefix(conn, action_prefix, upper)
        if action is not None:
            actions = [a for a in actions if a == action]
        parts = [
            [AuditEvent(*tuple(row)) for row in conn.execute(newest_first.where(c.action == a))]
            for a in actions
        ]
        merged = heapq.merge(*parts, key=lambda ev: ev.seq, reverse=True)
        return list(itertools.islice(merged, limit))
    if action is not None:
        newest_first = newest_first.where(c.action == action)
    return [AuditEvent(*tuple(row)) for row in conn.execute(newest_first)]
