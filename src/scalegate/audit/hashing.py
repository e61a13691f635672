"""Canonical encoding and SHA-256 hashing of audit events.

The hash of event *n* covers its sequence number, time, actor, action, subject, the exact
canonical JSON text of ``before`` and ``after``, and the hash of event *n-1*. Changing,
removing, inserting or re-ordering any event therefore breaks the chain from that point on.

The hashed text is the UTF-8 of the JSON array
``[seq, at, actor, action, subject_type, subject_id, before, after, prev_hash]`` in which
every field but ``seq`` is a JSON *string* (``before``/``after`` are their stored canonical
JSON text, quoted), so no field can bleed into its neighbour.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from json.encoder import encode_basestring
from typing import Any

GENESIS_HASH = "0" * 64

_dumps = json.JSONEncoder(ensure_ascii=False).encode
_sha256 = hashlib.sha256


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot encode {type(value).__name__} in an audit event")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no insignificant whitespace, UTF-8 text kept as is."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def event_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: str,
    after: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over the canonical encoding of one event and its predecessor's hash."""
    try:
        # fast path (verify hashes every event): for a str, JSONEncoder(ensure_ascii=False)
        # returns exactly encode_basestring(value); calling it directly skips the encoder
        q = encode_basestring
        encoded = (
            f"[{seq},{q(at)},{q(actor)},{q(action)},{q(subject_type)},"
            f"{q(subject_id)},{q(before)},{q(after)},{q(prev_hash)}]"
        )
    except TypeError:  # not a str after all: encode it as any other JSON value
        encoded = (
            f"[{seq},{_dumps(at)},{_dumps(actor)},{_dumps(action)},{_dumps(subject_type)},"
            f"{_dumps(subject_id)},{_dumps(before)},{_dumps(after)},{_dumps(prev_hash)}]"
        )
    return _sha256(encoded.encode("utf-8")).hexdigest()
