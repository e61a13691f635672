"""Appending to and reading the audit chain. Appends happen inside the caller's write
transaction, so a state change and its audit event commit or roll back together."""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

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
    which sorts as time does. ``action_prefix`` matches actions starting with it.
    """
    c = audit_events.c
    query = select(*_COLUMNS)
    if before_seq is not None:
        query = query.where(c.seq < before_seq)
    if actor is not None:
        query = query.where(c.actor == actor)
    if action is not None:
        query = query.where(c.action == action)
    if action_prefix:
        # a range, not LIKE: SQLite's LIKE ignores case and so cannot use the index
        upper = action_prefix[:-1] + chr(ord(action_prefix[-1]) + 1)
        query = query.where(c.action >= action_prefix, c.action < upper)
    if subject_type is not None:
        query = query.where(c.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(c.subject_id == subject_id)
    if at_from is not None:
        query = query.where(c.at >= at_from)
    if at_to is not None:
        query = query.where(c.at < at_to)
    query = query.order_by(c.seq.desc()).limit(limit)
    return [AuditEvent(*tuple(row)) for row in conn.execute(query)]
