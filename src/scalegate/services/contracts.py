"""Data contracts as the store knows them: through their check runs.

scalegate keeps no contract documents (the YAML stays with the caller's pipeline); every
run of a contract is stored as ``data_check`` evidence whose payload carries the contract's
name and version, the schema the run observed and every rule result with its severity and
threshold. This module reads contracts back from those runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scalegate.errors import NotFoundError
from scalegate.store import Store
from scalegate.store import contract_repository as contract_repo

#: runs listed on a contract's page
RUNS_SHOWN = 50


@dataclass(frozen=True)
class ContractSummary:
    """One contract: its newest version and run, how often it ran and for how many use cases."""

    name: str
    version: str | None
    runs: int
    use_cases: int
    latest_ref: str
    latest_status: str
    latest_summary: str
    latest_at: datetime


@dataclass(frozen=True)
class RuleCheck:
    """One rule (or a column's ``type``/``required`` check) as the newest run applied it.

    ``threshold`` is the fraction of rows that must pass (1.0: every row); ``failing`` and
    ``total`` are row counts of that run.
    """

    id: str
    rule: str
    column: str | None
    severity: str
    threshold: float
    status: str
    failing: int
    total: int
    reason: str


@dataclass(frozen=True)
class ColumnView:
    """A column: the type the newest run observed (None: absent from that batch) and the
    rules checked on it."""

    name: str
    observed_type: str | None
    rules: tuple[RuleCheck, ...]

    @property
    def type_checked(self) -> bool:
        return any(r.rule == "type" for r in self.rules)

    @property
    def presence(self) -> str:
        """``present``; ``missing`` (a required column the run did not find); or ``absent``
        (an optional column the run did not find). Runs record whether a column is required
        only when it is missing."""
        if self.observed_type is not None:
            return "present"
        return "missing" if any(r.rule == "required" for r in self.rules) else "absent"


@dataclass(frozen=True)
class ContractRun:
    ref: str
    use_case: str
    status: str
    at: datetime
    by: str
    version: str | None
    rows: int | None
    failed: int | None
    warnings: int | None
    source: str | None
    summary: str


@dataclass(frozen=True)
class ContractUse:
    slug: str
    name: str
    stage: str
    runs: int
    latest_ref: str


@dataclass(frozen=True)
class ContractDetail:
    """A contract as its newest run saw it, who uses it, and its latest runs."""

    name: str
    version: str | None
    latest_ref: str
    latest_at: datetime
    #: the use case the newest run belongs to
    latest_use_case: str
    rows: int | None
    columns: tuple[ColumnView, ...]
    dataset_rules: tuple[RuleCheck, ...]
    use_cases: tuple[ContractUse, ...]
    runs: tuple[ContractRun, ...]
    total_runs: int


def list_contracts(store: Store) -> list[ContractSummary]:
    """Every contract that has at least one stored run, by name. One grouped query."""
    with store.read() as conn:
        rows = contract_repo.contract_summaries(conn)
    return [
        ContractSummary(
            name=r["name"],
            version=r["version"],
            runs=int(r["runs"]),
            use_cases=int(r["use_cases"]),
            latest_ref=f"ev-{r['id']}",
            latest_status=str(r["status"]),
            latest_summary=str(r["summary"]),
            latest_at=r["created_at"],
        )
        for r in rows
    ]


def _rule(d: dict[str, Any]) -> RuleCheck:
    return RuleCheck(
        id=str(d.get("id", "")),
        rule=str(d.get("rule", "")),
        column=d.get("column"),
        severity=str(d.get("severity", "error")),
        threshold=float(d.get("threshold", 1.0)),
        status=str(d.get("status", "")),
        failing=int(d.get("failing", 0)),
        total=int(d.get("total", 0)),
        reason=str(d.get("reason", "")),
    )


def columns_of(payload: dict[str, Any]) -> tuple[list[ColumnView], list[RuleCheck]]:
    """The columns of a stored run (observed schema order, then columns only rules name)
    with their rules, and the dataset-level rules."""
    schema: dict[str, str] = dict(payload.get("schema") or {})
    rules = [_rule(r) for r in payload.get("results") or [] if isinstance(r, dict)]
    by_column: dict[str, list[RuleCheck]] = {}
    dataset: list[RuleCheck] = []
    for r in rules:
        if r.column is None:
            dataset.append(r)
        else:
            by_column.setdefault(r.column, []).append(r)
    names = [n for n in schema if n in by_column] + [n for n in by_column if n not in schema]
    names += [n for n in schema if n not in by_column]
    columns = [ColumnView(n, schema.get(n), tuple(by_column.get(n, ()))) for n in names]
    return columns, dataset


def contract(store: Store, name: str, *, runs: int = RUNS_SHOWN) -> ContractDetail:
    """The contract ``name`` read back from its runs. Raises NotFoundError if it never ran."""
    with store.read() as conn:
        summaries = {s["name"]: s for s in contract_repo.contract_summaries(conn)}
        summary = summaries.get(name)
        if summary is None:
            raise NotFoundError.named(
                "data contract",
                name,
                hint="contracts appear once a check run is stored: scalegate check DATA "
                "--contract C.yaml --use-case U",
            )
        payload = contract_repo.latest_run_payload(conn, name) or {}
        uses = contract_repo.contract_use_cases(conn, name)
        history = contract_repo.contract_runs(conn, name, limit=runs)
    columns, dataset = columns_of(payload)
    rows = payload.get("rows")
    return ContractDetail(
        name=name,
        version=summary["version"],
        latest_ref=f"ev-{summary['id']}",
        latest_at=summary["created_at"],
        latest_use_case=str(summary["use_case"]),
        rows=int(rows) if isinstance(rows, int) else None,
        columns=tuple(columns),
        dataset_rules=tuple(dataset),
        use_cases=tuple(
            ContractUse(
                u["slug"], u["name"], str(u["stage"]), int(u["runs"]), f"ev-{u['latest_id']}"
            )
            for u in uses
        ),
        runs=tuple(
            ContractRun(
                ref=f"ev-{r['id']}",
                use_case=r["use_case"],
                status=str(r["status"]),
                at=r["created_at"],
                by=r["created_by"],
                version=r["version"],
                rows=r["rows"],
                failed=r["failed"],
                warnings=r["warnings"],
                source=r["source"],
                summary=r["summary"],
            )
            for r in history
        ),
        total_runs=int(summary["runs"]),
    )
