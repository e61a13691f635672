"""Alert rules on monitor metrics, the alerts they open and resolve, and webhook delivery.

The monitoring service calls :func:`evaluate` inside the write transaction that logged (or
labelled) batches, then :func:`deliver_pending` after it commits. Network I/O never happens
inside a transaction, and delivery never raises for a network problem.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from scalegate.domain.alert import (
    MAX_WINDOWS,
    Alert,
    AlertRule,
    AlertStatus,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Op,
    condition_holds,
    default_rule_name,
    format_number,
    metric_problem,
    opened_message,
    redact_url,
    rule_name_problem,
    webhook_problem,
)
from scalegate.domain.stage import Stage
from scalegate.domain.user import Role
from scalegate.errors import ConflictError, NotFoundError, UnknownChoiceError, ValidationError
from scalegate.services import webhooks
from scalegate.services.access import require
from scalegate.services.clock import aware, utcnow
from scalegate.services.registry import use_case_in
from scalegate.store import Store
from scalegate.store import alert_repository as arepo
from scalegate.store import monitor_repository as mrepo
from scalegate.store.audit_log import append_event

DEFAULT_MONITOR = "default"
#: who the audit chain names for delivery outcomes, which no user triggers
SYSTEM_ACTOR = "scalegate"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard :func:`deliver_pending` tries.

    Each call makes up to ``attempts_per_call`` POSTs per delivery, ``backoff_seconds``
    apart (doubling). A delivery still failing stays ``pending`` until ``next_attempt_at``:
    ``retry_after`` after the first round, doubling per round up to ``max_retry_after``.
    After ``max_attempts`` POSTs in all (or at once on a client error such as 404) it is
    ``failed``. ``timeout_seconds`` bounds each POST's connect and each read.
    """

    attempts_per_call: int = 3
    backoff_seconds: float = 0.5
    max_attempts: int = 15
    retry_after: timedelta = timedelta(minutes=1)
    max_retry_after: timedelta = timedelta(hours=1)
    timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts_per_call < 1 or self.max_attempts < 1:
            raise ValueError("attempts_per_call and max_attempts must be at least 1")
        if self.backoff_seconds < 0 or self.timeout_seconds <= 0:
            raise ValueError("backoff_seconds must be >= 0 and timeout_seconds > 0")

    def next_attempt_at(self, at: datetime, attempts: int) -> datetime:
        """When a delivery that has failed ``attempts`` times in all is tried again."""
        rounds = max(0, (attempts - 1) // self.attempts_per_call)
        delay = self.retry_after * (1 << min(rounds, 30))
        return at + min(delay, self.max_retry_after)


# ---------------------------------------------------------------------------- rules


def _monitor_id(conn: Connection, use_case_id: int, slug: str, monitor: str) -> int:
    found = mrepo.get_monitor(conn, use_case_id, monitor, full=False)
    if found is None:
        names = [str(m["name"]) for m in mrepo.list_monitors(conn, use_case_id)]
        hint = f"its monitors are {', '.join(names)}" if names else "it has no monitor yet"
        raise NotFoundError(
            f"use case '{slug}' has no monitor '{monitor}'; {hint}",
            what="monitor",
            field="monitor",
            value=monitor,
        )
    return int(found["id"])


def _check_rule(
    *, name: str | None, metric: str, op: str | Op, threshold: float, windows: int
) -> tuple[str, Op, float]:
    problem = metric_problem(metric)
    if problem:
        raise ValidationError(f"field 'metric': {problem}", field="metric", value=metric)
    try:
        operator = Op.parse(str(op))
    except ValueError:
        known = ", ".join([o.value for o in Op] + [o.word for o in Op])
        raise UnknownChoiceError(
            f"field 'op': unknown operator '{op}'; use one of {known}",
            field="op",
            value=op,
        ) from None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValidationError(
            f"field 'threshold': '{threshold}' is not a number", field="threshold"
        )
    if not math.isfinite(threshold):
        raise ValidationError(
            f"field 'threshold': {threshold} is not a finite number", field="threshold"
        )
    if (
        isinstance(windows, bool)
        or not isinstance(windows, int)
        or not (1 <= windows <= MAX_WINDOWS)
    ):
        raise ValidationError(
            f"field 'windows': {windows} is not a whole number of batches from 1 to {MAX_WINDOWS}",
            field="windows",
            value=windows,
        )
    rule_name = name if name is not None else default_rule_name(metric, operator, threshold)
    problem = rule_name_problem(rule_name)
    if problem:
        raise ValidationError(f"field 'name': {problem}", field="name", value=rule_name)
    return rule_name, operator, float(threshold)


def _audit_rule(rule: AlertRule) -> dict[str, Any]:
    data = rule.public_dict()
    for key in ("id", "monitor_id", "created_at", "created_by", "use_case"):
        data.pop(key, None)
    if rule.webhook:
        # the URL's secret stays out of the chain; its digest still proves which one it was
        data["webhook_sha256"] = hashlib.sha256(rule.webhook.encode("utf-8")).hexdigest()
    return data


def add_rule(
    store: Store,
    slug: str,
    *,
    monitor: str = DEFAULT_MONITOR,
    name: str | None = None,
    metric: str,
    op: str | Op,
    threshold: float,
    windows: int = 1,
    webhook: str | None = None,
    actor: str | None,
    now: datetime | None = None,
) -> AlertRule:
    """Add an alert rule to a use case's monitor (contributor or above; audited).

    The rule is evaluated whenever the monitor logs or labels batches. ``name`` defaults to
    ``<metric>-<ge|le|gt|lt>-<threshold>``. Bad values raise ValidationError naming the field;
    nothing is written then.
    """
    rule_name, operator, limit = _check_rule(
        name=name, metric=metric, op=op, threshold=threshold, windows=windows
    )
    if webhook is not None:
        webhook = webhook.strip()
        problem = webhook_problem(webhook)
        if problem:
            raise ValidationError(f"field 'webhook': {problem}", field="webhook")
    at = aware(now) if now else utcnow()
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="adding an alert rule")
        uc = use_case_in(conn, slug)
        if uc.stage is Stage.RETIRED:
            raise ConflictError(f"use case '{slug}' is retired")
        mid = _monitor_id(conn, uc.id, slug, monitor)
        if arepo.find_rule(conn, mid, rule_name) is not None:
            raise _duplicate(slug, monitor, rule_name)
        try:
            rule_id = arepo.insert_rule(
                conn,
                monitor_id=mid,
                name=rule_name,
                metric=metric,
                op=operator,
                threshold=limit,
                windows=windows,
                webhook=webhook,
                at=at,
                by=user.username,
            )
        except IntegrityError:  # a concurrent writer on a backend without BEGIN IMMEDIATE
            raise _duplicate(slug, monitor, rule_name) from None
        rule = arepo.get_rule(conn, rule_id)
        assert rule is not None
        append_event(
            conn,
            actor=user.username,
            action="alert_rule.added",
            subject_type="use_case",
            subject_id=slug,
            after=_audit_rule(rule),
        )
    return rule


