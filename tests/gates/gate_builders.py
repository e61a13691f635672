"""Builders for gate tests: domain objects and GateContext, all at a fixed ``now``.

Imported by ``conftest.py`` (the ``make`` fixture) and directly by tests that need builders
outside fixtures (hypothesis).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scalegate.domain.evidence import Approval, Evidence, PromotionRequest, Waiver
from scalegate.domain.monitoring import BatchRecord, DriftStatus, MonitorRecord, Task
from scalegate.domain.policy import Policy
from scalegate.domain.stage import Stage
from scalegate.domain.use_case import UseCase
from scalegate.domain.user import User
from scalegate.gates import CRITERIA, GateContext
from scalegate.gates.registry import Outcome

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

TEAM: dict[str, User] = {
    u.username: u
    for u in (
        User(username="bob", role="contributor"),
        User(username="tina", role="contributor"),
        User(username="rita", role="approver", domains=("risk",)),
        User(username="dan", role="approver", domains=("data",)),
        User(username="omar", role="approver", domains=("business",)),
        User(username="eve", role="approver", domains=("executive",)),
        User(username="ada", role="admin"),
    )
}


class Make:
    """Stateless builders; ``make.now`` is the evaluation time of every context."""

    now = NOW

    def use_case(self, **overrides: Any) -> UseCase:
        data: dict[str, Any] = {
            "id": 7,
            "slug": "credit-limit",
            "name": "Credit limit advisor",
            "purpose": "Suggest credit limits to underwriters",
            "strategic_objective": "Grow lending at stable risk",
            "business_owner": "bob",
            "technical_owner": "tina",
            "departments": ("lending",),
            "integration_targets": ({"system": "LoanDesk", "mode": "embedded_ui"},),
            "kpis": (
                {
                    "name": "approval time",
                    "unit": "h",
                    "direction": "decrease",
                    "baseline": 48,
                    "target": 24,
                },
            ),
            "risk_tier": "limited",
            "stage": "pilot",
            "stage_entered_at": NOW - timedelta(days=10),
            "created_at": NOW - timedelta(days=100),
            "updated_at": NOW - timedelta(days=2),
        }
        data.update(overrides)
        return UseCase.model_validate(data)

    def users(self, *, inactive: Sequence[str] = (), drop: Sequence[str] = ()) -> dict[str, User]:
        out = {}
        for name, u in TEAM.items():
            if name in drop:
                continue
            out[name] = u.model_copy(update={"active": False}) if name in inactive else u
        return out

    def approval(
        self,
        id: int,
        domain: str,
        approver: str,
        *,
        gate: Stage = Stage.PRODUCTION,
        stage: Stage = Stage.PILOT,
        age: timedelta = timedelta(days=1),
    ) -> Approval:
        return Approval(
            id=id,
            use_case_id=7,
            gate=gate,
            domain=domain,
            approver=approver,
            created_at=NOW - age,
            stage=stage,
        )

    def waiver(
        self,
        id: int,
        criterion: str,
        *,
        gate: Stage = Stage.PRODUCTION,
        stage: Stage = Stage.PILOT,
        expires_in: timedelta = timedelta(days=30),
        approver: str = "eve",
        justification: str = "board decided to extend the pilot",
    ) -> Waiver:
        return Waiver(
            id=id,
            use_case_id=7,
            gate=gate,
            criterion=criterion,
            justification=justification,
            approver=approver,
            expires_at=NOW + expires_in,
            created_at=NOW - timedelta(days=1),
            stage=stage,
        )

    def evidence(
        self,
        id: int,
        kind: str,
        status: str = "pass",
        *,
        age: timedelta = timedelta(days=3),
        subject: str | None = None,
        summary: str = "",
    ) -> Evidence:
        return Evidence(
            id=id,
            use_case_id=7,
            kind=kind,
            subject=subject,
            summary=summary,
            status=status,
            created_at=NOW - age,
            created_by="tina",
        )

    def batch(
        self,
        id: int,
        days_ago: float,
        status: str = "ok",
        *,
        monitor: str = "default",
        rows: int = 1000,
        **metrics: float,
    ) -> BatchRecord:
        return BatchRecord(
            id=id,
            monitor=monitor,
            at=NOW - timedelta(days=days_ago),
            rows=rows,
            status=DriftStatus(status),
            metrics=metrics,
            evidence_id=500 + id,
        )

    def monitor(
        self,
        *batches: BatchRecord,
        name: str = "default",
        task: str | None = "classification",
        primary_metric: str | None = "roc_auc",
        reference: Mapping[str, float] | None = None,
        active: bool = True,
    ) -> MonitorRecord:
        """A monitor whose batches are given in any order (stored newest first)."""
        return MonitorRecord(
            name=name,
            model_name="limits",
            model_version="3",
            task=Task(task) if task else None,
            primary_metric=primary_metric,
            reference_metrics=dict(reference or {}),
            batches=tuple(sorted(batches, key=lambda b: b.at, reverse=True)),
            active=active,
        )

    def request(self, by: str, gate: Stage = Stage.PRODUCTION) -> PromotionRequest:
        return PromotionRequest(
            id=1, use_case_id=7, gate=gate, requested_by=by, created_at=NOW - timedelta(hours=1)
        )

    def policy(self, gates: Mapping[str, Any] | None = None, **fields: Any) -> Policy:
        data: dict[str, Any] = {"gates": dict(gates or {"production": []})}
        data.update(fields)
        return Policy.model_validate(data)

    def ctx(
        self,
        use_case: UseCase | None = None,
        policy: Policy | None = None,
        *,
        users: Mapping[str, User] | None = None,
        approvals: Sequence[Approval] = (),
        waivers: Sequence[Waiver] = (),
        evidence: Sequence[Evidence] = (),
        data_checks: Sequence[Evidence] | None = None,
        request: PromotionRequest | None = None,
        monitors: Sequence[MonitorRecord] = (),
        fairness: Sequence[Evidence] = (),
        policy_version: int = 3,
        now: datetime = NOW,
    ) -> GateContext:
        return GateContext(
            use_case=use_case or self.use_case(),
            policy=policy or self.policy(),
            policy_version=policy_version,
            now=now,
            users=self.users() if users is None else users,
            approvals=tuple(approvals),
            waivers=tuple(waivers),
            latest_evidence={e.kind: e for e in evidence},
            # newest first, as the store hands them over; by default the data_check evidence
            data_checks=sorted(
                [e for e in evidence if e.kind == "data_check"]
                if data_checks is None
                else data_checks,
                key=lambda e: e.created_at,
                reverse=True,
            ),
            request=request,
            monitors=tuple(monitors),
            fairness=tuple(fairness),
        )

    def check(
        self,
        kind: str,
        params: Mapping[str, Any] | None = None,
        ctx: GateContext | None = None,
        gate: Stage = Stage.PRODUCTION,
    ) -> Outcome:
        """Validate ``params`` for ``kind`` and run its check, as evaluate_gate does."""
        crit = CRITERIA[kind]
        return crit.check(crit.params.model_validate(dict(params or {})), ctx or self.ctx(), gate)
