"""Checking a data batch against a contract, and keeping the run as evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scalegate.audit import canonical_json
from scalegate.domain.evidence import Evidence
from scalegate.domain.user import Role
from scalegate.gates import DATA_CHECK
from scalegate.services import registry
from scalegate.services.access import require
from scalegate.store import Store

if TYPE_CHECKING:
    from scalegate.domain.contract import Contract
    from scalegate.engine.results import CheckResult, RuleResult


def load_contract(text: str, source: str) -> Contract:
    """Parse and validate a contract document (errors name file, line and field)."""
    from scalegate.engine.check import load_contract as _load

    return _load(text, source)


def run(
    data: Any,
    contract: Contract,
    *,
    now: datetime | None = None,
    on_phase: Callable[[str], None] | None = None,
    profile: bool = True,
) -> CheckResult:
    """Check ``data`` (a path or any dataframe) against ``contract``. Reads only.

    ``now`` is the time freshness rules measure against (default: the current time);
    ``on_phase`` is called with a short description as each phase of the run starts;
    ``profile=False`` skips the dataset profile (faster; the run then carries none, so drift
    monitoring has nothing to compare it with).
    """
    from scalegate.engine.check import check

    return check(data, contract, now=now, on_phase=on_phase, profile=profile)


def input_bytes(path: str) -> int:
    """Total size of the files a path, folder or glob stands for (raises DataError if none)."""
    from scalegate.engine.frames import input_files

    return sum(f.stat().st_size for f in input_files(path))


def fingerprint(result: CheckResult) -> dict[str, Any]:
    """What identifies the checked dataset: its schema, row count and source."""
    schema_hash = hashlib.sha256(canonical_json(result.schema).encode()).hexdigest()
    return {
        "source": result.source,
        "backend": result.backend,
        "rows": result.rows,
        "columns": result.columns,
        "schema_sha256": schema_hash,
    }


def can_record(store: Store, slug: str, *, actor: str | None) -> None:
    """Raise now, before any data is read, if ``actor`` could not store a run on ``slug``."""
    with store.read() as conn:
        require(conn, actor, Role.CONTRIBUTOR, doing="storing a check run")
        registry.use_case_in(conn, slug)


def record(
    store: Store,
    slug: str,
    result: CheckResult,
    *,
    actor: str | None,
    at: datetime | None = None,
) -> Evidence:
    """Store a check run as immutable ``data_check`` evidence of a use case (audited).

    The evidence's subject is the contract's name, which ``data_contract`` criteria ask for;
    its payload holds the dataset fingerprint, every rule result and the profile.
    """
    status = "fail" if result.failed else ("warn" if result.warnings else "pass")
    summary = f"{result.contract} v{result.version}: {_listed(result.failed, 'failed')}, "
    summary += f"{_listed(result.warnings, 'warnings')}, {result.rows:,} rows"
    payload = {"dataset": fingerprint(result), **result.to_dict()}
    return registry.record_evidence(
        store,
        slug,
        kind=DATA_CHECK,
        subject=result.contract,
        status=status,
        summary=summary,
        payload=payload,
        actor=actor,
        at=at,
    )


def _listed(results: tuple[RuleResult, ...], what: str, shown: int = 3) -> str:
    """``2 failed (units.between, dataset.freshness)``: a count and the first few rule ids."""
    if not results:
        return f"0 {what}"
    ids = ", ".join(r.id for r in results[:shown])
    more = f" and {len(results) - shown} more" if len(results) > shown else ""
    return f"{len(results)} {what} ({ids}{more})"