def _duplicate(slug: str, monitor: str, name: str) -> ConflictError:
    return ConflictError(
        f"monitor '{slug}/{monitor}' already has an alert rule named '{name}' "
        "(disabled rules keep their name); choose another --name",
        field="name",
        value=name,
    )


def list_rules(store: Store, slug: str, monitor: str | None = None) -> list[AlertRule]:
    """The use case's rules (active and disabled), by monitor then name."""
    with store.read() as conn:
        uc = use_case_in(conn, slug)
        mid = _monitor_id(conn, uc.id, slug, monitor) if monitor is not None else None
        return arepo.list_rules(conn, use_case_id=uc.id, monitor_id=mid)


def disable_rule(
    store: Store,
    slug: str,
    name: str,
    *,
    monitor: str = DEFAULT_MONITOR,
    actor: str | None,
    now: datetime | None = None,
) -> AlertRule:
    """Stop evaluating a rule (contributor or above; audited). Its open alert, if any, is
    resolved, with a ``resolved`` delivery queued when the rule has a webhook. Disabled rules
    are kept, with their alerts, for the record."""
    at = aware(now) if now else utcnow()
    with store.write() as conn:
        user = require(conn, actor, Role.CONTRIBUTOR, doing="disabling an alert rule")
        uc = use_case_in(conn, slug)
        mid = _monitor_id(conn, uc.id, slug, monitor)
        rule = arepo.find_rule(conn, mid, name)
        if rule is None:
            names = [r.name for r in arepo.list_rules(conn, monitor_id=mid)]
            raise NotFoundError(
                f"monitor '{slug}/{monitor}' has no alert rule '{name}'; "
                + (f"its rules are {', '.join(names)}" if names else "it has no rules"),
                what="alert rule",
                field="name",
                value=name,
            )
        if not rule.active:
            raise ConflictError(f"alert rule '{name}' of '{slug}/{monitor}' is already disabled")
        arepo.set_rule_active(conn, rule.id, False)
        append_event(
            conn,
            actor=user.username,
            action="alert_rule.disabled",
            subject_type="use_case",
            subject_id=slug,
            before={"rule": rule.name, "monitor": rule.monitor, "active": True},
            after={"rule": rule.name, "monitor": rule.monitor, "active": False},
        )
        current = arepo.open_alert(conn, rule.id)
        if current is not None:
            _resolve(
                conn, rule, current, at=at, actor=user.username, latest=None, why="rule disabled"
            )
        updated = arepo.get_rule(conn, rule.id)
        assert updated is not None
        return updated


