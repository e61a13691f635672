"""Verify a hash chain of audit events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scalegate.audit.hashing import GENESIS_HASH, event_hash

Row = tuple[int, str, str, str, str, str, str, str, str, str]
"""(seq, at, actor, action, subject_type, subject_id, before, after, prev_hash, hash)"""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of :func:`verify_chain`. ``first_bad_seq`` is None when the chain is intact."""

    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str = GENESIS_HASH

    def message(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events} events, head {self.head_hash[:16]}"
        return f"audit chain broken at sequence {self.first_bad_seq}: {self.problem}"


def verify_chain(
    rows: Iterable[Row],
    *,
    head: tuple[int, str] | None = None,
) -> ChainReport:
    """Check every event in sequence order.

    Args:
        rows: events ordered by sequence number.
        head: the recorded (last sequence, last hash) kept beside the chain; when given,
            a chain that ends early (trailing events removed) is detected too.
    """
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for row in rows:
        seq, at, actor, action, stype, sid, before, after, prev_hash, stored = row
        if seq != expected_seq:
            if seq > expected_seq:
                problem = f"event {expected_seq} is missing (next event is {seq})"
            else:
                problem = f"sequence {seq} appears where {expected_seq} was expected"
            return ChainReport(False, count, expected_seq, problem, prev)
        if prev_hash != prev:
            return ChainReport(
                False, count, seq, "previous-hash link does not match the event before", prev
            )
        computed = event_hash(seq, at, actor, action, stype, sid, before, after, prev_hash)
        if computed != stored:
            return ChainReport(False, count, seq, "content does not match its hash", prev)
        prev = stored
        count += 1
        expected_seq += 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq != count or (count and head_hash != prev):
            if head_seq > count:
                problem = f"chain ends at {count} but {head_seq} events were recorded"
                return ChainReport(False, count, count + 1, problem, prev)
            problem = "the recorded chain head does not match the last event"
            return ChainReport(False, count, max(count, 1), problem, prev)
    return ChainReport(True, count, None, None, prev)
