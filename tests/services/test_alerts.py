"""Alert rules, alert evaluation over consecutive batches, and webhook delivery to a local
HTTP receiver."""

from __future__ import annotations

import json
import operator
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from svc_support import charter, events, snapshot, utc_now

from alert_support import (
    FAST,
    T0,
    add_monitor,
    insert_batch,
    log_batch,
    log_values,
    receiver,
    refused_url,
)
from scalegate.domain.alert import AlertStatus, DeliveryStatus, Op
from scalegate.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownChoiceError,
    ValidationError,
)
from scalegate.services import alerts, audit, registry
from scalegate.store import tables as t

SLUG = "demand-forecast"


@pytest.fixture
def monitored(team):
    """``team`` plus the use case ``demand-forecast`` with a monitor ``default``."""
    registry.add(team, charter(SLUG), actor="ben")
    team.monitor_id = add_monitor(team, SLUG)
    return team


def _rule(store, **overrides):
    fields = {"metric": "accuracy", "op": "<=", "threshold": 0.8, "actor": "ben"}
    fields.update(overrides)
    return alerts.add_rule(store, SLUG, **fields)


def _alerts(store, status=None):
    return alerts.list_alerts(store, SLUG, status)


# ---------------------------------------------------------------------------- rules


def test_add_rule_stores_it_with_a_default_name_and_audits_it(monitored) -> None:
    rule = _rule(monitored, windows=3, webhook="https://hooks.example.com/services/T1/B2/s3cret")
    assert (rule.name, rule.metric, rule.op, rule.threshold, rule.windows) == (
        "accuracy-le-0.8",
        "accuracy",
        Op.LE,
        0.8,
        3,
    )
    assert (rule.use_case, rule.monitor, rule.active, rule.created_by) == (
        SLUG,
        "default",
        True,
        "ben",
    )
    assert alerts.list_rules(monitored, SLUG) == [rule]
    assert alerts.list_rules(monitored, SLUG, monitor="default") == [rule]
    last = events(monitored)[-1]
    assert (last.action, last.actor, last.subject_type, last.subject_id) == (
        "alert_rule.added",
        "ben",
        "use_case",
        SLUG,
    )
    after = json.loads(last.after)
    assert after["metric"] == "accuracy" and after["op"] == "<=" and after["windows"] == 3
    # the webhook's secret path stays out of the audit chain; its digest is kept
    assert "s3cret" not in last.after
    assert after["webhook"] == "https://hooks.example.com/…"
    assert len(after["webhook_sha256"]) == 64
    assert rule.webhook_display == "https://hooks.example.com/…"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"metric": "Accuracy"}, "metric"),
        ({"metric": "drift age"}, "metric"),
        ({"metric": "x" * 101}, "metric"),
        ({"op": "=>"}, "op"),
        ({"op": "=="}, "op"),
        ({"threshold": float("nan")}, "threshold"),
        ({"threshold": float("inf")}, "threshold"),
        ({"windows": 0}, "windows"),
        ({"windows": -2}, "windows"),
        ({"webhook": "ftp://hooks.example.com/x"}, "webhook"),
        ({"webhook": "hooks.example.com/x"}, "webhook"),
        ({"webhook": "https:///no-host"}, "webhook"),
        ({"webhook": "https://example.com:99999/x"}, "webhook"),
        ({"name": "Accuracy drop!"}, "name"),
    ],
)
def test_bad_rule_values_name_the_field_and_write_nothing(monitored, overrides, field) -> None:
    before = snapshot(monitored)
    with pytest.raises(ValidationError) as info:
        _rule(monitored, **overrides)
    assert info.value.fields["field"] == field
    assert f"'{field}'" in str(info.value) or field in str(info.value)
    assert snapshot(monitored) == before


def test_unknown_operator_lists_the_known_ones(monitored) -> None:
    with pytest.raises(
        UnknownChoiceError,
        match=r"field 'op': unknown operator '=>'; use one of >=, <=, >, <, ge, le, gt, lt",
    ):
        _rule(monitored, op="=>")