# ---------------------------------------------------------------------------- evaluation


def evaluate(conn: Connection, monitor_id: int, *, now: datetime, actor: str) -> list[int]:
    """Open or resolve the alerts of every active rule of a monitor; return the ids of the
    deliveries this queued (pass them to :func:`deliver_pending` after commit).

    Runs inside the caller's write transaction. A rule's condition holds when its newest
    ``windows`` batches (by ``at``, then id) that carry the metric all satisfy
    ``value <op> threshold``. Holding with no open alert opens one (audited
    ``alert.opened``); not holding with one open resolves it (``alert.resolved``). While the
    condition keeps holding nothing more happens: one open alert per rule at most.
    """
    at = aware(now)
    queued: list[int] = []
    for rule in arepo.list_rules(conn, monitor_id=monitor_id, active_only=True):
        recent = arepo.recent_metric_values(conn, monitor_id, rule.metric, limit=rule.windows)
        values = [v for _, v in recent]
        holds = condition_holds(values, rule.op, rule.threshold, rule.windows)
        current = arepo.open_alert(conn, rule.id)
        if holds and current is None:
            queued += _open(conn, rule, recent, at=at, actor=actor)
        elif not holds and current is not None:
            queued += _resolve(
                conn,
                rule,
                current,
                at=at,
                actor=actor,
                latest=recent[0] if recent else None,
                why="condition no longer holds",
            )
    return queued


def _open(
    conn: Connection,
    rule: AlertRule,
    recent: list[tuple[int, float]],
    *,
    at: datetime,
    actor: str,
) -> list[int]:
    window = list(reversed(recent[: rule.windows]))  # oldest first
    batch_ids = [b for b, _ in window]
    values = [v for _, v in window]
    message = opened_message(
        use_case=rule.use_case,
        monitor=rule.monitor,
        metric=rule.metric,
        op=rule.op,
        threshold=rule.threshold,
        values=values,
    )
    alert_id = arepo.insert_alert(
        conn,
        rule_id=rule.id,
        monitor_id=rule.monitor_id,
        at=at,
        value=values[-1],
        batch_ids=batch_ids,
        message=message,
    )
    append_event(
        conn,
        actor=actor,
        action="alert.opened",
        subject_type="use_case",
        subject_id=rule.use_case,
        after={
            "alert": alert_id,
            "monitor": rule.monitor,
            "rule": rule.name,
            "condition": rule.condition,
            "windows": rule.windows,
            "value": values[-1],
            "batch_ids": batch_ids,
            "message": message,
        },
    )
    if not rule.webhook:
        return []
    return [
        arepo.insert_delivery(
            conn, alert_id=alert_id, event=DeliveryEvent.OPENED, url=rule.webhook, at=at
        )
    ]


