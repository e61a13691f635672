"""Workspace counts for monitoring scalegate itself (the API's ``/metrics`` gauges)."""

from __future__ import annotations

from dataclasses import dataclass

from scalegate.domain.stage import Stage
from scalegate.domain.user import Role
from scalegate.store import Store, stats


@dataclass(frozen=True)
class WorkspaceCounts:
    """Use cases per stage (every stage present, zeros included), alerts per status,
    active users per role and the audit chain's length."""

    use_cases: dict[str, int]
    alerts: dict[str, int]
    users: dict[str, int]
    audit_events: int


def counts(store: Store) -> WorkspaceCounts:
    with store.read() as conn:
        by_stage = stats.use_cases_by_stage(conn)
        alerts = stats.alerts_by_status(conn)
        users = stats.users_by_role(conn)
        audit = stats.audit_length(conn)
    return WorkspaceCounts(
        use_cases={s.value: by_stage.get(s.value, 0) for s in Stage},
        alerts={s: alerts.get(s, 0) for s in ("open", "resolved")},
        users={r.value: users.get(r.value, 0) for r in Role},
        audit_events=audit,
    )