def test_rule_needs_a_contributor_a_known_monitor_and_a_free_name(monitored) -> None:
    with pytest.raises(PermissionDeniedError, match="contributor"):
        _rule(monitored, actor="vic")
    with pytest.raises(ValidationError, match="who is acting"):
        _rule(monitored, actor=None)
    with pytest.raises(NotFoundError, match="no monitor 'shadow'; its monitors are default"):
        _rule(monitored, monitor="shadow")
    with pytest.raises(NotFoundError, match="unknown use case"):
        alerts.add_rule(monitored, "nope", metric="accuracy", op="<", threshold=1, actor="ben")
    _rule(monitored)
    with pytest.raises(ConflictError, match=r"already has an alert rule named 'accuracy-le-0\.8'"):
        _rule(monitored)
    assert _rule(monitored, metric="rows", op="gt", threshold=2e20).name == "rows-gt-2e20"
    # the same condition under another name is a different rule
    assert _rule(monitored, name="accuracy-floor").name == "accuracy-floor"


def test_disable_rule_stops_it_and_resolves_its_open_alert(monitored) -> None:
    with receiver() as hook:
        rule = _rule(monitored, webhook=hook.url)
        opened = log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        [alert] = _alerts(monitored, "open")
        disabled = alerts.disable_rule(monitored, SLUG, rule.name, actor="carla")
        assert disabled.active is False
        [resolved] = _alerts(monitored)
        assert resolved.id == alert.id and resolved.status is AlertStatus.RESOLVED
        # a disabled rule is not evaluated any more
        log_values(monitored, monitored.monitor_id, "accuracy", [0.6, 0.9, 0.5], start=1)
        assert len(_alerts(monitored)) == 1
        done = alerts.deliver_pending(monitored, policy=FAST)
        assert [d.event.value for d in done] == ["opened", "resolved"]
        assert [d.id for d in done][:1] == opened
        assert [r.body["alert"]["status"] for r in hook.requests] == ["open", "resolved"]
    acts = [e.action for e in events(monitored)]
    assert acts[-4:] == [
        "alert_rule.disabled",
        "alert.resolved",
        "alert.delivered",
        "alert.delivered",
    ]
    resolved_event = next(e for e in events(monitored) if e.action == "alert.resolved")
    assert json.loads(resolved_event.after)["reason"] == "rule disabled"
    with pytest.raises(ConflictError, match="already disabled"):
        alerts.disable_rule(monitored, SLUG, rule.name, actor="carla")
    with pytest.raises(NotFoundError, match=r"its rules are accuracy-le-0\.8"):
        alerts.disable_rule(monitored, SLUG, "nope", actor="carla")
    with pytest.raises(PermissionDeniedError):
        alerts.disable_rule(monitored, SLUG, rule.name, actor="vic")


# ---------------------------------------------------------------------------- evaluation


def test_condition_must_hold_for_the_required_consecutive_batches(monitored) -> None:
    _rule(monitored, windows=3)
    mid = monitored.monitor_id
    log_values(monitored, mid, "accuracy", [0.74, 0.71])
    assert _alerts(monitored) == []  # holds for 2 of the 3 required
    log_values(monitored, mid, "accuracy", [0.85], start=2)
    log_values(monitored, mid, "accuracy", [0.74, 0.71], start=3)
    assert _alerts(monitored) == []  # a good batch broke the run
    log_values(monitored, mid, "accuracy", [0.69], start=5)
    [alert] = _alerts(monitored)
    assert alert.status is AlertStatus.OPEN
    assert alert.message == (
        "demand-forecast/default: accuracy <= 0.8 for 3 consecutive batches (0.74, 0.71, 0.69)"
    )
    assert alert.value == 0.69
    with monitored.read() as conn:
        ats = dict(conn.execute(sa.select(t.monitor_batches.c.id, t.monitor_batches.c.at)).all())
    assert [ats[b] for b in alert.batch_ids] == [T0 + timedelta(days=d) for d in (3, 4, 5)]


def test_one_window_message_and_strict_operators(monitored) -> None:
    _rule(monitored, metric="drift_share", op=">", threshold=0.3, name="drift")
    log_values(monitored, monitored.monitor_id, "drift_share", [0.3])
    assert _alerts(monitored) == []  # 0.3 > 0.3 does not hold
    log_values(monitored, monitored.monitor_id, "drift_share", [0.45], start=1)
    [alert] = _alerts(monitored)
    assert alert.message == "demand-forecast/default: drift_share > 0.3 in the latest batch (0.45)"


