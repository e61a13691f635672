"""The audit event: one link of the hash chain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One state change. ``before`` and ``after`` are canonical JSON text (or ``null``)."""

    seq: int
    at: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: str
    after: str
    prev_hash: str
    hash: str