def _resolve(
    conn: Connection,
    rule: AlertRule,
    alert: Alert,
    *,
    at: datetime,
    actor: str,
    latest: tuple[int, float] | None,
    why: str,
) -> list[int]:
    arepo.resolve_alert(conn, alert.id, at)
    reason: dict[str, Any] = {"reason": why}
    if latest is not None:
        reason.update(latest_batch_id=latest[0], latest_value=latest[1])
    append_event(
        conn,
        actor=actor,
        action="alert.resolved",
        subject_type="use_case",
        subject_id=rule.use_case,
        before={"alert": alert.id, "status": AlertStatus.OPEN.value},
        after={
            "alert": alert.id,
            "status": AlertStatus.RESOLVED.value,
            "monitor": rule.monitor,
            "rule": rule.name,
            "condition": rule.condition,
            **reason,
        },
    )
    if not rule.webhook:
        return []
    return [
        arepo.insert_delivery(
            conn, alert_id=alert.id, event=DeliveryEvent.RESOLVED, url=rule.webhook, at=at
        )
    ]


# ---------------------------------------------------------------------------- reading


def _status(value: str | AlertStatus | None) -> AlertStatus | None:
    if value is None:
        return None
    try:
        return AlertStatus(str(value).strip().lower())
    except ValueError:
        raise ValidationError(
            f"field 'status': unknown alert status '{value}'; use open or resolved",
            field="status",
            value=value,
        ) from None


def list_alerts(
    store: Store,
    slug: str | None = None,
    status: str | AlertStatus | None = None,
    *,
    limit: int | None = None,
) -> list[Alert]:
    """Alerts, newest first; of one use case and/or one status (``open``, ``resolved``)."""
    wanted = _status(status)
    with store.read() as conn:
        uc_id = use_case_in(conn, slug).id if slug is not None else None
        return arepo.list_alerts(conn, use_case_id=uc_id, status=wanted, limit=limit)


def list_deliveries(
    store: Store, slug: str | None = None, *, limit: int | None = None
) -> list[Delivery]:
    """The delivery log, newest first: every webhook notification, its attempts and outcome."""
    with store.read() as conn:
        uc_id = use_case_in(conn, slug).id if slug is not None else None
        return arepo.list_deliveries(conn, use_case_id=uc_id, limit=limit)


# ---------------------------------------------------------------------------- delivery


def delivery_body(alert: Alert, event: DeliveryEvent) -> dict[str, Any]:
    """The JSON a webhook receives: a readable one-line ``text`` (what Slack and Teams
    incoming webhooks display) and the structured ``alert``."""
    opened = event is DeliveryEvent.OPENED
    if opened:
        text = f"[scalegate] Alert opened: {alert.message}"
    else:
        condition = f"{alert.metric} {alert.op.value} {format_number(alert.threshold)}"
        text = (
            f"[scalegate] Alert resolved: {alert.use_case}/{alert.monitor}: {condition} "
            f"no longer holds (alert #{alert.id}, opened {alert.opened_at:%Y-%m-%d %H:%M} UTC)"
        )
    return {
        "text": text,
        "alert": {
            "id": alert.id,
            "event": event.value,
            "status": AlertStatus.OPEN.value if opened else AlertStatus.RESOLVED.value,
            "use_case": alert.use_case,
            "monitor": alert.monitor,
            "rule": alert.rule,
            "metric": alert.metric,
            "op": alert.op.value,
            "threshold": alert.threshold,
            "windows": alert.windows,
            "value": alert.value,
            "batch_ids": list(alert.batch_ids),
            "message": alert.message,
            "opened_at": alert.opened_at.isoformat(),
            "resolved_at": (
                alert.resolved_at.isoformat() if not opened and alert.resolved_at else None
            ),
        },
    }