def test_an_open_condition_opens_one_alert_only(monitored) -> None:
    with receiver() as hook:
        _rule(monitored, windows=2, webhook=hook.url)
        queued = log_values(monitored, monitored.monitor_id, "accuracy", [0.7, 0.6, 0.5, 0.4, 0.3])
        assert len(queued) == 1
        [alert] = _alerts(monitored)
        assert alert.status is AlertStatus.OPEN
        assert alert.value == 0.6  # the value that opened it, not later ones
        assert [d.id for d in alerts.list_deliveries(monitored, SLUG)] == queued
    assert [e.action for e in events(monitored)].count("alert.opened") == 1


def test_resolves_when_the_condition_clears_and_reopens_as_a_new_alert(monitored) -> None:
    _rule(monitored, windows=2, webhook="https://hooks.example.com/x")
    mid = monitored.monitor_id
    opened = log_values(monitored, mid, "accuracy", [0.7, 0.6])
    resolved = log_values(monitored, mid, "accuracy", [0.9], start=2)
    [first] = _alerts(monitored)
    assert first.status is AlertStatus.RESOLVED
    assert first.resolved_at == T0 + timedelta(days=2, minutes=1)
    # a still-good batch, then a single bad one: nothing (needs 2)
    log_values(monitored, mid, "accuracy", [0.95, 0.7], start=3)
    assert len(_alerts(monitored)) == 1
    reopened = log_values(monitored, mid, "accuracy", [0.65], start=5)
    second, again_first = _alerts(monitored)
    assert again_first.id == first.id and again_first.status is AlertStatus.RESOLVED
    assert second.id != first.id and second.status is AlertStatus.OPEN
    assert second.message.endswith("for 2 consecutive batches (0.7, 0.65)")
    deliveries = list(reversed(alerts.list_deliveries(monitored, SLUG)))
    assert [d.id for d in deliveries] == opened + resolved + reopened
    assert [(d.alert_id, d.event.value, d.status.value) for d in deliveries] == [
        (first.id, "opened", "pending"),
        (first.id, "resolved", "pending"),
        (second.id, "opened", "pending"),
    ]
    assert alerts.list_alerts(monitored, status="open") == [second]
    assert alerts.list_alerts(monitored, SLUG, "resolved") == [first]
    with pytest.raises(ValidationError, match="unknown alert status 'closed'; use open or"):
        alerts.list_alerts(monitored, status="closed")


def test_batches_without_the_metric_are_skipped_and_order_is_by_batch_time(monitored) -> None:
    _rule(monitored, windows=3)
    mid = monitored.monitor_id
    log_batch(monitored, mid, {"accuracy": 0.9}, at=T0)
    # label-free batches carry no realised accuracy; a null or text value is not a number
    log_batch(monitored, mid, {"drift_share": 0.1}, at=T0 + timedelta(days=1))
    log_batch(monitored, mid, {"accuracy": None}, at=T0 + timedelta(days=2))
    log_batch(monitored, mid, {"accuracy": "n/a"}, at=T0 + timedelta(days=2))
    log_batch(monitored, mid, {"accuracy": 0.7}, at=T0 + timedelta(days=3))
    log_batch(monitored, mid, {"accuracy": 0.75}, at=T0 + timedelta(days=4))
    assert _alerts(monitored) == []  # newest three carriers: 0.9, 0.7, 0.75
    # logged last but older than everything: not among the newest three by batch time
    log_batch(monitored, mid, {"accuracy": 0.2}, at=T0 - timedelta(days=9))
    assert _alerts(monitored) == []
    log_batch(monitored, mid, {"accuracy": 0.79}, at=T0 + timedelta(days=5))
    [alert] = _alerts(monitored)
    assert alert.message.endswith("(0.7, 0.75, 0.79)")


