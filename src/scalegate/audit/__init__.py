"""Hash chain of audit events: canonical encoding, hashing and verification. Pure."""

from scalegate.audit.hashing import GENESIS_HASH, canonical_json, event_hash
from scalegate.audit.verify import ChainReport, verify_chain

__all__ = ["GENESIS_HASH", "ChainReport", "canonical_json", "event_hash", "verify_chain"]