def deliver_pending(
    store: Store,
    *,
    now: datetime | None = None,
    ids: Iterable[int] | None = None,
    due_only: bool = True,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """POST pending deliveries and record the outcome in the delivery log; return those
    deliveries as they now stand.

    With ``ids`` (what :func:`evaluate` returned) exactly those still pending are sent.
    Without, every pending delivery is, except (with ``due_only``, the default) those still
    waiting for their ``next_attempt_at``.

    Never raises for a network error: a failure is recorded (attempts, last status code,
    last error) and retried per ``policy``. No transaction stays open during a POST.
    Delivery is at least once: two processes delivering at the same moment may both send.
    Reaching ``delivered`` or ``failed`` is audited as ``alert.delivered`` or
    ``alert.delivery_failed``.
    """
    if ids is not None:
        ids = list(ids)
        if not ids:  # the common case after a batch that changed no alert
            return []
    rules = policy or RetryPolicy()
    fixed_now = aware(now) if now else None
    # explicitly named deliveries (fresh ones from evaluate) go now, whatever the clock says
    due_by = (fixed_now or utcnow()) if due_only and ids is None else None
    with store.read() as conn:
        work: list[tuple[Delivery, dict[str, Any]]] = []
        for item in arepo.pending_deliveries(conn, due_by=due_by, ids=ids):
            alert = arepo.get_alert(conn, item.alert_id)
            assert alert is not None  # a foreign key guarantees it
            work.append((item, delivery_body(alert, item.event)))
    done: list[Delivery] = []
    for item, body in work:
        result, attempts = _attempt(item, body, rules, sleep)
        at = fixed_now or utcnow()
        with store.write() as conn:
            if result.ok:
                status, next_at = DeliveryStatus.DELIVERED, None
            elif result.permanent or attempts >= rules.max_attempts:
                status, next_at = DeliveryStatus.FAILED, None
            else:
                status, next_at = DeliveryStatus.PENDING, rules.next_attempt_at(at, attempts)
            changed = arepo.record_attempts(
                conn,
                item.id,
                status=status,
                attempts=attempts,
                last_status_code=result.status_code,
                last_error=None if result.ok else result.error,
                delivered_at=at if result.ok else None,
                next_attempt_at=next_at,
            )
            if changed and status is not DeliveryStatus.PENDING:
                _audit_outcome(conn, item, status, attempts, result)
            latest = arepo.get_delivery(conn, item.id)
        assert latest is not None
        done.append(latest)
    return done


def _attempt(
    item: Delivery,
    body: dict[str, Any],
    rules: RetryPolicy,
    sleep: Callable[[float], None],
) -> tuple[webhooks.PostResult, int]:
    """One round of POSTs with short backoff; the last result and the attempts in all."""
    attempts = item.attempts
    result = webhooks.PostResult(False, None, "not attempted")
    for i in range(rules.attempts_per_call):
        if attempts >= rules.max_attempts:
            break
        if i:
            sleep(rules.backoff_seconds * 2 ** (i - 1))
        result = webhooks.post_json(item.url, body, timeout=rules.timeout_seconds)
        attempts += 1
        if result.ok or result.permanent:
            break
    return result, attempts


def _audit_outcome(
    conn: Connection,
    item: Delivery,
    status: DeliveryStatus,
    attempts: int,
    result: webhooks.PostResult,
) -> None:
    delivered = status is DeliveryStatus.DELIVERED
    append_event(
        conn,
        actor=SYSTEM_ACTOR,
        action="alert.delivered" if delivered else "alert.delivery_failed",
        subject_type="use_case",
        subject_id=item.use_case,
        after={
            "delivery": item.id,
            "alert": item.alert_id,
            "event": item.event.value,
            "url": redact_url(item.url),
            "attempts": attempts,
            "status_code": result.status_code,
            **({} if delivered else {"error": result.error}),
        },
    )