def test_labels_arriving_later_are_evaluated_too(monitored) -> None:
    """The monitoring service updates a batch's metrics when labels arrive, then evaluates."""
    _rule(monitored, windows=2)
    mid = monitored.monitor_id
    first, _ = log_batch(monitored, mid, {"rows": 500}, at=T0)
    second, _ = log_batch(monitored, mid, {"rows": 500}, at=T0 + timedelta(days=1))
    assert _alerts(monitored) == []
    with monitored.write() as conn:
        for bid, acc in ((first, 0.7), (second, 0.72)):
            conn.execute(
                sa.update(t.monitor_batches)
                .where(t.monitor_batches.c.id == bid)
                .values(metrics={"rows": 500, "accuracy": acc})
            )
        alerts.evaluate(conn, mid, now=T0 + timedelta(days=2), actor="ben")
    [alert] = _alerts(monitored)
    assert alert.batch_ids == (first, second)


def test_long_history_is_read_past_the_first_chunk(monitored) -> None:
    """Only every 40th batch carries the metric: the newest three lie 80+ batches back."""
    _rule(monitored, metric="f1", op="<", threshold=0.5, windows=3)
    mid = monitored.monitor_id
    with monitored.write() as conn:
        for i in range(130):
            metrics = {"f1": 0.4} if i % 40 == 0 else {"rows": 10}
            insert_batch(conn, mid, metrics, at=T0 + timedelta(hours=i))
        alerts.evaluate(conn, mid, now=T0 + timedelta(days=9), actor="ben")
    [alert] = _alerts(monitored)
    assert len(alert.batch_ids) == 3


def test_evaluation_rolls_back_with_the_callers_transaction(monitored) -> None:
    _rule(monitored, webhook="https://hooks.example.com/x")
    before = snapshot(monitored)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), monitored.write() as conn:
        insert_batch(conn, monitored.monitor_id, {"accuracy": 0.1}, at=T0)
        assert alerts.evaluate(conn, monitored.monitor_id, now=T0, actor="ben")
        raise Boom
    assert snapshot(monitored) == before


def test_alerts_follow_a_reference_model_over_a_random_series(monitored) -> None:
    """Open/resolved state after every batch equals a plain re-computation of the rule."""
    rng = random.Random(20261126)
    _rule(monitored, metric="drift.age", op=">=", threshold=0.2, windows=3, name="age")
    mid = monitored.monitor_id
    series: list[float] = []
    expected_opened = 0
    was_open = False
    for day in range(60):
        value = round(rng.choice([0.05, 0.1, 0.2, 0.25, 0.3, 0.5]), 2)
        series.append(value)
        log_batch(monitored, mid, {"drift.age": value}, at=T0 + timedelta(days=day))
        now_open = len(series) >= 3 and all(operator.ge(v, 0.2) for v in series[-3:])
        expected_opened += now_open and not was_open
        was_open = now_open
        found = _alerts(monitored)
        assert sum(a.status is AlertStatus.OPEN for a in found) == int(now_open), day
        assert len(found) == expected_opened, day
    assert expected_opened >= 3  # the series really exercised open/resolve cycles


# ---------------------------------------------------------------------------- delivery


def test_delivery_posts_a_slack_and_teams_style_body(monitored) -> None:
    with receiver([200]) as hook:
        _rule(monitored, windows=2, webhook=hook.url)
        queued = log_values(monitored, monitored.monitor_id, "accuracy", [0.74, 0.71])
        [alert] = _alerts(monitored)
        done = alerts.deliver_pending(monitored, ids=queued, policy=FAST)
        assert alerts.deliver_pending(monitored, ids=[], policy=FAST) == []
    [req] = hook.requests
    assert req.path == "/hooks/T000/secret-token"
    assert req.headers["Content-Type"].startswith("application/json")
    body = req.body
    assert isinstance(body["text"], str) and "\n" not in body["text"]
    assert body["text"] == f"[scalegate] Alert opened: {alert.message}"
    assert body["alert"] == {
        "id": alert.id,
        "event": "opened",
        "status": "open",
        "use_case": SLUG,
        "monitor": "default",
        "rule": "accuracy-le-0.8",
        "metric": "accuracy",
        "op": "<=",
        "threshold": 0.8,
        "windows": 2,
        "value": 0.71,
        "batch_ids": list(alert.batch_ids),
        "message": alert.message,
        "opened_at": alert.opened_at.isoformat(),
        "resolved_at": None,
    }
    [d] = done
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
        None,
    )
    assert d.delivered_at is not None and d.next_attempt_at is None
    # delivered is final: a second run sends nothing
    assert alerts.deliver_pending(monitored, policy=FAST) == []


