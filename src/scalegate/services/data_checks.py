"""Checking a data batch against a contract, and keeping the run as evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scalegate.audit import canonical_json
from scalegate.domain.contract import Severity
from scalegate.domain.evidence import Evidence
from scalegate.domain.user import Role
from scalegate.gates import DATA_CHECK
from scalegate.services import registry
from scalegate.services.access import require
from scalegate.store import Store

if TYPE_CHECKING:
    from scalegate.domain.contract import Contract
    from scalegate.engine.results import CheckResult, RuleResult


class _RuleRunDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=300)
    rule: str = Field(min_length=1, max_length=100)
    column: str | None = None
    severity: Severity
    status: Literal["pass", "fail", "skipped", "error"]
    failing: int = Field(0, ge=0)
    total: int = Field(0, ge=0)
    fraction: float = Field(0.0, ge=0, le=1)
    threshold: float = Field(1.0, ge=0, le=1)
    examples: list[Any] = Field(default_factory=list, max_length=100)
    reason: str = ""


class _CheckRunDocument(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    contract: str = Field(min_length=1, max_length=200)
    version: str = Field(max_length=100)
    source: str = Field("", max_length=2000)
    backend: str = Field("", max_length=50)
    rows: int = Field(ge=0)
    columns: int = Field(ge=0)
    results: list[_RuleRunDocument]
    schema_: dict[str, str] = Field(default_factory=dict, alias="schema")
    started: datetime
    finished: datetime
    profile: dict[str, Any] | None = None


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


def result_from_dict(data: Any, *, source: str = "request body") -> CheckResult:
    """A check run computed elsewhere (``CheckResult.to_dict()``, e.g. by a pipeline next to
    its data), validated field by field; errors name ``source`` and the field.

    Derived fields (``passed``, ``summary``) are recomputed from the rule results, never
    trusted; a ``profile``, if present, must read back as a dataset profile.
    """
    import pydantic

    from scalegate.domain import documents
    from scalegate.engine.profile import DatasetProfile
    from scalegate.engine.results import CheckResult, RuleResult, Status

    try:
        doc = _CheckRunDocument.model_validate(data)
    except pydantic.ValidationError as exc:
        raise documents.field_error(exc, what=f"{source} field") from None
    profile = DatasetProfile.from_dict(doc.profile) if doc.profile is not None else None
    return CheckResult(
        contract=doc.contract,
        version=doc.version,
        source=doc.source,
        backend=doc.backend,
        rows=doc.rows,
        columns=doc.columns,
        results=tuple(
            RuleResult(
                id=r.id,
                rule=r.rule,
                column=r.column,
                severity=r.severity,
                status=Status(r.status),
                failing=r.failing,
                total=r.total,
                fraction=r.fraction,
                threshold=r.threshold,
                examples=tuple(r.examples),
                reason=r.reason,
            )
            for r in doc.results
        ),
        schema=dict(doc.schema_),
        started=doc.started,
        finished=doc.finished,
        profile=profile,
    )
