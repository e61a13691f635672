"""Everything a criterion may look at, prefetched so that evaluation does no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scalegate.domain.evidence import Approval, Evidence, PromotionRequest, Waiver
from scalegate.domain.monitoring import MonitorRecord
from scalegate.domain.policy import Policy
from scalegate.domain.use_case import UseCase
from scalegate.domain.user import User
from scalegate.domain.value import KpiMeasurement


@dataclass(frozen=True, slots=True)
class GateContext:
    """Inputs of one gate evaluation.

    ``approvals`` and ``waivers`` are those recorded while the use case was in its current
    stage; ``latest_evidence`` maps an evidence kind to its newest record (without its
    payload: criteria judge evidence by kind, status and age). ``data_checks`` holds the
    use case's ``data_check`` records, newest first, without payloads: the newest per
    contract, plus every run inside the longest window a ``data_contract`` criterion of the
    policy looks back over (see :func:`scalegate.gates.history_days`). ``monitors`` are the
    use case's active monitors with their batches of the last
    :func:`scalegate.gates.monitoring_days` days (and always the newest batch), newest first.
    ``fairness`` holds the newest ``fairness_report`` per set of sensitive columns, newest
    first, with payloads (fetched only when the policy has a ``fairness`` criterion).
    """

    use_case: UseCase
    policy: Policy
    policy_version: int
    now: datetime
    users: Mapping[str, User]
    approvals: Sequence[Approval] = ()
    waivers: Sequence[Waiver] = ()
    latest_evidence: Mapping[str, Evidence] = field(default_factory=dict)
    data_checks: Sequence[Evidence] = ()
    monitors: Sequence[MonitorRecord] = ()
    fairness: Sequence[Evidence] = ()
    #: KPI measurements of the last :func:`scalegate.gates.kpi_days` days, oldest first
    kpi_measurements: Sequence[KpiMeasurement] = ()
    request: PromotionRequest | None = None