def test_resolved_delivery_says_so(monitored) -> None:
    with receiver() as hook:
        _rule(monitored, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7, 0.9])
        alerts.deliver_pending(monitored, policy=FAST)
    opened, resolved = (r.body for r in hook.requests)
    assert opened["alert"]["event"] == "opened"
    assert resolved["alert"]["event"] == "resolved"
    assert resolved["alert"]["status"] == "resolved"
    assert resolved["alert"]["resolved_at"] is not None
    assert resolved["text"].startswith(
        "[scalegate] Alert resolved: demand-forecast/default: accuracy <= 0.8 no longer holds"
    )


def test_retry_after_a_failed_delivery_within_one_call(monitored) -> None:
    with receiver([500, 200]) as hook:
        _rule(monitored, webhook=hook.url)
        queued = log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        slept: list[float] = []
        [d] = alerts.deliver_pending(monitored, ids=queued, policy=FAST, sleep=slept.append)
    assert len(hook.requests) == 2
    assert hook.requests[0].body == hook.requests[1].body
    assert slept == [FAST.backoff_seconds]
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)


def test_retry_waits_for_next_attempt_at_between_calls(monitored) -> None:
    one_per_call = alerts.RetryPolicy(
        attempts_per_call=1, max_attempts=5, retry_after=timedelta(minutes=2), timeout_seconds=2
    )
    now = T0 + timedelta(days=1)
    with receiver([500, 200]) as hook:
        _rule(monitored, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        [d] = alerts.deliver_pending(monitored, now=now, policy=one_per_call)
        assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
        assert d.last_error is not None and d.last_error.startswith("HTTP 500")
        assert "invalid_token" in d.last_error  # the receiver's answer is kept
        assert d.next_attempt_at == now + timedelta(minutes=2)
        # not due yet: nothing is sent
        later = now + timedelta(minutes=1)
        assert alerts.deliver_pending(monitored, now=later, policy=one_per_call) == []
        assert len(hook.requests) == 1
        # forced (``scalegate alert deliver``): sent although not due
        [d] = alerts.deliver_pending(monitored, now=later, due_only=False, policy=one_per_call)
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert d.delivered_at == later


def test_deliveries_named_by_id_go_at_once(monitored) -> None:
    """What the monitoring service does after commit, whatever clock it evaluated with."""
    future = utc_now() + timedelta(days=30)
    with receiver() as hook:
        _rule(monitored, webhook=hook.url)
        _, queued = log_batch(monitored, monitored.monitor_id, {"accuracy": 0.5}, at=future)
        assert alerts.deliver_pending(monitored, policy=FAST) == []  # not due by the clock
        [d] = alerts.deliver_pending(monitored, ids=queued, policy=FAST)
    assert d.status is DeliveryStatus.DELIVERED and len(hook.requests) == 1


def test_backoff_doubles_per_round_up_to_the_cap() -> None:
    policy = alerts.RetryPolicy(
        attempts_per_call=2, retry_after=timedelta(minutes=1), max_retry_after=timedelta(minutes=5)
    )
    delays = [policy.next_attempt_at(T0, n) - T0 for n in (2, 4, 6, 8, 10)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 5, 5)]


def test_gives_up_after_max_attempts(monitored) -> None:
    now = T0 + timedelta(days=1)
    with receiver([503]) as hook:
        _rule(monitored, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        [d] = alerts.deliver_pending(monitored, now=now, policy=FAST, sleep=lambda s: None)
        assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 2)
        [d] = alerts.deliver_pending(
            monitored, now=d.next_attempt_at, policy=FAST, sleep=lambda s: None
        )
    assert len(hook.requests) == FAST.max_attempts == 4
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.FAILED, 4, 503)
    assert d.next_attempt_at is None and d.delivered_at is None
    [logged] = alerts.list_deliveries(monitored, SLUG)
    assert logged == d
    assert alerts.deliver_pending(monitored, due_only=False, policy=FAST) == []
    failed = [e for e in events(monitored) if e.action == "alert.delivery_failed"]
    assert len(failed) == 1 and json.loads(failed[0].after)["attempts"] == 4
    assert "secret-token" not in failed[0].after


def test_a_client_error_fails_at_once(monitored) -> None:
    with receiver([404]) as hook:
        _rule(monitored, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        [d] = alerts.deliver_pending(monitored, policy=FAST)
    assert len(hook.requests) == 1
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.FAILED, 1, 404)


def test_rate_limited_is_retried(monitored) -> None:
    with receiver([429, 204]) as hook:
        _rule(monitored, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        [d] = alerts.deliver_pending(monitored, policy=FAST, sleep=lambda s: None)
    assert len(hook.requests) == 2
    assert (d.status, d.last_status_code) == (DeliveryStatus.DELIVERED, 204)


def test_unreachable_receiver_does_not_raise(monitored) -> None:
    _rule(monitored, webhook=refused_url())
    log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
    [d] = alerts.deliver_pending(monitored, policy=FAST, sleep=lambda s: None)
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.PENDING, 2, None)
    assert d.last_error is not None and "refused" in d.last_error.lower()
    assert d.next_attempt_at is not None


def test_a_slow_receiver_times_out_without_raising(monitored) -> None:
    quick = alerts.RetryPolicy(attempts_per_call=1, max_attempts=1, timeout_seconds=0.2)
    with receiver([200], delay=1.0) as hook:
        _rule(monitored, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
        [d] = alerts.deliver_pending(monitored, policy=quick)
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 1)
    assert d.last_error is not None and "timed out" in d.last_error


def test_rules_without_webhook_open_alerts_but_queue_nothing(monitored) -> None:
    _rule(monitored)
    assert log_values(monitored, monitored.monitor_id, "accuracy", [0.7, 0.9]) == []
    assert [a.status for a in _alerts(monitored)] == [AlertStatus.RESOLVED]
    assert alerts.list_deliveries(monitored) == []


def test_audit_events_are_present_and_the_chain_verifies(monitored) -> None:
    with receiver() as hook:
        rule = _rule(monitored, windows=2, webhook=hook.url)
        log_values(monitored, monitored.monitor_id, "accuracy", [0.7, 0.6, 0.9])
        alerts.deliver_pending(monitored, policy=FAST)
        alerts.disable_rule(monitored, SLUG, rule.name, actor="ben")
    acts = [e.action for e in events(monitored)]
    tail = acts[acts.index("alert_rule.added") :]
    assert tail == [
        "alert_rule.added",
        "alert.opened",
        "alert.resolved",
        "alert.delivered",
        "alert.delivered",
        "alert_rule.disabled",
    ]
    opened = next(e for e in events(monitored) if e.action == "alert.opened")
    assert (opened.actor, opened.subject_type, opened.subject_id) == ("ben", "use_case", SLUG)
    after = json.loads(opened.after)
    assert after["condition"] == "accuracy <= 0.8" and after["value"] == 0.6
    resolved = json.loads(next(e for e in events(monitored) if e.action == "alert.resolved").after)
    assert resolved["latest_value"] == 0.9 and resolved["reason"] == "condition no longer holds"
    report = audit.verify(monitored)
    assert report.ok, report.message


def test_deliveries_of_other_use_cases_are_listed_apart(monitored) -> None:
    registry.add(monitored, charter("churn"), actor="ben")
    other = add_monitor(monitored, "churn")
    alerts.add_rule(
        monitored,
        "churn",
        metric="rows",
        op="<",
        threshold=100,
        webhook="https://h.example/x",
        actor="ben",
    )
    _rule(monitored, webhook="https://h.example/y")
    log_values(monitored, monitored.monitor_id, "accuracy", [0.7])
    log_values(monitored, other, "rows", [5])
    assert [d.use_case for d in alerts.list_deliveries(monitored, SLUG)] == [SLUG]
    assert [d.use_case for d in alerts.list_deliveries(monitored, "churn")] == ["churn"]
    assert len(alerts.list_deliveries(monitored)) == 2
    assert [a.use_case for a in alerts.list_alerts(monitored, "churn")] == ["churn"]
